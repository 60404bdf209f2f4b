//! The event bus: domain events reach subscribers after their transaction
//! commits ([`crate::db::Tx::commit`] publishes them).
//!
//! In-process it is a bounded `tokio::sync::broadcast` channel: a slow
//! subscriber lags (and is told how many events it missed) instead of
//! blocking publishers. With `REDIS_URL`, events go through Redis pub/sub
//! and every instance forwards what it receives into its local channel, so
//! an event committed on instance A reaches a subscriber on instance B.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Capacity of the local channel; a subscriber further behind lags.
const LOCAL_CAPACITY: usize = 4096;

/// Something that happened, as subscribers see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainEvent {
    /// Time-ordered unique id (UUID v7).
    pub id: Uuid,
    /// `customer.created`, `customer.updated`, …
    pub kind: String,
    /// `customer`, `wallet`, `ticket`, …
    pub entity_type: String,
    pub entity_id: i64,
    /// The customer the event concerns, for filtering by role.
    pub customer_id: Option<i64>,
    /// The agent the customer is assigned to, for AGENT filtering.
    pub assigned_agent_id: Option<i64>,
    /// `user:1`, `apikey:3`, `system`.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// Event-specific detail.
    pub data: serde_json::Value,
}

impl DomainEvent {
    /// A new event with a fresh id.
    pub fn new(kind: &str, entity_type: &str, entity_id: i64, actor: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id,
            customer_id: None,
            assigned_agent_id: None,
            actor: actor.to_owned(),
            at,
            data: serde_json::Value::Null,
        }
    }
}

/// Publishes and delivers domain events.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<DomainEvent>,
    redis: Option<Arc<RedisLink>>,
}

struct RedisLink {
    channel: String,
    publisher: redis::aio::ConnectionManager,
}

impl EventBus {
    /// A bus inside this process only.
    pub fn in_process() -> Self {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Self { local, redis: None }
    }

    /// A bus shared by every instance connected to the same Redis channel.
    pub async fn redis(url: &str, channel: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let client = redis::Client::open(url).context("parsing REDIS_URL")?;
        let publisher = client.get_connection_manager().await.context("connecting to Redis for the event bus")?;
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        // Subscribe before returning so that nothing published after startup
        // is missed by this instance.
        let pubsub = subscribe(&client, channel).await.context("subscribing to Redis")?;
        tokio::spawn(forward(client, channel.to_owned(), pubsub, local.clone()));
        Ok(Self { local, redis: Some(Arc::new(RedisLink { channel: channel.to_owned(), publisher })) })
    }

    /// Sends an event to every subscriber (of every instance with Redis).
    pub async fn publish(&self, event: DomainEvent) {
        metrics::counter!("crm360_events_published_total", "kind" => event.kind.clone()).increment(1);
        if let Some(link) = &self.redis {
            let payload = match serde_json::to_string(&event) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "event not serialisable");
                    return;
                }
            };
            let mut conn = link.publisher.clone();
            let sent: redis::RedisResult<i64> =
                redis::cmd("PUBLISH").arg(&link.channel).arg(payload).query_async(&mut conn).await;
            match sent {
                Ok(_) => return,
                Err(e) => tracing::warn!(error = %e, "Redis publish failed; delivering locally only"),
            }
        }
        // No receiver is not an error: nobody is listening.
        let _ = self.local.send(event);
    }

    /// A new subscription to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.local.subscribe()
    }

    /// True when Redis (if used) answers.
    pub async fn ping(&self) -> bool {
        match &self.redis {
            None => true,
            Some(link) => {
                let mut conn = link.publisher.clone();
                redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            }
        }
    }

    /// `redis` or `in-process`.
    pub fn kind(&self) -> &'static str {
        if self.redis.is_some() { "redis" } else { "in-process" }
    }
}

async fn subscribe(client: &redis::Client, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// Forwards Redis messages into the local channel, reconnecting forever.
async fn forward(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    local: broadcast::Sender<DomainEvent>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(msg) = messages.next().await {
                match serde_json::from_slice::<DomainEvent>(msg.get_payload_bytes()) {
                    Ok(event) => {
                        let _ = local.send(event);
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring a malformed event from Redis"),
                }
            }
        }
        tracing::warn!("Redis event subscription lost; reconnecting");
        let mut delay = Duration::from_millis(200);
        pubsub = loop {
            tokio::time::sleep(delay).await;
            match subscribe(&client, &channel).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(error = %e, "Redis reconnect failed");
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
    }
}
