//! Wallet rules: every movement of money or points is one database
//! transaction that locks the wallet row, writes one immutable ledger row
//! (with the balances before and after), updates the wallet, records the
//! timeline and the audit, and publishes an event after commit.
//!
//! - **Locking**: `SELECT … FOR UPDATE` on the wallet row on PostgreSQL; on
//!   SQLite writers are serialised by [`crate::db::Db::begin`]. Credits are
//!   only ever changed under their wallet's lock.
//! - **FIFO**: a withdrawal spends virtual credits first, the earliest
//!   expiring first ([`super::fifo`]), then the real balance. Credits already
//!   past their expiry are expired (with their ledger rows) before a
//!   withdrawal looks at them, so an overdue credit is never spent even if
//!   the hourly job has not run yet.
//! - **Idempotency**: a movement may carry a key. The key is unique in the
//!   ledger; a repeated request returns the first ledger row (`replayed`),
//!   a different request with the same key is `CONFLICT`. Concurrent
//!   repeats race on the unique index and the loser replays the winner.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Unchanged, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, Statement,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::fifo;
use super::model::{CreditStatus, TransactionType, WalletSource, credit, transaction, wallet};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::money::{MAX_AMOUNT, Money};

/// Largest number of points moved at once.
pub const MAX_POINTS: i64 = 1_000_000_000;
/// Longest lifetime of a virtual credit.
pub const MAX_CREDIT_DAYS: u32 = 365;

/// What a movement does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// Money in, to the real balance.
    Deposit {
        amount: i64,
        source: WalletSource,
    },
    /// Money out, FIFO.
    Withdraw {
        amount: i64,
    },
    /// A virtual credit that expires after `lifetime_days`.
    IssueCredit {
        amount: i64,
        reason: String,
        source: WalletSource,
        source_ref: Option<String>,
        lifetime_days: u32,
    },
    /// A signed correction of the real balance.
    Adjust {
        delta: i64,
        reason: String,
    },
    /// A deposit taken back from the real balance.
    Reverse {
        amount: i64,
        source: WalletSource,
    },
    EarnPoints {
        points: i64,
    },
    RedeemPoints {
        points: i64,
    },
}

/// A requested movement on a customer's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Movement {
    pub customer_id: i64,
    pub op: Op,
    /// What it is about (an order, a ticket, a bank transaction).
    pub reference: Option<String>,
    pub note: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

/// The outcome of a movement.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The ledger row (the first one's, when replayed).
    pub transaction: transaction::Model,
    /// The wallet now.
    pub wallet: wallet::Model,
    /// True when the idempotency key had already been applied: nothing changed.
    pub replayed: bool,
}

/// The prefix of field names in errors (`input` for `deposit(input:)`).
fn field(name: &str) -> String {
    format!("input.{name}")
}

impl Movement {
    /// A movement with no reference, note or key.
    pub fn new(customer_id: i64, op: Op) -> Self {
        Self { customer_id, op, reference: None, note: None, idempotency_key: None }
    }

    /// Checks amounts and texts and trims them; errors name the input field.
    pub fn validated(mut self) -> AppResult<Self> {
        fn amount(v: i64, name: &str) -> AppResult<()> {
            if v <= 0 {
                return Err(AppError::bad_input(&field(name), "must be more than zero"));
            }
            if v > MAX_AMOUNT {
                return Err(AppError::bad_input(&field(name), "is larger than any single movement can be"));
            }
            Ok(())
        }
        fn points(v: i64) -> AppResult<()> {
            if !(1..=MAX_POINTS).contains(&v) {
                return Err(AppError::bad_input(&field("points"), format!("must be between 1 and {MAX_POINTS}")));
            }
            Ok(())
        }
        fn reason(v: &mut String) -> AppResult<()> {
            *v = v.trim().to_owned();
            if v.is_empty() {
                return Err(AppError::bad_input(&field("reason"), "a reason is required"));
            }
            if v.chars().count() > 500 {
                return Err(AppError::bad_input(&field("reason"), "at most 500 characters"));
            }
            Ok(())
        }
        match &mut self.op {
            Op::Deposit { amount: a, .. } | Op::Withdraw { amount: a } | Op::Reverse { amount: a, .. } => {
                amount(*a, "amount")?
            }
            Op::IssueCredit { amount: a, reason: r, source_ref, lifetime_days, .. } => {
                amount(*a, "amount")?;
                reason(r)?;
                *source_ref = clean(source_ref.take(), "sourceReference", 200)?;
                if !(1..=MAX_CREDIT_DAYS).contains(lifetime_days) {
                    return Err(AppError::bad_input(
                        &field("lifetimeDays"),
                        format!("must be between 1 and {MAX_CREDIT_DAYS} days"),
                    ));
                }
            }
            Op::Adjust { delta, reason: r } => {
                if *delta == 0 {
                    return Err(AppError::bad_input(&field("amount"), "an adjustment cannot be zero"));
                }
                amount(delta.saturating_abs(), "amount")?;
                reason(r)?;
            }
            Op::EarnPoints { points: p } | Op::RedeemPoints { points: p } => points(*p)?,
        }
        self.reference = clean(self.reference, "reference", 200)?;
        self.note = clean(self.note, "note", 1000)?;
        if let Some(key) = &self.idempotency_key
            && (key.is_empty() || key.len() > 200 || key.chars().any(char::is_control))
        {
            return Err(AppError::bad_input(
                &field("idempotencyKey"),
                "must be 1 to 200 characters without control characters",
            ));
        }
        Ok(self)
    }

