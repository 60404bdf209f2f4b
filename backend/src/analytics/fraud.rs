//! Fraud rules (DESIGN 4.8), run daily at 2 AM (the `fraud` job) and on
//! demand (`runFraudRules`). Each rule writes a flag with the rule, the
//! evidence and the time; a MANAGER clears a flag with a reason.
//!
//! - **HIGH_RETURN_RATE**: in the last 7 days the customer placed at least
//!   2 orders and more than half of them were RETURNED → tier BLACKLIST and
//!   status BLACKLISTED.
//! - **WALLET_ABUSE**: more than 5 deposits or withdrawals of more than
//!   5,000,000 each within one hour (any 60-minute window of the last
//!   25 hours) → status SUSPICIOUS.
//! - **SELF_DEALING**: 3 or more deposit-then-withdraw cycles in the last
//!   7 days, a cycle being a DEPOSIT followed within 24 hours by a WITHDRAW
//!   of at least 90 % of it (each deposit and each withdrawal counts in one
//!   cycle at most, matched in time order) → flagged only.
//!
//! A rule does not flag a customer again while an open flag of the same
//! rule exists, nor on evidence older than the last cleared flag. Clearing
//! the last open flag puts the status back to ACTIVE; clearing a
//! HIGH_RETURN_RATE flag gives the tier back to RFM. A BLACKLIST tier
//! blocks ticket compensation unless a MANAGER resolves the ticket
//! ([`crate::tickets::service`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{Value, json};

use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::{Principal, Role};
use crate::customers::model::{CustomerStatus, CustomerTier, customer};
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::orders::OrderStatus;
use crate::orders::model::order;
use crate::wallets::model::{TransactionType, transaction};

/// Orders looked at by the return-rate rule, and the least that count.
pub const RETURN_WINDOW_DAYS: i64 = 7;
pub const RETURN_MIN_ORDERS: i64 = 2;
/// A large movement, in minor units, and how many in an hour is abuse.
pub const LARGE_MOVEMENT: i64 = 5_000_000;
pub const ABUSE_MORE_THAN: usize = 5;
/// Self-dealing: cycles in a week, within a day, of at least 90 %.
pub const SELF_DEALING_DAYS: i64 = 7;
pub const SELF_DEALING_CYCLES: usize = 3;
pub const CYCLE_HOURS: i64 = 24;
pub const CYCLE_PERCENT: i64 = 90;

/// Why a customer was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, async_graphql::Enum)]
pub enum FraudRule {
    HighReturnRate,
    WalletAbuse,
    SelfDealing,
}

impl FraudRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HighReturnRate => "HIGH_RETURN_RATE",
            Self::WalletAbuse => "WALLET_ABUSE",
            Self::SelfDealing => "SELF_DEALING",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::HighReturnRate, Self::WalletAbuse, Self::SelfDealing].into_iter().find(|r| r.as_str() == s)
    }
}

pub mod flag {
    //! One fraud flag.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "customer_flags")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        /// `HIGH_RETURN_RATE`, `WALLET_ABUSE`, `SELF_DEALING`.
        pub rule: String,
        pub evidence: Json,
        pub raised_at: DateTimeUtc,
        pub cleared_at: Option<DateTimeUtc>,
        pub cleared_by: Option<String>,
        pub clear_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A movement as the wallet rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub code: String,
    pub kind: TransactionType,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

/// The first run of more than [`ABUSE_MORE_THAN`] large movements within
/// one hour, if any (`moves` in time order).
pub fn abuse_window(moves: &[Movement]) -> Option<&[Movement]> {
    let large: Vec<usize> = (0..moves.len()).filter(|&i| moves[i].amount > LARGE_MOVEMENT).collect();
    for w in large.windows(ABUSE_MORE_THAN + 1) {
        let (first, last) = (&moves[w[0]], &moves[w[ABUSE_MORE_THAN]]);
        if last.at - first.at < Duration::hours(1) {
            let end = (w[ABUSE_MORE_THAN]..moves.len())
                .take_while(|&i| moves[i].at - first.at < Duration::hours(1))
                .last()
                .unwrap_or(w[ABUSE_MORE_THAN]);
            return Some(&moves[w[0]..=end]);
        }
    }
    None
}

/// Deposit-then-withdraw cycles in `moves` (time order): `(deposit code,
/// withdrawal code)`.
pub fn cycles(moves: &[Movement]) -> Vec<(String, String)> {
    let mut used = vec![false; moves.len()];
    let mut found = Vec::new();
    for (i, d) in moves.iter().enumerate() {
        if d.kind != TransactionType::Deposit {
            continue;
        }
        let pair = moves.iter().enumerate().skip(i + 1).find(|(j, w)| {
            !used[*j]
                && w.kind == TransactionType::Withdraw
                && w.at - d.at <= Duration::hours(CYCLE_HOURS)
                && w.amount * 100 >= d.amount * CYCLE_PERCENT
        });
        if let Some((j, w)) = pair {
            used[j] = true;
            found.push((d.code.clone(), w.code.clone()));
        }
    }
    found
}

/// What a run of the rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FraudRun {
    pub flagged: Vec<(i64, FraudRule)>,
}

