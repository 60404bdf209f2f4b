//! GraphQL face of tickets: thin resolvers over [`super::service`].

use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, ErrorExtensions, ID, InputObject, Json, MaybeUndefined, Object, ResultExt, SimpleObject,
    Subscription,
};
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::model::{
    CompensationKind, TicketEventKind, TicketPriority, TicketStatus, TicketType, compensation, event, ticket,
};
use super::service::{
    self, NewTicket, Resolution, TicketCursor, TicketCustomer, TicketListQuery, TicketPatch, TicketSort, TicketStats,
};
use super::workflow;
use crate::auth::Role;
use crate::auth::graphql::User;
use crate::customers::graphql::Customer;
use crate::events::DomainEvent;
use crate::graphql::connection;
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, event_stream, maybe, opt_id, parse_id, principal};
use crate::money::Money;
use crate::wallets::graphql::{Wallet, WalletTransaction};

/// An after-sales case.
pub struct Ticket(pub ticket::Model);

#[Object]
impl Ticket {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `TV-2026-00001`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> TicketType {
        self.0.kind
    }
    async fn status(&self) -> TicketStatus {
        self.0.status
    }
    async fn priority(&self) -> TicketPriority {
        self.0.priority
    }
    /// The order it is about.
    async fn order_reference(&self) -> Option<&str> {
        self.0.order_ref.as_deref()
    }
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }
    /// When the carrier must have acted.
    async fn carrier_deadline(&self) -> Option<DateTime<Utc>> {
        self.0.carrier_deadline
    }
    /// Open with the carrier deadline passed.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        self.0.is_overdue(app(ctx).now())
    }
    /// When the SLA check first found it overdue.
    async fn overdue_flagged_at(&self) -> Option<DateTime<Utc>> {
        self.0.overdue_flagged_at
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Attachment URLs.
    async fn attachments(&self) -> Vec<String> {
        serde_json::from_value(self.0.attachments.clone()).unwrap_or_default()
    }
    /// What was done, written when resolving.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        loaders(ctx)
            .customers
            .load_one(self.0.customer_id)
            .await
            .map_err(gql)?
            .map(Customer)
            .ok_or_else(|| async_graphql::Error::new("the ticket's customer is missing"))
    }
    async fn assignee_id(&self) -> Option<ID> {
        self.0.assignee_id.map(|id| ID(id.to_string()))
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.assignee_id else { return Ok(None) };
        Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User))
    }
    /// The statuses the caller may move it to now.
    async fn allowed_transitions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketStatus>> {
        Ok(workflow::next(self.0.status, principal(ctx)?.role))
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The first note or status change by a person.
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_response_at
    }
    /// Seconds from creation to the first response.
    async fn first_response_seconds(&self) -> Option<i64> {
        self.0.first_response_seconds
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    /// Seconds from creation to completion.
    async fn resolution_seconds(&self) -> Option<i64> {
        self.0.resolution_seconds
    }
    /// Everything that happened to it, oldest first: who changed what, when.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketHistoryEntry>> {
        let rows = service::history(app(ctx).db.conn(), self.0.id).await.extend()?;
        Ok(rows.into_iter().map(TicketHistoryEntry).collect())
    }
    /// The notes, oldest first.
    async fn notes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketHistoryEntry>> {
        let rows = service::history(app(ctx).db.conn(), self.0.id).await.extend()?;
        Ok(rows.into_iter().filter(|e| e.kind == TicketEventKind::NoteAdded).map(TicketHistoryEntry).collect())
    }
    /// What resolving it paid out, with the ledger rows.
    async fn compensations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketCompensation>> {
        let rows = service::compensations(app(ctx).db.conn(), self.0.id).await.extend()?;
        Ok(rows.into_iter().map(TicketCompensation).collect())
    }
}

/// One entry of a ticket's history.
pub struct TicketHistoryEntry(pub event::Model);

#[Object]
impl TicketHistoryEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> TicketEventKind {
        self.0.kind
    }
    async fn from_status(&self) -> Option<TicketStatus> {
        self.0.from_status
    }
    async fn to_status(&self) -> Option<TicketStatus> {
        self.0.to_status
    }
    /// Changed fields: `{"priority": {"from": "NORMAL", "to": "HIGH"}}`.
    async fn changes(&self) -> Option<Json<serde_json::Value>> {
        self.0.changes.clone().map(Json)
    }
    /// A note's text (or the note given with a status change).
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The staff member, when a person acted.
    async fn actor_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.actor.strip_prefix("user:").and_then(|s| s.parse::<i64>().ok()) else {
            return Ok(None);
        };
        Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User))
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// What resolving a ticket paid out.
pub struct TicketCompensation(pub compensation::Model);