    /// SHA-256 of everything but the key: what "the same request" means.
    fn request_hash(&self) -> AppResult<String> {
        let body = serde_json::to_vec(self).map_err(|e| AppError::Internal(e.into()))?;
        Ok(hex::encode(Sha256::digest(body)))
    }
}

fn clean(v: Option<String>, name: &str, max: usize) -> AppResult<Option<String>> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::bad_input(&field(name), format!("at most {max} characters")));
    }
    Ok(v)
}

/// Applies a movement in its own transaction; see the module docs.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), customer = m.customer_id))]
pub async fn apply(ctx: &AppCtx, actor: &Principal, m: Movement) -> AppResult<Applied> {
    let m = m.validated()?;
    let mut tx = ctx.begin().await?;
    match apply_in(ctx, &mut tx, actor, &m).await {
        Ok(applied) => {
            tx.commit().await?;
            Ok(applied)
        }
        // The key is already in the ledger (the ledger insert did nothing,
        // or lost a race on the unique index): roll back, answer the first
        // result. Checking the key up front would cost every call a query.
        Err(AppError::Db(e))
            if m.idempotency_key.is_some()
                && (matches!(e, DbErr::RecordNotInserted | DbErr::RecordNotFound(_))
                    || AppError::is_unique_violation(&e)) =>
        {
            drop(tx);
            replay(ctx.db.conn(), &m, &m.request_hash()?).await?.ok_or(AppError::Db(e))
        }
        Err(e) => Err(e),
    }
}

/// The first result of a request whose idempotency key was already
/// applied, or `CONFLICT` when the key came with a different request.
async fn replay<C: ConnectionTrait>(db: &C, m: &Movement, hash: &str) -> AppResult<Option<Applied>> {
    let Some(key) = &m.idempotency_key else { return Ok(None) };
    let Some(first) = transaction::Entity::find().filter(transaction::Column::IdempotencyKey.eq(key)).one(db).await?
    else {
        return Ok(None);
    };
    if first.request_hash.as_deref() != Some(hash) {
        return Err(AppError::conflict(
            &field("idempotencyKey"),
            format!("this idempotency key was already used for a different request ({})", first.code),
        ));
    }
    let wallet = wallet::Entity::find_by_id(first.wallet_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("wallet of a ledger row is missing"))?;
    Ok(Some(Applied { transaction: first, wallet, replayed: true }))
}

/// Applies a movement inside the caller's transaction (tickets and bank
/// transfers move money together with their own changes); the caller
/// commits. Takes a [`Movement::validated`] movement.
pub async fn apply_in(ctx: &AppCtx, tx: &mut Tx, actor: &Principal, m: &Movement) -> AppResult<Applied> {
    movement_in(ctx, tx, actor, m, true).await
}

/// [`apply_in`] for a domain that has already decided the caller may act:
/// an AGENT resolving a ticket assigned to them pays the compensation even
/// when the customer is another agent's.
pub async fn apply_in_authorized(ctx: &AppCtx, tx: &mut Tx, actor: &Principal, m: &Movement) -> AppResult<Applied> {
    movement_in(ctx, tx, actor, m, false).await
}

