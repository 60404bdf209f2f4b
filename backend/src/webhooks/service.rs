//! Webhook rules: endpoints registered, changed (re-enabled, secret
//! rotated) and deleted by ADMINs, deliveries listed with their attempts,
//! and replays (one delivery, or every event of an endpoint in a time
//! range). Every change is audited in its transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::{Value, json};

use super::model::{DeliveryStatus, attempt, delivery, endpoint, event};
use super::outbox::matches;
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;

/// Most patterns one endpoint may have.
pub const MAX_PATTERNS: usize = 50;
/// Most events one range replay may send again.
pub const MAX_REPLAY: usize = 10_000;

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    /// Generated when not given.
    pub secret: Option<String>,
    pub description: Option<String>,
    pub active: bool,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    /// `true` re-enables (clears the reason and the failure count).
    pub active: Option<bool>,
    /// A new secret: this one, or generated when `rotate_secret`.
    pub secret: Option<String>,
    pub rotate_secret: bool,
}

/// An http(s) URL with a host (a public one unless `allow_private`), or
/// `BAD_USER_INPUT` on `field`.
pub fn check_url(raw: &str, field: &str, allow_private: bool) -> AppResult<String> {
    let raw = raw.trim();
    if raw.len() > 2048 {
        return Err(AppError::bad_input(field, "a URL of at most 2048 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| AppError::bad_input(field, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::bad_input(field, format!("the URL must be http or https, not {}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AppError::bad_input(field, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::bad_input(field, "put no credentials in the URL; requests are signed instead"));
    }
    if !allow_private {
        super::guard::check_url_host(&url, field)?;
    }
    Ok(url.to_string())
}

/// Event-type patterns, trimmed and deduplicated: `*`, `wallet.*`, or an
/// exact type such as `ticket.status_changed` (lower-case words joined by
/// dots, a final `*` only after a dot). `BAD_USER_INPUT` on `field`.
pub fn check_patterns(patterns: &[String], field: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in patterns {
        let p = raw.trim();
        let word = |w: &str| {
            !w.is_empty()
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let words: Vec<&str> = p.split('.').collect();
        let ok = p == "*"
            || match words.split_last() {
                Some((last, rest)) if *last == "*" => !rest.is_empty() && rest.iter().all(|w| word(w)),
                _ => words.iter().all(|w| word(w)),
            };
        if !ok {
            return Err(AppError::bad_input(
                field,
                format!(
                    "{p:?} is not an event type: use `*`, `wallet.*` or an exact type like `ticket.status_changed`"
                ),
            ));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    if out.is_empty() {
        return Err(AppError::bad_input(field, "give at least one event type (`*` for every event)"));
    }
    if out.len() > MAX_PATTERNS {
        return Err(AppError::bad_input(field, format!("at most {MAX_PATTERNS} event types")));
    }
    Ok(out)
}

fn check_secret(secret: &str, field: &str) -> AppResult<String> {
    let s = secret.trim();
    if s.len() < 16 || s.len() > 128 || s.chars().any(char::is_whitespace) {
        return Err(AppError::bad_input(field, "a secret of 16 to 128 characters without spaces"));
    }
    Ok(s.to_owned())
}

fn clean_description(d: Option<String>) -> AppResult<Option<String>> {
    let d = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if d.as_ref().is_some_and(|d| d.chars().count() > 200) {
        return Err(AppError::bad_input("input.description", "at most 200 characters"));
    }
    Ok(d)
}

/// What the audit log keeps of an endpoint: never its secret.
fn snapshot(e: &endpoint::Model) -> Value {
    json!({
        "url": e.url,
        "description": e.description,
        "eventTypes": e.patterns(),
        "active": e.active,
        "disabledReason": e.disabled_reason,
        "secretHint": secret_hint(&e.secret),
    })
}

/// The last four characters of a secret, to tell secrets apart.
pub fn secret_hint(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

fn endpoint_event(kind: &str, e: &endpoint::Model, actor: &Principal, at: DateTime<Utc>) -> DomainEvent {
    let mut event = DomainEvent::new(kind, "webhook_endpoint", e.id, &actor.actor(), at);
    event.data = json!({ "url": e.url, "active": e.active, "reason": e.disabled_reason });
    event
}

/// Registers an endpoint; returns it with its secret (shown this once).
pub async fn create(ctx: &AppCtx, actor: &Principal, input: NewEndpoint) -> AppResult<(endpoint::Model, String)> {
    let url = check_url(&input.url, "input.url", ctx.config.webhook_allow_private_networks)?;
    let patterns = check_patterns(&input.event_types, "input.eventTypes")?;
    let secret = match input.secret.filter(|s| !s.trim().is_empty()) {
        Some(s) => check_secret(&s, "input.secret")?,
        None => super::signature::generate_secret(),
    };
    let description = clean_description(input.description)?;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let saved = endpoint::ActiveModel {
        url: Set(url),
        description: Set(description),
        event_types: Set(serde_json::to_string(&patterns).map_err(anyhow::Error::from)?),
        secret: Set(secret.clone()),
        active: Set(input.active),
        disabled_reason: Set((!input.active).then(|| format!("created disabled by {}", actor.actor()))),
        disabled_at: Set((!input.active).then_some(now)),
        consecutive_failures: Set(0),
        created_by: Set(actor.actor()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    tx.publish(endpoint_event("webhook.endpoint_created", &saved, actor, now));
    audit::record(&tx, actor, now, Change::on("webhook.create", "webhook_endpoint", saved.id).after(snapshot(&saved)))
        .await?;
    tx.commit().await?;
    ctx.db.outbox().invalidate();
    Ok((saved, secret))
}

/// Changes an endpoint; returns it, with the new secret when it changed.
pub async fn update(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    patch: EndpointPatch,
) -> AppResult<(endpoint::Model, Option<String>)> {
    let url = patch
        .url
        .as_deref()
        .map(|u| check_url(u, "input.url", ctx.config.webhook_allow_private_networks))
        .transpose()?;
    let patterns = patch.event_types.as_deref().map(|p| check_patterns(p, "input.eventTypes")).transpose()?;
    let secret = match (patch.secret.filter(|s| !s.trim().is_empty()), patch.rotate_secret) {
        (Some(s), _) => Some(check_secret(&s, "input.secret")?),
        (None, true) => Some(super::signature::generate_secret()),
        (None, false) => None,
    };
    let description = patch.description.map(clean_description).transpose()?;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let before = endpoint::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {id}")))?;
    let mut am = before.clone().into_active_model();
    if let Some(url) = url {
        am.url = Set(url);
    }
    if let Some(p) = patterns {
        am.event_types = Set(serde_json::to_string(&p).map_err(anyhow::Error::from)?);
    }
    if let Some(d) = description {
        am.description = Set(d);
    }
    if let Some(s) = &secret {
        am.secret = Set(s.clone());
    }
    let mut kind = "webhook.endpoint_updated";
    match patch.active {
        Some(true) if !before.active => {
            am.active = Set(true);
            am.disabled_reason = Set(None);
            am.disabled_at = Set(None);
            am.consecutive_failures = Set(0);
            kind = "webhook.endpoint_enabled";
        }
        Some(false) if before.active => {
            am.active = Set(false);
            am.disabled_reason = Set(Some(format!("disabled by {}", actor.actor())));
            am.disabled_at = Set(Some(now));
            kind = "webhook.endpoint_disabled";
        }
        _ => {}
    }
    am.updated_at = Set(now);
    let saved = am.update(tx.db()).await?;
    tx.publish(endpoint_event(kind, &saved, actor, now));
    audit::record(
        &tx,
        actor,
        now,
        Change::on("webhook.update", "webhook_endpoint", id).before(snapshot(&before)).after(snapshot(&saved)),
    )
    .await?;
    tx.commit().await?;
    ctx.db.outbox().invalidate();
    Ok((saved, secret))
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<()> {
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let before = endpoint::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {id}")))?;
    let deliveries = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::EndpointId.eq(id))
        .into_query();
    attempt::Entity::delete_many().filter(attempt::Column::DeliveryId.in_subquery(deliveries)).exec(tx.db()).await?;
    delivery::Entity::delete_many().filter(delivery::Column::EndpointId.eq(id)).exec(tx.db()).await?;
    endpoint::Entity::delete_by_id(id).exec(tx.db()).await?;
    tx.publish(endpoint_event("webhook.endpoint_deleted", &before, actor, now));
    audit::record(&tx, actor, now, Change::on("webhook.delete", "webhook_endpoint", id).before(snapshot(&before)))
        .await?;
    tx.commit().await?;
    ctx.db.outbox().invalidate();
    Ok(())
}

/// Every endpoint, oldest first.
pub async fn endpoints(ctx: &AppCtx) -> AppResult<Vec<endpoint::Model>> {
    Ok(endpoint::Entity::find().order_by_asc(endpoint::Column::Id).all(ctx.db.conn()).await?)
}

/// One endpoint.
pub async fn get_endpoint(ctx: &AppCtx, id: i64) -> AppResult<endpoint::Model> {
    endpoint::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {id}")))
}

/// A delivery with its event and attempts, as listed.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub delivery: delivery::Model,
    pub event: Option<event::Model>,
    /// Oldest first.
    pub attempts: Vec<attempt::Model>,
}

fn deliveries_query(endpoint_id: Option<i64>, status: Option<DeliveryStatus>) -> sea_orm::Select<delivery::Entity> {
    delivery::Entity::find()
        .apply_if(endpoint_id, |q, id| q.filter(delivery::Column::EndpointId.eq(id)))
        .apply_if(status, |q, s| q.filter(delivery::Column::Status.eq(s)))
}

/// A page of deliveries, newest first, with their events and attempts
/// (three queries whatever the page's size).
pub async fn deliveries(
    ctx: &AppCtx,
    endpoint_id: Option<i64>,
    status: Option<DeliveryStatus>,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<DeliveryView>, bool)> {
    let db = ctx.db.conn();
    let (rows, more) =
        crate::db::page_newest_first(db, deliveries_query(endpoint_id, status), delivery::Column::Id, first, before_id)
            .await?;
    Ok((views(ctx, rows).await?, more))
}

/// How many deliveries match.
pub async fn deliveries_count(
    ctx: &AppCtx,
    endpoint_id: Option<i64>,
    status: Option<DeliveryStatus>,
) -> AppResult<u64> {
    Ok(deliveries_query(endpoint_id, status).count(ctx.db.conn()).await?)
}

async fn views(ctx: &AppCtx, rows: Vec<delivery::Model>) -> AppResult<Vec<DeliveryView>> {
    let db = ctx.db.conn();
    let event_ids: Vec<i64> = rows.iter().map(|d| d.event_row_id).collect();
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let mut events: HashMap<i64, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(event_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut attempts: HashMap<i64, Vec<attempt::Model>> = HashMap::new();
    for a in attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(attempt::Column::Id)
        .all(db)
        .await?
    {
        attempts.entry(a.delivery_id).or_default().push(a);
    }
    Ok(rows
        .into_iter()
        .map(|d| DeliveryView {
            event: events.remove(&d.event_row_id),
            attempts: attempts.remove(&d.id).unwrap_or_default(),
            delivery: d,
        })
        .collect())
}

/// Sends delivery `id` again (new attempts, a fresh retry budget).
pub async fn replay_one(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<DeliveryView> {
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let d = delivery::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook delivery {id}")))?;
    if d.status == DeliveryStatus::Sending {
        return Err(AppError::conflict("id", "the delivery is being sent right now; try again in a moment"));
    }
    let mut am = d.clone().into_active_model();
    am.status = Set(DeliveryStatus::Pending);
    am.attempts = Set(0);
    am.replays = Set(d.replays + 1);
    am.next_attempt_at = Set(now);
    am.locked_until = Set(None);
    am.updated_at = Set(now);
    let saved = am.update(tx.db()).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("webhook.replay", "webhook_delivery", id).after(json!({ "endpointId": d.endpoint_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(views(ctx, vec![saved]).await?.remove(0))
}

/// Sends again, to endpoint `endpoint_id`, every event it subscribes to
/// that occurred in `[from, to)`: existing deliveries go back to the queue,
/// events it never got (it was disabled, or registered later) get one.
/// Deliveries being sent right now are left alone. Returns how many were
/// queued.
pub async fn replay_range(
    ctx: &AppCtx,
    actor: &Principal,
    endpoint_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    if from >= to {
        return Err(AppError::bad_input("to", "`to` must be after `from`"));
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let ep = endpoint::Entity::find_by_id(endpoint_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {endpoint_id}")))?;
    let patterns = ep.patterns();
    let candidates: Vec<(i64, String)> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::Kind)
        .filter(event::Column::OccurredAt.gte(from))
        .filter(event::Column::OccurredAt.lt(to))
        .order_by_asc(event::Column::Id)
        .limit(MAX_REPLAY as u64 * 4)
        .into_tuple()
        .all(tx.db())
        .await?;
    let wanted: Vec<i64> = candidates.into_iter().filter(|(_, k)| matches(&patterns, k)).map(|(id, _)| id).collect();
    if wanted.len() > MAX_REPLAY {
        return Err(AppError::bad_input("from", format!("more than {MAX_REPLAY} events in the range: narrow it")));
    }
    let mut queued = 0u64;
    for chunk in wanted.chunks(500) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("webhook_deliveries"))
            .columns(
                [
                    "endpoint_id",
                    "event_row_id",
                    "status",
                    "attempts",
                    "replays",
                    "next_attempt_at",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .on_conflict(
                OnConflict::columns([Alias::new("endpoint_id"), Alias::new("event_row_id")])
                    .update_columns(["status", "attempts", "next_attempt_at", "updated_at"].map(Alias::new))
                    .value(Alias::new("replays"), sea_orm::sea_query::Expr::cust("webhook_deliveries.replays + 1"))
                    .value(Alias::new("locked_until"), Option::<DateTime<Utc>>::None)
                    .action_and_where(sea_orm::sea_query::Expr::cust("webhook_deliveries.status <> 'SENDING'"))
                    .to_owned(),
            );
        for id in chunk {
            insert
                .values([
                    endpoint_id.into(),
                    (*id).into(),
                    "PENDING".into(),
                    0i32.into(),
                    1i32.into(),
                    now.into(),
                    now.into(),
                    now.into(),
                ])
                .map_err(|e| anyhow::anyhow!("building the replay insert: {e}"))?;
        }
        queued += tx.db().execute(&insert).await?.rows_affected();
    }
    audit::record(
        &tx,
        actor,
        now,
        Change::on("webhook.replay_range", "webhook_endpoint", endpoint_id)
            .after(json!({ "from": from, "to": to, "queued": queued })),
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}