#[Object]
impl TicketCompensation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> CompensationKind {
        self.0.kind
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// The ledger row it wrote (VIRTUAL_CREDIT and REFUND).
    async fn transaction(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WalletTransaction>> {
        let Some(id) = self.0.transaction_id else { return Ok(None) };
        let rows = crate::wallets::service::transactions_by_ids(app(ctx).db.conn(), &[id]).await.extend()?;
        Ok(rows.into_iter().next().map(WalletTransaction))
    }
    /// The MANAGER whose approval it needed (`user:2`).
    async fn approved_by(&self) -> Option<&str> {
        self.0.approved_by.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

crate::graphql::connection::connection!(TicketConnection, TicketEdge, Ticket);

/// A new ticket: give `customerId`, or `phone` (an unknown phone creates
/// the customer; check first with `ticketPhoneCheck`).
#[derive(InputObject)]
pub struct CreateTicketInput {
    pub customer_id: Option<ID>,
    pub phone: Option<String>,
    /// Name for a customer created from the phone.
    pub customer_name: Option<String>,
    #[graphql(name = "type")]
    pub kind: TicketType,
    #[graphql(default_with = "TicketPriority::Normal")]
    pub priority: TicketPriority,
    pub order_reference: Option<String>,
    pub carrier: Option<String>,
    /// Must be in the future.
    pub carrier_deadline: Option<DateTime<Utc>>,
    /// A staff member (AGENT or above); an AGENT's own tickets default to them.
    pub assignee_id: Option<ID>,
    pub description: String,
    /// http(s) URLs.
    #[graphql(default)]
    pub attachments: Vec<String>,
}

/// Changes to an open ticket; omitted fields stay, `null` clears.
#[derive(InputObject)]
pub struct UpdateTicketInput {
    #[graphql(name = "type")]
    pub kind: Option<TicketType>,
    pub priority: Option<TicketPriority>,
    pub order_reference: MaybeUndefined<String>,
    pub carrier: MaybeUndefined<String>,
    pub carrier_deadline: MaybeUndefined<DateTime<Utc>>,
    pub description: Option<String>,
    pub attachments: Option<Vec<String>>,
}

/// How a ticket is resolved.
#[derive(InputObject)]
pub struct ResolveTicketInput {
    pub ticket_id: ID,
    /// VIRTUAL_CREDIT (BOOM; other types need a MANAGER), REFUND
    /// (RETURN_REFUND), EXCHANGE (EXCHANGE) or NONE.
    pub compensation: CompensationKind,
    /// Required for VIRTUAL_CREDIT and REFUND. Above the configured limit a
    /// MANAGER must resolve.
    pub amount: Option<Money>,
    /// Lifetime of a virtual credit; the configured default (15) when omitted.
    pub lifetime_days: Option<i32>,
    /// What was done.
    pub resolution: Option<String>,
    /// Retrying with the same key returns the first result.
    pub idempotency_key: Option<String>,
}

/// Narrows a ticket list.
#[derive(InputObject, Default)]
pub struct TicketFilter {
    pub statuses: Option<Vec<TicketStatus>>,
    pub types: Option<Vec<TicketType>>,
    pub priorities: Option<Vec<TicketPriority>>,
    pub assignee_id: Option<ID>,
    /// Only tickets nobody is assigned to.
    #[graphql(default)]
    pub unassigned: bool,
    pub customer_id: Option<ID>,
    /// Open tickets past their carrier deadline (`true`), or all others.
    pub overdue: Option<bool>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
}

/// The outcome of `createTicket`.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CreatedTicket {
    /// True when the phone was new and a customer was created for it.
    pub customer_created: bool,
    #[graphql(skip)]
    pub model: ticket::Model,
}

#[ComplexObject]
impl CreatedTicket {
    async fn ticket(&self) -> Ticket {
        Ticket(self.model.clone())
    }
}

/// The outcome of `resolveTicket`.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ResolvedTicket {
    /// True when the idempotency key had already resolved it: nothing changed.
    pub replayed: bool,
    #[graphql(skip)]
    pub model: ticket::Model,
    #[graphql(skip)]
    pub comp: compensation::Model,
}

#[ComplexObject]
impl ResolvedTicket {
    async fn ticket(&self) -> Ticket {
        Ticket(self.model.clone())
    }
    async fn compensation(&self) -> TicketCompensation {
        TicketCompensation(self.comp.clone())
    }
}

/// What the create-ticket form knows about a phone before sending.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TicketPhoneCheck {
    /// The phone in E.164.
    pub phone: String,
    /// True when a customer has this phone; false means creating the ticket
    /// creates a new customer.
    pub known: bool,
    #[graphql(skip)]
    pub model: Option<crate::customers::model::customer::Model>,
}

