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

/// Number of audit chains (see [`chain_of`]).
pub const CHAINS: i32 = 16;

/// The chain (1..=[`CHAINS`]) of an entity: FNV-1a of `type:id`. Spreading
/// rows over chains lets transactions on different entities append at the
/// same time; each chain is verified on its own.
pub fn chain_of(entity_type: &str, entity_id: Option<&str>) -> i32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in entity_type.bytes().chain([b':']).chain(entity_id.unwrap_or_default().bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1 + (h % CHAINS as u64) as i32
}

/// Appends an audit row inside `tx`, to the chain of the transaction's
/// first audited entity. Call it as the last statement before committing:
/// it locks that chain's head until the commit.
pub async fn record(tx: &Tx, actor: &Principal, at: DateTime<Utc>, change: Change<'_>) -> AppResult<entry::Model> {
    let db = tx.db();
    let chain = tx.audit_chain(|| chain_of(change.entity_type, change.entity_id.as_deref()));
    let head = head::Entity::find_by_id(chain)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("audit chain head is missing"))?;
    let created_at = at.trunc_subsecs(6);
    let mut row = entry::Model {
        id: 0,
        chain,
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
        chain: Set(row.chain),
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
    head::ActiveModel { id: Set(chain), last_id: Set(inserted.id), last_hash: Set(inserted.hash.clone()) }
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

/// Walks every chain in order and reports the earliest break.
pub async fn verify<C: ConnectionTrait>(db: &C) -> AppResult<ChainReport> {
    let mut checked = 0u64;
    let mut first_break: Option<(i64, String)> = None;
    for chain in 1..=CHAINS {
        let (n, broken) = verify_chain(db, chain).await?;
        checked += n;
        if let Some((id, why)) = broken
            && first_break.as_ref().is_none_or(|(first, _)| id < *first)
        {
            first_break = Some((id, why));
        }
    }
    Ok(match first_break {
        Some((id, message)) => ChainReport { valid: false, checked, first_broken_id: Some(id.into()), message },
        None => ChainReport { valid: true, checked, first_broken_id: None, message: "the chain is intact".into() },
    })
}

/// Checks one chain: rows checked and the first broken row, if any.
async fn verify_chain<C: ConnectionTrait>(db: &C, chain: i32) -> AppResult<(u64, Option<(i64, String)>)> {
    const PAGE: u64 = 1000;
    let mut prev = GENESIS.to_owned();
    let mut checked = 0u64;
    let mut after_id = 0i64;
    loop {
        let rows = entry::Entity::find()
            .filter(entry::Column::Chain.eq(chain))
            .filter(entry::Column::Id.gt(after_id))
            .order_by_asc(entry::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.id;
        for row in &rows {
            if row.prev_hash != prev {
                return Ok((checked, Some((row.id, format!("row {} does not link to the row before it", row.id)))));
            }
            if hash_of(row) != row.hash {
                return Ok((checked, Some((row.id, format!("row {} was changed after it was written", row.id)))));
            }
            prev = row.hash.clone();
            checked += 1;
        }
    }
    let head = head::Entity::find_by_id(chain).one(db).await?;
    if let Some(head) = head
        && head.last_hash != prev
    {
        return Ok((checked, Some((head.last_id, "the newest rows of the chain are missing".into()))));
    }
    Ok((checked, None))
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
