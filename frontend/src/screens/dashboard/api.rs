//! The dashboard's calls: the KPI snapshot, the bank transfers per day for
//! the chart, and the live subscription's event type.

use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ApiError, Money};

const KPIS: &str = include_str!("kpis.graphql");
const TRANSFER_STATS: &str = include_str!("transfer_stats.graphql");
/// The `dashboardUpdated` subscription.
pub const UPDATED: &str = include_str!("updated.graphql");

/// The dashboard's figures at one moment (`kpis`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpis {
    /// When the server read them.
    pub at: String,
    /// The business-local day (`YYYY-MM-DD`) "today" means.
    pub today: String,
    pub customers: i64,
    pub new_customers_today: i64,
    pub wallet_real: Money,
    pub wallet_virtual: Money,
    pub points: i64,
    pub open_tickets: i64,
    pub overdue_tickets: i64,
    pub pending_transfers: i64,
    pub unlinked_transfers: i64,
}

/// Incoming bank transfers of one business day, by status.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTransfers {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub linked_count: i64,
    pub linked_amount: Money,
    pub pending_count: i64,
    pub pending_amount: Money,
    pub unlinked_count: i64,
    pub unlinked_amount: Money,
}

/// One `dashboardUpdated` event (only what the dashboard needs: it reloads
/// its figures rather than adding the deltas).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardEvent {
    #[allow(dead_code)]
    pub event_id: String,
    /// `wallet.deposited`, `bank_transfer.received`, …
    pub cause: String,
}

impl Api {
    /// The dashboard's figures now.
    pub async fn dashboard_kpis(self) -> Result<Kpis, ApiError> {
        self.field(KPIS, json!({})).await
    }

    /// Incoming transfers per day from `from` to `to` (`YYYY-MM-DD`, both
    /// included).
    pub async fn dashboard_transfer_stats(self, from: String, to: String) -> Result<Vec<DayTransfers>, ApiError> {
        self.field(TRANSFER_STATS, json!({ "from": from, "to": to })).await
    }
}
