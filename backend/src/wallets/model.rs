//! A customer's wallet.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "wallets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub customer_id: i64,
    /// Money the customer paid in, in minor units.
    pub real_balance: i64,
    /// Sum of the active virtual credits, in minor units.
    pub virtual_balance: i64,
    /// Loyalty points.
    pub points: i64,
    pub total_deposited: i64,
    pub total_withdrawn: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
