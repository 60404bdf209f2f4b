//! Webhook endpoints, the outbox of events, deliveries and their attempts.

use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Where one delivery is: PENDING (due at `next_attempt_at`), SENDING
/// (claimed by a dispatcher under a lease), DELIVERED (a 2xx answer) or
/// FAILED (every attempt failed; a replay sends it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "WebhookDeliveryStatus")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// A registered receiver.
pub mod endpoint {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_endpoints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub url: String,
        pub description: Option<String>,
        /// JSON array of event-type patterns (`wallet.*`, `*`, exact names).
        pub event_types: String,
        /// The HMAC key; never shown again after creation or rotation.
        pub secret: String,
        pub active: bool,
        /// Why it was disabled (by the dispatcher or an admin).
        pub disabled_reason: Option<String>,
        pub disabled_at: Option<DateTimeUtc>,
        /// Deliveries that failed in a row (reset by any success).
        pub consecutive_failures: i32,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The patterns (an unreadable column reads as none).
        pub fn patterns(&self) -> Vec<String> {
            serde_json::from_str(&self.event_types).unwrap_or_default()
        }
    }
}

/// The outbox: one domain event, with the exact body endpoints receive.
pub mod event {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `evt_<uuid>`: the `id` of the body and `X-Crm360-Event-Id`;
        /// the same on every retry and replay, for receivers to dedupe.
        pub event_id: String,
        pub kind: String,
        pub customer_id: Option<i64>,
        pub occurred_at: DateTimeUtc,
        pub payload: String,
        /// Deliveries were created for the endpoints it matched.
        pub fanned_out: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One event for one endpoint.
pub mod delivery {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub endpoint_id: i64,
        /// The outbox row ([`super::event`]).
        pub event_row_id: i64,
        pub status: DeliveryStatus,
        /// Attempts since it was created or last replayed.
        pub attempts: i32,
        /// Times an admin replayed it.
        pub replays: i32,
        pub next_attempt_at: DateTimeUtc,
        /// A dispatcher's claim: after this it can be claimed again.
        pub locked_until: Option<DateTimeUtc>,
        pub last_status_code: Option<i32>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub delivered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One try to send a delivery.
pub mod attempt {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub delivery_id: i64,
        pub attempted_at: DateTimeUtc,
        /// The receiver's HTTP status; none when it could not be reached.
        pub status_code: Option<i32>,
        pub latency_ms: i64,
        pub error: Option<String>,
        pub success: bool,
        /// Sent because an admin asked for a replay.
        pub replay: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
