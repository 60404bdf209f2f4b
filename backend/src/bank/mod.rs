//! Bank transfers (DESIGN 4.3): incoming transfers reported by the bank's
//! webhook (SePay), stored once, matched to a customer by the transfer
//! code or a phone number in their content, and deposited into the
//! customer's wallet in the same transaction; the rest wait for a person
//! (PENDING, UNLINKED) who links, resolves or unlinks them.
//!
//! - [`sepay`]: the webhook body, read and checked.
//! - [`matching`]: transfer codes (`N2000123`) and phones in the content,
//!   and the decision, as pure functions.
//! - [`service`]: every rule (once only, locking, deposits, reversals).
//! - [`graphql`]: thin resolvers. The HTTP endpoint is
//!   [`crate::http::webhooks`].

pub mod graphql;
pub mod matching;
pub mod model;
pub mod sepay;
pub mod service;

pub use matching::{parse_transfer_code, transfer_code};
pub use model::{Direction, MatchMethod, TransferStatus};
