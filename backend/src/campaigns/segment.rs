//! Segments: a tree of AND / OR groups of conditions on customer fields,
//! checked once and compiled into one SQL condition with sea-query (every
//! value a bound parameter; nothing is filtered in memory).
//!
//! A condition is `{field, operator, value | values}`. Fields and operators
//! are strings so that a wrong one is a `BAD_USER_INPUT` naming the rule's
//! path (`rules.groups.0.conditions.1.operator`) rather than a schema
//! error; [`FIELDS`] says which operators and values each field takes (the
//! SPA's segment builder reads it through `segmentFields`).

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, DbBackend};
use serde::{Deserialize, Serialize};

use crate::customers::model::{CustomerStatus, CustomerTier, customer};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::wallets::model::wallet;

/// Deepest nesting of groups.
pub const MAX_DEPTH: usize = 5;
/// Most conditions in one segment, over all groups.
pub const MAX_CONDITIONS: usize = 100;
/// Most values of an `in` condition.
pub const MAX_VALUES: usize = 500;

/// How a group combines its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
pub enum GroupOp {
    And,
    Or,
}

/// A group of conditions and nested groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, InputObject, SimpleObject)]
#[graphql(input_name = "SegmentRulesInput", name = "SegmentRules")]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    /// `AND`: every member holds; `OR`: at least one does.
    pub op: GroupOp,
    #[graphql(default)]
    #[serde(default)]
    pub conditions: Vec<Rule>,
    #[graphql(default)]
    #[serde(default)]
    pub groups: Vec<RuleGroup>,
}

/// One condition on a customer field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, InputObject, SimpleObject)]
#[graphql(input_name = "SegmentConditionInput", name = "SegmentCondition")]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// A field of `segmentFields` (`tier`, `totalSpent`, `lastOrderAt`, …).
    pub field: String,
    /// `eq`, `neq`, `in`, `gt`, `gte`, `lt`, `lte`, `between`, `contains`,
    /// `within_last_days`: the ones `segmentFields` lists for the field.
    pub operator: String,
    /// The value of one-value operators.
    #[graphql(default)]
    #[serde(default)]
    pub value: Option<String>,
    /// The values of `in` (one or more) and `between` (two: low, high, both
    /// included).
    #[graphql(default)]
    #[serde(default)]
    pub values: Vec<String>,
}

/// What kind of values a field holds, which decides its operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FieldKind {
    /// One of a fixed list of values.
    Choice,
    /// Free text (compared without case).
    Text,
    /// A whole number.
    Number,
    /// An amount of money (a decimal string).
    Money,
    /// A moment, compared by business day (`YYYY-MM-DD`).
    Date,
    /// A set of tags.
    Tags,
}

/// A field segments can test.
#[derive(Debug, Clone, SimpleObject)]
pub struct SegmentField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub operators: Vec<&'static str>,
    /// The allowed values of a choice field.
    pub choices: Vec<&'static str>,
}

const CHOICE_OPS: &[&str] = &["eq", "neq", "in"];
const TEXT_OPS: &[&str] = &["eq", "neq", "in", "contains"];
const NUMBER_OPS: &[&str] = &["eq", "neq", "in", "gt", "gte", "lt", "lte", "between"];
const MONEY_OPS: &[&str] = &["eq", "neq", "gt", "gte", "lt", "lte", "between"];
const DATE_OPS: &[&str] = &["gt", "gte", "lt", "lte", "between", "within_last_days"];
const TAG_OPS: &[&str] = &["contains", "in", "neq"];

/// Every field, its kind and label: the one list the compiler, the
/// validation and the SPA's builder share.
pub const FIELDS: &[(&str, &str, FieldKind)] = &[
    ("tier", "Tier", FieldKind::Choice),
    ("customerType", "Customer type", FieldKind::Choice),
    ("lifecycleStage", "Lifecycle stage", FieldKind::Choice),
    ("temperature", "Temperature", FieldKind::Choice),
    ("totalSpent", "Total spent", FieldKind::Money),
    ("orderCount", "Orders", FieldKind::Number),
    ("lastOrderAt", "Last order", FieldKind::Date),
    ("city", "City", FieldKind::Text),
    ("tags", "Tags", FieldKind::Tags),
    ("rfmSegment", "RFM segment", FieldKind::Text),
    ("birthdayMonth", "Birthday month", FieldKind::Number),
    ("walletBalance", "Wallet balance", FieldKind::Money),
];

