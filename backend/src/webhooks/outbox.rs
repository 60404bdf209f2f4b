//! The durable outbox: [`crate::db::Tx::commit`] hands the transaction's
//! events to [`Outbox::record`] just before committing, which writes them
//! to `webhook_events` on the same transaction. The change and its events
//! commit together or not at all; the dispatcher reads them from there.
//!
//! Most deployments register no endpoint: the outbox keeps a cached flag
//! "at least one endpoint is registered" (active or disabled, so that a
//! disabled endpoint can be re-enabled and replay what it missed), and
//! writes nothing while it is false. Registering, changing or deleting an
//! endpoint invalidates the flag of this instance at once, of the other
//! instances when the `webhook.endpoint_*` event reaches them over the bus
//! ([`super::dispatch::spawn`]), and any instance re-reads it after
//! [`FLAG_TTL`] at the latest.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::json;

use crate::error::AppResult;
use crate::events::DomainEvent;

/// How long the "an endpoint exists" flag is trusted.
pub const FLAG_TTL: Duration = Duration::from_secs(5);

/// Rows per INSERT (6 values each).
const CHUNK: usize = 500;

/// The outbox writer with its cached flag; cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox {
    flag: Arc<Mutex<Option<(bool, Instant)>>>,
}

impl Outbox {
    /// Forgets the flag: the next commit with events reads it again.
    pub fn invalidate(&self) {
        *self.flag.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether an endpoint is registered, so that events must be written
    /// (read on `db` when the cached flag is stale).
    pub async fn wanted<C: ConnectionTrait>(&self, db: &C) -> AppResult<bool> {
        if let Some((any, at)) = *self.flag.lock().unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < FLAG_TTL
        {
            return Ok(any);
        }
        let stmt = sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM webhook_endpoints".to_owned(),
        );
        let n: i64 = match db.query_one_raw(stmt).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        *self.flag.lock().unwrap_or_else(|e| e.into_inner()) = Some((n > 0, Instant::now()));
        Ok(n > 0)
    }

    /// Writes `events` to the outbox on `txn` (nothing when no endpoint
    /// is registered).
    pub async fn record(&self, txn: &DatabaseTransaction, events: &[DomainEvent]) -> AppResult<()> {
        if events.is_empty() || !self.wanted(txn).await? {
            return Ok(());
        }
        for chunk in events.chunks(CHUNK) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new("webhook_events"))
                .columns(["event_id", "kind", "customer_id", "occurred_at", "payload", "fanned_out"].map(Alias::new));
            for event in chunk {
                let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
                let payload = body(&event_id, event);
                insert
                    .values([
                        event_id.into(),
                        event.kind.clone().into(),
                        event.customer_id.into(),
                        event.at.into(),
                        payload.into(),
                        false.into(),
                    ])
                    .map_err(|e| anyhow::anyhow!("building the outbox insert: {e}"))?;
            }
            txn.execute(&insert).await?;
        }
        Ok(())
    }
}

/// The JSON every endpoint receives for `event`:
/// `{id, type, occurredAt, entity: {type, id}, customerId, actor, data}`.
pub fn body(event_id: &str, event: &DomainEvent) -> String {
    json!({
        "id": event_id,
        "type": event.kind,
        "occurredAt": event.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "entity": { "type": event.entity_type, "id": event.entity_id.to_string() },
        "customerId": event.customer_id.map(|c| c.to_string()),
        "actor": event.actor,
        "data": event.data,
    })
    .to_string()
}

/// Whether `kind` matches one of `patterns`: `*` matches every type,
/// `wallet.*` every type under `wallet.`, anything else only itself.
pub fn matches(patterns: &[String], kind: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some("") => true,
        Some(prefix) => kind.starts_with(prefix),
        None => p == kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_or_everything() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&p(&["*"]), "customer.created"));
        assert!(matches(&p(&["wallet.*"]), "wallet.deposited"));
        assert!(!matches(&p(&["wallet.*"]), "wallets.deposited"));
        assert!(!matches(&p(&["wallet.*"]), "wallet"));
        assert!(matches(&p(&["ticket.status_changed"]), "ticket.status_changed"));
        assert!(!matches(&p(&["ticket.status_changed"]), "ticket.created"));
        assert!(!matches(&p(&[]), "ticket.created"));
    }
}