#[derive(FromQueryResult)]
struct ReturnCounts {
    customer_id: i64,
    orders: i64,
    returned: Option<i64>,
}

/// Runs the three rules now.
pub async fn run(ctx: &AppCtx, actor: &Principal) -> AppResult<FraudRun> {
    let now = ctx.now();
    let mut out = FraudRun::default();

    // HIGH_RETURN_RATE: counted in SQL, per customer.
    let since = now - Duration::days(RETURN_WINDOW_DAYS);
    let returned = Expr::case(order::Column::Status.eq(OrderStatus::Returned), 1).finally(0);
    let rows: Vec<ReturnCounts> = order::Entity::find()
        .select_only()
        .column(order::Column::CustomerId)
        .column_as(Expr::col(order::Column::Id).count(), "orders")
        .column_as(Expr::expr(returned).sum().cast_as("BIGINT"), "returned")
        .filter(order::Column::OrderedAt.gt(since))
        .group_by(order::Column::CustomerId)
        .into_model::<ReturnCounts>()
        .all(ctx.db.conn())
        .await?;
    for r in rows {
        let returned = r.returned.unwrap_or(0);
        if r.orders >= RETURN_MIN_ORDERS && returned * 2 > r.orders {
            let evidence = json!({ "windowDays": RETURN_WINDOW_DAYS, "orders": r.orders, "returned": returned });
            if raise(ctx, actor, r.customer_id, FraudRule::HighReturnRate, evidence, since).await? {
                out.flagged.push((r.customer_id, FraudRule::HighReturnRate));
            }
        }
    }

    // The wallet rules read the movements of the last week, per customer.
    let since = now - Duration::days(SELF_DEALING_DAYS);
    let moves = transaction::Entity::find()
        .filter(transaction::Column::CreatedAt.gt(since))
        .filter(transaction::Column::Kind.is_in([TransactionType::Deposit, TransactionType::Withdraw]))
        .order_by_asc(transaction::Column::CustomerId)
        .order_by_asc(transaction::Column::Id)
        .all(ctx.db.conn())
        .await?;
    let mut by_customer: HashMap<i64, Vec<Movement>> = HashMap::new();
    for t in moves {
        by_customer.entry(t.customer_id).or_default().push(Movement {
            code: t.code,
            kind: t.kind,
            amount: t.amount,
            at: t.created_at,
        });
    }
    let mut customers: Vec<i64> = by_customer.keys().copied().collect();
    customers.sort_unstable();
    let abuse_since = now - Duration::hours(25);
    for id in customers {
        let moves = &by_customer[&id];
        let recent: Vec<Movement> = moves.iter().filter(|m| m.at > abuse_since).cloned().collect();
        if let Some(window) = abuse_window(&recent) {
            let evidence = json!({
                "transactions": window.iter().map(|m| &m.code).collect::<Vec<_>>(),
                "from": window[0].at, "to": window[window.len() - 1].at,
                "over": LARGE_MOVEMENT,
            });
            if raise(ctx, actor, id, FraudRule::WalletAbuse, evidence, window[0].at).await? {
                out.flagged.push((id, FraudRule::WalletAbuse));
            }
        }
        let found = cycles(moves);
        if found.len() >= SELF_DEALING_CYCLES {
            let evidence = json!({
                "cycles": found.iter().map(|(d, w)| json!({ "deposit": d, "withdrawal": w })).collect::<Vec<_>>(),
                "windowDays": SELF_DEALING_DAYS,
            });
            if raise(ctx, actor, id, FraudRule::SelfDealing, evidence, since).await? {
                out.flagged.push((id, FraudRule::SelfDealing));
            }
        }
    }
    Ok(out)
}

