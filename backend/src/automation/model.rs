//! Call task and recommendation rule entities, and their enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Why a customer is to be called (DESIGN 4.7); see
/// [`crate::automation::service`] for who gets which task.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallKind {
    /// A customer who joined the day before (or today before the run).
    #[sea_orm(string_value = "WELCOME")]
    Welcome,
    /// Someone logged an interaction asking to follow up on this day.
    #[sea_orm(string_value = "FOLLOW_UP")]
    FollowUp,
    /// A customer whose lifecycle stage is AT_RISK (60-90 days without an
    /// order).
    #[sea_orm(string_value = "AT_RISK")]
    AtRisk,
    /// A birthday today or tomorrow.
    #[sea_orm(string_value = "BIRTHDAY")]
    Birthday,
}

impl CallKind {
    /// Every kind, in the order lists show them after the priority.
    pub const ALL: [CallKind; 4] = [Self::Welcome, Self::FollowUp, Self::AtRisk, Self::Birthday];
}

/// How urgent a call is: the customer's temperature, raised for some kinds
/// (see [`crate::automation::service`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallPriority {
    #[sea_orm(string_value = "HOT")]
    Hot,
    #[sea_orm(string_value = "WARM")]
    Warm,
    #[sea_orm(string_value = "COLD")]
    Cold,
}

impl CallPriority {
    /// Most urgent first.
    pub const ALL: [CallPriority; 3] = [Self::Hot, Self::Warm, Self::Cold];
}

/// Where a call task stands: PENDING, then COMPLETED (with an outcome) or
/// SKIPPED (with a reason); both are final.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

impl CallStatus {
    /// Whether `self → to` is allowed: only from PENDING, to COMPLETED or
    /// SKIPPED.
    pub fn can_become(self, to: CallStatus) -> bool {
        self == Self::Pending && matches!(to, Self::Completed | Self::Skipped)
    }
}

/// What came of a completed call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallOutcome {
    /// Spoke with the customer; the call did what it was for.
    #[sea_orm(string_value = "REACHED")]
    Reached,
    #[sea_orm(string_value = "NO_ANSWER")]
    NoAnswer,
    /// The customer asked to be called another time.
    #[sea_orm(string_value = "CALLBACK")]
    Callback,
    #[sea_orm(string_value = "NOT_INTERESTED")]
    NotInterested,
    #[sea_orm(string_value = "WRONG_NUMBER")]
    WrongNumber,
    /// The customer bought (or ordered) during the call.
    #[sea_orm(string_value = "PURCHASED")]
    Purchased,
}

impl CallOutcome {
    /// The outcomes that count as a successful call in the agents'
    /// performance: the customer was reached and the call did its job
    /// (REACHED) or ended in a purchase (PURCHASED).
    pub const SUCCESSFUL: [CallOutcome; 2] = [Self::Reached, Self::Purchased];

    /// Whether the outcome counts as a success.
    pub fn successful(self) -> bool {
        Self::SUCCESSFUL.contains(&self)
    }
}

pub mod call_task {
    //! One call an agent is to make on a business day.
    use sea_orm::entity::prelude::*;

    use super::{CallKind, CallOutcome, CallPriority, CallStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "call_tasks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The business-local day the call is for.
        pub due_date: Date,
        pub customer_id: i64,
        pub kind: CallKind,
        pub priority: CallPriority,
        /// None when no agent existed when it was generated.
        pub agent_id: Option<i64>,
        pub status: CallStatus,
        pub outcome: Option<CallOutcome>,
        /// The agent's notes; for a SKIPPED task, why.
        pub notes: Option<String>,
        pub completed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "crate::customers::model::customer::Entity",
            from = "Column::CustomerId",
            to = "crate::customers::model::customer::Column::Id"
        )]
        Customer,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule {
    //! A product recommendation rule: customers of a type (or any type)
    //! are offered a product, with a discount.
    use sea_orm::entity::prelude::*;

    use crate::customers::model::CustomerType;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "recommendation_rules")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// None: customers of any type.
        pub customer_type: Option<CustomerType>,
        /// A label for the kind of offer (`skincare`, `upsell`, …).
        pub category: String,
        /// A product of the catalog.
        pub product_sku: String,
        /// 0 to 100.
        pub discount_percent: i32,
        pub active: bool,
        /// Higher first.
        pub priority: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
