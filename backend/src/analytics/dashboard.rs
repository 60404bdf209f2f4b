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
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait,
};

use crate::app::AppCtx;
use crate::auth::model::user;
use crate::bank::TransferStatus;
use crate::bank::model::bank_transfer;
use crate::clock::day_start;
use crate::customers::model::customer;
use crate::error::{AppError, AppResult};
use crate::orders::OrderStatus;
use crate::orders::model::order;
use crate::tickets::model::{TicketStatus, TicketType, ticket};
use crate::wallets::model::{TransactionType, credit, transaction, wallet};

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

#[derive(FromQueryResult)]
struct Sum2 {
    a: Option<i64>,
    b: Option<i64>,
}

/// `(value, count)` of `column` over customers, most first.
async fn distribution(ctx: &AppCtx, column: customer::Column) -> AppResult<Vec<(String, i64)>> {
    let mut rows: Vec<(Option<String>, i64)> = customer::Entity::find()
        .select_only()
        .column(column)
        .column_as(Expr::col(customer::Column::Id).count(), "n")
        .filter(column.is_not_null())
        .group_by(column)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(rows.into_iter().filter_map(|(v, n)| v.map(|v| (v, n))).collect())
}

/// The figures for the days `from` to `to` (both included) of time zone
/// `tz` (usually the business time zone, `ctx.tz`).
pub async fn dashboard(ctx: &AppCtx, from: NaiveDate, to: NaiveDate, tz: chrono_tz::Tz) -> AppResult<Dashboard> {
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
    let db = ctx.db.conn();
    let mut d = Dashboard {
        customers_total: customer::Entity::find().count(db).await? as i64,
        customers_new: customer::Entity::find()
            .filter(customer::Column::CreatedAt.gte(start))
            .filter(customer::Column::CreatedAt.lt(end))
            .count(db)
            .await? as i64,
        ..Dashboard::default()
    };

    // Orders of the period: totals and one column pair per day, one scan.
    let counted = order::Column::Status.is_in(OrderStatus::COUNTED);
    let mut q = order::Entity::find()
        .select_only()
        .column_as(Expr::col(order::Column::Id).count(), "orders")
        .column_as(Expr::col(order::Column::Amount).sum().cast_as("BIGINT"), "revenue")
        .filter(counted.clone())
        .filter(order::Column::OrderedAt.gte(start))
        .filter(order::Column::OrderedAt.lt(end));
    for i in 0..days as usize {
        let within = order::Column::OrderedAt.gte(bounds[i]).and(order::Column::OrderedAt.lt(bounds[i + 1]));
        q = q
            .column_as(Expr::expr(Expr::case(within.clone(), 1).finally(0)).sum().cast_as("BIGINT"), format!("n{i}"))
            .column_as(
                Expr::expr(Expr::case(within, Expr::col(order::Column::Amount)).finally(0)).sum().cast_as("BIGINT"),
                format!("r{i}"),
            );
    }
    // Read by name as integers: SQLite gives expression columns no type.
    let row = db.query_one_raw(q.build(db.get_database_backend())).await?;
    let int = |k: &str| row.as_ref().and_then(|r| r.try_get::<Option<i64>>("", k).ok().flatten()).unwrap_or(0);
    d.orders = int("orders");
    d.revenue = int("revenue");
    d.average_order_value = if d.orders > 0 { d.revenue / d.orders } else { 0 };
    d.daily = (0..days as usize)
        .map(|i| Day {
            date: from + Duration::days(i as i64),
            orders: int(&format!("n{i}")),
            revenue: int(&format!("r{i}")),
        })
        .collect();
    let clv = customer::Entity::find()
        .select_only()
        .column_as(Expr::col(customer::Column::TotalSpent).sum().cast_as("BIGINT"), "a")
        .column_as(Expr::col(customer::Column::Id).count().cast_as("BIGINT"), "b")
        .filter(customer::Column::OrderCount.gt(0))
        .into_model::<Sum2>()
        .one(db)
        .await?;
    d.clv = clv.map(|s| (s.a.unwrap_or(0), s.b.unwrap_or(0))).map_or(0, |(a, b)| if b > 0 { a / b } else { 0 });

    // Money.
    let w = wallet::Entity::find()
        .select_only()
        .column_as(Expr::col(wallet::Column::RealBalance).sum().cast_as("BIGINT"), "a")
        .column_as(Expr::col(wallet::Column::VirtualBalance).sum().cast_as("BIGINT"), "b")
        .into_model::<Sum2>()
        .one(db)
        .await?;
    (d.wallet_real, d.wallet_virtual) = w.map_or((0, 0), |s| (s.a.unwrap_or(0), s.b.unwrap_or(0)));
    let now = ctx.now();
    let expiring = credit::Entity::find()
        .select_only()
        .column_as(Expr::col(credit::Column::Remaining).sum().cast_as("BIGINT"), "a")
        .column_as(Expr::col(credit::Column::Id).count().cast_as("BIGINT"), "b")
        .filter(credit::Column::Status.eq(crate::wallets::model::CreditStatus::Active))
        .filter(credit::Column::ExpiresAt.lt(now + Duration::days(7)))
        .into_model::<Sum2>()
        .one(db)
        .await?;
    d.expiring_7_days = expiring.and_then(|s| s.a).unwrap_or(0);

    // Bank transfers of the period by status now.
    let transfers: Vec<(TransferStatus, i64)> = bank_transfer::Entity::find()
        .select_only()
        .column(bank_transfer::Column::Status)
        .column_as(Expr::col(bank_transfer::Column::Id).count(), "n")
        .filter(bank_transfer::Column::TransferredAt.gte(start))
        .filter(bank_transfer::Column::TransferredAt.lt(end))
        .group_by(bank_transfer::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (status, n) in transfers {
        match status {
            TransferStatus::Linked => d.transfers_linked = n,
            TransferStatus::Pending => d.transfers_pending = n,
            TransferStatus::Unlinked => {}
        }
    }

    // Tickets now.
    let mut by_status: Vec<(TicketStatus, i64)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Status)
        .column_as(Expr::col(ticket::Column::Id).count(), "n")
        .group_by(ticket::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    by_status.sort_by_key(|(s, _)| *s as u8);
    d.tickets_by_status = by_status.into_iter().map(|(s, n)| (s.to_value(), n)).collect();
    d.tickets_overdue = ticket::Entity::find()
        .filter(ticket::Column::Status.is_in(TicketStatus::OPEN))
        .filter(ticket::Column::CarrierDeadline.lt(now))
        .count(db)
        .await? as i64;

    d.wallet_daily = wallet_daily(ctx, from, &bounds).await?;
    d.resolution_by_type = resolution_by_type(ctx, start, end).await?;
    d.agents = agents(ctx, start, end, now).await?;
    d.tiers = distribution(ctx, customer::Column::Tier).await?;
    d.segments = distribution(ctx, customer::Column::RfmSegment).await?;
    d.lifecycle = distribution(ctx, customer::Column::LifecycleStage).await?;
    Ok(d)
}

/// Ledger sums per type and day: one scan of the period's rows, grouped by
/// type, one `SUM(CASE …)` column per day.
async fn wallet_daily(ctx: &AppCtx, from: NaiveDate, bounds: &[DateTime<Utc>]) -> AppResult<Vec<WalletDay>> {
    use transaction::Column as X;
    let days = bounds.len() - 1;
    let db = ctx.db.conn();
    let mut q = transaction::Entity::find()
        .select_only()
        .column(X::Kind)
        .filter(X::CreatedAt.gte(bounds[0]))
        .filter(X::CreatedAt.lt(bounds[days]))
        .group_by(X::Kind);
    for i in 0..days {
        let within = X::CreatedAt.gte(bounds[i]).and(X::CreatedAt.lt(bounds[i + 1]));
        q = q.column_as(
            Expr::expr(Expr::case(within, Expr::col(X::Amount)).finally(0)).sum().cast_as("BIGINT"),
            format!("d{i}"),
        );
    }
    let mut out: Vec<WalletDay> =
        (0..days).map(|i| WalletDay { date: from + Duration::days(i as i64), ..WalletDay::default() }).collect();
    for row in db.query_all_raw(q.build(db.get_database_backend())).await? {
        let kind: TransactionType = row.try_get("", "kind")?;
        for (i, day) in out.iter_mut().enumerate() {
            let v = row.try_get::<Option<i64>>("", &format!("d{i}"))?.unwrap_or(0);
            match kind {
                TransactionType::Deposit => day.deposited += v,
                TransactionType::Withdraw => day.withdrawn += v,
                TransactionType::CreditIssued => day.credits_issued += v,
                TransactionType::CreditExpired => day.credits_expired += v,
                TransactionType::Adjustment => day.corrections += v,
                TransactionType::Reversal => day.corrections -= v,
                TransactionType::PointsEarned | TransactionType::PointsRedeemed => {}
            }
        }
    }
    Ok(out)
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
    let overdue = T::CarrierDeadline.lt(now);
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
