//! Wallet rules.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::model;
use crate::error::AppResult;

/// Opens the empty wallet of a new customer.
pub async fn open<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<model::Model> {
    Ok(model::ActiveModel {
        customer_id: Set(customer_id),
        real_balance: Set(0),
        virtual_balance: Set(0),
        points: Set(0),
        total_deposited: Set(0),
        total_withdrawn: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The wallets of several customers in one query (for the DataLoader).
pub async fn of_customers<C: ConnectionTrait>(db: &C, customer_ids: &[i64]) -> AppResult<Vec<model::Model>> {
    Ok(model::Entity::find().filter(model::Column::CustomerId.is_in(customer_ids.iter().copied())).all(db).await?)
}
