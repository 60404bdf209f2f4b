//! Merging a duplicate customer into the one that stays (issue 9).
//!
//! One transaction, in this order (wallets first: a wallet movement locks
//! the wallet row and then the customer row, and so does a merge, so the
//! two never wait for each other in a cycle):
//!
//! 1. **Money**: [`crate::wallets::service::merge_in`] empties the
//!    duplicate's wallet into the survivor's by ledger rows (MERGED_OUT /
//!    MERGED_IN): real balance, each virtual credit with its own expiry (so
//!    FIFO still holds), points. Balances are never edited by hand.
//! 2. **Rows**: every table with a `customer_id` that belongs to the person
//!    moves with one set-based `UPDATE` per table ([`MOVES`]). Where a
//!    unique key includes the customer (one message per campaign, one call
//!    task per day and kind) the survivor's row wins and the duplicate's
//!    stays on the tombstone; a kept call task still PENDING is SKIPPED.
//!    The duplicate's ledger, virtual credits and wallet stay where they
//!    are: they are its history, and the ledger rows say where the money
//!    went.
//! 3. **Profiles**: the survivor keeps its own contact fields and fills
//!    the empty ones (email, address, city, birthday, anniversary, agent)
//!    from the duplicate; tags and external ids are united; ticket and
//!    return counts add up; the stricter status and a BLACKLIST tier carry
//!    over. Order totals and RFM are recomputed from the moved orders.
//! 4. **Tombstone**: the duplicate gets `merged_into_id` and `merged_at`;
//!    lists, search, segments and call tasks skip it, `customer(id)` still
//!    returns it (with `mergedInto`), its phone leads to the survivor, and
//!    wallet movements addressed to it go to the survivor's wallet.
//! 5. Timeline entries on both, one audit row, `customer.merged` events.
//!
//! Merging is for MANAGER and above: it moves money and cannot be undone
//! by the API (the audit row keeps both customers as they were).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QuerySelect, Set};
use serde::Serialize;
use serde_json::{Value, json};

use super::model::{CustomerStatus, CustomerTier, customer};
use super::service::{customer_event, search_text};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::{Principal, Role};
use crate::db::{Tx, statement};
use crate::error::{AppError, AppResult};
use crate::wallets::service::{self as wallets, WalletMerge};

/// A table whose rows follow the person from the duplicate to the survivor.
#[derive(Debug, Clone, Copy)]
pub struct Move {
    pub table: &'static str,
    /// Human name, for the merge preview.
    pub label: &'static str,
    /// The columns that, with `customer_id`, are unique: a duplicate's row
    /// whose twin the survivor already has stays on the tombstone.
    pub unique_with: &'static [&'static str],
}

/// Every table with a `customer_id` that moves. Left out on purpose:
/// `wallets`, `wallet_transactions` and `virtual_credits` (moved by ledger
/// rows, see [`wallets::merge_in`]) and `audit_log` (history of entities).
pub const MOVES: &[Move] = &[
    Move { table: "orders", label: "Orders", unique_with: &[] },
    Move { table: "tickets", label: "Tickets", unique_with: &[] },
    Move { table: "customer_notes", label: "Notes", unique_with: &[] },
    Move { table: "activities", label: "Timeline entries", unique_with: &[] },
    Move { table: "interactions", label: "Interactions", unique_with: &[] },
    Move { table: "family_members", label: "Family members", unique_with: &[] },
    Move { table: "communication_log", label: "Campaign messages", unique_with: &["campaign_id"] },
    Move { table: "bank_transfers", label: "Bank transfers", unique_with: &[] },
    Move { table: "call_tasks", label: "Call tasks", unique_with: &["due_date", "kind"] },
    Move { table: "customer_flags", label: "Fraud flags", unique_with: &[] },
];

/// How many rows of one table move (or stay on the tombstone).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    pub table: &'static str,
    pub label: &'static str,
    pub moved: u64,
    /// Rows that stay with the tombstone because the survivor has their twin.
    pub kept: u64,
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct Merged {
    pub survivor: customer::Model,
    pub duplicate: customer::Model,
    pub moved: Vec<Moved>,
    pub wallet: WalletMerge,
}

/// What a merge would do, computed without changing anything.
#[derive(Debug, Clone)]
pub struct Preview {
    pub survivor: customer::Model,
    pub duplicate: customer::Model,
    pub moved: Vec<Moved>,
    /// The duplicate's wallet: real, virtual, points.
    pub real: i64,
    pub virtual_amount: i64,
    pub points: i64,
}