#[ComplexObject]
impl TicketPhoneCheck {
    /// The customer (name, tier, …), when known.
    async fn customer(&self) -> Option<Customer> {
        self.model.clone().map(Customer)
    }
    /// The customer's wallet (balances), when known.
    async fn wallet(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Wallet>> {
        let Some(c) = &self.model else { return Ok(None) };
        Ok(loaders(ctx).wallets.load_one(c.id).await.map_err(gql)?.map(Wallet::from))
    }
}

/// Ticket counts and times.
#[derive(SimpleObject)]
pub struct TicketStatsResult {
    pub total: i64,
    pub open: i64,
    /// Open tickets past their carrier deadline.
    pub overdue: i64,
    pub by_status: Vec<TicketStatusCount>,
    pub by_type: Vec<TicketTypeStats>,
    pub avg_first_response_seconds: Option<f64>,
    pub avg_resolution_seconds: Option<f64>,
}

#[derive(SimpleObject)]
pub struct TicketStatusCount {
    pub status: TicketStatus,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct TicketTypeStats {
    #[graphql(name = "type")]
    pub kind: TicketType,
    pub count: i64,
    pub completed: i64,
    /// Average seconds from creation to completion.
    pub avg_resolution_seconds: Option<f64>,
}

impl From<TicketStats> for TicketStatsResult {
    fn from(s: TicketStats) -> Self {
        Self {
            total: s.total,
            open: s.open,
            overdue: s.overdue,
            by_status: s.by_status.into_iter().map(|(status, count)| TicketStatusCount { status, count }).collect(),
            by_type: s
                .by_type
                .into_iter()
                .map(|(kind, count, completed, avg)| TicketTypeStats {
                    kind,
                    count,
                    completed,
                    avg_resolution_seconds: avg,
                })
                .collect(),
            avg_first_response_seconds: s.avg_first_response_seconds,
            avg_resolution_seconds: s.avg_resolution_seconds,
        }
    }
}

/// What a run of the SLA check did.
#[derive(SimpleObject)]
pub struct TicketSlaRun {
    /// Tickets raised to HIGH priority.
    pub raised: i64,
    /// Tickets newly flagged overdue.
    pub flagged_overdue: i64,
}

/// A page of tickets (`customer`: only that customer's, for
/// `Customer.tickets`).
pub async fn ticket_connection(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    search: Option<String>,
    filter: Option<TicketFilter>,
    sort: Option<TicketSort>,
    customer: Option<i64>,
) -> async_graphql::Result<TicketConnection> {
    let app = app(ctx).clone();
    let actor = principal(ctx)?.clone();
    let first = connection::page_size(first).extend()?;
    let cursor: Option<TicketCursor> = connection::decode_cursor(after.as_deref()).extend()?;
    let f = filter.unwrap_or_default();
    let q = TicketListQuery {
        search: search.filter(|s| !s.trim().is_empty()),
        statuses: f.statuses.unwrap_or_default(),
        types: f.types.unwrap_or_default(),
        priorities: f.priorities.unwrap_or_default(),
        assignee_id: opt_id(f.assignee_id.as_ref(), "filter.assigneeId")?,
        unassigned: f.unassigned,
        customer_id: customer.or(opt_id(f.customer_id.as_ref(), "filter.customerId")?),
        overdue: f.overdue,
        created_from: f.created_from,
        created_to: f.created_to,
        sort: sort.unwrap_or_default(),
    };
    let (rows, more) = service::list(&app, &actor, &q, first, cursor.as_ref()).await.extend()?;
    let items = rows.into_iter().map(|(c, t)| (connection::encode_cursor(&c), Ticket(t))).collect();
    let counter: connection::Counter = Arc::new(move || {
        let (app, actor, q) = (app.clone(), actor.clone(), q.clone());
        Box::pin(async move { service::count(&app, &actor, &q).await })
    });
    Ok(TicketConnection::new(items, more, cursor.is_some(), counter))
}

#[derive(Default)]
pub struct TicketQuery;

#[Object]
impl TicketQuery {
    /// A ticket by id.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        Ok(Ticket(service::get(app(ctx), principal(ctx)?, id).await.extend()?))
    }

