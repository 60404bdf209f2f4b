//! GraphQL face of analytics: the home dashboard's figures and their live
//! updates.

use async_graphql::{Context, ErrorExtensions, ID, Object, ResultExt, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::BoxStream;

use super::kpis::{self, KpiSnapshot as Snapshot};
use super::service::{self, KpiDelta};
use crate::auth::Role;
use crate::error::AppError;
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
    /// Orders that count (an order placed, or one cancelled or returned).
    async fn orders(&self) -> i64 {
        self.1.orders
    }
    /// Their amount.
    async fn revenue(&self) -> Money {
        Money(self.1.revenue)
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

// ---------------------------------------------------------------- RFM

use super::rfm::{self, DropOffRisk, Segment, Thresholds};

/// A customer's RFM scores (1–5 each) and segment.
#[derive(async_graphql::SimpleObject)]
pub struct RfmScores {
    pub r: i32,
    pub f: i32,
    pub m: i32,
    /// (R + F + M) / 3, to two decimals, as text (`"3.67"`).
    pub score: String,
    pub segment: Segment,
}

impl RfmScores {
    pub fn of(r: i32, f: i32, m: i32, segment: Segment) -> Self {
        // Exact: hundredths of (r + f + m) / 3, rounded half up, in integers.
        let hundredths = ((r + f + m) * 100 * 2 + 3) / 6;
        RfmScores { r, f, m, score: format!("{}.{:02}", hundredths / 100, hundredths % 100), segment }
    }
}

/// The RFM thresholds: for scores 5, 4, 3 and 2 (anything else scores 1).
#[derive(async_graphql::SimpleObject)]
pub struct RfmConfig {
    /// Most days since the last order (increasing): `[7, 14, 30, 60]`.
    pub recency_days: Vec<i64>,
    /// Fewest orders in the last 90 days (decreasing): `[11, 6, 3, 2]`.
    pub frequency_min: Vec<i64>,
    /// Least total spend (decreasing).
    pub monetary_min: Vec<Money>,
}

impl From<Thresholds> for RfmConfig {
    fn from(t: Thresholds) -> Self {
        RfmConfig {
            recency_days: t.recency_days.to_vec(),
            frequency_min: t.frequency_min.to_vec(),
            monetary_min: t.monetary_min.iter().map(|m| Money(*m)).collect(),
        }
    }
}

/// New RFM thresholds: four values each, for scores 5, 4, 3 and 2.
#[derive(async_graphql::InputObject)]
pub struct RfmConfigInput {
    pub recency_days: Vec<i64>,
    pub frequency_min: Vec<i64>,
    pub monetary_min: Vec<Money>,
}

/// One customer's RFM computed now from their orders, explained.
#[derive(async_graphql::SimpleObject)]
pub struct RfmAnalysis {
    pub customer_id: ID,
    /// None before the customer's first order (that counts).
    pub scores: Option<RfmScores>,
    pub days_since_last_order: Option<i64>,
    pub orders_last_90_days: Option<i64>,
    pub total_spent: Option<Money>,
    pub tier: Option<crate::customers::model::CustomerTier>,
    pub drop_off_risk: Option<DropOffRisk>,
    /// What to do with this customer.
    pub recommendation: String,
}

/// What `recalculateRfm` did.
#[derive(async_graphql::SimpleObject)]
pub struct RfmRun {
    /// Customers with orders, scored.
    pub scored: i64,
    pub tier_changes: i64,
}

#[derive(Default)]
pub struct RfmQuery;

#[Object]
impl RfmQuery {
    /// The RFM thresholds in force.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn rfm_config(&self, ctx: &Context<'_>) -> async_graphql::Result<RfmConfig> {
        Ok(rfm::thresholds(app(ctx).db.conn()).await.extend()?.into())
    }

    /// A customer's RFM computed now from their orders, with a
    /// recommendation (nothing is written).
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn analyze_customer_rfm(&self, ctx: &Context<'_>, customer_id: ID) -> async_graphql::Result<RfmAnalysis> {
        let id = crate::graphql::parse_id(&customer_id, "customerId")?;
        let a = rfm::analyze(app(ctx), principal(ctx)?, id).await.extend()?;
        let recommendation = match &a.derived {
            Some(d) => d.segment.recommendation().to_owned(),
            None => "No order yet: invite them to a first purchase with a welcome offer.".to_owned(),
        };
        Ok(RfmAnalysis {
            customer_id,
            scores: a.derived.as_ref().map(|d| RfmScores::of(d.r, d.f, d.m, d.segment)),
            days_since_last_order: a.facts.map(|f| f.days),
            orders_last_90_days: a.facts.map(|f| f.orders_in_window),
            total_spent: a.facts.map(|f| Money(f.spent)),
            tier: a.derived.as_ref().map(|d| d.tier),
            drop_off_risk: a.derived.as_ref().and_then(|d| d.drop_off),
            recommendation,
        })
    }
}

#[derive(Default)]
pub struct RfmMutation;

#[Object]
impl RfmMutation {
    /// Replaces the RFM thresholds (ADMIN): four values each, in order, so
    /// that every score 1–5 stays reachable (`BAD_USER_INPUT` otherwise).
    /// Scores change at the next recalculation.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn update_rfm_config(&self, ctx: &Context<'_>, input: RfmConfigInput) -> async_graphql::Result<RfmConfig> {
        let four = |v: Vec<i64>, field: &str| -> async_graphql::Result<[i64; 4]> {
            v.try_into().map_err(|_| crate::error::AppError::bad_input(field, "exactly four values").extend())
        };
        let t = Thresholds {
            recency_days: four(input.recency_days, "input.recencyDays")?,
            frequency_min: four(input.frequency_min, "input.frequencyMin")?,
            monetary_min: four(input.monetary_min.iter().map(|m| m.0).collect(), "input.monetaryMin")?,
        };
        Ok(rfm::update_thresholds(app(ctx), principal(ctx)?, t).await.extend()?.into())
    }

    /// Recomputes RFM and the derived fields of every customer now (ADMIN;
    /// the `rfm` job does it nightly).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn recalculate_rfm(&self, ctx: &Context<'_>) -> async_graphql::Result<RfmRun> {
        let done = rfm::recalculate(app(ctx), principal(ctx)?).await.extend()?;
        Ok(RfmRun { scored: done.scored as i64, tier_changes: done.tier_changes as i64 })
    }
}

