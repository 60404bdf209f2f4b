//! Delivery: workers that take messages from the communication log (the
//! durable queue) and hand them to a channel adapter, and the built-in
//! simulated vendor.
//!
//! - **Claim.** A worker claims up to `delivery_batch` QUEUED messages of
//!   each RUNNING campaign in one `UPDATE … RETURNING` (on PostgreSQL the rows
//!   are picked `FOR UPDATE SKIP LOCKED`, so instances never claim the
//!   same message), marking them SENDING with a lease. A message whose
//!   lease ran out (its worker died) goes back to the queue.
//! - **Send.** The adapter gets the batch with each message's idempotency
//!   key. Accepted messages become SENT; a failed hand-over is retried with backoff up to
//!   `delivery_max_attempts`, then FAILED.
//! - **Receipts** arrive later on `POST /webhooks/receipts`
//!   ([`super::service::apply_receipts`]) and settle the message
//!   (DELIVERED or FAILED), which then enters the customer's timeline.
//! - **At least once, never twice.** A crash after the vendor accepted a
//!   batch but before it was marked SENT sends the batch again after the
//!   lease; the vendor recognises the idempotency keys and neither sends
//!   nor receipts them twice.
//! - **Rate.** Each channel has a token bucket (`governor`) of
//!   `delivery_rate_per_second` per instance.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sea_orm::{ConnectionTrait, DbBackend, Value as DbValue};
use serde_json::json;

use super::model::{CampaignStatus, Channel, MessageStatus};
use super::service;
use crate::app::AppCtx;
use crate::error::{AppError, AppResult};

/// A claimed message, as adapters see it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub campaign_id: i64,
    pub customer_id: i64,
    pub channel: Channel,
    pub recipient: String,
    pub message: String,
    pub idempotency_key: String,
    pub attempts: i32,
}

/// How a hand-over went.
#[derive(Debug)]
pub enum Handover {
    /// The vendor has the whole batch.
    Accepted,
    /// Nothing was taken; try again later.
    Failed(String),
}

const CHANNELS: [Channel; 4] = [Channel::Sms, Channel::Email, Channel::Whatsapp, Channel::Push];

/// Starts the delivery worker and the simulated vendor's receipt sender.
/// `receipts_url` is where the simulated vendor posts its receipts.
pub fn spawn(ctx: &AppCtx, receipts_url: String) -> Vec<tokio::task::JoinHandle<()>> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    let worker = Worker {
        ctx: ctx.clone(),
        http: http.clone(),
        limiters: Arc::new(CHANNELS.map(|_| limiter(ctx.config.delivery_rate_per_second))),
    };
    let sim = SimVendor { ctx: ctx.clone(), http, url: receipts_url };
    vec![tokio::spawn(worker.run()), tokio::spawn(sim.run())]
}

/// Runs `round` for ever: again at once after a round that found more
/// work than it could take, after a tick when idle, after five ticks when
/// it failed (logged).
async fn repeat<F, Fut>(ctx: &AppCtx, what: &str, round: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = AppResult<bool>>,
{
    let tick = Duration::from_millis(ctx.config.delivery_tick_ms.max(10));
    loop {
        match round().await {
            Ok(true) => tokio::task::yield_now().await,
            Ok(false) => tokio::time::sleep(tick).await,
            Err(e) => {
                tracing::warn!(error = %e, "{what} failed; retrying");
                tokio::time::sleep(tick * 5).await;
            }
        }
    }
}

fn limiter(per_second: u32) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(rate))
}

struct Worker {
    ctx: AppCtx,
    http: reqwest::Client,
    limiters: Arc<[DefaultDirectRateLimiter; 4]>,
}

impl Worker {
    async fn run(self) {
        repeat(&self.ctx, "delivery round", || self.round()).await
    }