/// Flags `customer_id` for `rule` unless an open flag of the rule exists
/// or one was cleared after `evidence_from`; applies the rule's action.
async fn raise(
    ctx: &AppCtx,
    actor: &Principal,
    customer_id: i64,
    rule: FraudRule,
    evidence: Value,
    evidence_from: DateTime<Utc>,
) -> AppResult<bool> {
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let c = customer::Entity::find_by_id(customer_id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {customer_id}")))?;
    let previous = flag::Entity::find()
        .filter(flag::Column::CustomerId.eq(customer_id))
        .filter(flag::Column::Rule.eq(rule.as_str()))
        .all(tx.db())
        .await?;
    if previous.iter().any(|f| f.cleared_at.is_none_or(|at| at > evidence_from)) {
        return Ok(false);
    }
    let f = flag::ActiveModel {
        customer_id: Set(customer_id),
        rule: Set(rule.as_str().to_owned()),
        evidence: Set(evidence.clone()),
        raised_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let mut am = c.clone().into_active_model();
    match rule {
        FraudRule::HighReturnRate => {
            am.tier = Set(CustomerTier::Blacklist);
            am.status = Set(CustomerStatus::Blacklisted);
        }
        FraudRule::WalletAbuse if c.status == CustomerStatus::Active => am.status = Set(CustomerStatus::Suspicious),
        _ => {}
    }
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    let summary = format!("Flagged {} by the fraud rules", rule.as_str());
    let data = json!({ "flagId": f.id, "rule": rule.as_str(), "evidence": evidence });
    crate::activities::service::record(tx.db(), customer_id, "customer.flagged", summary, data.clone(), actor, now)
        .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("customer.flag", "customer", customer_id).before(standing(&c)).after(standing(&after)),
    )
    .await?;
    let mut ev = DomainEvent::new("customer.flagged", "customer", customer_id, &actor.actor(), now);
    ev.customer_id = Some(customer_id);
    ev.assigned_agent_id = c.assigned_agent_id;
    ev.data = data;
    tx.publish(ev);
    tx.commit().await?;
    Ok(true)
}

/// What the audit log records of a flagged customer.
fn standing(c: &customer::Model) -> Value {
    json!({ "tier": c.tier.to_value(), "status": c.status.to_value() })
}

/// Clears a flag with a reason (MANAGER). The last open flag cleared puts
/// the status back to ACTIVE; a cleared HIGH_RETURN_RATE gives the tier
/// back to RFM.
pub async fn clear(ctx: &AppCtx, actor: &Principal, flag_id: i64, reason: &str) -> AppResult<flag::Model> {
    if actor.role < Role::Manager {
        return Err(AppError::Forbidden("a MANAGER clears fraud flags".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::bad_input("reason", "say why, in 1 to 1000 characters"));
    }
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let f = flag::Entity::find_by_id(flag_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("flag {flag_id}")))?;
    let c = customer::Entity::find_by_id(f.customer_id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {}", f.customer_id)))?;
    if f.cleared_at.is_some() {
        return Err(AppError::Conflict { field: None, message: "this flag was already cleared".into() });
    }
    let mut am = f.clone().into_active_model();
    am.cleared_at = Set(Some(now));
    am.cleared_by = Set(Some(actor.actor()));
    am.clear_reason = Set(Some(reason.to_owned()));
    let cleared = am.update(tx.db()).await?;
    let still_open = flag::Entity::find()
        .filter(flag::Column::CustomerId.eq(c.id))
        .filter(flag::Column::ClearedAt.is_null())
        .all(tx.db())
        .await?;
    let mut cm = c.clone().into_active_model();
    if still_open.is_empty() {
        cm.status = Set(CustomerStatus::Active);
    }
    let rescore = f.rule == FraudRule::HighReturnRate.as_str()
        && !still_open.iter().any(|o| o.rule == FraudRule::HighReturnRate.as_str());
    if rescore {
        cm.tier = Set(CustomerTier::New);
    }
    cm.updated_at = Set(now);
    let after = cm.update(tx.db()).await?;
    if rescore {
        crate::analytics::rfm::recalculate_in(ctx, &mut tx, actor, Some(c.id)).await?;
    }
    let summary = format!("Flag {} cleared: {reason}", f.rule);
    let data = json!({ "flagId": f.id, "rule": f.rule, "reason": reason });
    crate::activities::service::record(tx.db(), c.id, "customer.flag_cleared", summary, data, actor, now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("customer.flag_clear", "customer", c.id).before(standing(&c)).after(standing(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(cleared)
}

/// A customer's flags, newest first.
pub async fn flags_of(ctx: &AppCtx, customer_id: i64) -> AppResult<Vec<flag::Model>> {
    Ok(flag::Entity::find()
        .filter(flag::Column::CustomerId.eq(customer_id))
        .order_by_desc(flag::Column::Id)
        .all(ctx.db.conn())
        .await?)
}

/// Open flags of every customer, newest first (at most `limit`).
pub async fn open_flags(ctx: &AppCtx, limit: u64) -> AppResult<Vec<flag::Model>> {
    Ok(flag::Entity::find()
        .filter(flag::Column::ClearedAt.is_null())
        .order_by_desc(flag::Column::Id)
        .limit(limit)
        .all(ctx.db.conn())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(code: &str, kind: TransactionType, amount: i64, minutes: i64) -> Movement {
        let base = DateTime::parse_from_rfc3339("2026-11-21T00:00:00Z").unwrap().with_timezone(&Utc);
        Movement { code: code.into(), kind, amount, at: base + Duration::minutes(minutes) }
    }

    #[test]
    fn six_large_movements_within_an_hour_are_abuse_five_are_not() {
        use TransactionType::*;
        let six: Vec<Movement> = (0..6).map(|i| m(&format!("T{i}"), Deposit, 5_000_001, i * 11)).collect();
        assert_eq!(abuse_window(&six).map(<[Movement]>::len), Some(6), "0..55 minutes");
        assert_eq!(abuse_window(&six[..5]), None);
        let spread: Vec<Movement> = (0..6).map(|i| m(&format!("T{i}"), Withdraw, 9_000_000, i * 12)).collect();
        assert_eq!(abuse_window(&spread), None, "60 minutes apart end to end");
        let small: Vec<Movement> = (0..6).map(|i| m(&format!("T{i}"), Deposit, 5_000_000, i)).collect();
        assert_eq!(abuse_window(&small), None, "exactly 5,000,000 is not over");
    }

    #[test]
    fn a_cycle_is_a_deposit_then_most_of_it_withdrawn_within_a_day() {
        use TransactionType::*;
        let moves = [
            m("D1", Deposit, 1_000_000, 0),
            m("W1", Withdraw, 900_000, 60),
            m("D2", Deposit, 1_000_000, 120),
            m("W2", Withdraw, 899_999, 180),
            m("D3", Deposit, 1_000_000, 240),
            m("W3", Withdraw, 1_000_000, 240 + 24 * 60 + 1),
            m("D4", Deposit, 500_000, 3000),
            m("W4", Withdraw, 500_000, 3001),
        ];
        assert_eq!(cycles(&moves), [("D1".to_owned(), "W1".to_owned()), ("D4".into(), "W4".into())]);
    }
}