/// The predicate of a table's rows that move: the duplicate's rows, less
/// those whose unique twin the survivor already has. Binds (duplicate,
/// survivor) when `unique_with` is not empty, (duplicate) otherwise.
fn movable(m: &Move) -> String {
    let mut sql = format!("{t}.customer_id = ?", t = m.table);
    if !m.unique_with.is_empty() {
        let same: Vec<String> = m.unique_with.iter().map(|c| format!("s.{c} = {t}.{c}", t = m.table)).collect();
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {t} s WHERE s.customer_id = ? AND {})",
            same.join(" AND "),
            t = m.table
        ));
    }
    // The merge's own "merged out" wallet entry stays on the tombstone.
    if m.table == "activities" {
        sql.push_str(" AND activities.kind <> 'wallet.merged_out'");
    }
    sql
}

fn binds(m: &Move, duplicate: i64, survivor: i64) -> Vec<sea_orm::Value> {
    if m.unique_with.is_empty() { vec![duplicate.into()] } else { vec![duplicate.into(), survivor.into()] }
}

/// Checks the pair: two different customers that exist, neither merged.
async fn load_pair<C: ConnectionTrait>(
    db: &C,
    actor: &Principal,
    survivor_id: i64,
    duplicate_id: i64,
) -> AppResult<(customer::Model, customer::Model)> {
    if actor.role < Role::Manager {
        return Err(AppError::Forbidden("only a manager can merge customers".into()));
    }
    if survivor_id == duplicate_id {
        return Err(AppError::bad_input("duplicateId", "a customer cannot be merged into itself"));
    }
    let find = |id: i64, field: &'static str| async move {
        customer::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("customer {id} ({field})")))
    };
    let survivor = find(survivor_id, "survivorId").await?;
    let duplicate = find(duplicate_id, "duplicateId").await?;
    if let Some(into) = duplicate.merged_into_id {
        return Err(AppError::conflict(
            "duplicateId",
            format!("customer {} was already merged into customer {into}", duplicate.member_code),
        ));
    }
    if let Some(into) = survivor.merged_into_id {
        return Err(AppError::conflict(
            "survivorId",
            format!("customer {} was merged into customer {into}: merge into that one", survivor.member_code),
        ));
    }
    Ok((survivor, duplicate))
}

/// What merging `duplicate_id` into `survivor_id` would move; one counting
/// statement for every table.
pub async fn preview(ctx: &AppCtx, actor: &Principal, survivor_id: i64, duplicate_id: i64) -> AppResult<Preview> {
    let db = ctx.db.conn();
    let (survivor, duplicate) = load_pair(db, actor, survivor_id, duplicate_id).await?;
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for m in MOVES {
        parts.push(format!(
            "SELECT '{t}' AS t, COUNT(*) AS n, SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS moving FROM {t} \
             WHERE {t}.customer_id = ?",
            t = m.table,
            cond = movable(m)
        ));
        values.extend(binds(m, duplicate_id, survivor_id));
        values.push(duplicate_id.into());
    }
    let rows = db.query_all_raw(statement(db.get_database_backend(), &parts.join(" UNION ALL "), values)).await?;
    let mut moved = Vec::with_capacity(MOVES.len());
    for m in MOVES {
        let row = rows
            .iter()
            .find(|r| r.try_get::<String>("", "t").is_ok_and(|t| t == m.table))
            .ok_or_else(|| anyhow::anyhow!("no count for {}", m.table))?;
        let n: i64 = row.try_get("", "n")?;
        let moving: Option<i64> = row.try_get("", "moving")?;
        let moving = moving.unwrap_or(0);
        moved.push(Moved { table: m.table, label: m.label, moved: moving as u64, kept: (n - moving) as u64 });
    }
    let w = wallets::of_customers(db, &[duplicate_id]).await?;
    let w = w.first().ok_or_else(|| AppError::NotFound(format!("wallet of customer {duplicate_id}")))?;
    Ok(Preview {
        survivor,
        duplicate,
        moved,
        real: w.real_balance,
        virtual_amount: w.virtual_balance,
        points: w.points,
    })
}

