//! The tickets screens' calls: the list (board columns and the filtered
//! list), one ticket, the phone check, and the ticket mutations; and the
//! types they answer.

use serde::Deserialize;
use serde_json::{Value, json};

use super::logic::{Compensation, Facts, Filters, Kind, Priority, Status};
use crate::api::{Api, ApiError, Connection, CustomerTier, Money, Page};

const LIST: &str = include_str!("list.graphql");
const DETAIL: &str = include_str!("detail.graphql");
const PHONE_CHECK: &str = include_str!("phone_check.graphql");
const CREATE: &str = include_str!("create.graphql");
const UPDATE: &str = include_str!("update.graphql");
const TRANSITION: &str = include_str!("transition.graphql");
const ASSIGN: &str = include_str!("assign.graphql");
const ADD_NOTE: &str = include_str!("add_note.graphql");
const RESOLVE: &str = include_str!("resolve.graphql");
/// Ticket changes the user may see (board and list).
pub const EVENTS: &str = include_str!("events.graphql");
/// Every change of one ticket (detail page).
pub const UPDATED: &str = include_str!("updated.graphql");

/// How many tickets an open board column or a list page asks for.
pub const PAGE_SIZE: i32 = 30;
/// How many recently closed tickets the board shows per closed column.
pub const CLOSED_COLUMN_SIZE: i32 = 10;

/// Something with an id and a name (customer, staff member).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A ticket as a board card or list row shows it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketCard {
    pub id: String,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub status: Status,
    pub priority: Priority,
    pub order_reference: Option<String>,
    pub carrier: Option<String>,
    pub carrier_deadline: Option<String>,
    pub overdue: bool,
    pub customer_id: String,
    pub customer: Named,
    pub assignee_id: Option<String>,
    pub assignee: Option<Named>,
    pub allowed_transitions: Vec<Status>,
    pub created_at: String,
    pub updated_at: String,
}

impl TicketCard {
    /// What the filters look at.
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            status: self.status,
            kind: self.kind,
            priority: self.priority,
            assignee_id: self.assignee_id.as_deref(),
            overdue: self.overdue,
        }
    }
}

/// A customer's balances.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balances {
    pub real_balance: Money,
    pub virtual_balance: Money,
}

/// The ticket's customer on the detail page.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DetailCustomer {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub tier: CustomerTier,
    pub wallet: Balances,
}

/// One entry of a ticket's history (or one note).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: String,
    pub kind: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub changes: Option<Value>,
    pub body: Option<String>,
    pub actor: String,
    pub actor_user: Option<Named>,
    pub at: String,
}

/// What resolving paid out.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompensationRow {
    pub id: String,
    pub kind: Compensation,
    pub amount: Money,
    pub approved_by: Option<String>,
    pub note: Option<String>,
    pub actor: String,
    pub created_at: String,
}

/// A ticket with everything the detail page shows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketDetail {
    pub id: String,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub status: Status,
    pub priority: Priority,
    pub order_reference: Option<String>,
    pub carrier: Option<String>,
    pub carrier_deadline: Option<String>,
    pub overdue: bool,
    pub customer_id: String,
    pub assignee_id: Option<String>,
    pub assignee: Option<Named>,
    pub allowed_transitions: Vec<Status>,
    pub created_at: String,
    pub updated_at: String,
    pub description: String,
    pub resolution: Option<String>,
    pub attachments: Vec<String>,
    pub created_by: String,
    pub first_response_seconds: Option<i64>,
    pub resolution_seconds: Option<i64>,
    pub completed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub customer: DetailCustomer,
    pub history: Vec<HistoryEntry>,
    pub notes: Vec<HistoryEntry>,
    pub compensations: Vec<CompensationRow>,
}

/// The customer `ticketPhoneCheck` found.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct KnownCustomer {
    pub id: String,
    pub name: String,
    pub tier: CustomerTier,
}

/// The found customer's wallet.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckWallet {
    pub real_balance: Money,
    pub virtual_balance: Money,
    pub total_balance: Money,
}

/// Whose phone it is.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PhoneCheck {
    /// E.164.
    pub phone: String,
    pub known: bool,
    pub customer: Option<KnownCustomer>,
    pub wallet: Option<CheckWallet>,
}

/// What `createTicket` answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub customer_created: bool,
    pub ticket: CreatedRef,
}

/// The new ticket.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CreatedRef {
    pub id: String,
    pub code: String,
}

/// A ticket event as the board's subscription selects it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketEvent {
    pub ticket: TicketCard,
}

