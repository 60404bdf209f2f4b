//! Bank-transfer rules: storing what the webhook reports exactly once,
//! matching it to a customer, and moving the money into the wallet in the
//! same transaction as the status change.
//!
//! - **Once**: `provider_id` is unique. A replay finds the row and changes
//!   nothing; concurrent replays race on the unique index (on PostgreSQL
//!   the losers wait for the winner's commit, then fail the insert) or are
//!   serialised by [`crate::db::Db::begin`] (SQLite), and are answered as
//!   duplicates too.
//! - **Matching** ([`super::matching`]): a transfer code, else one phone
//!   (the customer is created when new), else PENDING (several phones) or
//!   UNLINKED (none). Outgoing transfers are stored UNLINKED, never matched.
//! - **Linking** deposits the amount ([`crate::wallets::service::apply_in`])
//!   in the transaction that marks the transfer LINKED; unlinking reverses
//!   that deposit, or refuses with `INSUFFICIENT_FUNDS` when the customer
//!   has already spent it. The transfer row is locked (`FOR UPDATE`) so two
//!   concurrent links cannot deposit twice.
//! - Customers are found or created ([`customers::service::get_or_create_by_phone`])
//!   **before** the write transaction begins: that call opens its own, and
//!   SQLite allows one writer at a time.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Unchanged, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select, Set,
};
use serde_json::{Value, json};

use super::matching::{self, Decision};
use super::model::{Direction, MatchMethod, TransferStatus, bank_transfer};
use super::sepay::Incoming;
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::clock::day_start;
use crate::customers::model::customer;
use crate::customers::{self, phone};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::money::Money;
use crate::wallets::model::WalletSource;
use crate::wallets::service::{self as wallets, Movement, Op};

/// Longest range of `stats`, in days.
pub const MAX_STATS_DAYS: i64 = 366;

/// The outcome of a webhook.
#[derive(Debug, Clone)]
pub struct Received {
    pub transfer: bank_transfer::Model,
    /// True when this provider id was already stored: nothing changed.
    pub duplicate: bool,
}

async fn by_provider_id<C: ConnectionTrait>(db: &C, provider_id: &str) -> AppResult<Option<bank_transfer::Model>> {
    Ok(bank_transfer::Entity::find().filter(bank_transfer::Column::ProviderId.eq(provider_id)).one(db).await?)
}

