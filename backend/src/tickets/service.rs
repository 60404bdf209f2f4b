//! Ticket rules: codes, validation, who may act, the workflow, compensation
//! paid in the same transaction as the ticket change, the SLA check,
//! customer stats, history, timeline, audit and events.
//!
//! - **Codes** `TV-2026-00001`: the prefix is configured, the year is the
//!   business time zone's, the number comes from the year's row in
//!   `code_sequences` inside the creating transaction (unique under
//!   concurrency, gap-free unless a creation rolls back).
//! - **Access**: MANAGER and ADMIN act on every ticket; an AGENT on tickets
//!   assigned to them or belonging to their customers; VIEWER reads.
//! - **Compensation** ([`resolve`]): VIRTUAL_CREDIT for BOOM (any other type
//!   needs a MANAGER's approval), REFUND to the real balance for
//!   RETURN_REFUND, EXCHANGE for EXCHANGE, or NONE. Any amount above
//!   `compensation_approval_limit` needs a MANAGER, and so does any
//!   compensation of a BLACKLIST customer. The ledger row, the
//!   compensation record and the ticket change commit together or not at
//!   all.
//! - **SLA** ([`check_sla`]): open tickets whose carrier deadline is less
//!   than 24 h away go to HIGH priority (URGENT stays); those past it are
//!   flagged overdue once, with a history entry and an event.
//! - **Customer stats**: the first completion of a ticket adds one to the
//!   customer's ticket count, and to the return count for BOOM and
//!   RETURN_REFUND (goods came back). Reopening and completing again does
//!   not count twice.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use serde_json::{Value, json};

use super::model::{
    CompensationKind, TicketEventKind, TicketPriority, TicketStatus, TicketType, compensation, event, ticket,
};
use super::workflow;
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::{Principal, Role};
use crate::customers::model::customer;
use crate::customers::{phone, service as customers};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::money::{MAX_AMOUNT, Money};
use crate::wallets::model::WalletSource;
use crate::wallets::service::{self as wallets, Movement, Op};

/// Longest description or note.
pub const MAX_TEXT: usize = 5_000;
/// Most attachments on one ticket.
pub const MAX_ATTACHMENTS: usize = 20;
/// How close a carrier deadline makes a ticket HIGH priority.
pub const SLA_WINDOW_HOURS: i64 = 24;

fn field(name: &str) -> String {
    format!("input.{name}")
}

/// Who the ticket is for: a known customer, or a phone (the customer is
/// found or created by [`customers::get_or_create_by_phone`]).
#[derive(Debug, Clone)]
pub enum TicketCustomer {
    Id(i64),
    Phone { phone: String, name: Option<String> },
}

/// What a new ticket is made of.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub customer: TicketCustomer,
    pub kind: TicketType,
    pub priority: TicketPriority,
    pub order_ref: Option<String>,
    pub carrier: Option<String>,
    pub carrier_deadline: Option<DateTime<Utc>>,
    pub assignee_id: Option<i64>,
    pub description: String,
    pub attachments: Vec<String>,
}

/// A change to an open ticket: `None` leaves a field alone, `Some(None)`
/// clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub kind: Option<TicketType>,
    pub priority: Option<TicketPriority>,
    pub order_ref: Option<Option<String>>,
    pub carrier: Option<Option<String>>,
    pub carrier_deadline: Option<Option<DateTime<Utc>>>,
    pub description: Option<String>,
    pub attachments: Option<Vec<String>>,
}

/// The compensation of a resolution.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub kind: CompensationKind,
    /// Minor units; required for VIRTUAL_CREDIT and REFUND, absent otherwise.
    pub amount: Option<i64>,
    /// Lifetime of a virtual credit; the configured default when `None`.
    pub lifetime_days: Option<u32>,
    /// What was done.
    pub resolution: Option<String>,
    /// A retry with the same key returns the first result.
    pub idempotency_key: Option<String>,
}

/// The outcome of [`create`].
pub struct Created {
    pub ticket: ticket::Model,
    /// True when the phone was new and the customer was created for it.
    pub customer_created: bool,
}

/// The outcome of [`resolve`].
pub struct Resolved {
    pub ticket: ticket::Model,
    pub compensation: compensation::Model,
    /// True when the idempotency key had already resolved this ticket.
    pub replayed: bool,
}

// ---------------------------------------------------------------- checks

/// Required text of at most [`MAX_TEXT`] characters; errors name `path`.
fn text(v: &str, path: &str, what: &str) -> AppResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::bad_input(path, format!("{what} cannot be empty")));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(AppError::bad_input(path, format!("at most {MAX_TEXT} characters")));
    }
    Ok(v.to_owned())
}

fn short(v: Option<String>, name: &str) -> AppResult<Option<String>> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::bad_input(&field(name), "at most 100 characters"));
    }
    Ok(v)
}

fn deadline(ctx: &AppCtx, v: Option<DateTime<Utc>>) -> AppResult<Option<DateTime<Utc>>> {
    match v {
        Some(d) if d <= ctx.now() => {
            Err(AppError::bad_input(&field("carrierDeadline"), "the carrier deadline must be in the future"))
        }
        other => Ok(other),
    }
}

/// Absolute `http(s)` URLs, at most [`MAX_ATTACHMENTS`], without repeats.
fn attachments(urls: &[String]) -> AppResult<Value> {
    let name = field("attachments");
    if urls.len() > MAX_ATTACHMENTS {
        return Err(AppError::bad_input(&name, format!("at most {MAX_ATTACHMENTS} attachments")));
    }
    let mut out: Vec<String> = Vec::new();
    for raw in urls {
        let parsed = url::Url::parse(raw.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && raw.len() <= 2048)
            .ok_or_else(|| AppError::bad_input(&name, format!("{raw:?} is not an http(s) URL")))?;
        let url = parsed.to_string();
        if !out.contains(&url) {
            out.push(url);
        }
    }
    Ok(json!(out))
}