fn operators(kind: FieldKind) -> &'static [&'static str] {
    match kind {
        FieldKind::Choice => CHOICE_OPS,
        FieldKind::Text => TEXT_OPS,
        FieldKind::Number => NUMBER_OPS,
        FieldKind::Money => MONEY_OPS,
        FieldKind::Date => DATE_OPS,
        FieldKind::Tags => TAG_OPS,
    }
}

fn choices(field: &str) -> &'static [&'static str] {
    match field {
        "tier" => &["NEW", "SILVER", "GOLD", "PLATINUM"],
        "customerType" => &["NEW", "REPEAT", "VIP", "INACTIVE"],
        "lifecycleStage" => &["PROSPECT", "NEW", "ACTIVE", "AT_RISK", "CHURNED"],
        "temperature" => &["HOT", "WARM", "COLD"],
        _ => &[],
    }
}

/// The fields, for `segmentFields`.
pub fn fields() -> Vec<SegmentField> {
    FIELDS
        .iter()
        .map(|&(name, label, kind)| SegmentField {
            name,
            label,
            kind,
            operators: operators(kind).to_vec(),
            choices: choices(name).to_vec(),
        })
        .collect()
}

/// What compiling needs besides the rules: the database's dialect, the
/// business time zone (days) and now (`within_last_days`).
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub backend: DbBackend,
    pub tz: chrono_tz::Tz,
    pub now: DateTime<Utc>,
    pub decimals: u32,
}

/// The segment as one condition on `customers`, or `BAD_USER_INPUT` on the
/// first bad rule, named by its path under `at` (`rules`, `input.rules`).
/// Blacklisted customers and merged duplicates are never in an audience.
pub fn compile(rules: &RuleGroup, env: &Env, at: &str) -> AppResult<Condition> {
    let mut count = 0;
    let tree = group(rules, env, at, 1, &mut count)?;
    Ok(Condition::all()
        .add(customer::Column::Status.ne(CustomerStatus::Blacklisted))
        .add(customer::Column::Tier.ne(CustomerTier::Blacklist))
        .add(customer::Column::MergedIntoId.is_null())
        .add(tree))
}

fn group(g: &RuleGroup, env: &Env, at: &str, depth: usize, count: &mut usize) -> AppResult<Condition> {
    if depth > MAX_DEPTH {
        return Err(AppError::bad_input(at, format!("groups nest at most {MAX_DEPTH} deep")));
    }
    if g.conditions.is_empty() && g.groups.is_empty() && depth > 1 {
        return Err(AppError::bad_input(at, "an empty group; add a condition or remove the group"));
    }
    let mut out = match g.op {
        GroupOp::And => Condition::all(),
        GroupOp::Or => Condition::any(),
    };
    for (i, rule) in g.conditions.iter().enumerate() {
        *count += 1;
        let path = format!("{at}.conditions.{i}");
        if *count > MAX_CONDITIONS {
            return Err(AppError::bad_input(&path, format!("a segment has at most {MAX_CONDITIONS} conditions")));
        }
        out = out.add(condition(rule, env, &path)?);
    }
    for (i, sub) in g.groups.iter().enumerate() {
        out = out.add(group(sub, env, &format!("{at}.groups.{i}"), depth + 1, count)?);
    }
    Ok(out)
}