/// Stores a transfer reported by the bank, once, matched and (when a
/// customer is found) deposited. See the module docs.
#[tracing::instrument(skip_all, fields(provider_id = %t.provider_id))]
pub async fn receive(ctx: &AppCtx, t: Incoming) -> AppResult<Received> {
    if let Some(transfer) = by_provider_id(ctx.db.conn(), &t.provider_id).await? {
        return Ok(Received { transfer, duplicate: true });
    }
    let system = Principal::system();
    let mut code_customers = Vec::new();
    let decision = match t.direction {
        Direction::Out => Decision::Unlinked,
        Direction::In => {
            let mut found = matching::scan(&t.content, ctx.phone_region);
            // SePay's own reading of the payment code, when configured there.
            if let Some(id) = t.code.as_deref().and_then(matching::parse_transfer_code)
                && !found.customer_ids.contains(&id)
            {
                found.customer_ids.insert(0, id);
            }
            code_customers = customers::service::by_ids(ctx.db.conn(), &found.customer_ids).await?;
            let known: Vec<(i64, String)> = code_customers.iter().map(|c| (c.id, c.phone.clone())).collect();
            matching::decide(&found, &known)
        }
    };
    let (target, candidates) = match decision {
        Decision::ByCode(id) => {
            let c = code_customers
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| anyhow::anyhow!("the customer of a matched code is missing"))?;
            (Some((c, MatchMethod::TransferCode)), Vec::new())
        }
        Decision::ByPhone(phone) => {
            let (c, _) = customers::service::get_or_create_by_phone(ctx, &system, &phone, None).await?;
            (Some((c, MatchMethod::Phone)), Vec::new())
        }
        Decision::Pending(phones) => (None, phones),
        Decision::Unlinked => (None, Vec::new()),
    };
    let status = if candidates.is_empty() { TransferStatus::Unlinked } else { TransferStatus::Pending };

    let mut tx = ctx.begin().await?;
    if let Some(transfer) = by_provider_id(tx.db(), &t.provider_id).await? {
        return Ok(Received { transfer, duplicate: true });
    }
    let now = ctx.now();
    let inserted = bank_transfer::ActiveModel {
        provider_id: Set(t.provider_id.clone()),
        gateway: Set(t.gateway),
        account_number: Set(t.account_number),
        direction: Set(t.direction),
        amount: Set(t.amount),
        content: Set(t.content),
        reference_code: Set(t.reference_code),
        transferred_at: Set(t.transferred_at),
        received_at: Set(now),
        status: Set(status),
        match_method: Set(None),
        candidates: Set(json!(candidates)),
        customer_id: Set(None),
        deposit_transaction_id: Set(None),
        linked_by: Set(None),
        linked_at: Set(None),
        raw: Set(t.raw),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await;
    let inserted = match inserted {
        Ok(row) => row,
        Err(e) if AppError::is_unique_violation(&e) => {
            // A concurrent replay committed the same provider id first.
            drop(tx);
            let transfer = by_provider_id(ctx.db.conn(), &t.provider_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("transfer vanished after a unique violation"))?;
            return Ok(Received { transfer, duplicate: true });
        }
        Err(e) => return Err(e.into()),
    };
    let mut received = DomainEvent::new("bank_transfer.received", "bank_transfer", inserted.id, &system.actor(), now);
    received.data = event_data(ctx, &inserted);
    tx.publish(received);
    let transfer = match target {
        Some((owner, method)) => link_in(ctx, &mut tx, &system, inserted, &owner, method, true, now).await?,
        None => {
            if status == TransferStatus::Pending {
                let mut ev =
                    DomainEvent::new("bank_transfer.pending", "bank_transfer", inserted.id, &system.actor(), now);
                ev.data = event_data(ctx, &inserted);
                tx.publish(ev);
            }
            inserted
        }
    };
    audit::record(
        &tx,
        &system,
        now,
        Change::on("bank_transfer.receive", "bank_transfer", transfer.id).after(audit::snapshot(&transfer)?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(id = transfer.id, status = transfer.status.as_str(), "bank transfer received");
    Ok(Received { transfer, duplicate: false })
}

fn event_data(ctx: &AppCtx, t: &bank_transfer::Model) -> Value {
    json!({
        "providerId": t.provider_id,
        "amount": Money(t.amount).format(ctx.config.currency_decimals),
        "status": t.status,
        "matchMethod": t.match_method,
        "customerId": t.customer_id,
        "depositTransactionId": t.deposit_transaction_id,
    })
}

/// What the ledger row of a transfer's deposit or reversal refers to.
pub fn ledger_reference(transfer_id: i64) -> String {
    format!("bank_transfer:{transfer_id}")
}

fn describe(ctx: &AppCtx, t: &bank_transfer::Model) -> String {
    let amount = format!("{} {}", Money(t.amount).format(ctx.config.currency_decimals), ctx.config.currency);
    match (&t.gateway, &t.reference_code) {
        (Some(g), Some(r)) => format!("Bank transfer of {amount} ({g} {r})"),
        (Some(x), None) | (None, Some(x)) => format!("Bank transfer of {amount} ({x})"),
        (None, None) => format!("Bank transfer of {amount}"),
    }
}

/// Links a locked, unlinked incoming transfer to `owner` inside `tx`,
/// depositing the amount when `deposit`; publishes `bank_transfer.linked`.
/// The caller writes the audit row and commits.
#[allow(clippy::too_many_arguments)]
async fn link_in(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    transfer: bank_transfer::Model,
    owner: &customer::Model,
    method: MatchMethod,
    deposit: bool,
    now: DateTime<Utc>,
) -> AppResult<bank_transfer::Model> {
    let deposit_id = if deposit {
        let note: String = format!("{}: {}", describe(ctx, &transfer), transfer.content).chars().take(1000).collect();
        let movement = Movement {
            customer_id: owner.id,
            op: Op::Deposit { amount: transfer.amount, source: WalletSource::BankTransfer },
            reference: Some(ledger_reference(transfer.id)),
            note: Some(note),
            idempotency_key: None,
        }
        .validated()?;
        Some(wallets::apply_in(ctx, tx, actor, &movement).await?.transaction.id)
    } else {
        None
    };
    let linked = bank_transfer::ActiveModel {
        id: Unchanged(transfer.id),
        status: Set(TransferStatus::Linked),
        match_method: Set(Some(method)),
        customer_id: Set(Some(owner.id)),
        deposit_transaction_id: Set(deposit_id),
        linked_by: Set(Some(actor.actor())),
        linked_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(tx.db())
    .await?;
    let how = match method {
        MatchMethod::TransferCode => "by transfer code",
        MatchMethod::Phone => "by the phone in its content",
        MatchMethod::Manual => "by hand",
    };
    let deposited = if deposit_id.is_some() { ", deposited" } else { ", not deposited" };
    let data = event_data(ctx, &linked);
    crate::activities::service::record(
        tx.db(),
        owner.id,
        "bank_transfer.linked",
        format!("{} linked {how}{deposited}", describe(ctx, &linked)),
        json!({ "bankTransferId": linked.id, "transfer": data }),
        actor,
        now,
    )
    .await?;
    let mut ev = DomainEvent::new("bank_transfer.linked", "bank_transfer", linked.id, &actor.actor(), now);
    ev.customer_id = Some(owner.id);
    ev.assigned_agent_id = owner.assigned_agent_id;
    ev.data = data;
    ev.data["wasPending"] = json!(transfer.status == TransferStatus::Pending);
    tx.publish(ev);
    Ok(linked)
}

/// The transfer, locked until `tx` ends.
async fn lock(tx: &Tx, id: i64) -> AppResult<bank_transfer::Model> {
    bank_transfer::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("bank transfer {id}")))
}

/// Refuses to link what cannot be linked: outgoing or already linked.
fn ensure_linkable(t: &bank_transfer::Model) -> AppResult<()> {
    if t.direction == Direction::Out {
        return Err(AppError::bad_input("id", "an outgoing transfer cannot be linked to a customer"));
    }
    if t.status == TransferStatus::Linked {
        let to = t.customer_id.map(matching::transfer_code).unwrap_or_default();
        return Err(AppError::conflict("id", format!("this transfer is already linked to customer {to}")));
    }
    Ok(())
}

/// Links a PENDING or UNLINKED transfer to the customer with `raw_phone`
/// (created when new), depositing the amount unless `auto_deposit` is false.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), transfer = id))]
pub async fn link(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    raw_phone: &str,
    auto_deposit: bool,
) -> AppResult<bank_transfer::Model> {
    let phone = phone::normalize(raw_phone, ctx.phone_region, "phone")?;
    // Refuse early, before creating a customer for nothing.
    let current = bank_transfer::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("bank transfer {id}")))?;
    ensure_linkable(&current)?;
    let (owner, _) = customers::service::get_or_create_by_phone(ctx, actor, &phone, None).await?;
    let mut tx = ctx.begin().await?;
    let before = lock(&tx, id).await?;
    ensure_linkable(&before)?;
    let now = ctx.now();
    let after = link_in(ctx, &mut tx, actor, before.clone(), &owner, MatchMethod::Manual, auto_deposit, now).await?;
    let change = Change::on("bank_transfer.link", "bank_transfer", id)
        .before(audit::snapshot(&before)?)
        .after(audit::snapshot(&after)?);
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// Links a PENDING (or UNLINKED) transfer to an existing customer chosen by
/// a person, and deposits the amount.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), transfer = id, customer = customer_id))]
pub async fn resolve(ctx: &AppCtx, actor: &Principal, id: i64, customer_id: i64) -> AppResult<bank_transfer::Model> {
    let mut tx = ctx.begin().await?;
    let before = lock(&tx, id).await?;
    ensure_linkable(&before)?;
    let owner = customer::Entity::find_by_id(customer_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {customer_id}")))?;
    customers::service::ensure_visible(actor, &owner)?;
    let now = ctx.now();
    let after = link_in(ctx, &mut tx, actor, before.clone(), &owner, MatchMethod::Manual, true, now).await?;
    let change = Change::on("bank_transfer.resolve", "bank_transfer", id)
        .before(audit::snapshot(&before)?)
        .after(audit::snapshot(&after)?);
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// Takes a LINKED transfer back from its customer, reversing its deposit
/// when one was made. `INSUFFICIENT_FUNDS` (nothing changed) when the real
/// balance no longer holds the amount: the customer has spent it.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), transfer = id))]
pub async fn unlink(ctx: &AppCtx, actor: &Principal, id: i64, reason: &str) -> AppResult<bank_transfer::Model> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::bad_input("reason", "a reason is required"));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::bad_input("reason", "at most 500 characters"));
    }
    let mut tx = ctx.begin().await?;
    let before = lock(&tx, id).await?;
    let Some(customer_id) = before.customer_id.filter(|_| before.status == TransferStatus::Linked) else {
        return Err(AppError::InvalidTransition {
            from: before.status.as_str().into(),
            to: TransferStatus::Unlinked.as_str().into(),
        });
    };
    let owner = customer::Entity::find_by_id(customer_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("customer {customer_id} of a linked transfer is missing"))?;
    customers::service::ensure_visible(actor, &owner)?;
    let now = ctx.now();
    let reversal = match before.deposit_transaction_id {
        Some(_) => {
            let movement = Movement {
                customer_id,
                op: Op::Reverse { amount: before.amount, source: WalletSource::BankTransfer },
                reference: Some(ledger_reference(id)),
                note: Some(reason.to_owned()),
                idempotency_key: None,
            }
            .validated()?;
            Some(wallets::apply_in(ctx, &mut tx, actor, &movement).await?.transaction.id)
        }
        None => None,
    };
    let after = bank_transfer::ActiveModel {
        id: Unchanged(id),
        status: Set(TransferStatus::Unlinked),
        match_method: Set(None),
        customer_id: Set(None),
        deposit_transaction_id: Set(None),
        linked_by: Set(None),
        linked_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(tx.db())
    .await?;
    let reversed = if reversal.is_some() { ", deposit reversed" } else { "" };
    crate::activities::service::record(
        tx.db(),
        customer_id,
        "bank_transfer.unlinked",
        format!("{} unlinked{reversed}: {reason}", describe(ctx, &after)),
        json!({ "bankTransferId": id, "reason": reason, "reversalTransactionId": reversal }),
        actor,
        now,
    )
    .await?;
    let mut after_snapshot = audit::snapshot(&after)?;
    after_snapshot["reason"] = json!(reason);
    after_snapshot["reversalTransactionId"] = json!(reversal);
    let change =
        Change::on("bank_transfer.unlink", "bank_transfer", id).before(audit::snapshot(&before)?).after(after_snapshot);
    audit::record(&tx, actor, now, change).await?;
    let mut ev = DomainEvent::new("bank_transfer.unlinked", "bank_transfer", id, &actor.actor(), now);
    ev.customer_id = Some(customer_id);
    ev.assigned_agent_id = owner.assigned_agent_id;
    ev.data = json!({ "reason": reason, "previousCustomerId": customer_id, "reversalTransactionId": reversal });
    tx.publish(ev);
    tx.commit().await?;
    Ok(after)
}

