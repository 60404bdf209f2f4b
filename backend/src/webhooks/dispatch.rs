//! The webhook dispatcher, in every instance that enables it
//! (`webhooks_enabled`); instances share the work through the database.
//!
//! - **Fan out.** Events in the outbox not yet fanned out are taken
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the writer lock on SQLite)
//!   and get one PENDING delivery per active endpoint whose patterns match
//!   (unique per endpoint and event), in one transaction.
//! - **Claim.** Due PENDING deliveries of active endpoints become SENDING
//!   under a lease (`webhook_lease_seconds`) in one `UPDATE … RETURNING`;
//!   a delivery whose lease ran out (its instance died) goes back to
//!   PENDING and is sent again: at least once, with the same event id.
//! - **Send.** A signed POST (see [`super::signature`]) with a timeout;
//!   any 2xx is delivered. Every attempt is recorded (status code, latency,
//!   error). A failure is retried after `webhook_retry_base_ms · 2^(n-1)`
//!   (±20% jitter, at most `webhook_retry_max_ms`) until
//!   `webhook_max_attempts`, then the delivery is FAILED.
//! - **Disable.** After `webhook_disable_after_failures` FAILED deliveries
//!   in a row (no success between), the endpoint is disabled with a reason,
//!   an audit row, a `webhook.endpoint_disabled` event and a log warning.

use std::time::{Duration, Instant};

use futures::StreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Value as DbValue};
use serde_json::json;

use super::model::{endpoint, event};
use super::outbox::matches;
use super::signature::{
    DELIVERY_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign,
};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::db::statement as stmt;
use crate::error::AppResult;
use crate::events::DomainEvent;

