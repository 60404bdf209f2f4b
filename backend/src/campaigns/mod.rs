//! Campaigns (DESIGN 4.6): segments of customers chosen by rules, messages
//! rendered from a template for each of them, delivered through a durable
//! queue to a channel's vendor, settled by the vendor's receipts.
//!
//! - [`segment`]: the rule tree and its compilation to SQL.
//! - [`template`]: `{{placeholders}}`, checked at creation, rendered in SQL
//!   for the snapshot and in Rust for a preview.
//! - [`service`]: saving and previewing segments, the campaign statuses,
//!   the audience snapshot, counts, receipts and completion.
//! - [`delivery`]: the workers, the adapters (HTTP webhook, simulated
//!   vendor) and the per-channel rate limit.

pub mod delivery;
pub mod graphql;
pub mod model;
pub mod segment;
pub mod service;
pub mod template;
