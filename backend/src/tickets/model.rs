//! Ticket entities and their enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a ticket is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketType {
    /// The customer refused the delivery ("boom").
    #[sea_orm(string_value = "BOOM")]
    Boom,
    /// The customer exchanges an item (DOI).
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
    /// Items were missing from the parcel (THIEU).
    #[sea_orm(string_value = "MISSING_ITEMS")]
    MissingItems,
    /// The customer returns goods for a refund (HOAN).
    #[sea_orm(string_value = "RETURN_REFUND")]
    ReturnRefund,
    /// Anything else.
    #[sea_orm(string_value = "SUPPORT")]
    Support,
}

impl TicketType {
    /// Goods came back: counts in the customer's return count.
    pub fn is_return(self) -> bool {
        matches!(self, Self::Boom | Self::ReturnRefund)
    }
}

/// Where a ticket is in its workflow ([`super::workflow`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketStatus {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "WAITING_CARRIER")]
    WaitingCarrier,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl TicketStatus {
    /// Open tickets are worked on; COMPLETED and CANCELLED are closed.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Completed | Self::Cancelled)
    }

    /// The open statuses.
    pub const OPEN: [TicketStatus; 3] = [Self::New, Self::InProgress, Self::WaitingCarrier];

    /// `IN_PROGRESS`, as clients write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::InProgress => "IN_PROGRESS",
            Self::WaitingCarrier => "WAITING_CARRIER",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// How urgent a ticket is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketPriority {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "NORMAL")]
    Normal,
    #[sea_orm(string_value = "HIGH")]
    High,
    #[sea_orm(string_value = "URGENT")]
    Urgent,
}

/// What resolving a ticket gave the customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompensationKind {
    /// A virtual credit that expires (BOOM, or any type with a manager's approval).
    #[sea_orm(string_value = "VIRTUAL_CREDIT")]
    VirtualCredit,
    /// Money back to the real balance (RETURN_REFUND).
    #[sea_orm(string_value = "REFUND")]
    Refund,
    /// The item was exchanged (EXCHANGE); no money moves.
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
    /// Nothing.
    #[sea_orm(string_value = "NONE")]
    None,
}

/// What a history entry records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketEventKind {
    #[sea_orm(string_value = "CREATED")]
    Created,
    /// Fields changed (`changes` says which, from what, to what).
    #[sea_orm(string_value = "UPDATED")]
    Updated,
    #[sea_orm(string_value = "STATUS_CHANGED")]
    StatusChanged,
    #[sea_orm(string_value = "ASSIGNED")]
    Assigned,
    #[sea_orm(string_value = "NOTE_ADDED")]
    NoteAdded,
    /// Completed with a compensation.
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// The SLA check raised the priority.
    #[sea_orm(string_value = "PRIORITY_RAISED")]
    PriorityRaised,
    /// The SLA check found the carrier deadline passed.
    #[sea_orm(string_value = "OVERDUE")]
    Overdue,
}

pub mod ticket {
    //! One ticket.
    use sea_orm::entity::prelude::*;

    use super::{TicketPriority, TicketStatus, TicketType};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "tickets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `TV-2026-00001`.
        #[sea_orm(unique)]
        pub code: String,
        pub customer_id: i64,
        pub kind: TicketType,
        pub status: TicketStatus,
        pub priority: TicketPriority,
        pub order_ref: Option<String>,
        pub carrier: Option<String>,
        pub carrier_deadline: Option<DateTimeUtc>,
        pub assignee_id: Option<i64>,
        pub description: String,
        /// JSON array of URLs.
        pub attachments: Json,
        /// What was done, written when resolving.
        pub resolution: Option<String>,
        /// Lower-case code and description: what text search matches.
        #[serde(skip)]
        pub search_text: String,
        /// The first note or status change after creation.
        pub first_response_at: Option<DateTimeUtc>,
        /// Seconds from creation to the first response.
        pub first_response_seconds: Option<i64>,
        /// Set on completion (cleared when reopened).
        pub completed_at: Option<DateTimeUtc>,
        /// Seconds from creation to the (last) completion.
        pub resolution_seconds: Option<i64>,
        pub cancelled_at: Option<DateTimeUtc>,
        /// When the SLA check first found the carrier deadline passed.
        pub overdue_flagged_at: Option<DateTimeUtc>,
        /// The customer's ticket / return counts include this ticket.
        pub stats_counted: bool,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// Open with its carrier deadline passed at `now`.
        pub fn is_overdue(&self, now: DateTimeUtc) -> bool {
            self.status.is_open() && self.carrier_deadline.is_some_and(|d| d < now)
        }
    }
}

pub mod event {
    //! One entry of a ticket's history.
    use sea_orm::entity::prelude::*;

    use super::{TicketEventKind, TicketStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "ticket_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub ticket_id: i64,
        pub kind: TicketEventKind,
        pub from_status: Option<TicketStatus>,
        pub to_status: Option<TicketStatus>,
        /// `{"priority": {"from": "NORMAL", "to": "HIGH"}}`.
        pub changes: Option<Json>,
        /// A note's text.
        pub body: Option<String>,
        pub actor: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod compensation {
    //! What resolving a ticket paid out, with the ledger row it wrote.
    use sea_orm::entity::prelude::*;

    use super::CompensationKind;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "ticket_compensations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub ticket_id: i64,
        pub kind: CompensationKind,
        /// Minor units (0 for EXCHANGE and NONE).
        pub amount: i64,
        /// The ledger row (VIRTUAL_CREDIT and REFUND).
        pub transaction_id: Option<i64>,
        /// The MANAGER whose approval the compensation needed.
        pub approved_by: Option<String>,
        pub note: Option<String>,
        /// The key of the `resolveTicket` call: a retry replays it.
        #[sea_orm(unique)]
        pub idempotency_key: Option<String>,
        pub actor: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