fn search_text(code: &str, description: &str, order_ref: Option<&str>, carrier: Option<&str>) -> String {
    let mut s = format!(
        "{} {} {} {}",
        code.to_lowercase(),
        order_ref.unwrap_or_default().to_lowercase(),
        deunicode::deunicode(carrier.unwrap_or_default()).to_lowercase(),
        deunicode::deunicode(description).to_lowercase(),
    );
    s.truncate(6_000);
    s
}

/// `TV-2026-00001`: at least five digits, more when the year needs them.
pub fn ticket_code(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year}-{n:05}")
}

// ---------------------------------------------------------------- access

/// `FORBIDDEN` unless `actor` may act on (or see) the ticket: everyone but
/// an AGENT may; an AGENT when the ticket is assigned to them or the
/// customer is theirs.
pub fn ensure_access(actor: &Principal, t: &ticket::Model, customer_agent: Option<i64>) -> AppResult<()> {
    match actor.only_assigned_to() {
        Some(me) if t.assignee_id != Some(me) && customer_agent != Some(me) => {
            Err(AppError::Forbidden("this ticket is neither assigned to you nor of your customers".into()))
        }
        _ => Ok(()),
    }
}

/// Tickets `actor` may see.
fn visible_to(actor: &Principal) -> Select<ticket::Entity> {
    let q = ticket::Entity::find();
    match actor.only_assigned_to() {
        Some(me) => q.filter(
            Condition::any().add(ticket::Column::AssigneeId.eq(me)).add(
                ticket::Column::CustomerId.in_subquery(
                    Query::select()
                        .column(customer::Column::Id)
                        .from(customer::Entity)
                        .and_where(customer::Column::AssignedAgentId.eq(me))
                        .to_owned(),
                ),
            ),
        ),
        None => q,
    }
}

async fn customer_agent<C: ConnectionTrait>(db: &C, customer_id: i64) -> AppResult<Option<i64>> {
    let agent: Option<Option<i64>> = customer::Entity::find_by_id(customer_id)
        .select_only()
        .column(customer::Column::AssignedAgentId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(agent.flatten())
}

/// The assignee `actor` may give a ticket: MANAGER and above anyone active
/// (AGENT or above), an AGENT only themselves.
async fn valid_assignee<C: ConnectionTrait>(db: &C, actor: &Principal, id: Option<i64>, name: &str) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    if let Some(me) = actor.only_assigned_to()
        && me != id
    {
        return Err(AppError::Forbidden("an agent can only assign tickets to themselves".into()));
    }
    crate::auth::service::ensure_active_agent(db, id, name).await
}

// ---------------------------------------------------------------- reads

/// A ticket the caller may see.
pub async fn get(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<ticket::Model> {
    let t = ticket::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ticket {id}")))?;
    ensure_access(actor, &t, customer_agent(ctx.db.conn(), t.customer_id).await?)?;
    Ok(t)
}

/// A ticket by code (`TV-2026-00001`, any case); `None` when unknown.
pub async fn find_by_code(ctx: &AppCtx, actor: &Principal, code: &str) -> AppResult<Option<ticket::Model>> {
    let found = ticket::Entity::find()
        .filter(ticket::Column::Code.eq(code.trim().to_ascii_uppercase()))
        .one(ctx.db.conn())
        .await?;
    if let Some(t) = &found {
        ensure_access(actor, t, customer_agent(ctx.db.conn(), t.customer_id).await?)?;
    }
    Ok(found)
}

/// A ticket's history, oldest first.
pub async fn history<C: ConnectionTrait>(db: &C, ticket_id: i64) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::TicketId.eq(ticket_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// A ticket's compensations, oldest first.
pub async fn compensations<C: ConnectionTrait>(db: &C, ticket_id: i64) -> AppResult<Vec<compensation::Model>> {
    Ok(compensation::Entity::find()
        .filter(compensation::Column::TicketId.eq(ticket_id))
        .order_by_asc(compensation::Column::Id)
        .all(db)
        .await?)
}

/// What the create-ticket form learns from a phone before sending.
pub struct PhoneCheck {
    /// E.164.
    pub phone: String,
    /// The customer with this phone, when there is one.
    pub customer: Option<customer::Model>,
}

/// Tells whether `raw` is a known customer's phone (a new customer will be
/// created otherwise). `BAD_USER_INPUT` on `phone` when it is not a phone.
pub async fn check_phone(ctx: &AppCtx, actor: &Principal, raw: &str) -> AppResult<PhoneCheck> {
    let phone = phone::normalize(raw, ctx.phone_region, "phone")?;
    let customer = customers::find_by_phone(ctx, actor, &phone).await?;
    Ok(PhoneCheck { phone, customer })
}

// ---------------------------------------------------------------- list

/// Order of a ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, async_graphql::Enum)]
pub enum TicketSort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    CreatedAsc,
    /// Soonest carrier deadline first; tickets without one last.
    DeadlineAsc,
    /// URGENT first, then HIGH, NORMAL, LOW; newest first within each.
    PriorityDesc,
    /// Most recently changed first.
    UpdatedDesc,
}

/// What a ticket list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct TicketListQuery {
    /// Words that must all appear in the code, description, order
    /// reference or carrier.
    pub search: Option<String>,
    pub statuses: Vec<TicketStatus>,
    pub types: Vec<TicketType>,
    pub priorities: Vec<TicketPriority>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    pub customer_id: Option<i64>,
    /// Open tickets past their carrier deadline (`true`) or not (`false`).
    pub overdue: Option<bool>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub sort: TicketSort,
}