/// The new ticket as the create form sends it (checked already).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTicket {
    pub phone: String,
    pub customer_name: Option<String>,
    pub kind: Kind,
    pub priority: Priority,
    pub order_reference: Option<String>,
    pub carrier: Option<String>,
    /// RFC 3339.
    pub carrier_deadline: Option<String>,
    pub description: String,
}

/// How a ticket is resolved (checked already).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub ticket_id: String,
    pub compensation: Compensation,
    /// Digits, for VIRTUAL_CREDIT and REFUND.
    pub amount: Option<String>,
    pub lifetime_days: Option<i32>,
    pub resolution: Option<String>,
    pub idempotency_key: String,
}

impl Api {
    /// A page of tickets: the filters', or one board column (`statuses`).
    pub async fn tickets(
        self,
        filters: Filters,
        statuses: Option<Vec<Status>>,
        me: Option<String>,
        first: i32,
        sort: &'static str,
        after: Option<String>,
    ) -> Result<Page<TicketCard>, ApiError> {
        let search = Some(filters.search.clone()).filter(|s| !s.is_empty());
        let variables = json!({
            "first": first, "after": after, "search": search, "sort": sort,
            "filter": filters.input(statuses.as_deref(), me.as_deref()),
        });
        let connection: Connection<TicketCard> = self.field(LIST, variables).await?;
        Ok(connection.into())
    }

    /// One ticket with its history.
    pub async fn ticket(self, id: String) -> Result<TicketDetail, ApiError> {
        self.field(DETAIL, json!({ "id": id })).await
    }

    /// Whose phone it is, before creating a ticket.
    pub async fn ticket_phone_check(self, phone: String) -> Result<PhoneCheck, ApiError> {
        self.field(PHONE_CHECK, json!({ "phone": phone })).await
    }

    /// Opens a ticket for the phone's customer (created when new).
    pub async fn create_ticket(self, new: NewTicket) -> Result<Created, ApiError> {
        let input = json!({
            "phone": new.phone.trim(), "customerName": new.customer_name, "type": new.kind,
            "priority": new.priority, "orderReference": new.order_reference, "carrier": new.carrier,
            "carrierDeadline": new.carrier_deadline, "description": new.description.trim(),
        });
        self.field(CREATE, json!({ "input": input })).await
    }

    /// Changes the fields in `input` (an `UpdateTicketInput` object).
    pub async fn update_ticket(self, id: String, input: Value) -> Result<TicketCard, ApiError> {
        self.field(UPDATE, json!({ "id": id, "input": input })).await
    }

    /// Moves a ticket to `to`, with an optional note.
    pub async fn transition_ticket(self, id: String, to: Status, note: Option<String>) -> Result<TicketCard, ApiError> {
        self.field(TRANSITION, json!({ "id": id, "to": to, "note": note })).await
    }

    /// Assigns a ticket to `assignee` (`None` unassigns).
    pub async fn assign_ticket(self, id: String, assignee: Option<String>) -> Result<TicketCard, ApiError> {
        self.field(ASSIGN, json!({ "id": id, "assigneeId": assignee })).await
    }

    /// Adds a note.
    pub async fn add_ticket_note(self, id: String, body: String) -> Result<TicketCard, ApiError> {
        self.field(ADD_NOTE, json!({ "id": id, "body": body })).await
    }

    /// Completes a ticket with a compensation.
    pub async fn resolve_ticket(self, r: Resolution) -> Result<Value, ApiError> {
        let input = json!({
            "ticketId": r.ticket_id, "compensation": r.compensation, "amount": r.amount,
            "lifetimeDays": r.lifetime_days, "resolution": r.resolution, "idempotencyKey": r.idempotency_key,
        });
        self.field(RESOLVE, json!({ "input": input })).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_decodes_from_the_list() {
        let body = r#"{"id":"4","code":"TV-2026-00004","type":"BOOM","status":"WAITING_CARRIER","priority":"HIGH",
            "orderReference":null,"carrier":"GHN","carrierDeadline":"2026-11-22T07:30:00Z","overdue":true,
            "customerId":"9","customer":{"id":"9","name":"An"},"assigneeId":null,"assignee":null,
            "allowedTransitions":["COMPLETED","CANCELLED"],"createdAt":"x","updatedAt":"y"}"#;
        let card: TicketCard = serde_json::from_str(body).unwrap();
        assert_eq!(card.kind, Kind::Boom);
        assert_eq!(card.allowed_transitions, [Status::Completed, Status::Cancelled]);
        assert!(card.overdue);
    }
}
