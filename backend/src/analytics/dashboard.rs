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
use crate::bank::TransferStatus;
use crate::bank::model::bank_transfer;
use crate::clock::day_start;
use crate::customers::model::customer;
use crate::error::{AppError, AppResult};
use crate::orders::OrderStatus;
use crate::orders::model::order;
use crate::tickets::model::{TicketStatus, ticket};
use crate::wallets::model::{credit, wallet};

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

/// The figures for the business-local days `from` to `to` (both included).
pub async fn dashboard(ctx: &AppCtx, from: NaiveDate, to: NaiveDate) -> AppResult<Dashboard> {
    if to < from {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_DAYS {
        return Err(AppError::bad_input("to", format!("at most {MAX_DAYS} days at once")));
    }
    let bounds: Vec<DateTime<Utc>> =
        (0..=days).map(|i| day_start(ctx.tz, from + Duration::days(i))).collect::<AppResult<_>>()?;
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

    d.tiers = distribution(ctx, customer::Column::Tier).await?;
    d.segments = distribution(ctx, customer::Column::RfmSegment).await?;
    d.lifecycle = distribution(ctx, customer::Column::LifecycleStage).await?;
    Ok(d)
}