/// Where a page starts. Creation orders are keyset (stable while tickets
/// are added); the other orders continue at an offset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketCursor {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// An open ticket past its carrier deadline at `now` (the one rule for
/// "overdue": lists, stats and the dashboards use it).
pub fn overdue_condition(now: DateTime<Utc>) -> Condition {
    Condition::all().add(ticket::Column::Status.is_in(TicketStatus::OPEN)).add(ticket::Column::CarrierDeadline.lt(now))
}

fn filtered(ctx: &AppCtx, actor: &Principal, q: &TicketListQuery) -> Select<ticket::Entity> {
    use ticket::Column as T;
    let mut s = visible_to(actor);
    if let Some(text) = &q.search {
        for token in customers::search_tokens(text) {
            s = s.filter(T::SearchText.like(crate::db::contains_pattern(&token)));
        }
    }
    if !q.statuses.is_empty() {
        s = s.filter(T::Status.is_in(q.statuses.iter().copied()));
    }
    if !q.types.is_empty() {
        s = s.filter(T::Kind.is_in(q.types.iter().copied()));
    }
    if !q.priorities.is_empty() {
        s = s.filter(T::Priority.is_in(q.priorities.iter().copied()));
    }
    if let Some(a) = q.assignee_id {
        s = s.filter(T::AssigneeId.eq(a));
    }
    if q.unassigned {
        s = s.filter(T::AssigneeId.is_null());
    }
    if let Some(c) = q.customer_id {
        s = s.filter(T::CustomerId.eq(c));
    }
    match q.overdue {
        Some(true) => s = s.filter(overdue_condition(ctx.now())),
        Some(false) => s = s.filter(overdue_condition(ctx.now()).not()),
        None => {}
    }
    if let Some(from) = q.created_from {
        s = s.filter(T::CreatedAt.gte(from));
    }
    if let Some(to) = q.created_to {
        s = s.filter(T::CreatedAt.lt(to));
    }
    s
}

/// One page of tickets in the query's order, plus whether more follow.
pub async fn list(
    ctx: &AppCtx,
    actor: &Principal,
    q: &TicketListQuery,
    first: u64,
    after: Option<&TicketCursor>,
) -> AppResult<(Vec<(TicketCursor, ticket::Model)>, bool)> {
    use ticket::Column as T;
    let mut s = filtered(ctx, actor, q);
    let offset = after.and_then(|c| c.offset).unwrap_or(0);
    s = match q.sort {
        TicketSort::CreatedDesc => {
            if let Some(c) = after {
                s = s.filter(T::Id.lt(c.id));
            }
            s.order_by_desc(T::Id)
        }
        TicketSort::CreatedAsc => {
            if let Some(c) = after {
                s = s.filter(T::Id.gt(c.id));
            }
            s.order_by_asc(T::Id)
        }
        TicketSort::DeadlineAsc => {
            s.order_by_with_nulls(T::CarrierDeadline, Order::Asc, NullOrdering::Last).order_by_asc(T::Id).offset(offset)
        }
        TicketSort::PriorityDesc => s
            .order_by(
                Expr::cust("CASE priority WHEN 'URGENT' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'NORMAL' THEN 2 ELSE 1 END"),
                Order::Desc,
            )
            .order_by_desc(T::Id)
            .offset(offset),
        TicketSort::UpdatedDesc => s.order_by_desc(T::UpdatedAt).order_by_desc(T::Id).offset(offset),
    };
    let mut rows = s.limit(first + 1).all(ctx.db.conn()).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let keyset = matches!(q.sort, TicketSort::CreatedDesc | TicketSort::CreatedAsc);
    Ok((
        rows.into_iter()
            .enumerate()
            .map(|(i, t)| {
                let offset = (!keyset).then_some(offset + i as u64 + 1);
                (TicketCursor { id: t.id, offset }, t)
            })
            .collect(),
        more,
    ))
}

/// How many tickets match.
pub async fn count(ctx: &AppCtx, actor: &Principal, q: &TicketListQuery) -> AppResult<u64> {
    Ok(filtered(ctx, actor, q).count(ctx.db.conn()).await?)
}

/// Counts and times over the tickets the caller may see.
#[derive(Debug, Clone, Default)]
pub struct TicketStats {
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub by_status: Vec<(TicketStatus, i64)>,
    /// Type, count, completed count, average resolution seconds.
    pub by_type: Vec<(TicketType, i64, i64, Option<f64>)>,
    pub avg_first_response_seconds: Option<f64>,
    pub avg_resolution_seconds: Option<f64>,
}