/// Merges `duplicate_id` into `survivor_id`; see the module docs.
/// `BAD_USER_INPUT` on `duplicateId` for a customer merged into itself,
/// `NOT_FOUND` for an unknown id, `CONFLICT` on `duplicateId` or
/// `survivorId` when either was already merged.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), survivor = survivor_id, duplicate = duplicate_id))]
pub async fn merge(
    ctx: &AppCtx,
    actor: &Principal,
    survivor_id: i64,
    duplicate_id: i64,
    reason: Option<String>,
) -> AppResult<Merged> {
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::bad_input("reason", "at most 500 characters"));
    }
    let mut tx = ctx.begin().await?;
    // Checked before any lock for a quick answer, and again under the locks.
    load_pair(tx.db(), actor, survivor_id, duplicate_id).await?;
    let note = Some(match &reason {
        Some(r) => format!("Customer merge: {r}"),
        None => "Customer merge".to_owned(),
    });
    // 1. Money (locks both wallets; a concurrent merge of either is refused).
    let wallet = wallets::merge_in(ctx, &mut tx, actor, duplicate_id, survivor_id, note).await?;
    // The customer rows, in id order, and the pair checked again under lock.
    let mut locked = Vec::with_capacity(2);
    for id in [survivor_id.min(duplicate_id), survivor_id.max(duplicate_id)] {
        locked.push(customer::Entity::find_by_id(id).lock_exclusive().one(tx.db()).await?);
    }
    let (survivor, duplicate) = load_pair(tx.db(), actor, survivor_id, duplicate_id).await?;
    let now = ctx.now();
    // 2. Rows.
    let moved = move_rows(&tx, survivor_id, duplicate_id, &survivor.member_code).await?;
    // 3. Profiles.
    let survivor_after = merged_profile(&survivor, &duplicate, now).update(tx.db()).await?;
    let mut tomb = duplicate.clone().into_active_model();
    tomb.merged_into_id = Set(Some(survivor_id));
    tomb.merged_at = Set(Some(now));
    tomb.ticket_count = Set(0);
    tomb.return_count = Set(0);
    tomb.updated_at = Set(now);
    tomb.update(tx.db()).await?;
    for id in [survivor_id, duplicate_id] {
        crate::orders::service::refresh_totals_between(tx.db(), id, id, now).await?;
        crate::analytics::rfm::recalculate_in(ctx, &mut tx, actor, Some(id)).await?;
    }
    let survivor_after = customer::Entity::find_by_id(survivor_id).one(tx.db()).await?.unwrap_or(survivor_after);
    let duplicate_after = customer::Entity::find_by_id(duplicate_id).one(tx.db()).await?.unwrap_or(duplicate.clone());
    // 5. Timeline, audit, events.
    let decimals = ctx.config.currency_decimals;
    let money = |v: i64| format!("{} {}", crate::money::Money(v).format(decimals), ctx.config.currency);
    let summary_of_moves = moved
        .iter()
        .filter(|m| m.moved > 0)
        .map(|m| format!("{} {}", m.moved, m.label.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let data = json!({
        "survivorId": survivor_id,
        "survivorMemberCode": survivor.member_code,
        "duplicateId": duplicate_id,
        "duplicateMemberCode": duplicate.member_code,
        "reason": reason,
        "moved": moved,
        "wallet": {
            "real": crate::money::Money(wallet.real).format(decimals),
            "virtual": crate::money::Money(wallet.virtual_amount).format(decimals),
            "points": wallet.points,
            "credits": wallet.credits.len(),
        },
    });
    let wallet_part = format!(
        "{} real, {} in {} virtual credits, {} points",
        money(wallet.real),
        money(wallet.virtual_amount),
        wallet.credits.len(),
        wallet.points
    );
    crate::activities::service::record(
        tx.db(),
        survivor_id,
        "customer.merged",
        format!(
            "Merged duplicate {} ({}) into this customer: {wallet_part}{}",
            duplicate.member_code,
            duplicate.name,
            if summary_of_moves.is_empty() { String::new() } else { format!("; {summary_of_moves}") }
        ),
        data.clone(),
        actor,
        now,
    )
    .await?;
    crate::activities::service::record(
        tx.db(),
        duplicate_id,
        "customer.merged",
        format!("Merged into {} ({}): everything moved there", survivor.member_code, survivor.name),
        data.clone(),
        actor,
        now,
    )
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("customer.merge", "customer", survivor_id)
            .before(json!({ "survivor": audit::snapshot(&survivor)?, "duplicate": audit::snapshot(&duplicate)? }))
            .after(json!({
                "survivor": audit::snapshot(&survivor_after)?,
                "duplicate": audit::snapshot(&duplicate_after)?,
                "moved": data["moved"],
                "wallet": data["wallet"],
                "reason": data["reason"],
            })),
    )
    .await?;
    tx.publish(customer_event("customer.merged", &survivor_after, actor, now, data.clone()));
    if duplicate_after.assigned_agent_id != survivor_after.assigned_agent_id {
        // The duplicate's agent hears about it too.
        tx.publish(customer_event("customer.merged", &duplicate_after, actor, now, data));
    }
    drop(locked);
    tx.commit().await?;
    tracing::info!(survivor = survivor_id, duplicate = duplicate_id, "customers merged");
    Ok(Merged { survivor: survivor_after, duplicate: duplicate_after, moved, wallet })
}

