//! The event bus: domain events reach subscribers after their transaction
//! commits ([`crate::db::Tx::commit`] publishes them), in one total order,
//! and stay in a short retention log so that a client that reconnects can
//! resume after the last event it saw ([`EventBus::replay`]).
//!
//! - **In-process** (no `REDIS_URL`, one server): publishing appends the
//!   event to an in-memory log (bounded by `events_retention_seconds` and
//!   100,000 events) and sends it on a bounded `tokio::sync::broadcast`
//!   channel, under one short lock, so the log's order is the order
//!   subscribers see. Event ids are `<process start ms>-<n>`: an id from
//!   before a restart is recognised and the client is told to resync.
//! - **Redis** (`REDIS_URL`, many servers): publishing is an `XADD` to the
//!   Redis stream `events_channel` (trimmed to the retention by `MINID`);
//!   every instance reads the stream with `XREAD BLOCK` and forwards what
//!   it reads to its local channel. The stream is both the transport and
//!   the log, so every instance sees every event in the same order, event
//!   ids are stream ids, and resuming is an `XRANGE` after the id.
//!
//! A slow subscriber never blocks a publisher: it lags behind the bounded
//! local channel, is told (`LAGGED` with its last event id) and resumes.

pub mod stream;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Most events the in-process log keeps, whatever the retention.
const LOG_CAPACITY: usize = 100_000;
/// Most events one resume replays.
pub const MAX_REPLAY: usize = 10_000;

/// Something that happened, as subscribers see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainEvent {
    /// Position in the event log, given when published (`1732194000000-42`):
    /// increasing, and what a client resumes after.
    #[serde(default)]
    pub id: String,
    /// `customer.created`, `wallet.deposited`, `ticket.status_changed`, …
    pub kind: String,
    /// `customer`, `wallet`, `ticket`, `bank_transfer`.
    pub entity_type: String,
    pub entity_id: i64,
    /// The customer the event concerns, for filtering by role.
    pub customer_id: Option<i64>,
    /// The agent the customer is assigned to, for AGENT filtering.
    pub assigned_agent_id: Option<i64>,
    /// The staff member a ticket is assigned to (an AGENT also sees those).
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// `user:1`, `apikey:3`, `system`.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// Event-specific detail.
    pub data: serde_json::Value,
}

impl DomainEvent {
    /// A new event; its id is given when it is published.
    pub fn new(kind: &str, entity_type: &str, entity_id: i64, actor: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: String::new(),
            kind: kind.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id,
            customer_id: None,
            assigned_agent_id: None,
            assignee_id: None,
            actor: actor.to_owned(),
            at,
            data: serde_json::Value::Null,
        }
    }

    /// Its position, for ordering.
    pub fn position(&self) -> Option<Position> {
        Position::parse(&self.id)
    }
}

/// A position in the event log: `<ms>-<n>`, ordered as a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub u64, pub u64);

impl Position {
    pub fn parse(id: &str) -> Option<Self> {
        let (a, b) = id.split_once('-')?;
        Some(Self(a.parse().ok()?, b.parse().ok()?))
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// Why events after a position cannot be replayed: the client must reload
/// what it shows and subscribe again without `afterEventId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// Not an event id.
    Malformed,
    /// Older than the retention (or from before a restart): events may be missing.
    Expired,
}

/// Publishes and delivers domain events.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<DomainEvent>,
    retention: Duration,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    InProcess(Arc<Mutex<Log>>),
    Redis(Arc<RedisLink>),
}

/// The in-process log.
struct Log {
    /// Process start (ms): the first half of every id.
    epoch: u64,
    next: u64,
    events: VecDeque<(DateTime<Utc>, DomainEvent)>,
}

struct RedisLink {
    stream: String,
    conn: redis::aio::ConnectionManager,
    /// The last stream id this instance forwarded to its subscribers.
    forwarded: Arc<Mutex<String>>,
}

impl EventBus {
    /// A bus inside this process only.
    /// `buffer`: how far a subscriber may fall behind before it lags.
    pub fn in_process(retention: Duration, buffer: usize) -> Self {
        let (local, _) = broadcast::channel(buffer.max(1));
        let epoch = Utc::now().timestamp_millis().max(0) as u64;
        let log = Log { epoch, next: 1, events: VecDeque::new() };
        Self { local, retention, backend: Backend::InProcess(Arc::new(Mutex::new(log))) }
    }

