//! Outgoing webhooks (issue 9): every domain event, delivered as signed
//! JSON to the HTTP endpoints admins register.
//!
//! - [`outbox`]: the events of a write transaction are written to
//!   `webhook_events` inside that transaction ([`crate::db::Tx::commit`]),
//!   so a committed change always yields its webhook and a rolled-back one
//!   never does; a cached flag skips the write when no endpoint exists.
//! - [`service`]: endpoints (URL, event-type patterns, secret, active),
//!   deliveries and replays; ADMIN only.
//! - [`dispatch`]: the background dispatcher of every instance: fans events
//!   out to matching endpoints (one delivery per endpoint and event), claims
//!   due deliveries under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL),
//!   signs and sends them, records each attempt, retries with exponential
//!   backoff and jitter, and disables an endpoint after repeated failures.
//! - [`signature`]: the `X-Crm360-Signature` scheme.
//! - [`guard`]: receivers must be public addresses (against requests to
//!   internal services), unless `webhook_allow_private_networks`.

pub mod dispatch;
pub mod graphql;
pub mod guard;
pub mod model;
pub mod outbox;
pub mod service;
pub mod signature;
