//! The home dashboard's numbers, each one SQL aggregate (no row is loaded),
//! scoped like `dashboardUpdated`: an AGENT counts their customers, their
//! wallets and the tickets assigned to them or of their customers; bank
//! transfers waiting for a person (PENDING, UNLINKED) are everyone's work,
//! as in the transfer list.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::bank::TransferStatus;
use crate::bank::service::{self as bank, TransferFilter};
use crate::clock::day_start;
use crate::customers::model::customer;
use crate::error::AppResult;
use crate::tickets::model::TicketStatus;
use crate::tickets::service::{self as tickets, TicketListQuery};
use crate::wallets::model::wallet;

/// The dashboard's figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiSnapshot {
    /// When the figures were read.
    pub at: DateTime<Utc>,
    /// The business-local day "today" refers to.
    pub today: NaiveDate,
    pub customers: i64,
    /// Customers created since the start of today (business time zone).
    pub new_customers_today: i64,
    /// Sum of real balances, minor units.
    pub wallet_real: i64,
    /// Sum of virtual balances, minor units.
    pub wallet_virtual: i64,
    /// Sum of loyalty points.
    pub points: i64,
    /// Tickets NEW, IN_PROGRESS or WAITING_CARRIER.
    pub open_tickets: i64,
    /// Open tickets past their carrier deadline.
    pub overdue_tickets: i64,
    /// Incoming bank transfers waiting for a person to pick the customer.
    pub pending_transfers: i64,
    /// Bank transfers unlinked from their customer, waiting again.
    pub unlinked_transfers: i64,
}

#[derive(FromQueryResult)]
pub(super) struct WalletSums {
    pub real: Option<i64>,
    pub virt: Option<i64>,
    pub points: Option<i64>,
}

/// Sums of the balances of the wallets `actor` may see.
pub(super) async fn wallet_sums(ctx: &AppCtx, actor: &Principal) -> AppResult<WalletSums> {
    use wallet::Column as W;
    let mut q = wallet::Entity::find()
        .select_only()
        .column_as(Expr::col(W::RealBalance).sum().cast_as("BIGINT"), "real")
        .column_as(Expr::col(W::VirtualBalance).sum().cast_as("BIGINT"), "virt")
        .column_as(Expr::col(W::Points).sum().cast_as("BIGINT"), "points");
    if let Some(me) = actor.only_assigned_to() {
        q = q.filter(
            W::CustomerId.in_subquery(
                Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::AssignedAgentId.eq(me))
                    .to_owned(),
            ),
        );
    }
    let sums = q.into_model::<WalletSums>().one(ctx.db.conn()).await?;
    Ok(sums.unwrap_or(WalletSums { real: None, virt: None, points: None }))
}

/// The dashboard's figures as `actor` may see them.
pub async fn snapshot(ctx: &AppCtx, actor: &Principal) -> AppResult<KpiSnapshot> {
    let db = ctx.db.conn();
    let at = ctx.now();
    let today = at.with_timezone(&ctx.tz).date_naive();
    let since = day_start(ctx.tz, today)?;
    let customers = customer::Entity::find_visible_to(actor).count(db).await? as i64;
    let new_customers_today =
        customer::Entity::find_visible_to(actor).filter(customer::Column::CreatedAt.gte(since)).count(db).await? as i64;
    let sums = wallet_sums(ctx, actor).await?;
    let open = TicketListQuery { statuses: TicketStatus::OPEN.to_vec(), ..Default::default() };
    let open_tickets = tickets::count(ctx, actor, &open).await? as i64;
    let overdue = TicketListQuery { overdue: Some(true), ..Default::default() };
    let overdue_tickets = tickets::count(ctx, actor, &overdue).await? as i64;
    let waiting = |s: TransferStatus| TransferFilter { statuses: vec![s], ..Default::default() };
    let pending_transfers = bank::count(ctx, actor, &waiting(TransferStatus::Pending)).await? as i64;
    let unlinked_transfers = bank::count(ctx, actor, &waiting(TransferStatus::Unlinked)).await? as i64;
    Ok(KpiSnapshot {
        at,
        today,
        customers,
        new_customers_today,
        wallet_real: sums.real.unwrap_or(0),
        wallet_virtual: sums.virt.unwrap_or(0),
        points: sums.points.unwrap_or(0),
        open_tickets,
        overdue_tickets,
        pending_transfers,
        unlinked_transfers,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_business_day_starts_at_local_midnight() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(day_start(tz, day).unwrap(), Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).unwrap());
    }
}