async fn movement_in(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    m: &Movement,
    check_visibility: bool,
) -> AppResult<Applied> {
    let request_hash = m.idempotency_key.as_ref().map(|_| m.request_hash()).transpose()?;
    let mut locked = lock(tx, Lookup::Customer(m.customer_id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {}", m.customer_id)))?;
    // A merged duplicate's wallet is empty for good: its movements go to
    // the customer it was merged into (the mark is on the locked row, so a
    // movement that waited for the merge sees it).
    for _ in 0..MAX_MERGE_HOPS {
        let Some(into) = locked.merged_into else { break };
        locked = lock(tx, Lookup::Customer(into))
            .await?
            .ok_or_else(|| anyhow::anyhow!("customer {} merged into a missing customer", locked.owner.id))?;
    }
    if locked.merged_into.is_some() {
        return Err(anyhow::anyhow!("customer {} is merged too many times over", m.customer_id).into());
    }
    let Locked { mut wallet, owner, code_no, .. } = locked;
    if check_visibility {
        crate::customers::service::ensure_visible_owner(actor, owner.assigned_agent_id)?;
    }
    let now = ctx.now();
    if matches!(m.op, Op::Withdraw { .. }) && wallet.virtual_balance > 0 {
        wallet = expire_due(ctx, tx, &owner, wallet, now).await?.0;
    }
    let before = wallet;
    let mut after = before.clone();
    let mut entry = Entry {
        kind: TransactionType::Deposit,
        amount: 0,
        source: None,
        reference: m.reference.clone(),
        note: m.note.clone(),
        credits: None,
        idempotency_key: m.idempotency_key.clone(),
        request_hash,
    };
    let mut issued: Option<credit::Model> = None;
    match &m.op {
        Op::Deposit { amount, source } => {
            after.real_balance = add(before.real_balance, *amount)?;
            after.total_deposited = add(before.total_deposited, *amount)?;
            entry.amount = *amount;
            entry.source = Some(*source);
        }
        Op::Withdraw { amount } => {
            let credits =
                if before.virtual_balance > 0 { active_credits(tx.db(), before.id).await? } else { Vec::new() };
            let slices: Vec<fifo::Credit> = credits
                .iter()
                .map(|c| fifo::Credit { id: c.id, expires_at: c.expires_at, remaining: c.remaining })
                .collect();
            let plan = fifo::allocate(&slices, before.real_balance, *amount).map_err(|available| {
                AppError::InsufficientFunds { available: Money(available).format(ctx.config.currency_decimals) }
            })?;
            for (credit_id, take) in &plan.from_credits {
                let c = credits.iter().find(|c| c.id == *credit_id).ok_or_else(|| anyhow::anyhow!("unknown credit"))?;
                spend_credit(tx.db(), c, *take, now).await?;
            }
            after.virtual_balance = before.virtual_balance - plan.from_virtual();
            after.real_balance = before.real_balance - plan.from_real;
            after.total_withdrawn = add(before.total_withdrawn, *amount)?;
            entry.kind = TransactionType::Withdraw;
            entry.amount = *amount;
            if !plan.from_credits.is_empty() {
                entry.credits = Some(credits_json(&plan.from_credits));
            }
        }
        Op::IssueCredit { amount, reason, source, source_ref, lifetime_days } => {
            let credit = credit::ActiveModel {
                wallet_id: Set(before.id),
                customer_id: Set(before.customer_id),
                amount: Set(*amount),
                remaining: Set(*amount),
                status: Set(CreditStatus::Active),
                reason: Set(reason.clone()),
                source: Set(*source),
                source_ref: Set(source_ref.clone()),
                expires_at: Set(now + chrono::Duration::days(i64::from(*lifetime_days))),
                issued_transaction_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(tx.db())
            .await?;
            after.virtual_balance = add(before.virtual_balance, *amount)?;
            entry.kind = TransactionType::CreditIssued;
            entry.amount = *amount;
            entry.source = Some(*source);
            entry.reference = entry.reference.or_else(|| source_ref.clone());
            entry.note = Some(reason.clone());
            entry.credits = Some(credits_json(&[(credit.id, *amount)]));
            issued = Some(credit);
        }
        Op::Adjust { delta, reason } => {
            if *delta < 0 && before.real_balance < -delta {
                return Err(AppError::InsufficientFunds {
                    available: Money(before.real_balance).format(ctx.config.currency_decimals),
                });
            }
            after.real_balance = add(before.real_balance, *delta)?;
            entry.kind = TransactionType::Adjustment;
            entry.amount = delta.abs();
            entry.source = Some(WalletSource::Adjustment);
            entry.note = Some(reason.clone());
        }
        Op::Reverse { amount, source } => {
            if before.real_balance < *amount {
                return Err(AppError::InsufficientFunds {
                    available: Money(before.real_balance).format(ctx.config.currency_decimals),
                });
            }
            after.real_balance = before.real_balance - amount;
            after.total_deposited = (before.total_deposited - amount).max(0);
            entry.kind = TransactionType::Reversal;
            entry.amount = *amount;
            entry.source = Some(*source);
        }
        Op::EarnPoints { points } => {
            after.points = add(before.points, *points)?;
            entry.kind = TransactionType::PointsEarned;
            entry.amount = *points;
        }
        Op::RedeemPoints { points } => {
            if before.points < *points {
                return Err(AppError::InsufficientFunds { available: before.points.to_string() });
            }
            after.points = before.points - points;
            entry.kind = TransactionType::PointsRedeemed;
            entry.amount = *points;
        }
    }
    let (row, wallet) = record(ctx, tx, actor, &owner, &before, after, entry, code_no, now).await?;
    if let Some(credit) = issued {
        credit::ActiveModel {
            id: Unchanged(credit.id),
            issued_transaction_id: Set(Some(row.id)),
            ..Default::default()
        }
        .update(tx.db())
        .await?;
    }
    Ok(Applied { transaction: row, wallet, replayed: false })
}

fn add(a: i64, b: i64) -> AppResult<i64> {
    a.checked_add(b)
        .filter(|v| *v >= 0)
        .ok_or_else(|| AppError::bad_input(&field("amount"), "the balance would exceed what a wallet can hold"))
}

fn credits_json(parts: &[(i64, i64)]) -> Value {
    Value::Array(parts.iter().map(|(id, amount)| json!({ "creditId": id, "amount": amount })).collect())
}

/// The customer a wallet belongs to, as far as a movement needs it.
struct Owner {
    id: i64,
    assigned_agent_id: Option<i64>,
}

/// A wallet locked until the transaction ends.
struct Locked {
    wallet: wallet::Model,
    owner: Owner,
    /// A ledger code number drawn in the same statement (PostgreSQL).
    code_no: Option<i64>,
    /// The customer whose wallet this one was merged into, if it was.
    merged_into: Option<i64>,
}

/// Longest chain of merges a movement follows (A into B, B into C …).
const MAX_MERGE_HOPS: usize = 16;

enum Lookup {
    Customer(i64),
    Wallet(i64),
}

/// Locks a wallet and reads its owner in one statement (on PostgreSQL also
/// the number of the ledger code to write): a movement is a handful of
/// statements, and each one saved is throughput on the hot path. `None`
/// when there is no such wallet.
async fn lock(tx: &Tx, lookup: Lookup) -> AppResult<Option<Locked>> {
    let backend = tx.db().get_database_backend();
    let (column, id) = match lookup {
        Lookup::Customer(id) => ("w.customer_id", id),
        Lookup::Wallet(id) => ("w.id", id),
    };
    let pg = backend == DbBackend::Postgres;
    let sql = format!(
        "SELECT w.*, c.assigned_agent_id AS owner_agent{} FROM wallets w JOIN customers c ON c.id = w.customer_id \
         WHERE {column} = {}{}",
        if pg { ", nextval('code_seq_trx') AS code_no" } else { "" },
        if pg { "$1" } else { "?" },
        if pg { " FOR UPDATE OF w" } else { "" },
    );
    let Some(row) = tx.db().query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()])).await? else {
        return Ok(None);
    };
    let wallet = wallet::Model::from_query_result(&row, "")?;
    let owner = Owner { id: wallet.customer_id, assigned_agent_id: row.try_get("", "owner_agent")? };
    let code_no = if pg { Some(row.try_get("", "code_no")?) } else { None };
    let merged_into = row.try_get("", "merged_into_id")?;
    Ok(Some(Locked { wallet, owner, code_no, merged_into }))
}

