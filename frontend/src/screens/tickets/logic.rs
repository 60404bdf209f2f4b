//! The tickets screens' rules, apart from any component: the ticket enums,
//! the filters as they sit in the URL, which compensations a ticket type
//! allows, the checks of the create form, and how errors and history
//! entries read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{api::ApiError, format};

/// Where a ticket is in its workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    New,
    InProgress,
    WaitingCarrier,
    Completed,
    Cancelled,
    /// A status this build does not know.
    #[serde(other)]
    Unknown,
}

impl Status {
    /// The board's columns, in workflow order.
    pub const ALL: [Status; 5] =
        [Status::New, Status::InProgress, Status::WaitingCarrier, Status::Completed, Status::Cancelled];

    /// The GraphQL value (`"IN_PROGRESS"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::InProgress => "IN_PROGRESS",
            Status::WaitingCarrier => "WAITING_CARRIER",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::InProgress => "In progress",
            Status::WaitingCarrier => "Waiting carrier",
            Status::Completed => "Completed",
            Status::Cancelled => "Cancelled",
            Status::Unknown => "Unknown",
        }
    }

    /// The badge colour.
    pub fn tone(self) -> &'static str {
        match self {
            Status::New => "info",
            Status::InProgress => "warning",
            Status::WaitingCarrier => "neutral",
            Status::Completed => "success",
            Status::Cancelled | Status::Unknown => "neutral",
        }
    }

    /// Whether the ticket is still being worked on.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::InProgress | Status::WaitingCarrier)
    }

    /// The status named `key` (`"NEW"`), if any.
    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == key)
    }

    /// What a button moving a ticket from `from` to this status says.
    pub fn move_label(self, from: Status) -> &'static str {
        match self {
            Status::InProgress if !from.is_open() => "Reopen",
            Status::InProgress => "Start work",
            Status::WaitingCarrier => "Wait for carrier",
            Status::Completed => "Resolve…",
            Status::Cancelled => "Cancel ticket",
            Status::New | Status::Unknown => "Move",
        }
    }
}

/// What a ticket is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    #[default]
    Boom,
    Exchange,
    MissingItems,
    ReturnRefund,
    Support,
    #[serde(other)]
    Unknown,
}

impl Kind {
    /// Every type, for menus.
    pub const ALL: [Kind; 5] = [Kind::Boom, Kind::Exchange, Kind::MissingItems, Kind::ReturnRefund, Kind::Support];

    /// The GraphQL value (`"BOOM"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Boom => "BOOM",
            Kind::Exchange => "EXCHANGE",
            Kind::MissingItems => "MISSING_ITEMS",
            Kind::ReturnRefund => "RETURN_REFUND",
            Kind::Support => "SUPPORT",
            Kind::Unknown => "UNKNOWN",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Boom => "Boom (refused delivery)",
            Kind::Exchange => "Exchange",
            Kind::MissingItems => "Missing items",
            Kind::ReturnRefund => "Return / refund",
            Kind::Support => "Support",
            Kind::Unknown => "Other",
        }
    }

    /// The type named `key`, if any.
    pub fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

/// How urgent a ticket is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
    #[serde(other)]
    Unknown,
}

impl Priority {
    /// Every priority, least urgent first.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    /// The GraphQL value.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "LOW",
            Priority::Normal => "NORMAL",
            Priority::High => "HIGH",
            Priority::Urgent => "URGENT",
            Priority::Unknown => "UNKNOWN",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Normal => "Normal",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
            Priority::Unknown => "Unknown",
        }
    }

    /// The badge colour.
    pub fn tone(self) -> &'static str {
        match self {
            Priority::Urgent => "danger",
            Priority::High => "warning",
            _ => "neutral",
        }
    }

    /// The priority named `key`, if any.
    pub fn from_key(key: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == key)
    }
}

/// What resolving a ticket gives the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compensation {
    VirtualCredit,
    Refund,
    Exchange,
    None,
    #[serde(other)]
    Unknown,
}