// ------------------------------------------------------------------ reads

/// Transfers `actor` may see: all of them, or for an AGENT the transfers of
/// their customers plus every transfer not linked to anyone (PENDING and
/// UNLINKED), which is the work waiting for a person.
fn visible_to(actor: &Principal) -> Select<bank_transfer::Entity> {
    let q = bank_transfer::Entity::find();
    match actor.only_assigned_to() {
        None => q,
        Some(agent) => q.filter(
            Condition::any().add(bank_transfer::Column::Status.ne(TransferStatus::Linked)).add(
                bank_transfer::Column::CustomerId.in_subquery(
                    Query::select()
                        .column(customer::Column::Id)
                        .from(customer::Entity)
                        .and_where(customer::Column::AssignedAgentId.eq(agent))
                        .to_owned(),
                ),
            ),
        ),
    }
}

/// A transfer the caller may see: `NOT_FOUND`, or `FORBIDDEN` when it is
/// linked to another agent's customer.
pub async fn get(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<bank_transfer::Model> {
    let found = bank_transfer::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("bank transfer {id}")))?;
    if let (Some(agent), TransferStatus::Linked, Some(customer_id)) =
        (actor.only_assigned_to(), found.status, found.customer_id)
    {
        let owner = customer::Entity::find_by_id(customer_id).one(ctx.db.conn()).await?;
        if owner.and_then(|c| c.assigned_agent_id) != Some(agent) {
            return Err(AppError::Forbidden("this transfer belongs to another agent's customer".into()));
        }
    }
    Ok(found)
}