/// Active credits with something left, in spending order.
async fn active_credits<C: ConnectionTrait>(db: &C, wallet_id: i64) -> AppResult<Vec<credit::Model>> {
    Ok(credit::Entity::find()
        .filter(credit::Column::WalletId.eq(wallet_id))
        .filter(credit::Column::Status.eq(CreditStatus::Active))
        .filter(credit::Column::Remaining.gt(0))
        .order_by_asc(credit::Column::ExpiresAt)
        .order_by_asc(credit::Column::Id)
        .all(db)
        .await?)
}

/// Takes `take` from a credit read under the wallet's lock.
async fn spend_credit<C: ConnectionTrait>(db: &C, c: &credit::Model, take: i64, now: DateTime<Utc>) -> AppResult<()> {
    let remaining = c.remaining - take;
    credit::ActiveModel {
        id: Unchanged(c.id),
        remaining: Set(remaining),
        status: Set(if remaining == 0 { CreditStatus::Used } else { CreditStatus::Active }),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// What a ledger row says beyond the balances.
struct Entry {
    kind: TransactionType,
    amount: i64,
    source: Option<WalletSource>,
    reference: Option<String>,
    note: Option<String>,
    credits: Option<Value>,
    idempotency_key: Option<String>,
    request_hash: Option<String>,
}

/// Writes the ledger row, the new balances, the timeline entry, the audit
/// row and the event of one movement from `before` to `after`.
#[allow(clippy::too_many_arguments)]
async fn record(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    owner: &Owner,
    before: &wallet::Model,
    after: wallet::Model,
    entry: Entry,
    code_no: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<(transaction::Model, wallet::Model)> {
    let day = now.with_timezone(&ctx.tz).format("%Y%m%d").to_string();
    let n = match code_no {
        Some(n) => n,
        None => ctx.db.next_code_number(tx, "TRX", &format!("TRX-{day}")).await?,
    };
    let row = transaction::ActiveModel {
        code: Set(format!("TRX-{day}-{n:06}")),
        wallet_id: Set(before.id),
        customer_id: Set(before.customer_id),
        kind: Set(entry.kind),
        amount: Set(entry.amount),
        real_before: Set(before.real_balance),
        real_after: Set(after.real_balance),
        virtual_before: Set(before.virtual_balance),
        virtual_after: Set(after.virtual_balance),
        points_before: Set(before.points),
        points_after: Set(after.points),
        source: Set(entry.source),
        reference: Set(entry.reference),
        note: Set(entry.note),
        credits: Set(entry.credits),
        actor: Set(actor.actor()),
        idempotency_key: Set(entry.idempotency_key),
        request_hash: Set(entry.request_hash),
        created_at: Set(now),
        ..Default::default()
    };
    // A key already in the ledger makes this insert do nothing (sea-orm
    // then reports `RecordNotInserted` or `RecordNotFound`, depending on the
    // database), which `apply` turns into a replay.
    let row = transaction::Entity::insert(row)
        .on_conflict(OnConflict::column(transaction::Column::IdempotencyKey).do_nothing().to_owned())
        .exec_with_returning(tx.db())
        .await?;
    let wallet = wallet::ActiveModel {
        id: Unchanged(before.id),
        real_balance: Set(after.real_balance),
        virtual_balance: Set(after.virtual_balance),
        points: Set(after.points),
        total_deposited: Set(after.total_deposited),
        total_withdrawn: Set(after.total_withdrawn),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(tx.db())
    .await?;
    let decimals = ctx.config.currency_decimals;
    let what = match row.kind {
        TransactionType::PointsEarned | TransactionType::PointsRedeemed => format!("{} points", row.amount),
        _ => format!("{} {}", Money(row.amount).format(decimals), ctx.config.currency),
    };
    let summary = match row.kind {
        TransactionType::Deposit => format!("Deposited {what}"),
        TransactionType::Withdraw => format!("Withdrew {what}"),
        TransactionType::CreditIssued => format!("Virtual credit of {what} issued"),
        TransactionType::CreditExpired => format!("Virtual credit of {what} expired"),
        TransactionType::Adjustment if after.real_balance < before.real_balance => format!("Adjusted by -{what}"),
        TransactionType::Adjustment => format!("Adjusted by +{what}"),
        TransactionType::Reversal => format!("Deposit of {what} reversed"),
        TransactionType::PointsEarned => format!("Earned {what}"),
        TransactionType::PointsRedeemed => format!("Redeemed {what}"),
        TransactionType::MergedOut => {
            format!("Moved {what} and {} points out by a merge", before.points - after.points)
        }
        TransactionType::MergedIn => format!("Received {what} and {} points by a merge", after.points - before.points),
    };
    let data = json!({
        "transactionId": row.id,
        "code": row.code,
        "type": row.kind,
        "amount": Money(row.amount).format(decimals),
        "realBalance": Money(wallet.real_balance).format(decimals),
        "virtualBalance": Money(wallet.virtual_balance).format(decimals),
        "points": wallet.points,
        "credits": row.credits,
        "realDelta": wallet.real_balance - before.real_balance,
        "virtualDelta": wallet.virtual_balance - before.virtual_balance,
    });
    let kind = row.kind.event_kind();
    crate::activities::service::record(
        tx.db(),
        owner.id,
        kind,
        format!("{summary} ({})", row.code),
        data.clone(),
        actor,
        now,
    )
    .await?;
    audit::record(tx, actor, now, Change::on(kind, "wallet_transaction", row.id).after(audit::snapshot(&row)?)).await?;
    let mut event = DomainEvent::new(kind, "wallet", wallet.id, &actor.actor(), now);
    event.customer_id = Some(owner.id);
    event.assigned_agent_id = owner.assigned_agent_id;
    event.data = data;
    if row.kind == TransactionType::Withdraw && row.credits.is_some() {
        let mut used = event.clone();
        used.kind = "wallet.credit_used".into();
        tx.publish(event);
        tx.publish(used);
    } else {
        tx.publish(event);
    }
    Ok((row, wallet))
}

/// Expires the credits of a locked wallet that are past `now` with
/// something left: each becomes EXPIRED with a CREDIT_EXPIRED ledger row.
/// Returns the wallet after, and how many credits and how much expired.
async fn expire_due(
    ctx: &AppCtx,
    tx: &mut Tx,
    owner: &Owner,
    mut wallet: wallet::Model,
    now: DateTime<Utc>,
) -> AppResult<(wallet::Model, u64, i64)> {
    let due = credit::Entity::find()
        .filter(credit::Column::WalletId.eq(wallet.id))
        .filter(credit::Column::Status.eq(CreditStatus::Active))
        .filter(credit::Column::ExpiresAt.lte(now))
        .order_by_asc(credit::Column::ExpiresAt)
        .order_by_asc(credit::Column::Id)
        .all(tx.db())
        .await?;
    let (mut count, mut total) = (0, 0);
    for c in due {
        credit::ActiveModel {
            id: Unchanged(c.id),
            remaining: Set(0),
            status: Set(if c.remaining > 0 { CreditStatus::Expired } else { CreditStatus::Used }),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(tx.db())
        .await?;
        if c.remaining == 0 {
            continue;
        }
        let mut after = wallet.clone();
        after.virtual_balance = wallet.virtual_balance - c.remaining;
        let entry = Entry {
            kind: TransactionType::CreditExpired,
            amount: c.remaining,
            source: Some(WalletSource::System),
            reference: c.source_ref.clone(),
            note: Some(c.reason.clone()),
            credits: Some(credits_json(&[(c.id, c.remaining)])),
            idempotency_key: None,
            request_hash: None,
        };
        wallet = record(ctx, tx, &Principal::system(), owner, &wallet, after, entry, None, now).await?.1;
        count += 1;
        total += c.remaining;
    }
    Ok((wallet, count, total))
}

/// What one run of the expiry job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryReport {
    pub credits: u64,
    pub amount: i64,
    pub wallets: u64,
}

/// Expires every credit past its date, one short transaction per wallet.
#[tracing::instrument(skip_all)]
pub async fn expire_credits(ctx: &AppCtx) -> AppResult<ExpiryReport> {
    let now = ctx.now();
    let mut report = ExpiryReport::default();
    loop {
        let wallet_ids: Vec<i64> = credit::Entity::find()
            .select_only()
            .column(credit::Column::WalletId)
            .distinct()
            .filter(credit::Column::Status.eq(CreditStatus::Active))
            .filter(credit::Column::ExpiresAt.lte(now))
            .order_by_asc(credit::Column::WalletId)
            .limit(200)
            .into_tuple()
            .all(ctx.db.conn())
            .await?;
        if wallet_ids.is_empty() {
            break;
        }
        for wallet_id in wallet_ids {
            let mut tx = ctx.begin().await?;
            let Some(Locked { wallet, owner, .. }) = lock(&tx, Lookup::Wallet(wallet_id)).await? else {
                continue;
            };
            let (_, credits, amount) = expire_due(ctx, &mut tx, &owner, wallet, now).await?;
            tx.commit().await?;
            report.credits += credits;
            report.amount += amount;
            report.wallets += 1;
        }
    }
    if report.credits > 0 {
        tracing::info!(credits = report.credits, amount = report.amount, wallets = report.wallets, "credits expired");
    }
    Ok(report)
}

/// The empty wallet of a new customer, to insert (alone or in bulk).
pub fn empty_wallet(customer_id: i64, at: DateTime<Utc>) -> wallet::ActiveModel {
    wallet::ActiveModel {
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
}

/// Opens the empty wallet of a new customer.
pub async fn open<C: ConnectionTrait>(db: &C, customer_id: i64, at: DateTime<Utc>) -> AppResult<wallet::Model> {
    Ok(empty_wallet(customer_id, at).insert(db).await?)
}

/// Ledger rows by id.
pub async fn transactions_by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<transaction::Model>> {
    Ok(transaction::Entity::find().filter(transaction::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// The wallets of several customers in one query (for the DataLoader).
pub async fn of_customers<C: ConnectionTrait>(db: &C, customer_ids: &[i64]) -> AppResult<Vec<wallet::Model>> {
    Ok(wallet::Entity::find().filter(wallet::Column::CustomerId.is_in(customer_ids.iter().copied())).all(db).await?)
}

/// The wallet of a customer the caller may see.
pub async fn of_customer(ctx: &AppCtx, actor: &Principal, customer_id: i64) -> AppResult<wallet::Model> {
    crate::customers::service::get(ctx, actor, customer_id).await?;
    wallet::Entity::find()
        .filter(wallet::Column::CustomerId.eq(customer_id))
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("wallet of customer {customer_id}")))
}

/// A wallet's virtual credits, soonest expiry first, optionally by status.
pub async fn credits_of<C: ConnectionTrait>(
    db: &C,
    wallet_id: i64,
    statuses: Option<&[CreditStatus]>,
) -> AppResult<Vec<credit::Model>> {
    let mut q = credit::Entity::find().filter(credit::Column::WalletId.eq(wallet_id));
    if let Some(s) = statuses {
        q = q.filter(credit::Column::Status.is_in(s.iter().copied()));
    }
    Ok(q.order_by_asc(credit::Column::ExpiresAt).order_by_asc(credit::Column::Id).all(db).await?)
}

/// Narrows a ledger.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub types: Option<Vec<TransactionType>>,
    pub sources: Option<Vec<WalletSource>>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

fn ledger_query(wallet_id: i64, f: &LedgerFilter) -> Select<transaction::Entity> {
    let mut cond = Condition::all().add(transaction::Column::WalletId.eq(wallet_id));
    if let Some(t) = &f.types {
        cond = cond.add(transaction::Column::Kind.is_in(t.iter().copied()));
    }
    if let Some(s) = &f.sources {
        cond = cond.add(transaction::Column::Source.is_in(s.iter().copied()));
    }
    if let Some(from) = f.from {
        cond = cond.add(transaction::Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(transaction::Column::CreatedAt.lt(to));
    }
    transaction::Entity::find().filter(cond)
}

/// A page of a wallet's ledger, newest first, older than `before_id`.
pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    wallet_id: i64,
    filter: &LedgerFilter,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<transaction::Model>, bool)> {
    crate::db::page_newest_first(db, ledger_query(wallet_id, filter), transaction::Column::Id, first, before_id).await
}

/// Rows of a wallet's ledger matching `filter`.
pub async fn ledger_count<C: ConnectionTrait>(db: &C, wallet_id: i64, filter: &LedgerFilter) -> AppResult<u64> {
    Ok(ledger_query(wallet_id, filter).count(db).await?)
}

// ----------------------------------------------------------------- merge

/// What [`merge_in`] moved from a duplicate's wallet to its survivor's.
#[derive(Debug, Clone, Default)]
pub struct WalletMerge {
    /// Real money moved, in minor units.
    pub real: i64,
    /// Virtual credit moved (the sum of the credits below).
    pub virtual_amount: i64,
    pub points: i64,
    /// `(duplicate's credit, survivor's new credit)`, in spending order.
    pub credits: Vec<(credit::Model, credit::Model)>,
    /// The MERGED_OUT and MERGED_IN ledger rows (none when the duplicate's
    /// wallet was empty).
    pub rows: Option<(transaction::Model, transaction::Model)>,
}

/// Moves everything in the wallet of `from` (a duplicate) into the wallet
/// of `into` (its survivor) inside the caller's transaction, by ledger rows
/// only: one MERGED_OUT row empties the duplicate's wallet, one MERGED_IN
/// row fills the survivor's (real balance, virtual credits, points). Each
/// active credit of the duplicate becomes MERGED and reappears on the
/// survivor as a new credit with the same remaining amount, reason, source
/// and **expiry**, so FIFO spends it in its original place. Credits already
/// past their expiry are expired first (with their own ledger rows), never
/// moved. The duplicate's wallet is marked merged: later movements
/// addressed to it go to the survivor's wallet.
///
/// Locks both wallets, in id order (so two merges never wait for each
/// other), before the caller locks any customer row: movements lock the
/// wallet first and the customer (foreign keys) after, and so does this.
pub async fn merge_in(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    from: i64,
    into: i64,
    note: Option<String>,
) -> AppResult<WalletMerge> {
    let ids: Vec<(i64, i64)> = wallet::Entity::find()
        .select_only()
        .column(wallet::Column::Id)
        .column(wallet::Column::CustomerId)
        .filter(wallet::Column::CustomerId.is_in([from, into]))
        .order_by_asc(wallet::Column::Id)
        .into_tuple()
        .all(tx.db())
        .await?;
    let (mut dup, mut surv) = (None, None);
    for (wallet_id, customer_id) in ids {
        let locked = lock(tx, Lookup::Wallet(wallet_id)).await?;
        if customer_id == from {
            dup = locked;
        } else {
            surv = locked;
        }
    }
    let dup = dup.ok_or_else(|| AppError::NotFound(format!("wallet of customer {from}")))?;
    let surv = surv.ok_or_else(|| AppError::NotFound(format!("wallet of customer {into}")))?;
    if dup.merged_into.is_some() || surv.merged_into.is_some() {
        return Err(AppError::conflict("duplicateId", "this wallet was already merged into another one"));
    }
    let now = ctx.now();
    let (mut from_wallet, _, _) = expire_due(ctx, tx, &dup.owner, dup.wallet, now).await?;
    let credits = active_credits(tx.db(), from_wallet.id).await?;
    let mut out = WalletMerge {
        real: from_wallet.real_balance,
        virtual_amount: credits.iter().map(|c| c.remaining).sum(),
        points: from_wallet.points,
        ..Default::default()
    };
    if out.virtual_amount != from_wallet.virtual_balance {
        return Err(anyhow::anyhow!("wallet {} virtual balance differs from its credits", from_wallet.id).into());
    }
    if out.real > 0 || out.virtual_amount > 0 || out.points > 0 {
        let mut moved = Vec::with_capacity(credits.len());
        for c in credits {
            let copy = credit::ActiveModel {
                wallet_id: Set(surv.wallet.id),
                customer_id: Set(into),
                amount: Set(c.remaining),
                remaining: Set(c.remaining),
                status: Set(CreditStatus::Active),
                reason: Set(c.reason.clone()),
                source: Set(c.source),
                source_ref: Set(c.source_ref.clone()),
                expires_at: Set(c.expires_at),
                issued_transaction_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(tx.db())
            .await?;
            credit::ActiveModel {
                id: Unchanged(c.id),
                remaining: Set(0),
                status: Set(CreditStatus::Merged),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(tx.db())
            .await?;
            moved.push((c, copy));
        }
        let part = |new: bool| -> Value {
            Value::Array(
                moved
                    .iter()
                    .map(|(old, copy)| {
                        let c = if new { copy } else { old };
                        json!({ "creditId": c.id, "amount": copy.amount, "expiresAt": c.expires_at })
                    })
                    .collect(),
            )
        };
        let entry = |kind, credits: Value, reference: String| Entry {
            kind,
            amount: out.real + out.virtual_amount,
            source: Some(WalletSource::System),
            reference: Some(reference),
            note: note.clone(),
            credits: (!moved.is_empty()).then_some(credits),
            idempotency_key: None,
            request_hash: None,
        };
        let mut emptied = from_wallet.clone();
        emptied.real_balance = 0;
        emptied.virtual_balance = 0;
        emptied.points = 0;
        let (out_row, w) = record(
            ctx,
            tx,
            actor,
            &dup.owner,
            &from_wallet,
            emptied,
            entry(TransactionType::MergedOut, part(false), format!("customer:{into}")),
            dup.code_no,
            now,
        )
        .await?;
        from_wallet = w;
        let mut filled = surv.wallet.clone();
        filled.real_balance = add(filled.real_balance, out.real)?;
        filled.virtual_balance = add(filled.virtual_balance, out.virtual_amount)?;
        filled.points = add(filled.points, out.points)?;
        let (in_row, _) = record(
            ctx,
            tx,
            actor,
            &surv.owner,
            &surv.wallet,
            filled,
            entry(TransactionType::MergedIn, part(true), format!("customer:{from}")),
            surv.code_no,
            now,
        )
        .await?;
        credit::Entity::update_many()
            .col_expr(credit::Column::IssuedTransactionId, sea_orm::sea_query::Expr::value(in_row.id))
            .filter(credit::Column::Id.is_in(moved.iter().map(|(_, c)| c.id)))
            .exec(tx.db())
            .await?;
        out.credits = moved;
        out.rows = Some((out_row, in_row));
    }
    let sql = "UPDATE wallets SET merged_into_id = ? WHERE id = ?";
    let backend = tx.db().get_database_backend();
    tx.db().execute_raw(crate::db::statement(backend, sql, vec![into.into(), from_wallet.id.into()])).await?;
    Ok(out)
}