impl Compensation {
    /// The GraphQL value.
    pub fn as_str(self) -> &'static str {
        match self {
            Compensation::VirtualCredit => "VIRTUAL_CREDIT",
            Compensation::Refund => "REFUND",
            Compensation::Exchange => "EXCHANGE",
            Compensation::None | Compensation::Unknown => "NONE",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Compensation::VirtualCredit => "Virtual credit",
            Compensation::Refund => "Refund to the real balance",
            Compensation::Exchange => "Exchange (no money)",
            Compensation::None | Compensation::Unknown => "No compensation",
        }
    }

    /// Whether it moves money (and so needs an amount).
    pub fn needs_amount(self) -> bool {
        matches!(self, Compensation::VirtualCredit | Compensation::Refund)
    }

    /// The kind named `key`, if any.
    pub fn from_key(key: &str) -> Option<Compensation> {
        [Compensation::VirtualCredit, Compensation::Refund, Compensation::Exchange, Compensation::None]
            .into_iter()
            .find(|c| c.as_str() == key)
    }
}

/// The compensations a ticket of type `kind` can be resolved with, the
/// usual one first: a virtual credit for BOOM (other types only with a
/// MANAGER's approval, so only offered to managers), a refund for
/// RETURN_REFUND, an exchange for EXCHANGE, and always none.
pub fn legal_compensations(kind: Kind, manager: bool) -> Vec<Compensation> {
    let mut kinds = match kind {
        Kind::Boom => vec![Compensation::VirtualCredit],
        Kind::ReturnRefund => vec![Compensation::Refund],
        Kind::Exchange => vec![Compensation::Exchange],
        _ => vec![],
    };
    if manager && kind != Kind::Boom {
        kinds.push(Compensation::VirtualCredit);
    }
    kinds.push(Compensation::None);
    kinds
}

// ---------------------------------------------------------------------------
// Filters

/// Board (columns by status) or list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Board,
    List,
}

/// Whose tickets are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Who {
    #[default]
    Anyone,
    Me,
    Unassigned,
}

impl Who {
    /// Every choice, in menu order.
    pub const ALL: [Who; 3] = [Who::Anyone, Who::Me, Who::Unassigned];

    /// The URL value.
    pub fn key(self) -> &'static str {
        match self {
            Who::Anyone => "",
            Who::Me => "me",
            Who::Unassigned => "unassigned",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Who::Anyone => "Anyone",
            Who::Me => "Assigned to me",
            Who::Unassigned => "Unassigned",
        }
    }

    /// The choice named `key`.
    pub fn from_key(key: &str) -> Who {
        Who::ALL.into_iter().find(|w| w.key() == key).unwrap_or_default()
    }
}

/// What the screen shows, kept in the URL query
/// (`?view=list&status=NEW&type=BOOM&priority=HIGH&who=me&overdue=1&q=ghn`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub view: View,
    /// The list only: the board has a column per status.
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    pub priority: Option<Priority>,
    pub who: Who,
    pub overdue: bool,
    pub search: String,
}

