//! Segment rules as the server reads and writes them (`SegmentRules`), and
//! the small decisions the builder makes about them: which input an
//! operator takes, how a typed list is read, which rule an error's
//! `extensions.field` names.

use serde::{Deserialize, Serialize};

/// How a group combines its members.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum GroupOp {
    /// Every member holds.
    #[default]
    And,
    /// At least one does.
    Or,
}

/// A group of conditions and nested groups (`SegmentRules` /
/// `SegmentRulesInput`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub op: GroupOp,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub groups: Vec<Rules>,
}

/// One condition on a customer field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub operator: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

/// What kind of values a field holds (`FieldKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldKind {
    Choice,
    Text,
    Number,
    Money,
    Date,
    Tags,
    #[serde(other)]
    Unknown,
}

/// A field rules can test, with its operators (`SegmentField`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SegmentField {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub operators: Vec<String>,
    pub choices: Vec<String>,
}

/// What an operator's value looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// `value`.
    One,
    /// `values`: one or more (`in`).
    List,
    /// `values`: low and high (`between`).
    Range,
}

/// The value an operator takes.
pub fn arity(operator: &str) -> Arity {
    match operator {
        "in" => Arity::List,
        "between" => Arity::Range,
        _ => Arity::One,
    }
}

/// How an operator reads in the dropdown.
pub fn operator_label(operator: &str) -> &str {
    match operator {
        "eq" => "is",
        "neq" => "is not",
        "in" => "is any of",
        "gt" => ">",
        "gte" => "≥",
        "lt" => "<",
        "lte" => "≤",
        "between" => "between",
        "contains" => "contains",
        "within_last_days" => "in the last … days",
        other => other,
    }
}

/// A list typed as text: `"Hanoi, Hue,"` → `["Hanoi", "Hue"]`.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The condition as sent: `value` for one-value operators, `values` for
/// `in` (blanks dropped) and `between` (low, high, kept in place).
pub fn condition(field: &str, operator: &str, value: &str, values: &[String]) -> Condition {
    let (value, values) = match arity(operator) {
        Arity::One => (Some(value.trim().to_owned()), Vec::new()),
        Arity::List => (None, values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned).collect()),
        Arity::Range => (None, values.iter().map(|v| v.trim().to_owned()).collect()),
    };
    Condition { field: field.to_owned(), operator: operator.to_owned(), value, values }
}

/// The rule path an error names (`rules.groups.0.conditions.1.value`),
/// whichever operation it came from (`input.rules…` when saving a
/// segment).
pub fn rule_path(field: &str) -> Option<&str> {
    let field = field.strip_prefix("input.").unwrap_or(field);
    (field == "rules" || field.starts_with("rules.")).then_some(field)
}

/// Whether the error on `field` is about the condition at `path` (its
/// field, operator or values).
pub fn names_condition(field: &str, path: &str) -> bool {
    rule_path(field).is_some_and(|f| f == path || f.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
}

/// Whether the error on `field` is about the group at `path` itself (not
/// one of its members).
pub fn names_group(field: &str, path: &str) -> bool {
    rule_path(field) == Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_travel_as_the_server_spells_them() {
        let rules = Rules {
            op: GroupOp::Or,
            conditions: vec![condition("tier", "eq", " GOLD ", &[])],
            groups: vec![Rules {
                op: GroupOp::And,
                conditions: vec![
                    condition("orderCount", "gte", "2", &[]),
                    condition("city", "in", "", &[" Hanoi".into(), "".into(), "Hue ".into()]),
                    condition("totalSpent", "between", "", &["100".into(), " ".into()]),
                ],
                groups: vec![],
            }],
        };
        let wire = serde_json::to_value(&rules).unwrap();
        assert_eq!(
            wire,
            json!({ "op": "OR", "conditions": [{ "field": "tier", "operator": "eq", "value": "GOLD", "values": [] }],
                "groups": [{ "op": "AND", "groups": [], "conditions": [
                    { "field": "orderCount", "operator": "gte", "value": "2", "values": [] },
                    { "field": "city", "operator": "in", "value": null, "values": ["Hanoi", "Hue"] },
                    { "field": "totalSpent", "operator": "between", "value": null, "values": ["100", ""] },
                ] }] })
        );
        // What the server sends back reads the same, missing lists included.
        let back: Rules = serde_json::from_value(json!({ "op": "OR",
            "conditions": [{ "field": "tier", "operator": "eq", "value": "GOLD", "values": [] }],
            "groups": [{ "op": "AND", "conditions": [{ "field": "orderCount", "operator": "gte", "value": "2" }] }] }))
        .unwrap();
        assert_eq!(back.groups[0].conditions[0].value.as_deref(), Some("2"));
        assert_eq!(back.conditions, rules.conditions);
    }

    #[test]
    fn an_error_belongs_to_the_rule_it_names() {
        let at = "rules.groups.0.conditions.1";
        assert!(names_condition("rules.groups.0.conditions.1.operator", at));
        assert!(names_condition("input.rules.groups.0.conditions.1.value", at), "from saveSegment");
        assert!(names_condition("rules.groups.0.conditions.1", at));
        assert!(!names_condition("rules.groups.0.conditions.11.value", at), "not a sibling with a longer index");
        assert!(!names_condition("rules.groups.0.conditions.1.value", "rules.conditions.1"));
        assert!(!names_condition("input.name", "rules"));
        assert!(names_group("rules.groups.0", "rules.groups.0"));
        assert!(!names_group("rules.groups.0.conditions.0.value", "rules.groups.0"), "a member's, not the group's");
    }

    #[test]
    fn typed_lists_drop_blanks() {
        assert_eq!(split_list(" Hanoi, Hue,, "), ["Hanoi", "Hue"]);
        assert!(split_list(" , ").is_empty());
        assert_eq!(arity("in"), Arity::List);
        assert_eq!(arity("between"), Arity::Range);
        assert_eq!(arity("within_last_days"), Arity::One);
    }
}
