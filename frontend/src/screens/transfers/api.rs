//! The bank transfer screen's calls: the list, the daily stats, link /
//! resolve / unlink, and the customer lookups of the link dialog.

use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ApiError, Connection, CustomerTier, Money, Page};

const LIST: &str = include_str!("list.graphql");
const STATS: &str = include_str!("stats.graphql");
const LINK: &str = include_str!("link.graphql");
const RESOLVE: &str = include_str!("resolve.graphql");
const UNLINK: &str = include_str!("unlink.graphql");
const LOOKUP: &str = include_str!("lookup.graphql");
const SEARCH: &str = include_str!("search.graphql");

/// How many transfers one page asks for.
pub const PAGE_SIZE: i32 = 25;

/// Where a transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferStatus {
    Linked,
    Pending,
    Unlinked,
    #[serde(other)]
    Unknown,
}

impl TransferStatus {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            TransferStatus::Linked => "Linked",
            TransferStatus::Pending => "Pending",
            TransferStatus::Unlinked => "Unlinked",
            TransferStatus::Unknown => "Unknown",
        }
    }

    /// The badge tone.
    pub fn tone(self) -> &'static str {
        match self {
            TransferStatus::Linked => "success",
            TransferStatus::Pending => "warning",
            TransferStatus::Unlinked | TransferStatus::Unknown => "neutral",
        }
    }

    /// Whether it can be linked to a customer.
    pub fn linkable(self) -> bool {
        matches!(self, TransferStatus::Pending | TransferStatus::Unlinked)
    }
}

/// A customer as the transfer list and the link dialog show it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CustomerBrief {
    pub id: String,
    pub name: String,
    pub phone: String,
}

/// The wallet balance in a preview.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub real_balance: Money,
}

/// A customer previewed in the link dialog.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CustomerPreview {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub tier: CustomerTier,
    pub wallet: Balance,
}

/// One bank transfer row.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub id: String,
    pub amount: Money,
    pub content: String,
    pub reference_code: Option<String>,
    pub gateway: Option<String>,
    pub transferred_at: String,
    pub status: TransferStatus,
    pub candidates: Vec<String>,
    pub customer: Option<CustomerBrief>,
}

/// One day of `bankTransferStats`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayStats {
    pub date: String,
    pub linked_count: i64,
    pub linked_amount: Money,
    pub pending_count: i64,
    pub pending_amount: Money,
    pub unlinked_count: i64,
    pub unlinked_amount: Money,
}

#[derive(Deserialize)]
struct Changed {
    #[allow(dead_code)]
    id: String,
}

impl Api {
    /// A page of transfers with one of `statuses` (all when empty).
    pub async fn transfers(
        self,
        statuses: Vec<TransferStatus>,
        after: Option<String>,
    ) -> Result<Page<Transfer>, ApiError> {
        let filter = if statuses.is_empty() { json!({}) } else { json!({ "statuses": statuses }) };
        let variables = json!({ "first": PAGE_SIZE, "after": after, "filter": filter });
        let connection: Connection<Transfer> = self.field(LIST, variables).await?;
        Ok(connection.into())
    }

    /// Per-day stats from `from` to `to` (`YYYY-MM-DD`, both included).
    pub async fn transfer_stats(self, from: String, to: String) -> Result<Vec<DayStats>, ApiError> {
        self.field(STATS, json!({ "from": from, "to": to })).await
    }

    /// Links a transfer to the customer with `phone`.
    pub async fn link_transfer(self, id: String, phone: String, auto_deposit: bool) -> Result<(), ApiError> {
        let _: Changed = self.field(LINK, json!({ "id": id, "phone": phone, "autoDeposit": auto_deposit })).await?;
        Ok(())
    }

    /// Links a transfer to a chosen customer and deposits its amount.
    pub async fn resolve_transfer(self, id: String, customer_id: String) -> Result<(), ApiError> {
        let _: Changed = self.field(RESOLVE, json!({ "id": id, "customerId": customer_id })).await?;
        Ok(())
    }

    /// Takes a linked transfer back.
    pub async fn unlink_transfer(self, id: String, reason: String) -> Result<(), ApiError> {
        let _: Changed = self.field(UNLINK, json!({ "id": id, "reason": reason })).await?;
        Ok(())
    }

    /// The customer with this phone, if any.
    pub async fn transfer_phone_lookup(self, phone: String) -> Result<Option<CustomerPreview>, ApiError> {
        self.field(LOOKUP, json!({ "phone": phone })).await
    }

    /// Customers matching `search`.
    pub async fn transfer_customer_search(self, search: String) -> Result<Vec<CustomerPreview>, ApiError> {
        let connection: Connection<CustomerPreview> = self.field(SEARCH, json!({ "search": search })).await?;
        Ok(connection.edges.into_iter().map(|e| e.node).collect())
    }
}
