//! Message templates: text with `{{placeholders}}`. A template is parsed
//! when a campaign is saved, so an unknown placeholder is an error then and
//! not at send time. The same parse renders one customer's message in Rust
//! (the editor's preview) and every customer's message in SQL (the audience
//! snapshot, one `INSERT … SELECT`), so the two cannot disagree.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, Func, SimpleExpr};

use crate::customers::model::customer;
use crate::error::{AppError, AppResult};

/// Longest template, in characters.
pub const MAX_LEN: usize = 1_000;

/// A value a template can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Name,
    MemberCode,
    Tier,
    City,
    DiscountCode,
}

/// Every placeholder by the name written between the braces.
pub const PLACEHOLDERS: &[(&str, Placeholder)] = &[
    ("name", Placeholder::Name),
    ("member_code", Placeholder::MemberCode),
    ("tier", Placeholder::Tier),
    ("city", Placeholder::City),
    ("discount_code", Placeholder::DiscountCode),
];

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Value(Placeholder),
}

/// Parses `text`, or `BAD_USER_INPUT` on `field` naming the bad placeholder.
pub fn parse(text: &str, field: &str) -> AppResult<Vec<Part>> {
    if text.trim().is_empty() {
        return Err(AppError::bad_input(field, "the message is empty"));
    }
    if text.chars().count() > MAX_LEN {
        return Err(AppError::bad_input(field, format!("at most {MAX_LEN} characters")));
    }
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| AppError::bad_input(field, "a `{{` is never closed by `}}`"))?;
        let name = after[..close].trim();
        let known = PLACEHOLDERS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<String> = PLACEHOLDERS.iter().map(|(n, _)| format!("{{{{{n}}}}}")).collect();
            AppError::bad_input(field, format!("unknown placeholder {{{{{name}}}}}; use {}", names.join(", ")))
        })?;
        parts.push(Part::Value(known.1));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    Ok(parts)
}

/// Whether the template uses `p`.
pub fn uses(parts: &[Part], p: Placeholder) -> bool {
    parts.contains(&Part::Value(p))
}

/// A tier as customers read it: `GOLD` → `Gold`.
fn tier_label(code: &str) -> String {
    let lower = code.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// One customer's message.
pub fn render(parts: &[Part], c: &customer::Model, discount_code: Option<&str>) -> String {
    let tier = serde_json::to_value(c.tier).ok().and_then(|v| v.as_str().map(tier_label)).unwrap_or_default();
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.clone(),
            Part::Value(Placeholder::Name) => c.name.clone(),
            Part::Value(Placeholder::MemberCode) => c.member_code.clone(),
            Part::Value(Placeholder::Tier) => tier.clone(),
            Part::Value(Placeholder::City) => c.city.clone().unwrap_or_default(),
            Part::Value(Placeholder::DiscountCode) => discount_code.unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Every customer's message as one SQL expression over `customers`
/// (`'Hi ' || name || …`), literal text bound as parameters.
pub fn sql(parts: &[Part], discount_code: Option<&str>, backend: DbBackend) -> SimpleExpr {
    use customer::Column as C;
    let col = |c: C| Expr::col((customer::Entity, c));
    let exprs: Vec<SimpleExpr> = parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => Expr::val(t.clone()),
            Part::Value(Placeholder::Name) => col(C::Name),
            Part::Value(Placeholder::MemberCode) => col(C::MemberCode),
            Part::Value(Placeholder::Tier) => {
                // GOLD → Gold, as `tier_label` does.
                crate::db::custom_sql(
                    backend,
                    "(UPPER(SUBSTR(?, 1, 1)) || LOWER(SUBSTR(?, 2)))",
                    vec![col(C::Tier), col(C::Tier)],
                )
            }
            Part::Value(Placeholder::City) => Expr::from(Func::coalesce([col(C::City), Expr::val(String::new())])),
            Part::Value(Placeholder::DiscountCode) => Expr::val(discount_code.unwrap_or_default().to_owned()),
        })
        .collect();
    let joined = vec!["?"; exprs.len()].join(" || ");
    crate::db::custom_sql(backend, &format!("CAST(({joined}) AS TEXT)"), exprs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_parsed_and_unknown_ones_refused() {
        let parts = parse("Hi {{ name }}, {{tier}} gets {{discount_code}}!", "t").unwrap();
        assert_eq!(parts.len(), 7);
        assert!(uses(&parts, Placeholder::DiscountCode));
        let err = parse("Hi {{nmae}}", "input.template").unwrap_err();
        assert_eq!(err.field(), Some("input.template"));
        assert!(err.to_string().contains("{{nmae}}"), "{err}");
        assert!(parse("Hi {{name", "t").is_err());
        assert!(parse("   ", "t").is_err());
    }

    #[test]
    fn tiers_read_as_words() {
        assert_eq!(tier_label("PLATINUM"), "Platinum");
        assert_eq!(tier_label("NEW"), "New");
    }
}