/// What a list of transfers is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    pub statuses: Vec<TransferStatus>,
    pub customer_id: Option<i64>,
    /// Transferred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Transferred before.
    pub to: Option<DateTime<Utc>>,
    /// Part of the content or the bank's reference, any case.
    pub search: Option<String>,
}

fn filtered(actor: &Principal, f: &TransferFilter) -> Select<bank_transfer::Entity> {
    use bank_transfer::Column as C;
    let mut q = visible_to(actor);
    if !f.statuses.is_empty() {
        q = q.filter(C::Status.is_in(f.statuses.iter().copied()));
    }
    if let Some(id) = f.customer_id {
        q = q.filter(C::CustomerId.eq(id));
    }
    if let Some(from) = f.from {
        q = q.filter(C::TransferredAt.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(C::TransferredAt.lt(to));
    }
    if let Some(text) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let needle = format!("%{}%", text.to_lowercase().replace(['\\', '%', '_'], ""));
        let lower = |c: C| Expr::expr(Func::lower(Expr::col(c)));
        q = q.filter(Condition::any().add(lower(C::Content).like(&needle)).add(lower(C::ReferenceCode).like(&needle)));
    }
    q
}

/// A page of transfers, newest first, older than `before_id`.
pub async fn list(
    ctx: &AppCtx,
    actor: &Principal,
    f: &TransferFilter,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<bank_transfer::Model>, bool)> {
    crate::db::page_newest_first(ctx.db.conn(), filtered(actor, f), bank_transfer::Column::Id, first, before_id).await
}

