//! The analytics dashboard for a period (DESIGN 4.8): every figure is an
//! aggregate computed by the database; no rows are loaded into memory.
//!
//! The period is a range of business-local days `[from, to]`. The daily
//! series comes from one scan with one `SUM(CASE …)` per day, the day
//! boundaries computed here in the business time zone, so it is correct on
//! SQLite and PostgreSQL alike (and across DST changes where there are
//! some).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::auth::model::user;
use crate::bank::TransferStatus;
use crate::bank::model::bank_transfer;
use crate::clock::day_start;
use crate::customers::model::customer;
use crate::error::{AppError, AppResult};
use crate::orders::OrderStatus;
use crate::orders::model::order;
use crate::tickets::model::{TicketStatus, TicketType, ticket};
use crate::tickets::service::TicketListQuery;
use crate::wallets::model::{TransactionType, credit, transaction};

/// The longest period the daily series covers.
pub const MAX_DAYS: i64 = 92;

/// One day of the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub orders: i64,
    pub revenue: i64,
}

/// The dashboard's figures for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub customers_total: i64,
    pub customers_new: i64,
    pub orders: i64,
    pub revenue: i64,
    /// Revenue / orders (integer division), 0 without orders.
    pub average_order_value: i64,
    /// Average lifetime spend of the customers with an order.
    pub clv: i64,
    pub daily: Vec<Day>,
    pub wallet_real: i64,
    pub wallet_virtual: i64,
    /// Remaining on active virtual credits expiring within 7 days.
    pub expiring_7_days: i64,
    pub transfers_linked: i64,
    pub transfers_pending: i64,
    pub tickets_by_status: Vec<(String, i64)>,
    pub tickets_overdue: i64,
    pub tiers: Vec<(String, i64)>,
    pub segments: Vec<(String, i64)>,
    pub lifecycle: Vec<(String, i64)>,
    /// Money moved per day of the period, by ledger type.
    pub wallet_daily: Vec<WalletDay>,
    /// Tickets completed in the period, by type.
    pub resolution_by_type: Vec<TypeResolution>,
    /// Per assignee: what they completed in the period and hold now.
    pub agents: Vec<AgentFigures>,
    /// Campaigns running now and deliveries settled in the period.
    pub campaigns: crate::campaigns::service::Figures,
    /// Per agent: call tasks due in the period and their outcomes.
    pub calls: Vec<crate::automation::service::AgentPerformance>,
}

/// One day of ledger movements (minor units; points types left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletDay {
    pub date: NaiveDate,
    pub deposited: i64,
    pub withdrawn: i64,
    pub credits_issued: i64,
    pub credits_expired: i64,
    /// Adjustments (signed) and reversals (as negative).
    pub corrections: i64,
}

/// Tickets of one type completed in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeResolution {
    pub kind: TicketType,
    pub completed: i64,
    /// Whole seconds from creation to completion, on average.
    pub average_seconds: i64,
}

/// One assignee's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentFigures {
    pub user_id: i64,
    pub name: String,
    /// Tickets completed in the period.
    pub completed: i64,
    pub average_resolution_seconds: Option<i64>,
    pub average_first_response_seconds: Option<i64>,
    /// Open tickets assigned now, and how many of them are overdue.
    pub open: i64,
    pub overdue: i64,
}

