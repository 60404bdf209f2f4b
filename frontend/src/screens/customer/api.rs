//! The customer 360 page's calls: the customer with their wallet, the
//! ledger, tickets, timeline and notes, the profile and wallet mutations,
//! and the live subscriptions (their text is used by the page).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, ApiError, Connection, CustomerStatus, CustomerTier, Money, Page};

const QUERIES: &str = include_str!("customer.graphql");
const MUTATIONS: &str = include_str!("mutations.graphql");
/// Subscription: this customer's wallet changes.
pub const WALLET_UPDATED: &str = include_str!("wallet_updated.graphql");
/// Subscription: customers changed (the page keeps this customer's).
pub const CUSTOMER_CHANGED: &str = include_str!("customer_changed.graphql");

/// Rows per page of the ledger, tickets and timeline.
pub const PAGE_SIZE: i32 = 20;

/// The customer as the page shows it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub member_code: String,
    pub transfer_code: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub birthday: Option<String>,
    pub tier: CustomerTier,
    pub status: CustomerStatus,
    pub customer_type: String,
    pub lifecycle_stage: String,
    pub temperature: String,
    pub tags: Vec<String>,
    pub ticket_count: i64,
    pub return_count: i64,
    pub created_at: String,
    /// The customer this one was merged into (this one is a tombstone).
    #[serde(default)]
    pub merged_into: Option<MergedInto>,
    pub assigned_agent: Option<Agent>,
    pub wallet: Wallet,
}

/// Where a merged customer went.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedInto {
    pub id: String,
    pub name: String,
    pub member_code: String,
}

/// The staff member who owns a customer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
}

/// Balances and the credits that make up the virtual balance.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    pub real_balance: Money,
    pub virtual_balance: Money,
    pub points: i64,
    pub total_deposited: Money,
    pub total_withdrawn: Money,
    pub virtual_credits: Vec<Credit>,
}

/// An active virtual credit.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    pub id: String,
    pub remaining: Money,
    pub reason: String,
    pub expires_at: String,
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: Money,
    pub points: i64,
    pub real_balance_after: Money,
    pub virtual_balance_after: Money,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub actor: String,
    pub created_at: String,
}

/// One of the customer's tickets.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRow {
    pub id: String,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub priority: String,
    pub overdue: bool,
    pub created_at: String,
}

/// One timeline entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub actor: String,
    pub created_at: String,
}

/// A note about the customer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: String,
    pub body: String,
    pub pinned: bool,
    pub created_at: String,
    pub author: Option<Author>,
}

/// Who wrote a note.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Author {
    pub name: String,
}

/// The three wallet movements the page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    Deposit,
    Withdraw,
    Credit,
}

/// The profile fields the edit dialog changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileChange {
    pub name: String,
    pub email: String,
    pub address: String,
    pub city: String,
    pub birthday: String,
    pub tags: Vec<String>,
}

impl ProfileChange {
    /// The `UpdateCustomerInput`: empty optional fields are sent as `null`
    /// (cleared).
    pub fn to_input(&self) -> Value {
        let text = |s: &str| if s.trim().is_empty() { Value::Null } else { Value::String(s.trim().to_owned()) };
        json!({
            "name": self.name.trim(),
            "email": text(&self.email),
            "address": text(&self.address),
            "city": text(&self.city),
            "birthday": text(&self.birthday),
            "tags": self.tags,
        })
    }
}

impl Api {
    /// The customer with their wallet.
    pub async fn customer_360(self, id: String) -> Result<Customer, ApiError> {
        self.operation(QUERIES, "Customer360", json!({ "id": id })).await
    }

    /// A page of the ledger, optionally narrowed to one transaction type.
    pub async fn ledger(
        self,
        id: String,
        kind: Option<String>,
        after: Option<String>,
    ) -> Result<Page<Transaction>, ApiError> {
        let filter = kind.map(|kind| json!({ "types": [kind] }));
        let vars = json!({ "id": id, "first": PAGE_SIZE, "after": after, "filter": filter });
        let wallet: Value = self.operation(QUERIES, "CustomerLedger", vars).await?;
        decode_connection(&wallet["transactions"])
    }