    /// A ticket by code (`TV-2026-00001`); `null` when unknown.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket_by_code(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<Option<Ticket>> {
        Ok(service::find_by_code(app(ctx), principal(ctx)?, &code).await.extend()?.map(Ticket))
    }

    /// Tickets the caller may see (an AGENT: assigned to them or of their
    /// customers), searched, filtered and sorted. `search` matches the
    /// code, description, order reference and carrier.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Viewer)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
        filter: Option<TicketFilter>,
        sort: Option<TicketSort>,
    ) -> async_graphql::Result<TicketConnection> {
        ticket_connection(ctx, first, after, search, filter, sort, None).await
    }

    /// Counts by status and type, average resolution time by type, overdue
    /// count, for tickets created in `[from, to)` (all when omitted).
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket_stats(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<TicketStatsResult> {
        Ok(service::stats(app(ctx), principal(ctx)?, from, to).await.extend()?.into())
    }

    /// Before creating a ticket from a phone: is it a known customer (name,
    /// tier, balance), or will a new one be created?
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket_phone_check(&self, ctx: &Context<'_>, phone: String) -> async_graphql::Result<TicketPhoneCheck> {
        let check = service::check_phone(app(ctx), principal(ctx)?, &phone).await.extend()?;
        Ok(TicketPhoneCheck { phone: check.phone, known: check.customer.is_some(), model: check.customer })
    }
}

#[derive(Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Opens a ticket (status NEW) with the next `TV-YYYY-NNNNN` code.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketInput) -> async_graphql::Result<CreatedTicket> {
        let customer = match (&input.customer_id, input.phone) {
            (Some(id), None) => TicketCustomer::Id(parse_id(id, "input.customerId")?),
            (None, Some(phone)) => TicketCustomer::Phone { phone, name: input.customer_name },
            _ => {
                return Err(
                    crate::error::AppError::bad_input("input.phone", "give either customerId or phone").extend()
                );
            }
        };
        let new = NewTicket {
            customer,
            kind: input.kind,
            priority: input.priority,
            order_ref: input.order_reference,
            carrier: input.carrier,
            carrier_deadline: input.carrier_deadline,
            assignee_id: opt_id(input.assignee_id.as_ref(), "input.assigneeId")?,
            description: input.description,
            attachments: input.attachments,
        };
        let created = service::create(app(ctx), principal(ctx)?, new).await.extend()?;
        Ok(CreatedTicket { customer_created: created.customer_created, model: created.ticket })
    }

    /// Changes an open ticket's details.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn update_ticket(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTicketInput,
    ) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        let patch = TicketPatch {
            kind: input.kind,
            priority: input.priority,
            order_ref: maybe(input.order_reference, |v| v),
            carrier: maybe(input.carrier, |v| v),
            carrier_deadline: maybe(input.carrier_deadline, |v| v),
            description: input.description,
            attachments: input.attachments,
        };
        Ok(Ticket(service::update(app(ctx), principal(ctx)?, id, patch).await.extend()?))
    }

    /// Moves a ticket through the workflow: NEW → IN_PROGRESS →
    /// WAITING_CARRIER → COMPLETED, CANCELLED from any open status, reopen
    /// (to IN_PROGRESS) by a MANAGER. Anything else is `INVALID_TRANSITION`
    /// with `extensions.from` / `extensions.to`.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn transition_ticket(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to: TicketStatus,
        note: Option<String>,
    ) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        Ok(Ticket(service::transition(app(ctx), principal(ctx)?, id, to, note).await.extend()?))
    }

    /// Assigns a ticket (`null` unassigns). An AGENT can only take a ticket
    /// for themselves.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn assign_ticket(&self, ctx: &Context<'_>, id: ID, assignee_id: Option<ID>) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        let assignee = opt_id(assignee_id.as_ref(), "assigneeId")?;
        Ok(Ticket(service::assign(app(ctx), principal(ctx)?, id, assignee).await.extend()?))
    }

    /// Adds a note to a ticket.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn add_ticket_note(&self, ctx: &Context<'_>, id: ID, body: String) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        let (t, _) = service::add_note(app(ctx), principal(ctx)?, id, &body).await.extend()?;
        Ok(Ticket(t))
    }

    /// Completes a ticket with a compensation, in one transaction with the
    /// wallet.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn resolve_ticket(
        &self,
        ctx: &Context<'_>,
        input: ResolveTicketInput,
    ) -> async_graphql::Result<ResolvedTicket> {
        let id = parse_id(&input.ticket_id, "input.ticketId")?;
        let lifetime_days = input.lifetime_days.map(|d| u32::try_from(d).unwrap_or(0));
        let r = Resolution {
            kind: input.compensation,
            amount: input.amount.map(|m| m.0),
            lifetime_days,
            resolution: input.resolution,
            idempotency_key: input.idempotency_key,
        };
        let out = service::resolve(app(ctx), principal(ctx)?, id, r).await.extend()?;
        Ok(ResolvedTicket { replayed: out.replayed, model: out.ticket, comp: out.compensation })
    }

    /// Runs the ticket SLA check now (it also runs every 6 hours).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn run_ticket_sla(&self, ctx: &Context<'_>) -> async_graphql::Result<TicketSlaRun> {
        let r = crate::jobs::run_ticket_sla(app(ctx)).await.extend()?;
        Ok(TicketSlaRun { raised: r.raised as i64, flagged_overdue: r.flagged_overdue as i64 })
    }
}

