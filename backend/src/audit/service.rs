//! Writing and verifying the audit chain.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::{entry, head};
use crate::auth::Principal;
use crate::db::Tx;
use crate::error::{AppError, AppResult};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a mutation changed.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    /// `action` on the entity `entity_type` #`entity_id`; add what it was and
    /// what it became with [`Change::before`] and [`Change::after`].
    pub fn on(action: &'a str, entity_type: &'a str, entity_id: impl ToString) -> Self {
        Self { action, entity_type, entity_id: Some(entity_id.to_string()), before: None, after: None }
    }

    /// The entity before the change.
    pub fn before(self, value: Value) -> Self {
        Self { before: Some(value), ..self }
    }

    /// The entity after the change.
    pub fn after(self, value: Value) -> Self {
        Self { after: Some(value), ..self }
    }
}

/// Appends an audit row to the chain inside `tx`. Call it as the last
/// statement before committing: it locks the chain head until the commit.
pub async fn record(tx: &Tx, actor: &Principal, at: DateTime<Utc>, change: Change<'_>) -> AppResult<entry::Model> {
    let db = tx.db();
    let head = head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("audit chain head is missing"))?;
    let created_at = at.trunc_subsecs(6);
    let mut row = entry::Model {
        id: 0,
        actor: actor.actor(),
        action: change.action.to_owned(),
        entity_type: change.entity_type.to_owned(),
        entity_id: change.entity_id,
        before: change.before,
        after: change.after,
        created_at,
        prev_hash: head.last_hash.clone(),
        hash: String::new(),
    };
    row.hash = hash_of(&row);
    let inserted = entry::ActiveModel {
        actor: Set(row.actor),
        action: Set(row.action),
        entity_type: Set(row.entity_type),
        entity_id: Set(row.entity_id),
        before: Set(row.before),
        after: Set(row.after),
        created_at: Set(row.created_at),
        prev_hash: Set(row.prev_hash),
        hash: Set(row.hash),
        ..Default::default()
    }
    .insert(db)
    .await?;
    head::ActiveModel { id: Set(1), last_id: Set(inserted.id), last_hash: Set(inserted.hash.clone()) }
        .update(db)
        .await?;
    Ok(inserted)
}

/// The hash of a row: SHA-256 over the previous hash and every field but
/// the id (ids are not part of the content; order is kept by `prev_hash`).
pub fn hash_of(row: &entry::Model) -> String {
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
    let mut h = Sha256::new();
    for part in [
        row.prev_hash.as_str(),
        &row.actor,
        &row.action,
        &row.entity_type,
        row.entity_id.as_deref().unwrap_or_default(),
        &json(&row.before),
        &json(&row.after),
        &row.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct ChainReport {
    /// True when every row is intact and linked to the one before.
    pub valid: bool,
    /// Rows checked.
    pub checked: u64,
    /// The first row whose content or link does not match, if any.
    pub first_broken_id: Option<async_graphql::ID>,
    /// What is wrong, in words.
    pub message: String,
}

/// Walks the whole chain in order and reports the first break.
pub async fn verify<C: ConnectionTrait>(db: &C) -> AppResult<ChainReport> {
    const PAGE: u64 = 1000;
    let mut prev = GENESIS.to_owned();
    let mut checked = 0u64;
    let mut after_id = 0i64;
    loop {
        let rows = entry::Entity::find()
            .filter(entry::Column::Id.gt(after_id))
            .order_by_asc(entry::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.id;
        for row in &rows {
            let broken =
                |message: String| ChainReport { valid: false, checked, first_broken_id: Some(row.id.into()), message };
            if row.prev_hash != prev {
                return Ok(broken(format!("row {} does not link to the row before it", row.id)));
            }
            if hash_of(row) != row.hash {
                return Ok(broken(format!("row {} was changed after it was written", row.id)));
            }
            prev = row.hash.clone();
            checked += 1;
        }
    }
    let head = head::Entity::find_by_id(1).one(db).await?;
    if let Some(head) = head
        && head.last_hash != prev
    {
        return Ok(ChainReport {
            valid: false,
            checked,
            first_broken_id: Some(head.last_id.into()),
            message: "the newest rows of the chain are missing".into(),
        });
    }
    Ok(ChainReport { valid: true, checked, first_broken_id: None, message: "the chain is intact".into() })
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// A page of the audit log, newest first, after the row `before_id`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<entry::Model>, bool)> {
    let select = apply(entry::Entity::find(), filter);
    crate::db::page_newest_first(db, select, entry::Column::Id, first, before_id).await
}

/// How many rows match `filter`.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &AuditFilter) -> AppResult<u64> {
    Ok(apply(entry::Entity::find(), filter).count(db).await?)
}

fn apply(mut q: sea_orm::Select<entry::Entity>, f: &AuditFilter) -> sea_orm::Select<entry::Entity> {
    if let Some(v) = &f.entity_type {
        q = q.filter(entry::Column::EntityType.eq(v.as_str()));
    }
    if let Some(v) = &f.entity_id {
        q = q.filter(entry::Column::EntityId.eq(v.as_str()));
    }
    if let Some(v) = &f.actor {
        q = q.filter(entry::Column::Actor.eq(v.as_str()));
    }
    if let Some(v) = &f.action {
        q = q.filter(entry::Column::Action.eq(v.as_str()));
    }
    q
}

/// A JSON snapshot of a model for the before/after columns.
pub fn snapshot<T: serde::Serialize>(value: &T) -> AppResult<Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.into()))
}