/// One operand of a comparison, already typed.
#[derive(Debug, Clone)]
enum Operand {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

impl From<Operand> for SimpleExpr {
    fn from(o: Operand) -> Self {
        match o {
            Operand::Text(s) => Expr::val(s),
            Operand::Int(n) => Expr::val(n),
            Operand::Time(t) => Expr::val(t),
        }
    }
}

fn condition(rule: &Rule, env: &Env, path: &str) -> AppResult<Condition> {
    let Some(&(name, _, kind)) = FIELDS.iter().find(|(n, _, _)| *n == rule.field) else {
        let known: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        return Err(AppError::bad_input(
            &format!("{path}.field"),
            format!("unknown field {:?}; one of {}", rule.field, known.join(", ")),
        ));
    };
    let op = rule.operator.as_str();
    if !operators(kind).contains(&op) {
        return Err(AppError::bad_input(
            &format!("{path}.operator"),
            format!("{name} takes {}, not {:?}", operators(kind).join(", "), rule.operator),
        ));
    }
    let one = || -> AppResult<&str> {
        match (&rule.value, rule.values.as_slice()) {
            (Some(v), []) => Ok(v.as_str()),
            (None, [v]) => Ok(v.as_str()),
            _ => Err(AppError::bad_input(&format!("{path}.value"), format!("{op} takes one value"))),
        }
    };
    let parse = |raw: &str, at: &str| operand(name, kind, raw, env, at);

    if kind == FieldKind::Tags {
        return tags(rule, op, path);
    }
    if op == "within_last_days" {
        let raw = one()?;
        let days: i64 = raw
            .trim()
            .parse()
            .ok()
            .filter(|d| (0..=36_500).contains(d))
            .ok_or_else(|| AppError::bad_input(&format!("{path}.value"), "a number of days from 0 to 36500"))?;
        let since = env.now - chrono::Duration::days(days);
        return Ok(Condition::all().add(column(name, env).gte(Expr::val(since))));
    }
    let col = column(name, env);
    let value_path = format!("{path}.value");
    let cond: Condition = match op {
        "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "contains" => {
            let raw = one()?;
            let v = parse(raw, &value_path)?;
            match (op, kind, v) {
                // A day compares as the whole business day.
                ("eq", FieldKind::Date, _) | ("neq", FieldKind::Date, _) => unreachable!("dates take no eq"),
                ("gt", FieldKind::Date, _) => one_of(col.gte(Expr::val(next_day(raw, env, &value_path)?))),
                ("lte", FieldKind::Date, _) => one_of(col.lt(Expr::val(next_day(raw, env, &value_path)?))),
                ("eq", _, v) => one_of(col.eq(SimpleExpr::from(v))),
                ("neq", _, v) => {
                    // "Not Hanoi" includes customers with no city.
                    return Ok(Condition::any().add(col.clone().ne(SimpleExpr::from(v))).add(col.is_null()));
                }
                ("gt", _, v) => one_of(col.gt(SimpleExpr::from(v))),
                ("gte", _, v) => one_of(col.gte(SimpleExpr::from(v))),
                ("lt", _, v) => one_of(col.lt(SimpleExpr::from(v))),
                ("lte", _, v) => one_of(col.lte(SimpleExpr::from(v))),
                ("contains", _, Operand::Text(s)) => {
                    one_of(Expr::expr(Func::lower(col)).like(crate::db::like_literal(&s.to_lowercase())))
                }
                _ => return Err(AppError::bad_input(&value_path, "not a value for this operator")),
            }
        }
        "in" => {
            if rule.values.is_empty() || rule.values.len() > MAX_VALUES {
                return Err(AppError::bad_input(
                    &format!("{path}.values"),
                    format!("in takes 1 to {MAX_VALUES} values"),
                ));
            }
            let mut vals = Vec::with_capacity(rule.values.len());
            for (i, raw) in rule.values.iter().enumerate() {
                vals.push(SimpleExpr::from(parse(raw, &format!("{path}.values.{i}"))?));
            }
            one_of(col.is_in(vals))
        }
        "between" => {
            let [low, high] = rule.values.as_slice() else {
                return Err(AppError::bad_input(&format!("{path}.values"), "between takes two values: low and high"));
            };
            let lo = parse(low, &format!("{path}.values.0"))?;
            let hi_path = format!("{path}.values.1");
            let hi = parse(high, &hi_path)?;
            let ordered = match (&lo, &hi) {
                (Operand::Int(a), Operand::Int(b)) => a <= b,
                (Operand::Time(a), Operand::Time(b)) => a <= b,
                (Operand::Text(a), Operand::Text(b)) => a <= b,
                _ => true,
            };
            if !ordered {
                return Err(AppError::bad_input(&hi_path, "the high end is below the low end"));
            }
            if kind == FieldKind::Date {
                Condition::all()
                    .add(col.clone().gte(SimpleExpr::from(lo)))
                    .add(col.lt(Expr::val(next_day(high, env, &hi_path)?)))
            } else {
                one_of(col.between(SimpleExpr::from(lo), SimpleExpr::from(hi)))
            }
        }
        _ => unreachable!("operators are checked against the field's list"),
    };
    Ok(cond)
}