impl Filters {
    /// The filters a URL query holds (`get` reads one parameter).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Filters {
        let text = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Filters {
            view: if text("view") == "list" { View::List } else { View::Board },
            status: Status::from_key(&text("status")),
            kind: Kind::from_key(&text("type")),
            priority: Priority::from_key(&text("priority")),
            who: Who::from_key(&text("who")),
            overdue: matches!(text("overdue").as_str(), "1" | "true"),
            search: text("q"),
        }
    }

    /// The URL query (without `?`; `""` when nothing is set).
    pub fn to_query(&self) -> String {
        let pairs = [
            ("view", if self.view == View::List { "list" } else { "" }.to_owned()),
            ("status", self.status.map(|s| s.as_str().to_owned()).unwrap_or_default()),
            ("type", self.kind.map(|k| k.as_str().to_owned()).unwrap_or_default()),
            ("priority", self.priority.map(|p| p.as_str().to_owned()).unwrap_or_default()),
            ("who", self.who.key().to_owned()),
            ("overdue", if self.overdue { "1" } else { "" }.to_owned()),
            ("q", self.search.clone()),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether anything but the view narrows what is shown.
    pub fn is_narrowed(&self) -> bool {
        Filters { view: View::Board, ..self.clone() } != Filters::default()
    }

    /// The `TicketFilter` input; `statuses` replaces the status filter (a
    /// board column), `me` is the signed-in user's id.
    pub fn input(&self, statuses: Option<&[Status]>, me: Option<&str>) -> Value {
        let mut filter = Map::new();
        let statuses: Vec<Status> = match statuses {
            Some(statuses) => statuses.to_vec(),
            None => self.status.into_iter().collect(),
        };
        if !statuses.is_empty() {
            filter.insert("statuses".into(), json!(statuses));
        }
        if let Some(kind) = self.kind {
            filter.insert("types".into(), json!([kind]));
        }
        if let Some(priority) = self.priority {
            filter.insert("priorities".into(), json!([priority]));
        }
        match (self.who, me) {
            (Who::Me, Some(me)) => {
                filter.insert("assigneeId".into(), json!(me));
            }
            (Who::Unassigned, _) => {
                filter.insert("unassigned".into(), json!(true));
            }
            _ => {}
        }
        if self.overdue {
            filter.insert("overdue".into(), json!(true));
        }
        Value::Object(filter)
    }

    /// Whether a ticket (as a live event shows it) passes the filters. The
    /// search text cannot be checked here: with one, callers only update
    /// the tickets already shown.
    pub fn admits(&self, ticket: &Facts<'_>, me: Option<&str>) -> bool {
        let list_status = self.view == View::Board || self.status.is_none_or(|s| s == ticket.status);
        list_status
            && self.kind.is_none_or(|k| k == ticket.kind)
            && self.priority.is_none_or(|p| p == ticket.priority)
            && match self.who {
                Who::Anyone => true,
                Who::Me => me.is_some() && ticket.assignee_id == me,
                Who::Unassigned => ticket.assignee_id.is_none(),
            }
            && (!self.overdue || ticket.overdue)
    }
}

/// What [`Filters::admits`] looks at.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub status: Status,
    pub kind: Kind,
    pub priority: Priority,
    pub assignee_id: Option<&'a str>,
    pub overdue: bool,
}

/// Percent-encodes a query value (letters, digits and `-_.~` stay).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The create form

/// Whether `text` is what a `datetime-local` input gives
/// (`2026-11-22T14:30`, seconds optional).
pub fn is_local_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape = |pattern: &[u8]| {
        bytes.len() == pattern.len()
            && bytes.iter().zip(pattern).all(|(b, p)| if *p == b'9' { b.is_ascii_digit() } else { b == p })
    };
    shape(b"9999-99-99T99:99") || shape(b"9999-99-99T99:99:99")
}

/// A `datetime-local` value (the browser's time zone) as an RFC 3339
/// instant; `Ok(None)` for an empty input. `future` also refuses a time
/// that has passed.
pub fn deadline_input(text: &str, future: bool) -> Result<Option<String>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !is_local_datetime(text) {
        return Err("Pick a date and time");
    }
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text));
    if at.get_time().is_nan() {
        return Err("Pick a date and time");
    }
    if future && at.get_time() <= js_sys::Date::now() {
        return Err("The carrier deadline must be in the future");
    }
    Ok(at.to_iso_string().as_string())
}

/// An RFC 3339 instant as a `datetime-local` value in the browser's time
/// zone (`""` for none).
pub fn local_input(timestamp: Option<&str>) -> String {
    let Some(timestamp) = timestamp else { return String::new() };
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(timestamp));
    if at.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        at.get_full_year(),
        at.get_month() + 1,
        at.get_date(),
        at.get_hours(),
        at.get_minutes()
    )
}

/// Text typed in an optional field: `None` when blank.
pub fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

// ---------------------------------------------------------------------------
// Errors and history

/// A failed move or change in words a staff member can act on.
pub fn explain(error: &ApiError) -> String {
    if error.is("INVALID_TRANSITION") {
        let from = error.extension("from").map(|s| format::enum_label(&s));
        let to = error.extension("to").map(|s| format::enum_label(&s));
        return match (from, to) {
            (Some(from), Some(to)) => format!("This move is not allowed: {from} → {to}. The ticket may have changed."),
            _ => format!("This move is not allowed: {error}"),
        };
    }
    if error.is("FORBIDDEN") {
        return format!("You may not do this: {error}");
    }
    if error.is("CONFLICT") {
        return format!("{error} (the ticket is closed)");
    }
    error.to_string()
}

