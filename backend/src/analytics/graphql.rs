//! GraphQL face of analytics: the home dashboard's figures and their live
//! updates.

use async_graphql::{Context, ID, Object, ResultExt, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::BoxStream;

use super::kpis::{self, KpiSnapshot as Snapshot};
use super::service::{self, KpiDelta};
use crate::auth::Role;
use crate::events::DomainEvent;
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, event_stream, principal};
use crate::money::Money;

/// How one committed change moved the dashboard's numbers (add the deltas
/// to the figures the dashboard loaded).
pub struct DashboardUpdate(DomainEvent, KpiDelta);

#[Object]
impl DashboardUpdate {
    /// The event's position: resume after it with `afterEventId`.
    async fn event_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The event that caused it (`wallet.deposited`, `ticket.created`, …).
    async fn cause(&self) -> &str {
        &self.0.kind
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Customers (total and new today).
    async fn customers(&self) -> i64 {
        self.1.customers
    }
    /// Sum of real balances.
    async fn wallet_real(&self) -> Money {
        Money(self.1.wallet_real)
    }
    /// Sum of virtual balances.
    async fn wallet_virtual(&self) -> Money {
        Money(self.1.wallet_virtual)
    }
    /// Money deposited.
    async fn deposited(&self) -> Money {
        Money(self.1.deposited)
    }
    /// Open tickets.
    async fn open_tickets(&self) -> i64 {
        self.1.open_tickets
    }
    /// Tickets newly flagged overdue by the SLA check.
    async fn overdue_flagged(&self) -> i64 {
        self.1.overdue_flagged
    }
    /// Bank transfers waiting for a person.
    async fn pending_transfers(&self) -> i64 {
        self.1.pending_transfers
    }
    /// Bank transfers received.
    async fn transfers_received(&self) -> i64 {
        self.1.transfers_received
    }
}

/// The home dashboard's figures at one moment, as far as the caller may see
/// (an AGENT: their customers, their wallets, the tickets assigned to them
/// or of their customers; transfers waiting for a person are everyone's).
/// `dashboardUpdated` carries how each change moves them.
pub struct KpiSnapshot(Snapshot);

#[Object]
impl KpiSnapshot {
    /// When the figures were read.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The business-local day `newCustomersToday` counts.
    async fn today(&self) -> NaiveDate {
        self.0.today
    }
    /// Customers, all of them.
    async fn customers(&self) -> i64 {
        self.0.customers
    }
    /// Customers created today (business time zone).
    async fn new_customers_today(&self) -> i64 {
        self.0.new_customers_today
    }
    /// Sum of real balances.
    async fn wallet_real(&self) -> Money {
        Money(self.0.wallet_real)
    }
    /// Sum of virtual balances (active credits).
    async fn wallet_virtual(&self) -> Money {
        Money(self.0.wallet_virtual)
    }
    /// Sum of loyalty points.
    async fn points(&self) -> i64 {
        self.0.points
    }
    /// Tickets NEW, IN_PROGRESS or WAITING_CARRIER.
    async fn open_tickets(&self) -> i64 {
        self.0.open_tickets
    }
    /// Open tickets past their carrier deadline.
    async fn overdue_tickets(&self) -> i64 {
        self.0.overdue_tickets
    }
    /// Incoming bank transfers waiting for a person (PENDING).
    async fn pending_transfers(&self) -> i64 {
        self.0.pending_transfers
    }
    /// Bank transfers unlinked from their customer (UNLINKED).
    async fn unlinked_transfers(&self) -> i64 {
        self.0.unlinked_transfers
    }
}

#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// The home dashboard's figures now (see `dashboardUpdated` for live
    /// changes).
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn kpis(&self, ctx: &Context<'_>) -> async_graphql::Result<KpiSnapshot> {
        Ok(KpiSnapshot(kpis::snapshot(app(ctx), principal(ctx)?).await.extend()?))
    }
}

fn update(e: DomainEvent) -> DashboardUpdate {
    let delta = service::kpi_delta(&e).unwrap_or_default();
    DashboardUpdate(e, delta)
}

#[derive(Default)]
pub struct AnalyticsSubscription;

#[Subscription]
impl AnalyticsSubscription {
    /// KPI deltas of every committed change that moves a dashboard number,
    /// as far as the caller may see (an AGENT: their customers).
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn dashboard_updated(
        &self,
        ctx: &Context<'_>,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<DashboardUpdate>>> {
        event_stream(ctx, after_event_id, |e| service::kpi_delta(e).is_some(), update)
    }
}