/// Ticket statistics for tickets created in `[from, to)` (all when unset).
pub async fn stats(
    ctx: &AppCtx,
    actor: &Principal,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<TicketStats> {
    use ticket::Column as T;
    let q = TicketListQuery { created_from: from, created_to: to, ..Default::default() };
    let db = ctx.db.conn();
    let by_status: Vec<(TicketStatus, i64)> = filtered(ctx, actor, &q)
        .select_only()
        .column(T::Status)
        .column_as(T::Id.count(), "n")
        .group_by(T::Status)
        .into_tuple()
        .all(db)
        .await?;
    #[derive(FromQueryResult)]
    struct ByType {
        kind: TicketType,
        n: i64,
        completed: i64,
        avg_resolution: Option<f64>,
    }
    let by_type = filtered(ctx, actor, &q)
        .select_only()
        .column(T::Kind)
        .column_as(T::Id.count(), "n")
        .column_as(T::ResolutionSeconds.count(), "completed")
        .column_as(Expr::col(T::ResolutionSeconds).avg().cast_as("DOUBLE PRECISION"), "avg_resolution")
        .group_by(T::Kind)
        .into_model::<ByType>()
        .all(db)
        .await?;
    #[derive(FromQueryResult)]
    struct Times {
        first_response: Option<f64>,
        resolution: Option<f64>,
    }
    let times = filtered(ctx, actor, &q)
        .select_only()
        .column_as(Expr::col(T::FirstResponseSeconds).avg().cast_as("DOUBLE PRECISION"), "first_response")
        .column_as(Expr::col(T::ResolutionSeconds).avg().cast_as("DOUBLE PRECISION"), "resolution")
        .into_model::<Times>()
        .one(db)
        .await?;
    let overdue = filtered(ctx, actor, &TicketListQuery { overdue: Some(true), ..q.clone() }).count(db).await? as i64;
    let mut out = TicketStats {
        total: by_status.iter().map(|(_, n)| n).sum(),
        open: by_status.iter().filter(|(s, _)| s.is_open()).map(|(_, n)| n).sum(),
        overdue,
        by_status,
        by_type: by_type.into_iter().map(|r| (r.kind, r.n, r.completed, r.avg_resolution)).collect(),
        avg_first_response_seconds: times.as_ref().and_then(|t| t.first_response),
        avg_resolution_seconds: times.and_then(|t| t.resolution),
    };
    out.by_status.sort_by_key(|(s, _)| *s as u8);
    out.by_type.sort_by_key(|(t, ..)| *t as u8);
    Ok(out)
}

// ---------------------------------------------------------------- writes

/// Creates a ticket; with a phone, the customer is found or created first.
#[tracing::instrument(skip_all, fields(actor = %actor.actor()))]
pub async fn create(ctx: &AppCtx, actor: &Principal, input: NewTicket) -> AppResult<Created> {
    // Everything is checked before a customer may be created for the phone.
    let description = text(&input.description, &field("description"), "the description")?;
    let order_ref = short(input.order_ref, "orderReference")?;
    let carrier = short(input.carrier, "carrier")?;
    let carrier_deadline = deadline(ctx, input.carrier_deadline)?;
    let attachments = attachments(&input.attachments)?;
    let assignee = match (input.assignee_id, actor.only_assigned_to()) {
        (None, Some(me)) => Some(me),
        (other, _) => other,
    };
    valid_assignee(ctx.db.conn(), actor, assignee, &field("assigneeId")).await?;
    let (customer, customer_created) = match input.customer {
        TicketCustomer::Id(id) => (customers::get_live(ctx, actor, id).await?, false),
        TicketCustomer::Phone { phone: raw, name } => {
            let phone = phone::normalize(&raw, ctx.phone_region, &field("phone"))?;
            customers::get_or_create_by_phone(ctx, actor, &phone, name).await?
        }
    };
    let mut tx = ctx.begin().await?;
    let now = ctx.now();
    let year = ctx.business_year();
    let prefix = &ctx.config.ticket_code_prefix;
    let n = crate::db::next_in_sequence(tx.db(), &format!("{prefix}-{year}"), 1).await?;
    let code = ticket_code(prefix, year, n);
    let t = ticket::ActiveModel {
        search_text: Set(search_text(&code, &description, order_ref.as_deref(), carrier.as_deref())),
        code: Set(code),
        customer_id: Set(customer.id),
        kind: Set(input.kind),
        status: Set(TicketStatus::New),
        priority: Set(input.priority),
        order_ref: Set(order_ref),
        carrier: Set(carrier),
        carrier_deadline: Set(carrier_deadline),
        assignee_id: Set(assignee),
        description: Set(description),
        attachments: Set(attachments),
        resolution: Set(None),
        first_response_at: Set(None),
        first_response_seconds: Set(None),
        completed_at: Set(None),
        resolution_seconds: Set(None),
        cancelled_at: Set(None),
        overdue_flagged_at: Set(None),
        stats_counted: Set(false),
        created_by: Set(actor.actor()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let change = History::new(TicketEventKind::Created).to(TicketStatus::New);
    let summary = format!("Ticket {} ({}) opened", t.code, t.kind.to_value());
    record(&mut tx, actor, &t, customer.assigned_agent_id, change, summary, "ticket.created", now).await?;
    audit::record(&tx, actor, now, Change::on("ticket.create", "ticket", t.id).after(audit::snapshot(&t)?)).await?;
    tx.commit().await?;
    Ok(Created { ticket: t, customer_created })
}

/// A ticket locked for change until the transaction ends, with the agent
/// of its customer.
async fn lock(tx: &Tx, actor: &Principal, id: i64) -> AppResult<(ticket::Model, Option<i64>)> {
    let t = ticket::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ticket {id}")))?;
    let agent = customer_agent(tx.db(), t.customer_id).await?;
    ensure_access(actor, &t, agent)?;
    Ok((t, agent))
}

fn ensure_open(t: &ticket::Model) -> AppResult<()> {
    if t.status.is_open() {
        return Ok(());
    }
    Err(AppError::Conflict {
        field: None,
        message: format!("ticket {} is {}; a MANAGER can reopen it", t.code, t.status.as_str()),
    })
}

/// Changes an open ticket's details, recording each change (from, to).
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), ticket = id))]
pub async fn update(ctx: &AppCtx, actor: &Principal, id: i64, patch: TicketPatch) -> AppResult<ticket::Model> {
    let description =
        patch.description.as_deref().map(|d| text(d, &field("description"), "the description")).transpose()?;
    let order_ref = patch.order_ref.map(|v| short(v, "orderReference")).transpose()?;
    let carrier = patch.carrier.map(|v| short(v, "carrier")).transpose()?;
    let carrier_deadline = patch.carrier_deadline.map(|v| deadline(ctx, v)).transpose()?;
    let attachments = patch.attachments.as_deref().map(attachments).transpose()?;
    let mut tx = ctx.begin().await?;
    let (before, agent) = lock(&tx, actor, id).await?;
    ensure_open(&before)?;
    let now = ctx.now();
    let mut changes = serde_json::Map::new();
    let mut diff = |name: &str, from: Value, to: Value| {
        if from != to {
            changes.insert(name.to_owned(), json!({ "from": from, "to": to }));
        }
    };
    let mut m = before.clone().into_active_model();
    if let Some(kind) = patch.kind {
        diff("type", json!(before.kind), json!(kind));
        m.kind = Set(kind);
    }
    if let Some(p) = patch.priority {
        diff("priority", json!(before.priority), json!(p));
        m.priority = Set(p);
    }
    if let Some(v) = order_ref {
        diff("orderReference", json!(before.order_ref), json!(v));
        m.order_ref = Set(v);
    }
    if let Some(v) = carrier {
        diff("carrier", json!(before.carrier), json!(v));
        m.carrier = Set(v);
    }
    if let Some(v) = carrier_deadline {
        diff("carrierDeadline", json!(before.carrier_deadline), json!(v));
        if v.is_some_and(|d| d > now) {
            m.overdue_flagged_at = Set(None);
        }
        m.carrier_deadline = Set(v);
    }
    if let Some(v) = description {
        diff("description", json!(before.description), json!(v));
        m.description = Set(v);
    }
    if let Some(v) = attachments {
        diff("attachments", before.attachments.clone(), v.clone());
        m.attachments = Set(v);
    }
    if changes.is_empty() {
        return Ok(before);
    }
    let search = search_text(
        &before.code,
        m.description.as_ref(),
        m.order_ref.as_ref().as_deref(),
        m.carrier.as_ref().as_deref(),
    );
    m.search_text = Set(search);
    m.updated_at = Set(now);
    let after = m.update(tx.db()).await?;
    let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
    let summary = format!("Ticket {} updated: {}", after.code, fields.join(", "));
    let change = History::new(TicketEventKind::Updated).changes(Value::Object(changes.clone()));
    record(&mut tx, actor, &after, agent, change, summary, "ticket.updated", now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("ticket.update", "ticket", after.id)
            .before(audit::snapshot(&before)?)
            .after(audit::snapshot(&after)?),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves a ticket through the workflow ([`workflow`]). Moving to COMPLETED
/// is resolving with no compensation ([`resolve`]).
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), ticket = id, to = to.as_str()))]
pub async fn transition(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    to: TicketStatus,
    note: Option<String>,
) -> AppResult<ticket::Model> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_TEXT) {
        return Err(AppError::bad_input("note", format!("at most {MAX_TEXT} characters")));
    }
    if to == TicketStatus::Completed {
        let r = Resolution {
            kind: CompensationKind::None,
            amount: None,
            lifetime_days: None,
            resolution: note,
            idempotency_key: None,
        };
        return resolve(ctx, actor, id, r).await.map(|r| r.ticket);
    }
    let mut tx = ctx.begin().await?;
    let (before, agent) = lock(&tx, actor, id).await?;
    workflow::check(before.status, to, actor.role)?;
    let now = ctx.now();
    let mut m = before.clone().into_active_model();
    m.status = Set(to);
    m.updated_at = Set(now);
    respond(&mut m, &before, actor, now);
    match to {
        TicketStatus::Cancelled => m.cancelled_at = Set(Some(now)),
        // Reopened: it is open again until completed anew.
        _ if !before.status.is_open() => {
            m.completed_at = Set(None);
            m.cancelled_at = Set(None);
        }
        _ => {}
    }
    let after = m.update(tx.db()).await?;
    let summary = format!("Ticket {}: {} → {}", after.code, before.status.as_str(), to.as_str());
    let change = History::new(TicketEventKind::StatusChanged).from(before.status).to(to).body(note);
    record(&mut tx, actor, &after, agent, change, summary, "ticket.status_changed", now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("ticket.transition", "ticket", after.id)
            .before(json!({ "status": before.status }))
            .after(json!({ "status": after.status })),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

fn seconds_since(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    Ord::max((to - from).num_seconds(), 0)
}

/// Sets the first response when a person acts on a ticket for the first time.
fn respond(m: &mut ticket::ActiveModel, before: &ticket::Model, actor: &Principal, now: DateTime<Utc>) {
    if before.first_response_at.is_none() && actor.user_id().is_some() {
        m.first_response_at = Set(Some(now));
        m.first_response_seconds = Set(Some(seconds_since(before.created_at, now)));
    }
}

/// Assigns a ticket to a staff member (`None` unassigns). MANAGER and above
/// assign anyone; an AGENT takes a ticket they can see, or lets go of one.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), ticket = id))]
pub async fn assign(ctx: &AppCtx, actor: &Principal, id: i64, assignee: Option<i64>) -> AppResult<ticket::Model> {
    valid_assignee(ctx.db.conn(), actor, assignee, "assigneeId").await?;
    let mut tx = ctx.begin().await?;
    let (before, agent) = lock(&tx, actor, id).await?;
    ensure_open(&before)?;
    if before.assignee_id == assignee {
        return Ok(before);
    }
    if let Some(me) = actor.only_assigned_to()
        && before.assignee_id.is_some_and(|a| a != me)
    {
        return Err(AppError::Forbidden("this ticket is assigned to someone else; ask a MANAGER".into()));
    }
    let now = ctx.now();
    let mut m = before.clone().into_active_model();
    m.assignee_id = Set(assignee);
    m.updated_at = Set(now);
    let after = m.update(tx.db()).await?;
    let summary = match assignee {
        Some(a) => format!("Ticket {} assigned to user {a}", after.code),
        None => format!("Ticket {} unassigned", after.code),
    };
    let change = History::new(TicketEventKind::Assigned)
        .changes(json!({ "assigneeId": { "from": before.assignee_id, "to": assignee } }));
    record(&mut tx, actor, &after, agent, change, summary, "ticket.updated", now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("ticket.assign", "ticket", after.id)
            .before(json!({ "assigneeId": before.assignee_id }))
            .after(json!({ "assigneeId": assignee })),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Adds a note to a ticket (open or closed).
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), ticket = id))]
pub async fn add_note(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    body: &str,
) -> AppResult<(ticket::Model, event::Model)> {
    let body = text(body, "body", "a note")?;
    let mut tx = ctx.begin().await?;
    let (before, agent) = lock(&tx, actor, id).await?;
    let now = ctx.now();
    let mut m = before.clone().into_active_model();
    respond(&mut m, &before, actor, now);
    m.updated_at = Set(now);
    let after = m.update(tx.db()).await?;
    let change = History::new(TicketEventKind::NoteAdded).body(Some(body.clone()));
    let summary = format!("Note on ticket {}: {body}", after.code);
    let entry = record(&mut tx, actor, &after, agent, change, summary, "ticket.updated", now).await?;
    audit::record(&tx, actor, now, Change::on("ticket.note", "ticket", after.id).after(json!({ "body": body })))
        .await?;
    tx.commit().await?;
    Ok((after, entry))
}