/// A resolve failure, saying when a manager must do it.
pub fn explain_resolve(error: &ApiError) -> String {
    if error.is("FORBIDDEN") {
        let text = error.to_string();
        if text.contains("MANAGER") || text.contains("manager") {
            return format!("This needs a manager: {text}. Ask a MANAGER to resolve it, or lower the amount.");
        }
        return format!("You may not resolve this ticket: {text}");
    }
    explain(error)
}

/// The changed fields of a history entry
/// (`{"priority": {"from": "NORMAL", "to": "HIGH"}}`) as lines
/// (`Priority: Normal → High`); `show` formats each value.
pub fn describe_changes(changes: &Value, show: impl Fn(&Value) -> String) -> Vec<String> {
    let Some(fields) = changes.as_object() else { return Vec::new() };
    fields
        .iter()
        .map(|(field, change)| {
            let name = field_label(field);
            match (change.get("from"), change.get("to")) {
                (Some(from), Some(to)) => format!("{name}: {} → {}", show(from), show(to)),
                _ => format!("{name}: {}", show(change)),
            }
        })
        .collect()
}

/// A value of a change as text: enums as words, none as `—`.
pub fn show_value(value: &Value, timestamp: impl Fn(&str) -> String) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
            format::enum_label(s)
        }
        Value::String(s) if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') => timestamp(s),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An input name as words: `orderReference` → `Order reference`.