    /// One round: start due campaigns, expire closed windows, recover
    /// abandoned claims, then one batch per running campaign. True when a
    /// batch was full.
    async fn round(&self) -> AppResult<bool> {
        let ctx = &self.ctx;
        service::start_due(ctx).await?;
        // Idle (nothing running): one read a tick, no writes.
        let running = service::running(ctx).await?;
        if running.is_empty() {
            return Ok(false);
        }
        expire_closed_windows(ctx).await?;
        recover_abandoned(ctx).await?;
        let batch = ctx.config.delivery_batch as usize;
        let mut full = false;
        for (campaign_id, channel) in running {
            let claimed = claim(ctx, campaign_id, channel, batch).await?;
            if claimed.is_empty() {
                continue;
            }
            full |= claimed.len() == batch;
            let bucket = &self.limiters[CHANNELS.iter().position(|c| *c == channel).unwrap_or(0)];
            if let Some(n) = NonZeroU32::new(claimed.len() as u32) {
                // Waits for the channel's tokens; a batch above the burst
                // is let through once the bucket is full.
                if bucket.until_n_ready(n).await.is_err() {
                    bucket.until_ready().await;
                }
            }
            let outcome = match ctx.config.channel_webhooks.get(channel.as_str()) {
                Some(url) => webhook_send(&self.http, url, channel, &claimed).await,
                None => sim_accept(ctx, &claimed).await,
            };
            match outcome {
                Handover::Accepted => mark_sent(ctx, &claimed).await?,
                Handover::Failed(why) => retry_later(ctx, &claimed, &why).await?,
            }
        }
        Ok(full)
    }
}

use crate::db::statement as stmt;

/// Claims up to `limit` queued messages of the running campaign
/// `campaign_id`, oldest first. The pick walks the log's (campaign, status,
/// id) index and stops after `limit` rows, whatever the queue's size.
async fn claim(ctx: &AppCtx, campaign_id: i64, channel: Channel, limit: usize) -> AppResult<Vec<Outgoing>> {
    let backend = ctx.db.backend();
    let now = ctx.now();
    let lease = now + chrono::Duration::seconds(ctx.config.delivery_lease_seconds as i64);
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE communication_log SET status = 'SENDING', locked_until = ?, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM communication_log \
           WHERE campaign_id = ? AND status = 'QUEUED' AND next_attempt_at <= ? \
           ORDER BY id LIMIT ?{skip_locked}) \
         RETURNING id, campaign_id, customer_id, recipient, message, idempotency_key, attempts"
    );
    let rows = ctx
        .db
        .conn()
        .query_all_raw(stmt(backend, &sql, vec![lease.into(), campaign_id.into(), now.into(), (limit as i64).into()]))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Outgoing {
            id: r.try_get("", "id")?,
            campaign_id: r.try_get("", "campaign_id")?,
            customer_id: r.try_get("", "customer_id")?,
            channel,
            recipient: r.try_get("", "recipient")?,
            message: r.try_get("", "message")?,
            idempotency_key: r.try_get("", "idempotency_key")?,
            attempts: r.try_get("", "attempts")?,
        });
    }
    out.sort_by_key(|m| m.id);
    Ok(out)
}

/// Claims whose worker died (the lease ran out) go back to the queue.
async fn recover_abandoned(ctx: &AppCtx) -> AppResult<u64> {
    let n = crate::db::release_expired_leases(&ctx.db, "communication_log", "QUEUED", ctx.now()).await?;
    if n > 0 {
        tracing::info!(messages = n, "abandoned deliveries back in the queue");
    }
    Ok(n)
}