fn one_of(e: SimpleExpr) -> Condition {
    Condition::all().add(e)
}

/// Tag conditions: `contains` one tag, `in` any of several, `neq` not
/// carrying a tag. Tags are a JSON array; a tag matches as its quoted JSON
/// string, the way the customer list filters them.
fn tags(rule: &Rule, op: &str, path: &str) -> AppResult<Condition> {
    let list: Vec<&String> = match op {
        "in" => rule.values.iter().collect(),
        _ => rule.value.iter().chain(rule.values.iter()).collect(),
    };
    let field = if op == "in" { format!("{path}.values") } else { format!("{path}.value") };
    if list.is_empty() || (op != "in" && list.len() != 1) || list.len() > MAX_VALUES {
        return Err(AppError::bad_input(&field, format!("{op} takes {}", if op == "in" { "tags" } else { "one tag" })));
    }
    let mut any = Condition::any();
    for tag in list {
        if tag.trim().is_empty() {
            return Err(AppError::bad_input(&field, "a tag cannot be empty"));
        }
        any = any.add(customer::has_tag(tag));
    }
    Ok(if op == "neq" { any.not() } else { any })
}

/// The SQL of a field.
fn column(name: &str, env: &Env) -> Expr {
    use customer::Column as C;
    match name {
        "tier" => Expr::col((customer::Entity, C::Tier)),
        "customerType" => Expr::col((customer::Entity, C::CustomerType)),
        "lifecycleStage" => Expr::col((customer::Entity, C::LifecycleStage)),
        "temperature" => Expr::col((customer::Entity, C::Temperature)),
        "totalSpent" => Expr::col((customer::Entity, C::TotalSpent)),
        "orderCount" => Expr::col((customer::Entity, C::OrderCount)),
        "lastOrderAt" => Expr::col((customer::Entity, C::LastOrderAt)),
        "city" => Expr::col((customer::Entity, C::City)),
        "rfmSegment" => Expr::col((customer::Entity, C::RfmSegment)),
        "birthdayMonth" => match env.backend {
            DbBackend::Postgres => Expr::cust("CAST(EXTRACT(MONTH FROM \"customers\".\"birthday\") AS INTEGER)"),
            _ => Expr::cust("CAST(strftime('%m', \"customers\".\"birthday\") AS INTEGER)"),
        },
        "walletBalance" => Expr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .expr(
                        Expr::col((wallet::Entity, wallet::Column::RealBalance))
                            .add(Expr::col((wallet::Entity, wallet::Column::VirtualBalance))),
                    )
                    .from(wallet::Entity)
                    .and_where(
                        Expr::col((wallet::Entity, wallet::Column::CustomerId))
                            .equals((customer::Entity, customer::Column::Id)),
                    )
                    .limit(1)
                    .to_owned()
                    .into(),
            ),
        ),
        _ => unreachable!("fields are checked against FIELDS"),
    }
}

/// A raw value as the field's type, or `BAD_USER_INPUT` on `at`.
fn operand(name: &str, kind: FieldKind, raw: &str, env: &Env, at: &str) -> AppResult<Operand> {
    let raw = raw.trim();
    match kind {
        FieldKind::Choice => {
            let upper = raw.to_uppercase();
            if choices(name).contains(&upper.as_str()) {
                Ok(Operand::Text(upper))
            } else {
                Err(AppError::bad_input(at, format!("{name} is one of {}", choices(name).join(", "))))
            }
        }
        FieldKind::Text | FieldKind::Tags => {
            if raw.is_empty() || raw.chars().count() > 200 {
                return Err(AppError::bad_input(at, "a text of 1 to 200 characters"));
            }
            Ok(Operand::Text(raw.to_owned()))
        }
        FieldKind::Number => {
            let n: i64 = raw.parse().map_err(|_| AppError::bad_input(at, format!("{raw:?} is not a whole number")))?;
            if name == "birthdayMonth" && !(1..=12).contains(&n) {
                return Err(AppError::bad_input(at, "a month from 1 to 12"));
            }
            Ok(Operand::Int(n))
        }
        FieldKind::Money => {
            Ok(Operand::Int(Money::parse(raw, env.decimals).map_err(|e| AppError::bad_input(at, e))?.0))
        }
        FieldKind::Date => Ok(Operand::Time(crate::clock::day_start(env.tz, day(raw, at)?)?)),
    }
}

