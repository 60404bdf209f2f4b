//! Customer and note entities, their enums, and reusable query fragments.

use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Loyalty tier, derived from RFM; BLACKLIST is set by fraud rules only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerTier {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "SILVER")]
    Silver,
    #[sea_orm(string_value = "GOLD")]
    Gold,
    #[sea_orm(string_value = "PLATINUM")]
    Platinum,
    #[sea_orm(string_value = "BLACKLIST")]
    Blacklist,
}

/// Standing of the customer's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "SUSPICIOUS")]
    Suspicious,
    #[sea_orm(string_value = "BLACKLISTED")]
    Blacklisted,
}

/// Buying pattern (DESIGN 4.8): new = 1 order, repeat = 2-5, vip = 6+.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerType {
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "REPEAT")]
    Repeat,
    #[sea_orm(string_value = "VIP")]
    Vip,
    #[sea_orm(string_value = "INACTIVE")]
    Inactive,
}

/// Where the customer is in their life with the shop (DESIGN 4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LifecycleStage {
    #[sea_orm(string_value = "PROSPECT")]
    Prospect,
    #[sea_orm(string_value = "NEW")]
    New,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "AT_RISK")]
    AtRisk,
    #[sea_orm(string_value = "CHURNED")]
    Churned,
}

/// How recently the customer bought (DESIGN 4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Temperature {
    #[sea_orm(string_value = "HOT")]
    Hot,
    #[sea_orm(string_value = "WARM")]
    Warm,
    #[sea_orm(string_value = "COLD")]
    Cold,
}

/// A customer.
pub mod customer {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub member_code: String,
        pub name: String,
        /// E.164.
        #[sea_orm(unique)]
        pub phone: String,
        pub email: Option<String>,
        pub address: Option<String>,
        pub city: Option<String>,
        pub birthday: Option<Date>,
        pub anniversary: Option<Date>,
        pub tier: CustomerTier,
        pub customer_type: CustomerType,
        pub lifecycle_stage: LifecycleStage,
        pub temperature: Temperature,
        pub status: CustomerStatus,
        /// JSON array of strings.
        pub tags: Json,
        pub assigned_agent_id: Option<i64>,
        /// JSON object: source → id (`{"pos": "123", "facebook": "…"}`).
        pub external_ids: Json,
        pub ticket_count: i32,
        pub return_count: i32,
        /// Sum of the orders that count (not cancelled, not returned), in
        /// minor units; kept by [`crate::orders::service`].
        pub total_spent: i64,
        /// Orders that count.
        pub order_count: i32,
        /// When the latest order that counts was placed.
        pub last_order_at: Option<DateTimeUtc>,
        /// RFM scores 1–5 (none before the first order); see
        /// [`crate::analytics::rfm`].
        pub rfm_r: Option<i32>,
        pub rfm_f: Option<i32>,
        pub rfm_m: Option<i32>,
        /// `CHAMPIONS`, `AT_RISK`, … ([`crate::analytics::rfm::Segment`]).
        pub rfm_segment: Option<String>,
        /// `LOW`, `MEDIUM`, `HIGH`, `CRITICAL` (none while active).
        pub drop_off_risk: Option<String>,
        pub rfm_updated_at: Option<DateTimeUtc>,
        /// Lower-case, accent-free name, email, member code and phone
        /// digits: what search matches against.
        #[serde(skip)]
        pub search_text: String,
        /// Set once when this customer was merged into another one
        /// ([`crate::customers::merge`]): the row stays as a tombstone that
        /// lists and search skip.
        pub merged_into_id: Option<i64>,
        pub merged_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The tags as strings.
        pub fn tag_list(&self) -> Vec<String> {
            serde_json::from_value(self.tags.clone()).unwrap_or_default()
        }
    }

    /// Customers carrying `tag`. Tags are a JSON array, so the tag matches
    /// as its quoted JSON string inside the array's text.
    pub fn has_tag(tag: &str) -> sea_orm::sea_query::SimpleExpr {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait};
        let needle = serde_json::to_string(tag.trim()).unwrap_or_default();
        Expr::col((Entity, Column::Tags)).cast_as(Alias::new("TEXT")).like(crate::db::like_literal(&needle))
    }

    impl Entity {
        /// Live customers `agent` may see: all of them, or only those
        /// assigned to the agent when the caller is an AGENT. Merged
        /// duplicates (tombstones) are left out.
        pub fn find_visible_to(p: &crate::auth::Principal) -> Select<Entity> {
            Self::find_visible_with_merged(p).filter(Column::MergedIntoId.is_null())
        }

        /// [`Entity::find_visible_to`] including the tombstones of merged
        /// duplicates.
        pub fn find_visible_with_merged(p: &crate::auth::Principal) -> Select<Entity> {
            let q = Entity::find();
            match p.only_assigned_to() {
                Some(agent) => q.filter(Column::AssignedAgentId.eq(agent)),
                None => q,
            }
        }

        /// Customers that were not merged into another one.
        pub fn find_live() -> Select<Entity> {
            Entity::find().filter(Column::MergedIntoId.is_null())
        }
    }
}

/// A note a member of staff wrote about a customer.
pub mod note {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "customer_notes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub author_id: Option<i64>,
        pub body: String,
        pub pinned: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