/// Starts the dispatcher (when enabled) and, always, the watcher that
/// invalidates this instance's outbox flag when another instance changes
/// the endpoints.
pub fn spawn(ctx: &AppCtx) -> Vec<tokio::task::JoinHandle<()>> {
    let mut jobs = vec![tokio::spawn(watch_endpoints(ctx.clone()))];
    if ctx.config.webhooks_enabled {
        let mut http = reqwest::Client::builder();
        if !ctx.config.webhook_allow_private_networks {
            http = http.dns_resolver(std::sync::Arc::new(super::guard::PublicOnly));
        }
        let http = http
            .timeout(Duration::from_millis(ctx.config.webhook_timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("crm360-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        // The first pruning an hour after the start.
        let pruned_at = std::sync::Mutex::new(ctx.now());
        jobs.push(tokio::spawn(Dispatcher { ctx: ctx.clone(), http, pruned_at }.run()));
    }
    jobs
}

async fn watch_endpoints(ctx: AppCtx) {
    let (mut rx, _) = ctx.bus.subscribe();
    loop {
        match rx.recv().await {
            Ok(e) if e.kind.starts_with("webhook.endpoint_") => ctx.db.outbox().invalidate(),
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => ctx.db.outbox().invalidate(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

struct Dispatcher {
    ctx: AppCtx,
    http: reqwest::Client,
    /// When this dispatcher last pruned the log ([`prune`]).
    pruned_at: std::sync::Mutex<chrono::DateTime<chrono::Utc>>,
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone)]
struct Claimed {
    id: i64,
    endpoint_id: i64,
    event_row_id: i64,
    attempts: i32,
    replays: i32,
}

/// How one attempt went.
#[derive(Debug)]
struct Outcome {
    status_code: Option<i32>,
    latency_ms: i64,
    error: Option<String>,
}

impl Outcome {
    fn success(&self) -> bool {
        self.error.is_none()
    }
}

impl Dispatcher {
    async fn run(self) {
        let tick = Duration::from_millis(self.ctx.config.webhook_tick_ms.max(10));
        loop {
            match self.round().await {
                Ok(true) => tokio::task::yield_now().await,
                Ok(false) => tokio::time::sleep(tick).await,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook dispatch round failed; retrying");
                    tokio::time::sleep(tick * 5).await;
                }
            }
        }
    }

    /// One round; true when there was more work than one round takes.
    async fn round(&self) -> AppResult<bool> {
        let ctx = &self.ctx;
        self.prune_hourly().await?;
        // No endpoint registered: nothing to do, and no statement run
        // while the outbox's flag is fresh.
        if !ctx.db.outbox().wanted(ctx.db.conn()).await? {
            return Ok(false);
        }
        let batch = ctx.config.webhook_batch.max(1) as usize;
        let fanned = fan_out(ctx, batch).await?;
        recover_abandoned(ctx).await?;
        let claimed = claim(ctx, batch).await?;
        let full = claimed.len() == batch || fanned == batch;
        if claimed.is_empty() {
            return Ok(full);
        }
        let endpoints: std::collections::HashMap<i64, endpoint::Model> = endpoint::Entity::find()
            .filter(endpoint::Column::Id.is_in(claimed.iter().map(|c| c.endpoint_id)))
            .all(ctx.db.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let events: std::collections::HashMap<i64, event::Model> = event::Entity::find()
            .filter(event::Column::Id.is_in(claimed.iter().map(|c| c.event_row_id)))
            .all(ctx.db.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let concurrency = ctx.config.webhook_concurrency.max(1) as usize;
        let settled: Vec<AppResult<()>> = futures::stream::iter(claimed)
            .map(|c| {
                let (ep, ev) = (endpoints.get(&c.endpoint_id), events.get(&c.event_row_id));
                async move {
                    let outcome = match (ep, ev) {
                        (Some(ep), Some(ev)) => self.send(&c, ep, ev).await,
                        _ => Outcome { status_code: None, latency_ms: 0, error: Some("endpoint or event gone".into()) },
                    };
                    settle(ctx, &c, outcome).await
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for r in settled {
            r?;
        }
        Ok(full)
    }

    /// [`prune`], at most once an hour (of the app's clock).
    async fn prune_hourly(&self) -> AppResult<()> {
        let now = self.ctx.now();
        let last = *self.pruned_at.lock().unwrap_or_else(|e| e.into_inner());
        if now - last < chrono::Duration::hours(1) {
            return Ok(());
        }
        let (deliveries, events) = prune(&self.ctx).await?;
        if deliveries + events > 0 {
            tracing::info!(deliveries, events, "webhook log pruned");
        }
        *self.pruned_at.lock().unwrap_or_else(|e| e.into_inner()) = now;
        Ok(())
    }

    /// One signed POST.
    async fn send(&self, c: &Claimed, ep: &endpoint::Model, ev: &event::Model) -> Outcome {
        let ts = self.ctx.now().timestamp();
        let started = Instant::now();
        // An address literal registered while private ones were allowed.
        if !self.ctx.config.webhook_allow_private_networks
            && let Ok(url) = url::Url::parse(&ep.url)
            && let Err(e) = super::guard::check_url_host(&url, "url")
        {
            return Outcome { status_code: None, latency_ms: 0, error: Some(e.to_string()) };
        }
        let res = self
            .http
            .post(&ep.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, sign(&ep.secret, ts, &ev.payload))
            .header(EVENT_ID_HEADER, &ev.event_id)
            .header(EVENT_TYPE_HEADER, &ev.kind)
            .header(DELIVERY_ID_HEADER, c.id.to_string())
            .body(ev.payload.clone())
            .send()
            .await;
        let outcome = match res {
            Ok(r) if r.status().is_success() => {
                Outcome { status_code: Some(i32::from(r.status().as_u16())), latency_ms: 0, error: None }
            }
            Ok(r) => {
                let status = r.status();
                let text: String = r.text().await.unwrap_or_default().chars().take(200).collect();
                let text = text.trim();
                let error = if text.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {text}") };
                Outcome { status_code: Some(i32::from(status.as_u16())), latency_ms: 0, error: Some(error) }
            }
            Err(e) => {
                let why = if e.is_timeout() {
                    format!("timed out after {} ms", self.ctx.config.webhook_timeout_ms)
                } else if e.is_connect() {
                    refused_reason(&e).unwrap_or_else(|| "could not connect".to_owned())
                } else {
                    e.without_url().to_string()
                };
                Outcome { status_code: None, latency_ms: 0, error: Some(why) }
            }
        };
        Outcome { latency_ms: started.elapsed().as_millis().min(i64::MAX as u128) as i64, ..outcome }
    }
}

/// The guard's reason when it refused the receiver's address.
fn refused_reason(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<super::guard::NotPublic>() {
            return Some(refused.to_string());
        }
        source = s.source();
    }
    None
}

/// Gives events not yet fanned out a delivery per matching active
/// endpoint. Returns how many events it took.
async fn fan_out(ctx: &AppCtx, limit: usize) -> AppResult<usize> {
    let backend = ctx.db.backend();
    // A read first: no write transaction on an idle outbox.
    let waiting = ctx
        .db
        .conn()
        .query_one_raw(stmt(backend, "SELECT id FROM webhook_events WHERE fanned_out = ? LIMIT 1", vec![false.into()]))
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let rows = tx
        .db()
        .query_all_raw(stmt(
            backend,
            &format!("SELECT id, kind FROM webhook_events WHERE fanned_out = ? ORDER BY id LIMIT ?{skip_locked}"),
            vec![false.into(), (limit as i64).into()],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        events.push((r.try_get::<i64>("", "id")?, r.try_get::<String>("", "kind")?));
    }
    let endpoints = endpoint::Entity::find().filter(endpoint::Column::Active.eq(true)).all(tx.db()).await?;
    let patterns: Vec<(i64, Vec<String>)> = endpoints.iter().map(|e| (e.id, e.patterns())).collect();
    let mut pairs: Vec<(i64, i64)> = Vec::new();
    for (event_id, kind) in &events {
        for (endpoint_id, p) in &patterns {
            if matches(p, kind) {
                pairs.push((*endpoint_id, *event_id));
            }
        }
    }
    for chunk in pairs.chunks(500) {
        let mut values: Vec<DbValue> = Vec::with_capacity(chunk.len() * 5);
        for (endpoint_id, event_id) in chunk {
            values.extend([(*endpoint_id).into(), (*event_id).into(), now.into(), now.into(), now.into()]);
        }
        let rows = vec!["(?, ?, 'PENDING', 0, 0, ?, ?, ?)"; chunk.len()].join(", ");
        tx.db()
            .execute_raw(stmt(
                backend,
                &format!(
                    "INSERT INTO webhook_deliveries \
                     (endpoint_id, event_row_id, status, attempts, replays, next_attempt_at, created_at, updated_at) \
                     VALUES {rows} ON CONFLICT (endpoint_id, event_row_id) DO NOTHING"
                ),
                values,
            ))
            .await?;
    }
    let marks = vec!["?"; events.len()].join(", ");
    let mut values: Vec<DbValue> = vec![true.into()];
    values.extend(events.iter().map(|(id, _)| DbValue::from(*id)));
    tx.db()
        .execute_raw(stmt(backend, &format!("UPDATE webhook_events SET fanned_out = ? WHERE id IN ({marks})"), values))
        .await?;
    tx.commit().await?;
    Ok(events.len())
}

/// Deletes the deliveries settled (DELIVERED or FAILED) more than
/// `webhook_retention_days` ago with their attempts, then the events that
/// no delivery refers to any more. Pending deliveries and their events
/// stay, whatever their age. Returns (deliveries, events) deleted.
pub async fn prune(ctx: &AppCtx) -> AppResult<(u64, u64)> {
    let backend = ctx.db.backend();
    let cutoff = ctx.now() - chrono::Duration::days(i64::from(ctx.config.webhook_retention_days.max(1)));
    let settled = "status IN ('DELIVERED', 'FAILED') AND updated_at < ?";
    let tx = ctx.begin().await?;
    tx.db()
        .execute_raw(stmt(
            backend,
            &format!(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE {settled})"
            ),
            vec![cutoff.into()],
        ))
        .await?;
    let deliveries = tx
        .db()
        .execute_raw(stmt(backend, &format!("DELETE FROM webhook_deliveries WHERE {settled}"), vec![cutoff.into()]))
        .await?
        .rows_affected();
    let events = tx
        .db()
        .execute_raw(stmt(
            backend,
            "DELETE FROM webhook_events WHERE fanned_out = ? AND occurred_at < ? \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_row_id = webhook_events.id)",
            vec![true.into(), cutoff.into()],
        ))
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((deliveries, events))
}

/// Claims whose instance died (the lease ran out) go back to PENDING.
async fn recover_abandoned(ctx: &AppCtx) -> AppResult<u64> {
    let n = crate::db::release_expired_leases(&ctx.db, "webhook_deliveries", "PENDING", ctx.now()).await?;
    if n > 0 {
        tracing::info!(deliveries = n, "abandoned webhook deliveries back in the queue");
    }
    Ok(n)
}

/// Claims up to `limit` due deliveries of active endpoints.
async fn claim(ctx: &AppCtx, limit: usize) -> AppResult<Vec<Claimed>> {
    let backend = ctx.db.backend();
    let now = ctx.now();
    let lease = now + chrono::Duration::seconds(ctx.config.webhook_lease_seconds.max(1) as i64);
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'SENDING', locked_until = ?, attempts = attempts + 1, updated_at = ? \
         WHERE id IN (SELECT id FROM webhook_deliveries \
           WHERE status = 'PENDING' AND next_attempt_at <= ? \
             AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE active = ?) \
           ORDER BY next_attempt_at, id LIMIT ?{skip_locked}) \
         RETURNING id, endpoint_id, event_row_id, attempts, replays"
    );
    let rows = ctx
        .db
        .conn()
        .query_all_raw(stmt(
            backend,
            &sql,
            vec![lease.into(), now.into(), now.into(), true.into(), (limit as i64).into()],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Claimed {
            id: r.try_get("", "id")?,
            endpoint_id: r.try_get("", "endpoint_id")?,
            event_row_id: r.try_get("", "event_row_id")?,
            attempts: r.try_get("", "attempts")?,
            replays: r.try_get("", "replays")?,
        });
    }
    Ok(out)
}

/// The wait before retry number `attempts + 1`.
pub fn backoff(base_ms: u64, max_ms: u64, attempts: i32) -> Duration {
    use rand::Rng;
    let exp = base_ms.saturating_mul(1u64 << (attempts - 1).clamp(0, 30)).min(max_ms);
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_millis((exp as f64 * jitter) as u64)
}

/// Records the attempt and moves the delivery on: DELIVERED, back to
/// PENDING after a backoff, or FAILED (which may disable the endpoint).
async fn settle(ctx: &AppCtx, c: &Claimed, outcome: Outcome) -> AppResult<()> {
    let backend = ctx.db.backend();
    let now = ctx.now();
    let cfg = &ctx.config;
    let mut tx = ctx.begin().await?;
    tx.db()
        .execute_raw(stmt(
            backend,
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error, success, replay) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                c.id.into(),
                now.into(),
                outcome.status_code.into(),
                outcome.latency_ms.into(),
                outcome.error.clone().into(),
                outcome.success().into(),
                (c.replays > 0).into(),
            ],
        ))
        .await?;
    // Only while the claim is still this one (not taken again after its lease).
    let ours = "WHERE id = ? AND status = 'SENDING' AND attempts = ?";
    let failed_for_good = !outcome.success() && c.attempts >= cfg.webhook_max_attempts.max(1);
    let changed = if outcome.success() {
        tx.db()
            .execute_raw(stmt(
                backend,
                &format!(
                    "UPDATE webhook_deliveries SET status = 'DELIVERED', locked_until = NULL, delivered_at = ?, \
                     last_status_code = ?, last_error = NULL, updated_at = ? {ours}"
                ),
                vec![now.into(), outcome.status_code.into(), now.into(), c.id.into(), c.attempts.into()],
            ))
            .await?
    } else if failed_for_good {
        tx.db()
            .execute_raw(stmt(
                backend,
                &format!(
                    "UPDATE webhook_deliveries SET status = 'FAILED', locked_until = NULL, \
                     last_status_code = ?, last_error = ?, updated_at = ? {ours}"
                ),
                vec![
                    outcome.status_code.into(),
                    outcome.error.clone().into(),
                    now.into(),
                    c.id.into(),
                    c.attempts.into(),
                ],
            ))
            .await?
    } else {
        let wait = backoff(cfg.webhook_retry_base_ms, cfg.webhook_retry_max_ms, c.attempts);
        let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
        tx.db()
            .execute_raw(stmt(
                backend,
                &format!(
                    "UPDATE webhook_deliveries SET status = 'PENDING', locked_until = NULL, next_attempt_at = ?, \
                     last_status_code = ?, last_error = ?, updated_at = ? {ours}"
                ),
                vec![
                    next.into(),
                    outcome.status_code.into(),
                    outcome.error.clone().into(),
                    now.into(),
                    c.id.into(),
                    c.attempts.into(),
                ],
            ))
            .await?
    };
    if changed.rows_affected() > 0 {
        if outcome.success() {
            tx.db()
                .execute_raw(stmt(
                    backend,
                    "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0",
                    vec![c.endpoint_id.into()],
                ))
                .await?;
        } else if failed_for_good {
            count_failure(ctx, &mut tx, c.endpoint_id, outcome.error.as_deref().unwrap_or("failed")).await?;
        }
    }
    tx.commit().await
}

/// One more FAILED delivery for the endpoint; disables it at the limit.
async fn count_failure(ctx: &AppCtx, tx: &mut crate::db::Tx, endpoint_id: i64, last_error: &str) -> AppResult<()> {
    let backend = ctx.db.backend();
    let now = ctx.now();
    let row = tx
        .db()
        .query_one_raw(stmt(
            backend,
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = ? \
             RETURNING consecutive_failures, active",
            vec![endpoint_id.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(()) };
    let failures: i32 = row.try_get("", "consecutive_failures")?;
    let active: bool = row.try_get("", "active")?;
    let limit = ctx.config.webhook_disable_after_failures;
    if !active || limit <= 0 || failures < limit {
        return Ok(());
    }
    let reason = format!("disabled after {failures} failed deliveries in a row (last: {last_error})");
    tx.db()
        .execute_raw(stmt(
            backend,
            "UPDATE webhook_endpoints SET active = ?, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?",
            vec![false.into(), reason.clone().into(), now.into(), now.into(), endpoint_id.into()],
        ))
        .await?;
    let url = endpoint::Entity::find_by_id(endpoint_id).one(tx.db()).await?.map(|e| e.url).unwrap_or_default();
    tracing::warn!(endpoint = endpoint_id, url = %url, reason = %reason, "webhook endpoint disabled");
    let system = Principal::system();
    let mut event =
        DomainEvent::new("webhook.endpoint_disabled", "webhook_endpoint", endpoint_id, &system.actor(), now);
    event.data = json!({ "url": url, "active": false, "reason": reason });
    tx.publish(event);
    audit::record(
        tx,
        &system,
        now,
        Change::on("webhook.auto_disable", "webhook_endpoint", endpoint_id)
            .before(json!({ "active": true }))
            .after(json!({ "active": false, "disabledReason": reason })),
    )
    .await?;
    Ok(())
}
