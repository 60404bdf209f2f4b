//! Writing and reading the timeline.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::Value;

use super::model;
use crate::auth::Principal;
use crate::error::AppResult;

/// Adds an entry to a customer's timeline.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    kind: &str,
    summary: impl Into<String>,
    data: Value,
    actor: &Principal,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<model::Model> {
    let mut summary: String = summary.into();
    if summary.chars().count() > 500 {
        summary = summary.chars().take(497).collect::<String>() + "...";
    }
    Ok(model::ActiveModel {
        customer_id: Set(customer_id),
        kind: Set(kind.to_owned()),
        summary: Set(summary),
        data: Set(data),
        actor: Set(actor.actor()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A page of a customer's timeline, newest first, older than `before_id`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<model::Model>, bool)> {
    let select = model::Entity::find().filter(model::Column::CustomerId.eq(customer_id));
    crate::db::page_newest_first(db, select, model::Column::Id, first, before_id).await
}

/// Entries in a customer's timeline.
pub async fn count<C: ConnectionTrait>(db: &C, customer_id: i64) -> AppResult<u64> {
    Ok(model::Entity::find().filter(model::Column::CustomerId.eq(customer_id)).count(db).await?)
}