pub fn field_label(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Who did it: the staff member's name, else the raw actor (`system`).
pub fn actor_label(actor: &str, name: Option<&str>) -> String {
    match (name, actor) {
        (Some(name), _) => name.to_owned(),
        (None, "system") => "System".to_owned(),
        (None, other) => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensations_follow_the_ticket_type() {
        use Compensation as C;
        assert_eq!(legal_compensations(Kind::Boom, false), [C::VirtualCredit, C::None]);
        assert_eq!(legal_compensations(Kind::Boom, true), [C::VirtualCredit, C::None]);
        assert_eq!(legal_compensations(Kind::ReturnRefund, false), [C::Refund, C::None]);
        assert_eq!(legal_compensations(Kind::ReturnRefund, true), [C::Refund, C::VirtualCredit, C::None]);
        assert_eq!(legal_compensations(Kind::Exchange, false), [C::Exchange, C::None]);
        assert_eq!(legal_compensations(Kind::Support, false), [C::None]);
        assert_eq!(legal_compensations(Kind::MissingItems, true), [C::VirtualCredit, C::None]);
        assert!(C::VirtualCredit.needs_amount() && C::Refund.needs_amount());
        assert!(!C::Exchange.needs_amount() && !C::None.needs_amount());
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let filters = Filters {
            view: View::List,
            status: Some(Status::WaitingCarrier),
            kind: Some(Kind::Boom),
            priority: Some(Priority::High),
            who: Who::Me,
            overdue: true,
            search: "ghn lê".into(),
        };
        let query = filters.to_query();
        assert_eq!(query, "view=list&status=WAITING_CARRIER&type=BOOM&priority=HIGH&who=me&overdue=1&q=ghn%20l%C3%AA");
        let get = |key: &str| {
            Some(
                match key {
                    "view" => "list",
                    "status" => "WAITING_CARRIER",
                    "type" => "BOOM",
                    "priority" => "HIGH",
                    "who" => "me",
                    "overdue" => "1",
                    "q" => "ghn lê",
                    _ => return None,
                }
                .to_owned(),
            )
        };
        assert_eq!(Filters::from_query(get), filters);
        assert_eq!(Filters::default().to_query(), "");
        assert!(!Filters { view: View::List, ..Filters::default() }.is_narrowed());
    }

    #[test]
    fn the_filter_input_names_the_server_fields() {
        let filters = Filters { kind: Some(Kind::Boom), who: Who::Unassigned, overdue: true, ..Filters::default() };
        assert_eq!(
            filters.input(Some(&[Status::New]), Some("7")),
            json!({ "statuses": ["NEW"], "types": ["BOOM"], "unassigned": true, "overdue": true })
        );
        let mine = Filters { who: Who::Me, status: Some(Status::Completed), ..Filters::default() };
        assert_eq!(mine.input(None, Some("7")), json!({ "statuses": ["COMPLETED"], "assigneeId": "7" }));
    }

    #[test]
    fn live_tickets_are_checked_against_the_filters() {
        let facts = Facts {
            status: Status::New,
            kind: Kind::Boom,
            priority: Priority::Normal,
            assignee_id: Some("7"),
            overdue: false,
        };
        assert!(Filters::default().admits(&facts, Some("7")));
        assert!(Filters { who: Who::Me, ..Filters::default() }.admits(&facts, Some("7")));
        assert!(!Filters { who: Who::Me, ..Filters::default() }.admits(&facts, Some("8")));
        assert!(!Filters { who: Who::Unassigned, ..Filters::default() }.admits(&facts, None));
        assert!(!Filters { overdue: true, ..Filters::default() }.admits(&facts, None));
        assert!(!Filters { kind: Some(Kind::Support), ..Filters::default() }.admits(&facts, None));
        assert!(Filters { search: "x".into(), ..Filters::default() }.admits(&facts, None));
        let list = Filters { view: View::List, status: Some(Status::Completed), ..Filters::default() };
        assert!(!list.admits(&facts, None));
        let board = Filters { status: Some(Status::Completed), ..Filters::default() };
        assert!(board.admits(&facts, None), "the board ignores the status filter");
    }

    #[test]
    fn datetime_local_values_are_recognised() {
        assert!(is_local_datetime("2026-11-22T14:30"));
        assert!(is_local_datetime("2026-11-22T14:30:05"));
        assert!(!is_local_datetime("2026-11-22"));
        assert!(!is_local_datetime("22/11/2026 14:30"));
        assert_eq!(deadline_input("  ", true), Ok(None));
        assert_eq!(deadline_input("tomorrow", true), Err("Pick a date and time"));
    }

    #[test]
    fn history_changes_read_as_words() {
        let changes =
            json!({ "priority": { "from": "NORMAL", "to": "HIGH" }, "orderReference": { "from": null, "to": "DH-1" } });
        let lines = describe_changes(&changes, |v| show_value(v, str::to_owned));
        assert_eq!(lines, ["Order reference: — → DH-1", "Priority: Normal → High"]);
        assert!(describe_changes(&Value::Null, |v| v.to_string()).is_empty());
        assert_eq!(show_value(&json!("2026-11-22T07:30:00Z"), |_| "22/11".into()), "22/11");
        assert_eq!(actor_label("system", None), "System");
        assert_eq!(actor_label("user:1", Some("An")), "An");
    }

    #[test]
    fn errors_say_what_to_do() {
        let mut extensions = Map::new();
        extensions.insert("from".into(), json!("NEW"));
        extensions.insert("to".into(), json!("COMPLETED"));
        let invalid = ApiError::Graphql {
            code: Some("INVALID_TRANSITION".into()),
            message: "no".into(),
            field: None,
            extensions,
        };
        assert_eq!(explain(&invalid), "This move is not allowed: New → Completed. The ticket may have changed.");
        let forbidden = ApiError::Graphql {
            code: Some("FORBIDDEN".into()),
            message: "a compensation above 500.000 VND needs a MANAGER's approval".into(),
            field: None,
            extensions: Map::new(),
        };
        assert!(explain_resolve(&forbidden).starts_with("This needs a manager: a compensation above"));
        assert!(explain(&forbidden).starts_with("You may not do this"));
    }

    #[test]
    fn statuses_and_moves_have_labels() {
        assert_eq!(Status::InProgress.move_label(Status::New), "Start work");
        assert_eq!(Status::InProgress.move_label(Status::Completed), "Reopen");
        assert_eq!(Status::from_key("WAITING_CARRIER"), Some(Status::WaitingCarrier));
        assert_eq!(field_label("carrierDeadline"), "Carrier deadline");
    }
}