/// Running campaigns whose window closed: what was not handed over
/// expires, and the campaign settles.
async fn expire_closed_windows(ctx: &AppCtx) -> AppResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let now = ctx.now();
    let closed: Vec<i64> = super::model::campaign::Entity::find()
        .select_only()
        .column(super::model::campaign::Column::Id)
        .filter(super::model::campaign::Column::Status.eq(CampaignStatus::Running))
        .filter(super::model::campaign::Column::EndsAt.lte(now))
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    for id in closed {
        let mut tx = ctx.begin().await?;
        tx.db()
            .execute_raw(stmt(
                ctx.db.backend(),
                "UPDATE communication_log SET status = 'EXPIRED', locked_until = NULL \
                 WHERE campaign_id = ? AND status = 'QUEUED'",
                vec![id.into()],
            ))
            .await?;
        service::settle_campaigns(&mut tx, &[id], now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The batch is with the vendor: SENT, progress published. (The
/// customer's timeline gets the message when its receipt settles it.)
async fn mark_sent(ctx: &AppCtx, batch: &[Outgoing]) -> AppResult<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
    super::model::message::Entity::update_many()
        .col_expr(super::model::message::Column::Status, Expr::val(MessageStatus::Sent.as_str()))
        .col_expr(super::model::message::Column::SentAt, Expr::val(now))
        .col_expr(super::model::message::Column::Error, Expr::val(Option::<String>::None))
        .col_expr(super::model::message::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(super::model::message::Column::Id.is_in(ids))
        .filter(super::model::message::Column::Status.eq(MessageStatus::Sending))
        .exec(tx.db())
        .await?;
    let mut campaigns: Vec<i64> = batch.iter().map(|m| m.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    service::settle_campaigns(&mut tx, &campaigns, now).await?;
    tx.commit().await
}

/// The hand-over failed: back to the queue after a backoff (2^attempts
/// seconds, at most 5 minutes), or FAILED after the last attempt.
async fn retry_later(ctx: &AppCtx, batch: &[Outgoing], why: &str) -> AppResult<()> {
    tracing::warn!(messages = batch.len(), error = why, "vendor hand-over failed");
    let now = ctx.now();
    let max = ctx.config.delivery_max_attempts;
    let mut tx = ctx.begin().await?;
    let backend = ctx.db.backend();
    for m in batch {
        if m.attempts >= max {
            tx.db()
                .execute_raw(stmt(
                    backend,
                    "UPDATE communication_log SET status = 'FAILED', locked_until = NULL, error = ? \
                     WHERE id = ? AND status = 'SENDING'",
                    vec![format!("gave up after {} attempts: {why}", m.attempts).into(), m.id.into()],
                ))
                .await?;
        } else {
            let wait = chrono::Duration::seconds((1i64 << m.attempts.clamp(0, 8)).min(300));
            tx.db()
                .execute_raw(stmt(
                    backend,
                    "UPDATE communication_log SET status = 'QUEUED', locked_until = NULL, error = ?, \
                     next_attempt_at = ? WHERE id = ? AND status = 'SENDING'",
                    vec![why.to_owned().into(), (now + wait).into(), m.id.into()],
                ))
                .await?;
        }
    }
    let mut campaigns: Vec<i64> = batch.iter().map(|m| m.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    service::settle_campaigns(&mut tx, &campaigns, now).await?;
    tx.commit().await
}

/// The generic HTTP webhook adapter: one POST per batch,
/// `{"channel", "messages": [{"idempotencyKey", "recipient", "message"}]}`;
/// any 2xx means the vendor has them all, and its receipts come to
/// `/webhooks/receipts`.
async fn webhook_send(http: &reqwest::Client, url: &str, channel: Channel, batch: &[Outgoing]) -> Handover {
    let body = json!({
        "channel": channel,
        "messages": batch.iter().map(|m| json!({
            "idempotencyKey": m.idempotency_key,
            "recipient": m.recipient,
            "message": m.message,
        })).collect::<Vec<_>>(),
    });
    match http.post(url).json(&body).send().await {
        Ok(res) if res.status().is_success() => Handover::Accepted,
        Ok(res) => Handover::Failed(format!("the vendor answered {}", res.status())),
        Err(e) => Handover::Failed(format!("the vendor could not be reached: {}", e.without_url())),
    }
}

/// The simulated vendor accepts a batch: each idempotency key once (a
/// repeated key only counts the repeat), its outcome drawn with
/// `sim_vendor_failure_percent`, its receipt to be posted later.
async fn sim_accept(ctx: &AppCtx, batch: &[Outgoing]) -> Handover {
    match sim_store(ctx, batch).await {
        Ok(()) => Handover::Accepted,
        Err(e) => Handover::Failed(format!("the simulated vendor failed: {e}")),
    }
}

async fn sim_store(ctx: &AppCtx, batch: &[Outgoing]) -> AppResult<()> {
    use rand::Rng;
    let backend = ctx.db.backend();
    let now = ctx.now();
    let fail = u32::from(ctx.config.sim_vendor_failure_percent);
    // SQLite takes at most 32,766 parameters per statement: 5 per row.
    for chunk in batch.chunks(1_000) {
        let mut values: Vec<DbValue> = Vec::with_capacity(chunk.len() * 5);
        let draws: Vec<bool> = {
            let mut rng = rand::rng();
            chunk.iter().map(|_| rng.random_range(0..100) < fail).collect()
        };
        for (m, failed) in chunk.iter().zip(draws) {
            values.push(m.idempotency_key.clone().into());
            values.push(format!("sim-{}", m.idempotency_key).into());
            values.push(m.recipient.clone().into());
            values.push((if failed { "FAILED" } else { "DELIVERED" }).into());
            values.push(now.into());
        }
        let rows = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "INSERT INTO sim_vendor_messages (idempotency_key, vendor_message_id, recipient, outcome, accepted_at) \
             VALUES {rows} ON CONFLICT (idempotency_key) DO UPDATE SET accepted = sim_vendor_messages.accepted + 1"
        );
        ctx.db.conn().execute_raw(stmt(backend, &sql, values)).await?;
    }
    Ok(())
}

/// The simulated vendor's receipt sender: posts the receipts of accepted
/// messages to the server, a batch at a time, and remembers which went.
struct SimVendor {
    ctx: AppCtx,
    http: reqwest::Client,
    url: String,
}

impl SimVendor {
    async fn run(self) {
        repeat(&self.ctx, "simulated vendor's receipts", || async { Ok(self.post_receipts().await? > 0) }).await
    }

    async fn post_receipts(&self) -> AppResult<usize> {
        let ctx = &self.ctx;
        let backend = ctx.db.backend();
        let rows = ctx
            .db
            .conn()
            .query_all_raw(stmt(
                backend,
                "SELECT idempotency_key, outcome FROM sim_vendor_messages WHERE receipt_posted = ? \
                 ORDER BY accepted_at LIMIT 2000",
                vec![false.into()],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut keys = Vec::with_capacity(rows.len());
        let mut receipts = Vec::with_capacity(rows.len());
        for r in rows {
            let key: String = r.try_get("", "idempotency_key")?;
            let outcome: String = r.try_get("", "outcome")?;
            let error = (outcome == "FAILED").then_some("simulated failure: the handset did not answer");
            receipts.push(json!({"idempotencyKey": key, "status": outcome, "error": error}));
            keys.push(key);
        }
        let res = self
            .http
            .post(&self.url)
            .header("X-Webhook-Secret", receipts_secret(ctx))
            .json(&json!({ "receipts": receipts }))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("posting receipts: {}", e.without_url()))?;
        if !res.status().is_success() {
            return Err(AppError::Internal(anyhow::anyhow!("the server answered {} to the receipts", res.status())));
        }
        for chunk in keys.chunks(1_000) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut values: Vec<DbValue> = vec![true.into()];
            values.extend(chunk.iter().map(|k| DbValue::from(k.clone())));
            ctx.db
                .conn()
                .execute_raw(stmt(
                    backend,
                    &format!("UPDATE sim_vendor_messages SET receipt_posted = ? WHERE idempotency_key IN ({marks})"),
                    values,
                ))
                .await?;
        }
        Ok(keys.len())
    }
}

/// The secret of `POST /webhooks/receipts`: configured, or derived from
/// the JWT secret (every instance derives the same).
pub fn receipts_secret(ctx: &AppCtx) -> String {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    match &ctx.config.receipts_secret {
        Some(s) if !s.expose_secret().is_empty() => s.expose_secret().to_owned(),
        _ => hex::encode(Sha256::digest(format!("receipts:{}", ctx.config.jwt_secret.expose_secret()))),
    }
}
