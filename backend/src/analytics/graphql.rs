//! GraphQL face of analytics: the live dashboard.

use async_graphql::{Context, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::service::{self, KpiDelta};
use crate::auth::Role;
use crate::events::DomainEvent;
use crate::graphql::event_stream;
use crate::graphql::guards::RoleGuard;
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