fn day(raw: &str, at: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::bad_input(at, format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

/// The start of the business day after `raw`.
fn next_day(raw: &str, env: &Env, at: &str) -> AppResult<DateTime<Utc>> {
    let d = day(raw, at)?;
    let next = d.succ_opt().ok_or_else(|| AppError::bad_input(at, "the date is out of range"))?;
    debug_assert!(next.year() > 0);
    crate::clock::day_start(env.tz, next)
}

/// Parses the JSON stored in `segments.rules`.
pub fn from_json(v: &serde_json::Value) -> AppResult<RuleGroup> {
    serde_json::from_value(v.clone()).map_err(|e| anyhow::anyhow!("stored segment rules are unreadable: {e}").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    fn env(backend: DbBackend) -> Env {
        Env { backend, tz: chrono_tz::Asia::Ho_Chi_Minh, now: "2026-11-21T05:00:00Z".parse().unwrap(), decimals: 0 }
    }

    fn rule(field: &str, operator: &str, value: Option<&str>, values: &[&str]) -> Rule {
        Rule {
            field: field.into(),
            operator: operator.into(),
            value: value.map(Into::into),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn sql(g: &RuleGroup, backend: DbBackend) -> String {
        let c = compile(g, &env(backend), "rules").unwrap();
        customer::Entity::find().filter(c).build(backend).to_string()
    }

    #[test]
    fn values_are_bound_parameters_never_sql() {
        let evil = "x'); DROP TABLE customers; --";
        let g = RuleGroup { op: GroupOp::And, conditions: vec![rule("city", "eq", Some(evil), &[])], groups: vec![] };
        let stmt = customer::Entity::find()
            .filter(compile(&g, &env(DbBackend::Postgres), "rules").unwrap())
            .build(DbBackend::Postgres);
        assert!(!stmt.sql.contains("DROP"), "{}", stmt.sql);
        assert!(stmt.values.unwrap().0.iter().any(|v| v.to_string().contains("DROP")));
    }

    #[test]
    fn nested_groups_compile_to_nested_and_or() {
        let g = RuleGroup {
            op: GroupOp::Or,
            conditions: vec![rule("tier", "eq", Some("gold"), &[])],
            groups: vec![RuleGroup {
                op: GroupOp::And,
                conditions: vec![
                    rule("orderCount", "gte", Some("3"), &[]),
                    rule("birthdayMonth", "in", None, &["1", "12"]),
                ],
                groups: vec![],
            }],
        };
        let s = sql(&g, DbBackend::Sqlite);
        assert!(s.contains("\"tier\" = 'GOLD' OR ("), "{s}");
        assert!(s.contains("strftime('%m'"), "{s}");
        assert!(sql(&g, DbBackend::Postgres).contains("EXTRACT(MONTH"));
    }

    #[test]
    fn a_bad_rule_is_named_by_its_path() {
        let g = RuleGroup {
            op: GroupOp::And,
            conditions: vec![],
            groups: vec![RuleGroup {
                op: GroupOp::Or,
                conditions: vec![rule("tier", "eq", Some("GOLD"), &[]), rule("tier", "gt", Some("GOLD"), &[])],
                groups: vec![],
            }],
        };
        let err = compile(&g, &env(DbBackend::Sqlite), "rules").unwrap_err();
        assert_eq!(err.field(), Some("rules.groups.0.conditions.1.operator"));
        let g =
            RuleGroup { op: GroupOp::And, conditions: vec![rule("shoeSize", "eq", Some("9"), &[])], groups: vec![] };
        assert_eq!(
            compile(&g, &env(DbBackend::Sqlite), "rules").unwrap_err().field(),
            Some("rules.conditions.0.field")
        );
    }

    #[test]
    fn too_deep_nesting_is_refused() {
        let mut g =
            RuleGroup { op: GroupOp::And, conditions: vec![rule("orderCount", "gt", Some("1"), &[])], groups: vec![] };
        for _ in 0..MAX_DEPTH {
            g = RuleGroup { op: GroupOp::Or, conditions: vec![], groups: vec![g] };
        }
        assert!(compile(&g, &env(DbBackend::Sqlite), "rules").is_err());
    }
}
