//! Wallets: one per customer, created with the customer. Balances are
//! integer minor units ([`crate::money::Money`]). The ledger, FIFO spending
//! of virtual credits and points operations build on this.

pub mod graphql;
pub mod model;
pub mod service;