// ---------------------------------------------------------------- fraud

use super::fraud::{self, FraudRule};

/// A fraud flag: the rule, its evidence, and whether a manager cleared it.
pub struct FraudFlag(pub fraud::flag::Model);

#[Object]
impl FraudFlag {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::customers::graphql::Customer> {
        use async_graphql::ErrorExtensions;
        crate::graphql::loaders::loaders(ctx)
            .customers
            .load_one(self.0.customer_id)
            .await
            .map_err(crate::graphql::loaders::gql)?
            .map(crate::customers::graphql::Customer)
            .ok_or_else(|| crate::error::AppError::NotFound(format!("customer {}", self.0.customer_id)).extend())
    }
    async fn rule(&self) -> Option<FraudRule> {
        FraudRule::parse(&self.0.rule)
    }
    /// What the rule saw (orders and returns, transaction codes, cycles).
    async fn evidence(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.evidence.clone())
    }
    async fn raised_at(&self) -> DateTime<Utc> {
        self.0.raised_at
    }
    async fn cleared_at(&self) -> Option<DateTime<Utc>> {
        self.0.cleared_at
    }
    async fn cleared_by(&self) -> Option<&str> {
        self.0.cleared_by.as_deref()
    }
    async fn clear_reason(&self) -> Option<&str> {
        self.0.clear_reason.as_deref()
    }
}

#[derive(Default)]
pub struct FraudQuery;

#[Object]
impl FraudQuery {
    /// Open fraud flags of every customer, newest first (MANAGER; at most 200).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn fraud_flags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FraudFlag>> {
        Ok(fraud::open_flags(app(ctx), 200).await.extend()?.into_iter().map(FraudFlag).collect())
    }
}

/// What `runFraudRules` flagged.
#[derive(async_graphql::SimpleObject)]
pub struct FraudRunResult {
    pub flagged: i32,
}