/// The figures for the days `from` to `to` (both included) of time zone
/// `tz` (usually the business time zone, `ctx.tz`).
pub async fn dashboard(
    ctx: &AppCtx,
    actor: &Principal,
    from: NaiveDate,
    to: NaiveDate,
    tz: chrono_tz::Tz,
) -> AppResult<Dashboard> {
    if to < from {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_DAYS {
        return Err(AppError::bad_input("to", format!("at most {MAX_DAYS} days at once")));
    }
    let bounds: Vec<DateTime<Utc>> =
        (0..=days).map(|i| day_start(tz, from + Duration::days(i))).collect::<AppResult<_>>()?;
    let (start, end) = (bounds[0], bounds[days as usize]);
    let now = ctx.now();
    // Independent aggregates, run at once on the pool.
    let (
        people,
        (daily, orders, revenue),
        money,
        transfers,
        tickets,
        wallet_daily,
        resolution_by_type,
        agents,
        buckets,
        campaigns,
        calls,
    ) = tokio::try_join!(
        customer_figures(ctx, start, end),
        orders_daily(ctx, from, &bounds),
        money(ctx, actor, now),
        transfers(ctx, start, end),
        tickets(ctx, actor),
        wallet_daily(ctx, from, &bounds),
        resolution_by_type(ctx, start, end),
        agents(ctx, start, end, now),
        distributions(ctx),
        crate::campaigns::service::figures(ctx.db.conn(), start, end),
        crate::automation::service::agent_performance(ctx.db.conn(), from, to),
    )?;
    let (customers_total, customers_new, clv) = people;
    let (wallet_real, wallet_virtual, expiring_7_days) = money;
    let (transfers_linked, transfers_pending) = transfers;
    let (tickets_by_status, tickets_overdue) = tickets;
    let (tiers, segments, lifecycle) = buckets;
    Ok(Dashboard {
        customers_total,
        customers_new,
        orders,
        revenue,
        average_order_value: average(Some(revenue), orders).unwrap_or(0),
        clv,
        daily,
        wallet_real,
        wallet_virtual,
        expiring_7_days,
        transfers_linked,
        transfers_pending,
        tickets_by_status,
        tickets_overdue,
        tiers,
        segments,
        lifecycle,
        wallet_daily,
        resolution_by_type,
        agents,
        campaigns,
        calls,
    })
}

/// `(total, created in [start, end), CLV)` in one scan of the customers.
async fn customer_figures(ctx: &AppCtx, start: DateTime<Utc>, end: DateTime<Utc>) -> AppResult<(i64, i64, i64)> {
    use customer::Column as C;
    let new = C::CreatedAt.gte(start).and(C::CreatedAt.lt(end));
    let buyer = C::OrderCount.gt(0);
    #[derive(FromQueryResult)]
    struct Row {
        n: i64,
        new: Option<i64>,
        spent: Option<i64>,
        buyers: Option<i64>,
    }
    let row = customer::Entity::find()
        .filter(C::MergedIntoId.is_null())
        .select_only()
        .column_as(Expr::col(C::Id).count(), "n")
        .column_as(Expr::expr(Expr::case(new, 1).finally(0)).sum().cast_as("BIGINT"), "new")
        .column_as(
            Expr::expr(Expr::case(buyer.clone(), Expr::col(C::TotalSpent)).finally(0)).sum().cast_as("BIGINT"),
            "spent",
        )
        .column_as(Expr::expr(Expr::case(buyer, 1).finally(0)).sum().cast_as("BIGINT"), "buyers")
        .into_model::<Row>()
        .one(ctx.db.conn())
        .await?;
    let Some(r) = row else { return Ok((0, 0, 0)) };
    let buyers = r.buyers.unwrap_or(0);
    Ok((r.n, r.new.unwrap_or(0), average(r.spent, buyers).unwrap_or(0)))
}

/// Orders of the period per day, and their totals: one scan grouped by
/// hour since the period's start, the hours summed into days here.
async fn orders_daily(ctx: &AppCtx, from: NaiveDate, bounds: &[DateTime<Utc>]) -> AppResult<(Vec<Day>, i64, i64)> {
    let db = ctx.db.conn();
    let days = bounds.len() - 1;
    let hourly: Vec<(i64, i64, Option<i64>)> = order::Entity::find()
        .select_only()
        .column_as(hour_bucket(db.get_database_backend(), "ordered_at", bounds[0]), "h")
        .column_as(Expr::col(order::Column::Id).count(), "n")
        .column_as(Expr::col(order::Column::Amount).sum().cast_as("BIGINT"), "r")
        .filter(order::Column::Status.is_in(OrderStatus::COUNTED))
        .filter(order::Column::OrderedAt.gte(bounds[0]))
        .filter(order::Column::OrderedAt.lt(bounds[days]))
        .group_by(Expr::cust("h"))
        .into_tuple()
        .all(db)
        .await?;
    let mut daily: Vec<Day> =
        (0..days).map(|i| Day { date: from + Duration::days(i as i64), orders: 0, revenue: 0 }).collect();
    for (h, n, r) in hourly {
        if let Some(day) = daily.get_mut(day_of_hour(bounds, h)) {
            day.orders += n;
            day.revenue += r.unwrap_or(0);
        }
    }
    let orders = daily.iter().map(|x| x.orders).sum();
    let revenue = daily.iter().map(|x| x.revenue).sum();
    Ok((daily, orders, revenue))
}

/// `(real, virtual, left on credits expiring within 7 days)` now.
async fn money(ctx: &AppCtx, actor: &Principal, now: DateTime<Utc>) -> AppResult<(i64, i64, i64)> {
    let w = super::kpis::wallet_sums(ctx, actor).await?;
    let expiring: Option<Option<i64>> = credit::Entity::find()
        .select_only()
        .column_as(Expr::col(credit::Column::Remaining).sum().cast_as("BIGINT"), "a")
        .filter(credit::Column::Status.eq(crate::wallets::model::CreditStatus::Active))
        .filter(credit::Column::ExpiresAt.lt(now + Duration::days(7)))
        .into_tuple()
        .one(ctx.db.conn())
        .await?;
    Ok((w.real.unwrap_or(0), w.virt.unwrap_or(0), expiring.flatten().unwrap_or(0)))
}

/// Incoming bank transfers of the period by their status now: `(linked, pending)`.
async fn transfers(ctx: &AppCtx, start: DateTime<Utc>, end: DateTime<Utc>) -> AppResult<(i64, i64)> {
    let rows: Vec<(TransferStatus, i64)> = bank_transfer::Entity::find()
        .select_only()
        .column(bank_transfer::Column::Status)
        .column_as(Expr::col(bank_transfer::Column::Id).count(), "n")
        .filter(bank_transfer::Column::TransferredAt.gte(start))
        .filter(bank_transfer::Column::TransferredAt.lt(end))
        .group_by(bank_transfer::Column::Status)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    let of = |wanted: TransferStatus| rows.iter().find(|(s, _)| *s == wanted).map_or(0, |(_, n)| *n);
    Ok((of(TransferStatus::Linked), of(TransferStatus::Pending)))
}

/// Tickets by status now, and how many open ones are overdue (the ticket
/// list's `overdue` filter).
async fn tickets(ctx: &AppCtx, actor: &Principal) -> AppResult<(Vec<(String, i64)>, i64)> {
    let db = ctx.db.conn();
    let mut by_status: Vec<(TicketStatus, i64)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Status)
        .column_as(Expr::col(ticket::Column::Id).count(), "n")
        .group_by(ticket::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    by_status.sort_by_key(|(s, _)| *s as u8);
    let overdue = TicketListQuery { overdue: Some(true), ..Default::default() };
    let overdue = crate::tickets::service::count(ctx, actor, &overdue).await? as i64;
    Ok((by_status.into_iter().map(|(s, n)| (s.to_value(), n)).collect(), overdue))
}

/// Tiers, RFM segments and lifecycle stages of the customers, in one scan
/// grouped by all three (a few hundred groups at most), each folded here
/// into `(value, count)`, most first.
async fn distributions(ctx: &AppCtx) -> AppResult<(Vec<(String, i64)>, Vec<(String, i64)>, Vec<(String, i64)>)> {
    use customer::Column as C;
    type Group = (Option<String>, Option<String>, Option<String>, i64);
    let rows: Vec<Group> = customer::Entity::find()
        .filter(C::MergedIntoId.is_null())
        .select_only()
        .column(C::Tier)
        .column(C::RfmSegment)
        .column(C::LifecycleStage)
        .column_as(Expr::col(C::Id).count(), "n")
        .group_by(C::Tier)
        .group_by(C::RfmSegment)
        .group_by(C::LifecycleStage)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    let fold = |pick: fn(&Group) -> &Option<String>| {
        let mut counts: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for row in &rows {
            if let Some(v) = pick(row) {
                *counts.entry(v.clone()).or_default() += row.3;
            }
        }
        let mut list: Vec<(String, i64)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list
    };
    Ok((fold(|r| &r.0), fold(|r| &r.1), fold(|r| &r.2)))
}

/// Ledger sums per type and day: one scan of the period's rows, grouped by
/// type and hour since the period's start.
async fn wallet_daily(ctx: &AppCtx, from: NaiveDate, bounds: &[DateTime<Utc>]) -> AppResult<Vec<WalletDay>> {
    use transaction::Column as X;
    let days = bounds.len() - 1;
    let db = ctx.db.conn();
    let rows: Vec<(TransactionType, i64, Option<i64>)> = transaction::Entity::find()
        .select_only()
        .column(X::Kind)
        .column_as(hour_bucket(db.get_database_backend(), "created_at", bounds[0]), "h")
        .column_as(Expr::col(X::Amount).sum().cast_as("BIGINT"), "a")
        .filter(X::CreatedAt.gte(bounds[0]))
        .filter(X::CreatedAt.lt(bounds[days]))
        .group_by(X::Kind)
        .group_by(Expr::cust("h"))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<WalletDay> =
        (0..days).map(|i| WalletDay { date: from + Duration::days(i as i64), ..WalletDay::default() }).collect();
    for (kind, h, amount) in rows {
        let Some(day) = out.get_mut(day_of_hour(bounds, h)) else { continue };
        let v = amount.unwrap_or(0);
        match kind {
            TransactionType::Deposit => day.deposited += v,
            TransactionType::Withdraw => day.withdrawn += v,
            TransactionType::CreditIssued => day.credits_issued += v,
            TransactionType::CreditExpired => day.credits_expired += v,
            TransactionType::Adjustment => day.corrections += v,
            TransactionType::Reversal => day.corrections -= v,
            // A merge moves money between two wallets: no money in or out.
            TransactionType::PointsEarned
            | TransactionType::PointsRedeemed
            | TransactionType::MergedOut
            | TransactionType::MergedIn => {}
        }
    }
    Ok(out)
}

/// Whole hours from `start` to the timestamp column `column`, in SQL. With
/// `start` a business-day start, an hour never straddles two days (time
/// zones move by whole hours), so hours add up to days exactly.
fn hour_bucket(backend: sea_orm::DbBackend, column: &str, start: DateTime<Utc>) -> Expr {
    let origin = start.timestamp();
    match backend {
        sea_orm::DbBackend::Postgres => Expr::cust_with_values(
            format!("CAST(FLOOR((EXTRACT(EPOCH FROM {column}) - $1) / 3600) AS BIGINT)"),
            [origin],
        ),
        _ => Expr::cust_with_values(
            format!("CAST((CAST(strftime('%s', {column}) AS INTEGER) - ?) / 3600 AS INTEGER)"),
            [origin],
        ),
    }
}

/// The day (index into `bounds`' days) hour `h` after `bounds[0]` falls in.
fn day_of_hour(bounds: &[DateTime<Utc>], h: i64) -> usize {
    let at = bounds[0] + Duration::hours(h);
    bounds.partition_point(|b| *b <= at).saturating_sub(1)
}

/// Integer average, `None` over nothing.
fn average(sum: Option<i64>, n: i64) -> Option<i64> {
    (n > 0).then(|| sum.unwrap_or(0) / n)
}

/// Tickets completed in `[start, end)`, by type, with their average time.
async fn resolution_by_type(ctx: &AppCtx, start: DateTime<Utc>, end: DateTime<Utc>) -> AppResult<Vec<TypeResolution>> {
    use ticket::Column as T;
    let mut rows: Vec<(TicketType, i64, Option<i64>)> = ticket::Entity::find()
        .select_only()
        .column(T::Kind)
        .column_as(Expr::col(T::Id).count(), "n")
        .column_as(Expr::col(T::ResolutionSeconds).sum().cast_as("BIGINT"), "s")
        .filter(T::CompletedAt.gte(start))
        .filter(T::CompletedAt.lt(end))
        .filter(T::ResolutionSeconds.is_not_null())
        .group_by(T::Kind)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    rows.sort_by_key(|(k, ..)| *k as u8);
    Ok(rows
        .into_iter()
        .map(|(kind, completed, sum)| TypeResolution {
            kind,
            completed,
            average_seconds: average(sum, completed).unwrap_or(0),
        })
        .collect())
}

#[derive(FromQueryResult)]
struct AgentDone {
    assignee_id: i64,
    n: i64,
    resolution: Option<i64>,
    responded: i64,
    first_response: Option<i64>,
}

/// Per assignee: completed in `[start, end)` with average times, and what
/// they hold open now. Two grouped scans; names read for those users only.
async fn agents(
    ctx: &AppCtx,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Vec<AgentFigures>> {
    use ticket::Column as T;
    let db = ctx.db.conn();
    let done = ticket::Entity::find()
        .select_only()
        .column(T::AssigneeId)
        .column_as(Expr::col(T::Id).count(), "n")
        .column_as(Expr::col(T::ResolutionSeconds).sum().cast_as("BIGINT"), "resolution")
        .column_as(Expr::col(T::FirstResponseSeconds).count(), "responded")
        .column_as(Expr::col(T::FirstResponseSeconds).sum().cast_as("BIGINT"), "first_response")
        .filter(T::AssigneeId.is_not_null())
        .filter(T::CompletedAt.gte(start))
        .filter(T::CompletedAt.lt(end))
        .group_by(T::AssigneeId)
        .into_model::<AgentDone>()
        .all(db)
        .await?;
    let overdue = crate::tickets::service::overdue_condition(now);
    let open: Vec<(i64, i64, Option<i64>)> = ticket::Entity::find()
        .select_only()
        .column(T::AssigneeId)
        .column_as(Expr::col(T::Id).count(), "n")
        .column_as(Expr::expr(Expr::case(overdue, 1).finally(0)).sum().cast_as("BIGINT"), "late")
        .filter(T::AssigneeId.is_not_null())
        .filter(T::Status.is_in(TicketStatus::OPEN))
        .group_by(T::AssigneeId)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_user: std::collections::BTreeMap<i64, AgentFigures> = std::collections::BTreeMap::new();
    for r in done {
        let a = by_user.entry(r.assignee_id).or_default();
        a.completed = r.n;
        a.average_resolution_seconds = average(r.resolution, r.n);
        a.average_first_response_seconds = average(r.first_response, r.responded);
    }
    for (id, n, late) in open {
        let a = by_user.entry(id).or_default();
        a.open = n;
        a.overdue = late.unwrap_or(0);
    }
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .filter(user::Column::Id.is_in(by_user.keys().copied()))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<AgentFigures> = by_user
        .into_iter()
        .map(|(id, mut a)| {
            a.user_id = id;
            a.name = names.get(&id).cloned().unwrap_or_default();
            a
        })
        .collect();
    out.sort_by(|a, b| b.completed.cmp(&a.completed).then(b.open.cmp(&a.open)).then(a.name.cmp(&b.name)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_fall_into_business_days_across_a_dst_change() {
        // New York, 7 to 9 March 2026: the 8th has 23 hours.
        let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let from = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        let bounds: Vec<_> = (0..=3).map(|i| day_start(tz, from + Duration::days(i)).unwrap()).collect();
        assert_eq!(day_of_hour(&bounds, 0), 0);
        assert_eq!(day_of_hour(&bounds, 23), 0);
        assert_eq!(day_of_hour(&bounds, 24), 1, "midnight of the 8th");
        assert_eq!(day_of_hour(&bounds, 24 + 22), 1, "the 8th's last hour");
        assert_eq!(day_of_hour(&bounds, 24 + 23), 2, "the 9th starts 23 hours later");
        assert_eq!(day_of_hour(&bounds, 24 + 23 + 24), 3, "past the period");
    }
}