    /// A page of the customer's tickets.
    pub async fn customer_tickets(self, id: String, after: Option<String>) -> Result<Page<TicketRow>, ApiError> {
        let vars = json!({ "id": id, "first": PAGE_SIZE, "after": after });
        let customer: Value = self.operation(QUERIES, "CustomerTickets", vars).await?;
        decode_connection(&customer["tickets"])
    }

    /// A page of the timeline.
    pub async fn timeline(self, id: String, after: Option<String>) -> Result<Page<Activity>, ApiError> {
        let vars = json!({ "id": id, "first": PAGE_SIZE, "after": after });
        let customer: Value = self.operation(QUERIES, "CustomerTimeline", vars).await?;
        decode_connection(&customer["timeline"])
    }

    /// The notes, pinned first, newest first.
    pub async fn notes(self, id: String) -> Result<Vec<Note>, ApiError> {
        let customer: Value = self.operation(QUERIES, "CustomerNotes", json!({ "id": id })).await?;
        let mut notes: Vec<Note> = serde_json::from_value(customer["notes"].clone()).map_err(|_| ApiError::Protocol)?;
        notes.sort_by(|a, b| b.pinned.cmp(&a.pinned).then_with(|| b.created_at.cmp(&a.created_at)));
        Ok(notes)
    }

    /// Saves the profile.
    pub async fn update_profile(self, id: String, change: ProfileChange) -> Result<(), ApiError> {
        let vars = json!({ "id": id, "input": change.to_input() });
        let _: Value = self.operation(MUTATIONS, "CustomerUpdate", vars).await?;
        Ok(())
    }

    /// Adds a note.
    pub async fn add_note(self, customer_id: String, body: String, pinned: bool) -> Result<(), ApiError> {
        let vars = json!({ "customerId": customer_id, "body": body, "pinned": pinned });
        let _: Value = self.operation(MUTATIONS, "CustomerAddNote", vars).await?;
        Ok(())
    }

    /// Pins or unpins a note.
    pub async fn pin_note(self, note_id: String, pinned: bool) -> Result<(), ApiError> {
        let _: Value =
            self.operation(MUTATIONS, "CustomerPinNote", json!({ "noteId": note_id, "pinned": pinned })).await?;
        Ok(())
    }

    /// Moves money: `amount` is the digits from `format::parse_amount`,
    /// `text` the note (deposit, withdrawal) or the reason (credit).
    pub async fn move_money(
        self,
        movement: Movement,
        customer_id: String,
        amount: String,
        text: String,
        lifetime_days: Option<i32>,
        idempotency_key: String,
    ) -> Result<(), ApiError> {
        let text = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let (operation, input) = match movement {
            Movement::Deposit => (
                "CustomerDeposit",
                json!({ "customerId": customer_id, "amount": amount, "note": text, "idempotencyKey": idempotency_key }),
            ),
            Movement::Withdraw => (
                "CustomerWithdraw",
                json!({ "customerId": customer_id, "amount": amount, "note": text, "idempotencyKey": idempotency_key }),
            ),
            Movement::Credit => (
                "CustomerIssueCredit",
                json!({
                    "customerId": customer_id, "amount": amount, "reason": text.unwrap_or_default(),
                    "lifetimeDays": lifetime_days, "idempotencyKey": idempotency_key,
                }),
            ),
        };
        // The answer (ledger code, replayed) is not shown: the wallet
        // card reloads and flashes instead.
        let _: serde::de::IgnoredAny = self.operation(MUTATIONS, operation, json!({ "input": input })).await?;
        Ok(())
    }
}

fn decode_connection<T: serde::de::DeserializeOwned>(value: &Value) -> Result<Page<T>, ApiError> {
    serde_json::from_value::<Connection<T>>(value.clone()).map(Page::from).map_err(|e| {
        crate::api::protocol_error(format_args!("unexpected connection: {e}"));
        ApiError::Protocol
    })
}