    /// A bus shared by every instance reading the same Redis stream.
    pub async fn redis(url: &str, stream: &str, retention: Duration, buffer: usize) -> anyhow::Result<Self> {
        use anyhow::Context;
        let client = redis::Client::open(url).context("parsing REDIS_URL")?;
        let conn = client.get_connection_manager().await.context("connecting to Redis for the event bus")?;
        let (local, _) = broadcast::channel(buffer.max(1));
        // Read from the stream's current end, decided now: nothing
        // published after startup is missed by this instance.
        let start = last_id(&mut conn.clone(), stream).await.context("reading the Redis event stream")?;
        let reader = client.get_multiplexed_async_connection().await.context("connecting the stream reader")?;
        let forwarded = Arc::new(Mutex::new(start.clone()));
        tokio::spawn(forward(client, reader, stream.to_owned(), start, local.clone(), forwarded.clone()));
        let link = RedisLink { stream: stream.to_owned(), conn, forwarded };
        Ok(Self { local, retention, backend: Backend::Redis(Arc::new(link)) })
    }

    /// Sends an event to every subscriber (of every instance with Redis).
    pub async fn publish(&self, mut event: DomainEvent) {
        metrics::counter!("crm360_events_published_total", "kind" => event.kind.clone()).increment(1);
        match &self.backend {
            Backend::InProcess(log) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                event.id = Position(log.epoch, log.next).to_string();
                log.next += 1;
                let now = Utc::now();
                let horizon = now - chrono::Duration::from_std(self.retention).unwrap_or_default();
                while log.events.front().is_some_and(|(at, _)| *at < horizon) || log.events.len() >= LOG_CAPACITY {
                    log.events.pop_front();
                }
                log.events.push_back((now, event.clone()));
                // No receiver is not an error: nobody is listening.
                let _ = self.local.send(event);
            }
            Backend::Redis(link) => {
                let payload = match serde_json::to_string(&event) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "event not serialisable");
                        return;
                    }
                };
                let min_id = Utc::now().timestamp_millis().max(0) as u64 - self.retention.as_millis() as u64;
                let mut conn = link.conn.clone();
                let sent: redis::RedisResult<String> = redis::cmd("XADD")
                    .arg(&link.stream)
                    .arg("MINID")
                    .arg("~")
                    .arg(min_id)
                    .arg("*")
                    .arg("e")
                    .arg(payload)
                    .query_async(&mut conn)
                    .await;
                if let Err(e) = sent {
                    // The change is committed; its event is lost for live
                    // subscribers. They resync on their next reconnect.
                    tracing::error!(error = %e, kind = %event.kind, "Redis XADD failed; event not delivered");
                    metrics::counter!("crm360_events_lost_total").increment(1);
                }
            }
        }
    }

    /// A new subscription to every event from now on, and the id of the
    /// last event before it (what a subscriber that saw nothing yet resumes
    /// after).
    pub fn subscribe(&self) -> (broadcast::Receiver<DomainEvent>, String) {
        match &self.backend {
            Backend::InProcess(log) => {
                let log = log.lock().unwrap_or_else(|e| e.into_inner());
                (self.local.subscribe(), Position(log.epoch, log.next - 1).to_string())
            }
            Backend::Redis(link) => {
                let forwarded = link.forwarded.lock().unwrap_or_else(|e| e.into_inner());
                (self.local.subscribe(), forwarded.clone())
            }
        }
    }

    /// The retained events after `after`, oldest first (at most
    /// [`MAX_REPLAY`]); subscribe first, then replay, so nothing falls in
    /// between.
    pub async fn replay(&self, after: &str) -> Result<Vec<DomainEvent>, ReplayError> {
        let pos = Position::parse(after).ok_or(ReplayError::Malformed)?;
        match &self.backend {
            Backend::InProcess(log) => {
                let log = log.lock().unwrap_or_else(|e| e.into_inner());
                if pos.0 != log.epoch || pos.1 >= log.next {
                    return Err(ReplayError::Expired);
                }
                let first = log.events.front().and_then(|(_, e)| e.position()).map(|p| p.1).unwrap_or(log.next);
                // The event right after `after` must still be in the log.
                if pos.1 + 1 < first {
                    return Err(ReplayError::Expired);
                }
                Ok(log
                    .events
                    .iter()
                    .filter(|(_, e)| e.position().is_some_and(|p| p > pos))
                    .take(MAX_REPLAY)
                    .map(|(_, e)| e.clone())
                    .collect())
            }
            Backend::Redis(link) => {
                let mut conn = link.conn.clone();
                // Redis 7 records the highest id it trimmed: anything at or
                // before it is gone, so a client after an older id missed some.
                if max_deleted(&mut conn, &link.stream).await.is_some_and(|gone| gone > pos) {
                    return Err(ReplayError::Expired);
                }
                let range: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                    .arg(&link.stream)
                    .arg(format!("({pos}"))
                    .arg("+")
                    .arg("COUNT")
                    .arg(MAX_REPLAY)
                    .query_async(&mut conn)
                    .await
                    .map_err(|_| ReplayError::Expired)?;
                Ok(range.ids.iter().filter_map(decode).collect())
            }
        }
    }

    /// True when Redis (if used) answers.
    pub async fn ping(&self) -> bool {
        match &self.backend {
            Backend::InProcess(_) => true,
            Backend::Redis(link) => {
                let mut conn = link.conn.clone();
                redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            }
        }
    }

    /// `redis` or `in-process`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis(_) => "redis",
            Backend::InProcess(_) => "in-process",
        }
    }
}

