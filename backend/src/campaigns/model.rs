//! Segment, campaign and communication-log entities and their enums.

use sea_orm::entity::prelude::*;
use serde::Serialize;

/// How a campaign reaches customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "WHATSAPP")]
    Whatsapp,
    #[sea_orm(string_value = "PUSH")]
    Push,
}

impl Channel {
    /// As customers and staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "Email",
            Self::Whatsapp => "WhatsApp",
            Self::Push => "Push notification",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "EMAIL",
            Self::Whatsapp => "WHATSAPP",
            Self::Push => "PUSH",
        }
    }
}

/// Where a campaign is (DESIGN 4.6): DRAFT → SCHEDULED → RUNNING →
/// COMPLETED, with PAUSED ⇄ RUNNING and CANCELLED from any unfinished one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Scheduled => "SCHEDULED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One message's way through the queue: QUEUED (snapshotted), SENDING
/// (claimed by a worker, under a lease), SENT (the vendor accepted it),
/// then DELIVERED or FAILED from the receipt; CANCELLED when its campaign
/// was cancelled, EXPIRED when the schedule window closed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Sending => "SENDING",
            Self::Sent => "SENT",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        }
    }

    /// Still waiting for the vendor or its receipt.
    pub const OPEN: [MessageStatus; 3] = [Self::Queued, Self::Sending, Self::Sent];
}

/// A saved segment.
pub mod segment {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "segments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub description: Option<String>,
        /// The rule tree ([`crate::campaigns::segment::RuleGroup`]) as JSON.
        pub rules: Json,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A campaign.
pub mod campaign {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "campaigns")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub channel: Channel,
        pub segment_id: i64,
        /// The segment's rules as they were when the audience was taken.
        pub rules: Option<Json>,
        pub template: String,
        pub discount_code: Option<String>,
        /// Sending starts then (SCHEDULED until then); none: at once.
        pub starts_at: Option<DateTimeUtc>,
        /// Messages not handed to the vendor by then expire.
        pub ends_at: Option<DateTimeUtc>,
        pub status: CampaignStatus,
        /// Customers in the snapshot.
        pub audience: i64,
        /// Written when the campaign completes: the final counts.
        pub summary: Option<Json>,
        pub created_by: String,
        pub started_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One customer's message of a campaign: the audience snapshot and the
/// delivery queue in one row.
pub mod message {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "communication_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub campaign_id: i64,
        pub customer_id: i64,
        pub channel: Channel,
        /// The phone (E.164) or email it goes to.
        pub recipient: String,
        /// The rendered message.
        pub message: String,
        pub status: MessageStatus,
        /// Sent to the vendor with the message (`c<campaign>-<customer>`):
        /// a retry after a crash is recognised and not sent twice.
        pub idempotency_key: String,
        pub vendor_message_id: Option<String>,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        /// A worker's claim: after this the message can be claimed again.
        pub locked_until: Option<DateTimeUtc>,
        pub error: Option<String>,
        pub queued_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub receipt_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