/// Completes a ticket with a compensation, in one transaction with the
/// wallet: a failure anywhere leaves the ticket and the wallet unchanged.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), ticket = id))]
pub async fn resolve(ctx: &AppCtx, actor: &Principal, id: i64, r: Resolution) -> AppResult<Resolved> {
    let note = r.resolution.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_TEXT) {
        return Err(AppError::bad_input(&field("resolution"), format!("at most {MAX_TEXT} characters")));
    }
    if let Some(key) = &r.idempotency_key
        && (key.is_empty() || key.len() > 200 || key.chars().any(char::is_control))
    {
        return Err(AppError::bad_input(
            &field("idempotencyKey"),
            "must be 1 to 200 characters without control characters",
        ));
    }
    let amount = match (r.kind, r.amount) {
        (CompensationKind::VirtualCredit | CompensationKind::Refund, Some(a)) if a > 0 && a <= MAX_AMOUNT => a,
        (CompensationKind::VirtualCredit | CompensationKind::Refund, _) => {
            return Err(AppError::bad_input(&field("amount"), "a positive amount is required for this compensation"));
        }
        (_, Some(a)) if a != 0 => {
            return Err(AppError::bad_input(&field("amount"), "this compensation moves no money"));
        }
        _ => 0,
    };
    let lifetime_days = r.lifetime_days.unwrap_or(ctx.config.credit_lifetime_days);

    let mut tx = ctx.begin().await?;
    let (before, agent) = lock(&tx, actor, id).await?;
    if let Some(key) = &r.idempotency_key
        && let Some(first) =
            compensation::Entity::find().filter(compensation::Column::IdempotencyKey.eq(key)).one(tx.db()).await?
    {
        if first.ticket_id != before.id || first.kind != r.kind || first.amount != amount {
            return Err(AppError::conflict(
                &field("idempotencyKey"),
                "this idempotency key was already used for a different resolution",
            ));
        }
        return Ok(Resolved { ticket: before, compensation: first, replayed: true });
    }
    workflow::check(before.status, TicketStatus::Completed, actor.role)?;
    let blacklisted = customer::Entity::find_by_id(before.customer_id)
        .one(tx.db())
        .await?
        .is_some_and(|c| c.tier == crate::customers::model::CustomerTier::Blacklist);
    let approved_by = approval(ctx, actor, &before, r.kind, amount, blacklisted)?;
    let now = ctx.now();

    let mut m = before.clone().into_active_model();
    m.status = Set(TicketStatus::Completed);
    m.completed_at = Set(Some(now));
    m.resolution_seconds = Set(Some(seconds_since(before.created_at, now)));
    m.resolution = Set(note.clone().or(before.resolution.clone()));
    m.stats_counted = Set(true);
    m.updated_at = Set(now);
    respond(&mut m, &before, actor, now);
    let after = m.update(tx.db()).await?;

    let op = match r.kind {
        CompensationKind::VirtualCredit => Some(Op::IssueCredit {
            amount,
            reason: format!("Ticket {} ({})", before.code, before.kind.to_value()),
            source: WalletSource::Ticket,
            source_ref: Some(before.code.clone()),
            lifetime_days,
        }),
        CompensationKind::Refund => Some(Op::Deposit { amount, source: WalletSource::Refund }),
        CompensationKind::Exchange | CompensationKind::None => None,
    };
    let transaction = match op {
        Some(op) => {
            let movement = Movement {
                reference: Some(before.code.clone()),
                note: note.clone(),
                ..Movement::new(before.customer_id, op)
            }
            .validated()?;
            Some(wallets::apply_in_authorized(ctx, &mut tx, actor, &movement).await?.transaction)
        }
        None => None,
    };
    let comp = compensation::ActiveModel {
        ticket_id: Set(before.id),
        kind: Set(r.kind),
        amount: Set(amount),
        transaction_id: Set(transaction.as_ref().map(|t| t.id)),
        approved_by: Set(approved_by),
        note: Set(note.clone().map(|n| n.chars().take(1000).collect())),
        idempotency_key: Set(r.idempotency_key.clone()),
        actor: Set(actor.actor()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    if !before.stats_counted {
        count_in_customer_stats(tx.db(), &before, now).await?;
    }
    let decimals = ctx.config.currency_decimals;
    let what = match (r.kind, &transaction) {
        (CompensationKind::VirtualCredit, Some(t)) => {
            format!("virtual credit {} {} ({})", Money(amount).format(decimals), ctx.config.currency, t.code)
        }
        (CompensationKind::Refund, Some(t)) => {
            format!("refund {} {} ({})", Money(amount).format(decimals), ctx.config.currency, t.code)
        }
        (CompensationKind::Exchange, _) => "exchange".to_owned(),
        _ => "no compensation".to_owned(),
    };
    let summary = format!("Ticket {} completed: {what}", after.code);
    let change = History::new(TicketEventKind::Resolved)
        .from(before.status)
        .to(TicketStatus::Completed)
        .changes(json!({
            "compensation": {
                "kind": r.kind,
                "amount": Money(amount).format(decimals),
                "transactionId": transaction.as_ref().map(|t| t.id),
                "transactionCode": transaction.as_ref().map(|t| t.code.clone()),
                "approvedBy": comp.approved_by,
            }
        }))
        .body(note);
    record(&mut tx, actor, &after, agent, change, summary, "ticket.completed", now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("ticket.resolve", "ticket", after.id)
            .before(json!({ "status": before.status }))
            .after(json!({ "status": after.status, "compensation": audit::snapshot(&comp)? })),
    )
    .await?;
    tx.commit().await?;
    Ok(Resolved { ticket: after, compensation: comp, replayed: false })
}

/// Which compensation a ticket type allows, and whose approval it needs:
/// `Some(actor)` when the caller's MANAGER role is the approval.
fn approval(
    ctx: &AppCtx,
    actor: &Principal,
    t: &ticket::Model,
    kind: CompensationKind,
    amount: i64,
    blacklisted: bool,
) -> AppResult<Option<String>> {
    let allowed = match kind {
        CompensationKind::VirtualCredit | CompensationKind::None => true,
        CompensationKind::Refund => t.kind == TicketType::ReturnRefund,
        CompensationKind::Exchange => t.kind == TicketType::Exchange,
    };
    if !allowed {
        return Err(AppError::bad_input(
            &field("compensation"),
            format!("a {} ticket cannot be compensated with {}", t.kind.to_value(), kind.to_value()),
        ));
    }
    let limit = ctx.config.compensation_approval_limit;
    let needs = match kind {
        // The fraud rules blacklisted the customer: only a MANAGER's
        // resolution (the override, recorded as the approval) compensates.
        CompensationKind::VirtualCredit | CompensationKind::Refund | CompensationKind::Exchange if blacklisted => {
            Some("the customer is BLACKLISTED: only a MANAGER can compensate them".to_owned())
        }
        CompensationKind::VirtualCredit if t.kind != TicketType::Boom => {
            Some("a virtual credit on a ticket other than BOOM needs a MANAGER's approval".to_owned())
        }
        CompensationKind::VirtualCredit | CompensationKind::Refund if amount > limit => Some(format!(
            "a compensation above {} {} needs a MANAGER's approval",
            Money(limit).format(ctx.config.currency_decimals),
            ctx.config.currency
        )),
        _ => None,
    };
    match needs {
        Some(why) if actor.role < Role::Manager => Err(AppError::Forbidden(why)),
        Some(_) => Ok(Some(actor.actor())),
        None => Ok(None),
    }
}

/// Adds a completed ticket to its customer's ticket and return counts.
async fn count_in_customer_stats<C: ConnectionTrait>(db: &C, t: &ticket::Model, now: DateTime<Utc>) -> AppResult<()> {
    let returns = i32::from(t.kind.is_return());
    customer::Entity::update_many()
        .col_expr(customer::Column::TicketCount, Expr::col(customer::Column::TicketCount).add(1))
        .col_expr(customer::Column::ReturnCount, Expr::col(customer::Column::ReturnCount).add(returns))
        .col_expr(customer::Column::UpdatedAt, Expr::value(now))
        .filter(customer::Column::Id.eq(t.customer_id))
        .exec(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- SLA

/// What a run of the SLA check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaReport {
    /// Tickets raised to HIGH priority.
    pub raised: u64,
    /// Tickets newly flagged overdue.
    pub flagged_overdue: u64,
}

/// The SLA check (every 6 hours, and `runTicketSla`): open tickets whose
/// carrier deadline is less than 24 h away are raised to HIGH (LOW and
/// NORMAL only), those past it are flagged overdue once. One short
/// transaction per ticket; a ticket changed meanwhile is re-read under its
/// lock, so the check never undoes a person's change.
pub async fn check_sla(ctx: &AppCtx) -> AppResult<SlaReport> {
    let system = Principal::system();
    let now = ctx.now();
    let horizon = now + Duration::hours(SLA_WINDOW_HOURS);
    let due: Vec<i64> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Id)
        .filter(ticket::Column::Status.is_in(TicketStatus::OPEN))
        .filter(ticket::Column::CarrierDeadline.lt(horizon))
        .filter(
            Condition::any().add(ticket::Column::Priority.is_in([TicketPriority::Low, TicketPriority::Normal])).add(
                Condition::all()
                    .add(ticket::Column::CarrierDeadline.lt(now))
                    .add(ticket::Column::OverdueFlaggedAt.is_null()),
            ),
        )
        .order_by_asc(ticket::Column::Id)
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    let mut report = SlaReport::default();
    for id in due {
        let mut tx = ctx.begin().await?;
        let (before, agent) = lock(&tx, &system, id).await?;
        let Some(deadline) = before.carrier_deadline.filter(|_| before.status.is_open()) else { continue };
        let raise = deadline < horizon && before.priority < TicketPriority::High;
        let flag = deadline < now && before.overdue_flagged_at.is_none();
        if !raise && !flag {
            continue;
        }
        let mut m = before.clone().into_active_model();
        if raise {
            m.priority = Set(TicketPriority::High);
        }
        if flag {
            m.overdue_flagged_at = Set(Some(now));
        }
        m.updated_at = Set(now);
        let after = m.update(tx.db()).await?;
        if raise {
            report.raised += 1;
            let change = History::new(TicketEventKind::PriorityRaised).changes(json!({
                "priority": { "from": before.priority, "to": TicketPriority::High },
                "carrierDeadline": deadline,
            }));
            let summary = format!("Ticket {}: carrier deadline within 24 h, priority raised to HIGH", after.code);
            record(&mut tx, &system, &after, agent, change, summary, "ticket.updated", now).await?;
        }
        if flag {
            report.flagged_overdue += 1;
            let change = History::new(TicketEventKind::Overdue).changes(json!({ "carrierDeadline": deadline }));
            let summary = format!("Ticket {} is overdue: the carrier deadline has passed", after.code);
            record(&mut tx, &system, &after, agent, change, summary, "ticket.updated", now).await?;
        }
        audit::record(
            &tx,
            &system,
            now,
            Change::on("ticket.sla", "ticket", after.id)
                .before(json!({ "priority": before.priority, "overdueFlaggedAt": before.overdue_flagged_at }))
                .after(json!({ "priority": after.priority, "overdueFlaggedAt": after.overdue_flagged_at })),
        )
        .await?;
        tx.commit().await?;
    }
    if report != SlaReport::default() {
        tracing::info!(raised = report.raised, overdue = report.flagged_overdue, "ticket SLA check");
    }
    Ok(report)
}

// ---------------------------------------------------------------- history

/// A history entry being written.
struct History {
    kind: TicketEventKind,
    from: Option<TicketStatus>,
    to: Option<TicketStatus>,
    changes: Option<Value>,
    body: Option<String>,
}

impl History {
    fn new(kind: TicketEventKind) -> Self {
        Self { kind, from: None, to: None, changes: None, body: None }
    }
    fn from(self, s: TicketStatus) -> Self {
        Self { from: Some(s), ..self }
    }
    fn to(self, s: TicketStatus) -> Self {
        Self { to: Some(s), ..self }
    }
    fn changes(self, v: Value) -> Self {
        Self { changes: Some(v), ..self }
    }
    fn body(self, body: Option<String>) -> Self {
        Self { body, ..self }
    }
}

/// Writes a history entry and the customer's timeline entry, and queues
/// the event(s) for after the commit: `kind` (`ticket.created`,
/// `ticket.updated`, `ticket.status_changed`, `ticket.completed`); a
/// completion also publishes `ticket.status_changed`.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut Tx,
    actor: &Principal,
    t: &ticket::Model,
    customer_agent: Option<i64>,
    h: History,
    summary: String,
    kind: &str,
    now: DateTime<Utc>,
) -> AppResult<event::Model> {
    let entry = event::ActiveModel {
        ticket_id: Set(t.id),
        kind: Set(h.kind),
        from_status: Set(h.from),
        to_status: Set(h.to),
        changes: Set(h.changes.clone()),
        body: Set(h.body.clone()),
        actor: Set(actor.actor()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let data = json!({
        "ticketId": t.id,
        "code": t.code,
        "type": t.kind,
        "status": t.status,
        "priority": t.priority,
        "assigneeId": t.assignee_id,
        "history": h.kind,
        "from": h.from,
        "to": h.to,
        "changes": h.changes,
    });
    let activity_kind = match h.kind {
        TicketEventKind::Created => "ticket.created",
        TicketEventKind::StatusChanged => "ticket.status_changed",
        TicketEventKind::Resolved => "ticket.completed",
        TicketEventKind::Assigned => "ticket.assigned",
        TicketEventKind::NoteAdded => "ticket.note_added",
        TicketEventKind::Updated => "ticket.updated",
        TicketEventKind::PriorityRaised | TicketEventKind::Overdue => "ticket.sla",
    };
    crate::activities::service::record(tx.db(), t.customer_id, activity_kind, summary, data.clone(), actor, now)
        .await?;
    let event = |kind: &str| {
        let mut ev = DomainEvent::new(kind, "ticket", t.id, &actor.actor(), now);
        ev.customer_id = Some(t.customer_id);
        ev.assigned_agent_id = customer_agent;
        ev.assignee_id = t.assignee_id;
        ev.data = data.clone();
        ev
    };
    if kind == "ticket.completed" {
        tx.publish(event("ticket.status_changed"));
    }
    tx.publish(event(kind));
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_five_digits_at_least() {
        assert_eq!(ticket_code("TV", 2026, 1), "TV-2026-00001");
        assert_eq!(ticket_code("RMA", 2027, 123_456), "RMA-2027-123456");
    }

    #[test]
    fn attachments_are_http_urls() {
        assert!(attachments(&["https://cdn.example.com/a.jpg".into()]).is_ok());
        for bad in ["ftp://x/y", "not a url", "javascript:alert(1)", "/relative.png"] {
            assert!(attachments(&[bad.into()]).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("https://x.vn/{i}")).collect();
        assert!(attachments(&many).is_err());
    }
}