#[derive(Default)]
pub struct FraudMutation;

#[Object]
impl FraudMutation {
    /// Runs the fraud rules now (ADMIN; the `fraud` job runs them at 2 AM).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn run_fraud_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<FraudRunResult> {
        let r = fraud::run(app(ctx), principal(ctx)?).await.extend()?;
        Ok(FraudRunResult { flagged: r.flagged.len() as i32 })
    }

    /// Clears a fraud flag with a reason (MANAGER). The last open flag
    /// cleared puts the status back to ACTIVE; a cleared HIGH_RETURN_RATE
    /// gives the tier back to RFM.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn clear_fraud_flag(&self, ctx: &Context<'_>, id: ID, reason: String) -> async_graphql::Result<FraudFlag> {
        let id = crate::graphql::parse_id(&id, "id")?;
        Ok(FraudFlag(fraud::clear(app(ctx), principal(ctx)?, id, &reason).await.extend()?))
    }
}

// ---------------------------------------------------------------- dashboard

/// A value and how many customers (or tickets) have it.
#[derive(async_graphql::SimpleObject)]
pub struct Bucket {
    pub key: String,
    pub count: i64,
}

fn buckets(list: Vec<(String, i64)>) -> Vec<Bucket> {
    list.into_iter().map(|(key, count)| Bucket { key, count }).collect()
}

/// One business-local day of the period.
#[derive(async_graphql::SimpleObject)]
pub struct DashboardDay {
    pub date: NaiveDate,
    pub orders: i64,
    pub revenue: Money,
}

/// The analytics dashboard for a period (see `dashboard`).
#[derive(async_graphql::SimpleObject)]
pub struct PeriodDashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The IANA time zone the days are counted in.
    pub time_zone: String,
    pub customers_total: i64,
    /// Customers created in the period.
    pub customers_new: i64,
    /// Orders placed in the period that count (not cancelled or returned).
    pub orders: i64,
    pub revenue: Money,
    pub average_order_value: Money,
    /// Average lifetime spend of the customers with an order.
    pub clv: Money,
    /// Orders and revenue per day of the period.
    pub daily: Vec<DashboardDay>,
    pub wallet_real: Money,
    pub wallet_virtual: Money,
    /// What is left on virtual credits expiring within 7 days.
    pub expiring_within_7_days: Money,
    /// Incoming bank transfers of the period, by their status now.
    pub transfers_linked: i64,
    pub transfers_pending: i64,
    /// Tickets by status now.
    pub tickets_by_status: Vec<Bucket>,
    pub tickets_overdue: i64,
    pub tiers: Vec<Bucket>,
    /// RFM segments (customers with an order).
    pub segments: Vec<Bucket>,
    /// Customers per lifecycle stage.
    pub lifecycle: Vec<Bucket>,
    /// Ledger movements per day of the period.
    pub wallet_daily: Vec<WalletDay>,
    /// Tickets completed in the period, by type, with their average time.
    pub resolution_by_type: Vec<TypeResolution>,
    /// Per assignee: tickets completed in the period and held open now.
    pub agents: Vec<AgentPerformance>,
    /// Campaigns now and their deliveries in the period.
    pub campaigns: DashboardCampaigns,
    /// Per agent: call tasks due in the period, completed and successful.
    pub call_performance: Vec<crate::automation::graphql::AgentCallPerformance>,
}

/// Campaigns on the dashboard.
#[derive(async_graphql::SimpleObject)]
pub struct DashboardCampaigns {
    /// Campaigns sending now.
    pub running: i64,
    pub scheduled: i64,
    pub paused: i64,
    /// Campaigns completed in the period.
    pub completed: i64,
    /// Messages confirmed delivered by a receipt in the period.
    pub delivered: i64,
    /// Messages whose receipt in the period reported a failure.
    pub failed: i64,
    /// Delivered out of the period's receipts, in basis points (9000 = 90%).
    pub delivery_rate_bp: i64,
}

/// One business-local day of wallet movements.
#[derive(async_graphql::SimpleObject)]
pub struct WalletDay {
    pub date: NaiveDate,
    pub deposited: Money,
    pub withdrawn: Money,
    pub credits_issued: Money,
    /// What was left on credits when they expired.
    pub credits_expired: Money,
    /// Manager adjustments (signed) less reversed deposits.
    pub corrections: Money,
}

