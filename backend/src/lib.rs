//! crm360: a customer-360 CRM server.
//!
//! Where things are (one folder per domain, each with the same shape:
//! `model.rs` entities, `service.rs` rules and transactions, `graphql.rs`
//! the thin GraphQL layer, `tests.rs` unit tests):
//!
//! - [`customers`]: customers, phones, member codes, notes, search.
//! - [`wallets`]: real balance, expiring virtual credits (FIFO), points,
//!   as an immutable ledger.
//! - [`tickets`]: after-sales tickets: codes, workflow, SLA, compensation
//!   paid from the wallet in the same transaction.
//! - [`bank`]: incoming bank transfers (SePay webhook) matched to customers
//!   and deposited into their wallets.
//! - [`analytics`]: the live dashboard's KPI deltas (more with issue 7).
//! - [`engagement`]: interactions with customers, their family members,
//!   upcoming birthdays and anniversaries.
//! - [`automation`]: daily call tasks, agents' call performance, product
//!   recommendation rules.
//! - [`activities`]: the customer timeline every domain writes to.
//! - [`audit`]: the hash-chained audit log of every mutation.
//! - [`auth`]: staff users, JWTs, API keys, roles.
//!
//! Cross-cutting: [`config`], [`db`] (connections, write transactions,
//! human codes), [`error`] (the error codes of the API), [`events`] (the
//! event bus), [`graphql`] (schema assembly, guards, loaders), [`http`]
//! (router, limits, health, SPA), [`jobs`] (scheduler, once-per-cluster
//! lock), [`app`] (startup), [`cli`], [`seed`], [`backup`] (online copies, restore).

pub mod activities;
pub mod analytics;
pub mod app;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod backup;
pub mod bank;
pub mod campaigns;
pub mod cli;
pub mod clock;
pub mod config;
pub mod customers;
pub mod db;
pub mod engagement;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod imports;
pub mod jobs;
pub mod money;
pub mod orders;
pub mod ratelimit;
pub mod seed;
pub mod telemetry;
pub mod tickets;
pub mod wallets;
pub mod webhooks;

pub use app::{AppCtx, Application};
pub use error::{AppError, AppResult};
