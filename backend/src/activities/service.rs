//! Writing and reading the timeline.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::Value;

use super::model;
use crate::auth::Principal;
use crate::error::AppResult;

/// Records one entry of `kind` per `(customer, summary, data)` in bulk
/// (a few statements of up to 1,000 rows), for set-based changes such as
/// the nightly RFM run's tier changes.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    entries: Vec<(i64, String, Value)>,
    actor: &Principal,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let rows: Vec<model::ActiveModel> = entries
            .by_ref()
            .take(1_000)
            .map(|(customer_id, summary, data)| model::ActiveModel {
                customer_id: Set(customer_id),
                kind: Set(kind.to_owned()),
                summary: Set(clip(summary)),
                data: Set(data),
                actor: Set(actor.actor()),
                created_at: Set(at),
                ..Default::default()
            })
            .collect();
        model::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// A summary of at most 500 characters.
fn clip(summary: String) -> String {
    if summary.chars().count() > 500 { summary.chars().take(497).collect::<String>() + "..." } else { summary }
}

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
    Ok(model::ActiveModel {
        customer_id: Set(customer_id),
        kind: Set(kind.to_owned()),
        summary: Set(clip(summary.into())),
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