/// Tickets of one type completed in the period.
#[derive(async_graphql::SimpleObject)]
pub struct TypeResolution {
    #[graphql(name = "type")]
    pub kind: crate::tickets::model::TicketType,
    pub completed: i64,
    /// Average whole seconds from creation to completion.
    pub average_seconds: i64,
}

/// One assignee's tickets.
#[derive(async_graphql::SimpleObject)]
pub struct AgentPerformance {
    pub user_id: ID,
    pub name: String,
    /// Tickets completed in the period.
    pub completed: i64,
    pub average_resolution_seconds: Option<i64>,
    pub average_first_response_seconds: Option<i64>,
    /// Open tickets assigned now.
    pub open: i64,
    /// Of those, past their carrier deadline.
    pub overdue: i64,
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The analytics dashboard for the days `from` to `to` (both included,
    /// at most 92; MANAGER), counted in `timeZone` (an IANA name such as
    /// `Asia/Ho_Chi_Minh`; the business time zone when left out). Every
    /// figure is computed by the database.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        time_zone: Option<String>,
    ) -> async_graphql::Result<PeriodDashboard> {
        let app = app(ctx);
        let tz = match time_zone.as_deref().map(str::trim) {
            None | Some("") => app.tz,
            Some(name) => name
                .parse::<chrono_tz::Tz>()
                .map_err(|_| AppError::bad_input("timeZone", format!("unknown time zone {name:?}")))
                .extend()?,
        };
        let d = super::dashboard::dashboard(app, principal(ctx)?, from, to, tz).await.extend()?;
        Ok(PeriodDashboard {
            from,
            to,
            time_zone: tz.name().to_owned(),
            customers_total: d.customers_total,
            customers_new: d.customers_new,
            orders: d.orders,
            revenue: Money(d.revenue),
            average_order_value: Money(d.average_order_value),
            clv: Money(d.clv),
            daily: d
                .daily
                .into_iter()
                .map(|x| DashboardDay { date: x.date, orders: x.orders, revenue: Money(x.revenue) })
                .collect(),
            wallet_real: Money(d.wallet_real),
            wallet_virtual: Money(d.wallet_virtual),
            expiring_within_7_days: Money(d.expiring_7_days),
            transfers_linked: d.transfers_linked,
            transfers_pending: d.transfers_pending,
            tickets_by_status: buckets(d.tickets_by_status),
            tickets_overdue: d.tickets_overdue,
            tiers: buckets(d.tiers),
            segments: buckets(d.segments),
            lifecycle: buckets(d.lifecycle),
            wallet_daily: d
                .wallet_daily
                .into_iter()
                .map(|w| WalletDay {
                    date: w.date,
                    deposited: Money(w.deposited),
                    withdrawn: Money(w.withdrawn),
                    credits_issued: Money(w.credits_issued),
                    credits_expired: Money(w.credits_expired),
                    corrections: Money(w.corrections),
                })
                .collect(),
            resolution_by_type: d
                .resolution_by_type
                .into_iter()
                .map(|r| TypeResolution { kind: r.kind, completed: r.completed, average_seconds: r.average_seconds })
                .collect(),
            agents: d
                .agents
                .into_iter()
                .map(|a| AgentPerformance {
                    user_id: ID(a.user_id.to_string()),
                    name: a.name,
                    completed: a.completed,
                    average_resolution_seconds: a.average_resolution_seconds,
                    average_first_response_seconds: a.average_first_response_seconds,
                    open: a.open,
                    overdue: a.overdue,
                })
                .collect(),
            campaigns: DashboardCampaigns {
                running: d.campaigns.running,
                scheduled: d.campaigns.scheduled,
                paused: d.campaigns.paused,
                completed: d.campaigns.completed,
                delivered: d.campaigns.delivered,
                failed: d.campaigns.failed,
                delivery_rate_bp: d.campaigns.delivery_rate_bp(),
            },
            call_performance: d.calls.into_iter().map(Into::into).collect(),
        })
    }
}