/// Step 2: one `UPDATE` per table, then the kept call tasks still pending
/// are skipped (their twin on the survivor is the one to call).
async fn move_rows(tx: &Tx, survivor_id: i64, duplicate_id: i64, survivor_code: &str) -> AppResult<Vec<Moved>> {
    let db = tx.db();
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(MOVES.len());
    for m in MOVES {
        let sql = format!("UPDATE {t} SET customer_id = ? WHERE {cond}", t = m.table, cond = movable(m));
        let mut values = vec![survivor_id.into()];
        values.extend(binds(m, duplicate_id, survivor_id));
        let moved = db.execute_raw(statement(backend, &sql, values)).await?.rows_affected();
        let kept = if m.unique_with.is_empty() {
            0
        } else {
            let sql = format!("SELECT COUNT(*) AS n FROM {t} WHERE customer_id = ?", t = m.table);
            let row = db.query_one_raw(statement(backend, &sql, vec![duplicate_id.into()])).await?;
            row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as u64
        };
        out.push(Moved { table: m.table, label: m.label, moved, kept });
    }
    let sql = "UPDATE call_tasks SET status = 'SKIPPED', notes = ? WHERE customer_id = ? AND status = 'PENDING'";
    let note = format!("Customer merged into {survivor_code}: the task of that customer stays");
    db.execute_raw(statement(backend, sql, vec![note.into(), duplicate_id.into()])).await?;
    Ok(out)
}

/// Step 3: the survivor as it is after the merge (see the module docs).
fn merged_profile(s: &customer::Model, d: &customer::Model, now: DateTime<Utc>) -> customer::ActiveModel {
    let mut am = s.clone().into_active_model();
    let email = s.email.clone().or_else(|| d.email.clone());
    if s.email.is_none() {
        am.email = Set(email.clone());
    }
    if s.address.is_none() {
        am.address = Set(d.address.clone());
    }
    if s.city.is_none() {
        am.city = Set(d.city.clone());
    }
    if s.birthday.is_none() {
        am.birthday = Set(d.birthday);
    }
    if s.anniversary.is_none() {
        am.anniversary = Set(d.anniversary);
    }
    if s.assigned_agent_id.is_none() {
        am.assigned_agent_id = Set(d.assigned_agent_id);
    }
    let mut tags = s.tag_list();
    for t in d.tag_list() {
        if !tags.contains(&t) && tags.len() < 30 {
            tags.push(t);
        }
    }
    am.tags = Set(json!(tags));
    let mut ext = s.external_ids.as_object().cloned().unwrap_or_default();
    for (k, v) in d.external_ids.as_object().cloned().unwrap_or_default() {
        if ext.len() < 20 {
            ext.entry(k).or_insert(v);
        }
    }
    am.external_ids = Set(Value::Object(ext));
    am.ticket_count = Set(s.ticket_count + d.ticket_count);
    am.return_count = Set(s.return_count + d.return_count);
    let rank = |st: CustomerStatus| match st {
        CustomerStatus::Active => 0,
        CustomerStatus::Suspicious => 1,
        CustomerStatus::Blacklisted => 2,
    };
    if rank(d.status) > rank(s.status) {
        am.status = Set(d.status);
    }
    if d.tier == CustomerTier::Blacklist {
        am.tier = Set(CustomerTier::Blacklist);
    }
    am.search_text = Set(search_text(&s.name, email.as_deref(), &s.member_code, &s.phone));
    am.updated_at = Set(now);
    am
}
