//! One entry of a customer's timeline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    /// `customer.created`, `customer.updated`, `note.added`, …
    pub kind: String,
    /// One line a person can read.
    pub summary: String,
    /// Structured detail (changed fields, amounts, codes).
    pub data: Json,
    /// `user:1`, `apikey:3`, `system`.
    pub actor: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