/// How many transfers match.
pub async fn count(ctx: &AppCtx, actor: &Principal, f: &TransferFilter) -> AppResult<u64> {
    Ok(filtered(actor, f).count(ctx.db.conn()).await?)
}

/// Incoming transfers of one business-local day, by their current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayStats {
    pub date: NaiveDate,
    pub linked_count: i64,
    pub linked_amount: i64,
    pub pending_count: i64,
    pub pending_amount: i64,
    pub unlinked_count: i64,
    pub unlinked_amount: i64,
}

/// Every business-local day from `from` to `to` (both included, at most
/// [`MAX_STATS_DAYS`]) with the count and sum of incoming transfers made
/// that day, by their status now. An AGENT counts what they may see.
pub async fn stats(ctx: &AppCtx, actor: &Principal, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<DayStats>> {
    if to < from {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_STATS_DAYS {
        return Err(AppError::bad_input("to", format!("at most {MAX_STATS_DAYS} days at once")));
    }
    let start = day_start(ctx.tz, from)?;
    let end = day_start(ctx.tz, to + Duration::days(1))?;
    let rows: Vec<(DateTime<Utc>, TransferStatus, i64)> = visible_to(actor)
        .select_only()
        .column(bank_transfer::Column::TransferredAt)
        .column(bank_transfer::Column::Status)
        .column(bank_transfer::Column::Amount)
        .filter(bank_transfer::Column::Direction.eq(Direction::In))
        .filter(bank_transfer::Column::TransferredAt.gte(start))
        .filter(bank_transfer::Column::TransferredAt.lt(end))
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    Ok(group_by_day(ctx.tz, from, days, &rows))
}

/// Sums `rows` into one entry per local day from `from`, `days` long.
fn group_by_day(
    tz: chrono_tz::Tz,
    from: NaiveDate,
    days: i64,
    rows: &[(DateTime<Utc>, TransferStatus, i64)],
) -> Vec<DayStats> {
    let mut out: Vec<DayStats> =
        (0..days).map(|i| DayStats { date: from + Duration::days(i), ..Default::default() }).collect();
    for (at, status, amount) in rows {
        let day = at.with_timezone(&tz).date_naive();
        let Some(s) = usize::try_from((day - from).num_days()).ok().and_then(|i| out.get_mut(i)) else { continue };
        let (count, sum) = match status {
            TransferStatus::Linked => (&mut s.linked_count, &mut s.linked_amount),
            TransferStatus::Pending => (&mut s.pending_count, &mut s.pending_amount),
            TransferStatus::Unlinked => (&mut s.unlinked_count, &mut s.unlinked_amount),
        };
        *count += 1;
        *sum = sum.saturating_add(*amount);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn days_are_business_local_and_every_day_of_the_range_is_there() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let utc = |day, h| Utc.with_ymd_and_hms(2026, 3, day, h, 0, 0).unwrap();
        let rows = [
            (utc(1, 16), TransferStatus::Linked, 100), // 23:00 on 1 March in Hanoi
            (utc(1, 17), TransferStatus::Linked, 200), // 00:00 on 2 March
            (utc(2, 3), TransferStatus::Pending, 50),
            (utc(2, 4), TransferStatus::Unlinked, 7),
            (utc(9, 0), TransferStatus::Unlinked, 1), // outside the range
        ];
        let out = group_by_day(tz, d(3, 1), 3, &rows);
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].date, out[0].linked_count, out[0].linked_amount), (d(3, 1), 1, 100));
        assert_eq!(
            out[1],
            DayStats {
                date: d(3, 2),
                linked_count: 1,
                linked_amount: 200,
                pending_count: 1,
                pending_amount: 50,
                unlinked_count: 1,
                unlinked_amount: 7,
            }
        );
        assert_eq!(out[2], DayStats { date: d(3, 3), ..Default::default() });
    }
}
