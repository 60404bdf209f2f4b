//! Wallets (DESIGN 4.2): one per customer, a real balance, virtual credits
//! that expire, and loyalty points, kept as an immutable ledger. Amounts are
//! integer minor units ([`crate::money::Money`]).
//!
//! - [`service`]: every rule (locking, FIFO, idempotency, expiry).
//! - [`fifo`]: which credits pay for a withdrawal, as a pure function.
//! - [`graphql`]: thin resolvers.

pub mod fifo;
pub mod graphql;
pub mod model;
pub mod service;