/// The highest id trimmed from the stream (`XINFO STREAM`
/// `max-deleted-entry-id`), `None` when nothing was or the stream is new.
async fn max_deleted(conn: &mut redis::aio::ConnectionManager, stream: &str) -> Option<Position> {
    let info: redis::Value = redis::cmd("XINFO").arg("STREAM").arg(stream).query_async(conn).await.ok()?;
    let pairs: Vec<(String, redis::Value)> = match info {
        redis::Value::Map(m) => {
            m.into_iter().filter_map(|(k, v)| redis::from_redis_value::<String>(k).ok().map(|k| (k, v))).collect()
        }
        redis::Value::Array(items) => items
            .chunks(2)
            .filter_map(|kv| Some((redis::from_redis_value::<String>(kv.first()?.clone()).ok()?, kv.get(1)?.clone())))
            .collect(),
        _ => return None,
    };
    let (_, v) = pairs.into_iter().find(|(k, _)| k == "max-deleted-entry-id")?;
    Position::parse(&redis::from_redis_value::<String>(v).ok()?).filter(|p| *p != Position(0, 0))
}

/// The id of the stream's last entry (`0-0` when empty).
async fn last_id(conn: &mut redis::aio::ConnectionManager, stream: &str) -> redis::RedisResult<String> {
    let last: redis::streams::StreamRangeReply =
        redis::cmd("XREVRANGE").arg(stream).arg("+").arg("-").arg("COUNT").arg(1).query_async(conn).await?;
    Ok(last.ids.first().map(|e| e.id.clone()).unwrap_or_else(|| "0-0".into()))
}

/// A stream entry as an event with its stream id.
fn decode(entry: &redis::streams::StreamId) -> Option<DomainEvent> {
    let payload: String = entry.get("e")?;
    match serde_json::from_str::<DomainEvent>(&payload) {
        Ok(mut event) => {
            event.id = entry.id.clone();
            Some(event)
        }
        Err(e) => {
            tracing::warn!(error = %e, id = %entry.id, "ignoring a malformed event in the stream");
            None
        }
    }
}

/// Reads the stream after `last` forever, forwarding into the local channel;
/// on an error it reconnects and continues after the last id it forwarded,
/// so a Redis hiccup delays events but loses none that are retained.
async fn forward(
    client: redis::Client,
    mut conn: redis::aio::MultiplexedConnection,
    stream: String,
    mut last: String,
    local: broadcast::Sender<DomainEvent>,
    forwarded: Arc<Mutex<String>>,
) {
    let opts = redis::streams::StreamReadOptions::default().block(5_000).count(1_000);
    let mut delay = Duration::from_millis(100);
    loop {
        let read: redis::RedisResult<Option<redis::streams::StreamReadReply>> =
            redis::AsyncCommands::xread_options(&mut conn, &[&stream], &[&last], &opts).await;
        match read {
            Ok(reply) => {
                delay = Duration::from_millis(100);
                for key in reply.map(|r| r.keys).unwrap_or_default() {
                    for entry in &key.ids {
                        last = entry.id.clone();
                        // Under the lock, so that `subscribe` sees either
                        // the id and not the event, or both.
                        let mut at = forwarded.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(event) = decode(entry) {
                            let _ = local.send(event);
                        }
                        *at = last.clone();
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis event stream read failed; reconnecting");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                if let Ok(fresh) = client.get_multiplexed_async_connection().await {
                    conn = fresh;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_process_log_replays_after_an_id_and_refuses_unknown_ones() {
        let bus = EventBus::in_process(Duration::from_secs(60), 16);
        let (mut rx, head) = bus.subscribe();
        for i in 0..5 {
            bus.publish(DomainEvent::new("customer.created", "customer", i, "system", Utc::now())).await;
        }
        let ids: Vec<String> = (0..5).map(|_| rx.try_recv().unwrap().id).collect();
        let after = bus.replay(&ids[1]).await.unwrap();
        assert_eq!(after.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), ids[2..].to_vec());
        assert!(bus.replay(&ids[4]).await.unwrap().is_empty());
        assert_eq!(bus.replay("nonsense").await, Err(ReplayError::Malformed));
        assert_eq!(bus.replay("1-1").await, Err(ReplayError::Expired), "another process's id");
        assert_eq!(bus.replay(&head).await.unwrap().len(), 5, "the head before subscribing replays all");
    }

    #[test]
    fn positions_order_as_pairs() {
        assert!(Position::parse("10-2").unwrap() < Position::parse("10-10").unwrap());
        assert!(Position::parse("9-99").unwrap() < Position::parse("10-0").unwrap());
        assert_eq!(Position::parse("10-2").unwrap().to_string(), "10-2");
    }
}