/// A change of a ticket, as it committed.
pub struct TicketEvent(pub DomainEvent);

#[Object]
impl TicketEvent {
    /// Its position in the event log: resume after it with `afterEventId`.
    async fn event_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// `ticket.created`, `ticket.updated`, `ticket.status_changed`,
    /// `ticket.completed`.
    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who caused it (`user:1`, `apikey:3`, `system`).
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn ticket_id(&self) -> ID {
        ID(self.0.entity_id.to_string())
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|id| ID(id.to_string()))
    }
    /// Status, priority, assignee, the history entry (`from`, `to`,
    /// `changes`) as published.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
    /// The ticket as it is now.
    async fn ticket(&self, ctx: &Context<'_>) -> async_graphql::Result<Ticket> {
        Ok(Ticket(service::get(app(ctx), principal(ctx)?, self.0.entity_id).await.extend()?))
    }
}

/// Narrows `ticketEvents` (by the ticket's state after the change).
#[derive(InputObject, Default)]
pub struct TicketEventFilter {
    pub statuses: Option<Vec<TicketStatus>>,
    pub types: Option<Vec<TicketType>>,
    pub assignee_id: Option<ID>,
}

/// The stream of a ticket subscription.
type TicketStream = BoxStream<'static, async_graphql::Result<TicketEvent>>;

fn matches<T: serde::Serialize>(wanted: &Option<Vec<T>>, value: Option<&serde_json::Value>) -> bool {
    match wanted {
        None => true,
        Some(list) => list.iter().any(|w| serde_json::to_value(w).ok().as_ref() == value),
    }
}

#[derive(Default)]
pub struct TicketSubscription;

#[Subscription]
impl TicketSubscription {
    /// Every change of one ticket, as it commits (`afterEventId` resumes;
    /// ends with `LAGGED` or, when the token expires, `UNAUTHENTICATED`).
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket_updated(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<TicketStream> {
        let id = parse_id(&ticket_id, "ticketId")?;
        service::get(app(ctx), principal(ctx)?, id).await.extend()?;
        event_stream(ctx, after_event_id, move |e| e.entity_type == "ticket" && e.entity_id == id, TicketEvent)
    }

    /// Ticket changes the caller may see (an AGENT: their customers' and
    /// those assigned to them), narrowed by the ticket's status, type or
    /// assignee after the change.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn ticket_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketEventFilter>,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<TicketStream> {
        let f = filter.unwrap_or_default();
        let assignee = opt_id(f.assignee_id.as_ref(), "filter.assigneeId")?;
        let (statuses, types) = (f.statuses, f.types);
        event_stream(
            ctx,
            after_event_id,
            move |e| {
                e.entity_type == "ticket"
                    && matches(&statuses, e.data.get("status"))
                    && matches(&types, e.data.get("type"))
                    && assignee.is_none_or(|a| e.assignee_id == Some(a))
            },
            TicketEvent,
        )
    }
}
