//! The analytics screen's calls: the period dashboard, the business-local
//! "today" (to place the default period), and the figures' types.

use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ApiError, Money};

const DASHBOARD: &str = include_str!("dashboard.graphql");
const TODAY: &str = include_str!("today.graphql");

/// The figures of a period (`dashboard`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodDashboard {
    /// `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    /// The IANA time zone the days were counted in.
    pub time_zone: String,
    pub customers_total: i64,
    pub customers_new: i64,
    pub orders: i64,
    pub revenue: Money,
    pub average_order_value: Money,
    pub clv: Money,
    pub daily: Vec<Day>,
    pub wallet_real: Money,
    pub wallet_virtual: Money,
    pub expiring_within_7_days: Money,
    pub transfers_linked: i64,
    pub transfers_pending: i64,
    pub tickets_by_status: Vec<Bucket>,
    pub tickets_overdue: i64,
    pub tiers: Vec<Bucket>,
    pub segments: Vec<Bucket>,
    pub lifecycle: Vec<Bucket>,
    pub wallet_daily: Vec<WalletDay>,
    pub resolution_by_type: Vec<TypeResolution>,
    pub agents: Vec<Agent>,
}

/// Orders and revenue of one day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Day {
    pub date: String,
    pub orders: i64,
    pub revenue: Money,
}

/// How many of something have the value `key` (an enum value).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Bucket {
    pub key: String,
    pub count: i64,
}

/// Money moved through the wallets on one day, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletDay {
    pub date: String,
    pub deposited: Money,
    pub withdrawn: Money,
    pub credits_issued: Money,
    pub credits_expired: Money,
    pub corrections: Money,
}

/// Tickets of one type completed in the period, and how long they took.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeResolution {
    #[serde(rename = "type")]
    pub kind: String,
    pub completed: i64,
    pub average_seconds: i64,
}

/// One assignee's tickets.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub user_id: String,
    pub name: String,
    pub completed: i64,
    pub average_resolution_seconds: Option<i64>,
    pub average_first_response_seconds: Option<i64>,
    pub open: i64,
    pub overdue: i64,
}

impl Api {
    /// The figures of `from` to `to` (`YYYY-MM-DD`, both included) counted
    /// in `time_zone` (the business time zone when `None`).
    pub async fn period_dashboard(
        self,
        from: String,
        to: String,
        time_zone: Option<String>,
    ) -> Result<PeriodDashboard, ApiError> {
        self.field(DASHBOARD, json!({ "from": from, "to": to, "timeZone": time_zone })).await
    }

    /// Today (`YYYY-MM-DD`) in the business time zone.
    pub async fn business_today(self) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct Today {
            today: String,
        }
        let today: Today = self.field(TODAY, json!({})).await?;
        Ok(today.today)
    }
}
