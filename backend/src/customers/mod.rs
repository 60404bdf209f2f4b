//! Customers (DESIGN 4.1): profiles keyed by a normalised phone number,
//! member codes `MEM-YYYY-NNNN`, notes, search, and the one entry point
//! every other domain uses to find or create a customer,
//! [`service::get_or_create_by_phone`]; likely duplicates
//! ([`duplicates`]) and merging one customer into another ([`merge`]).

pub mod duplicates;
pub mod graphql;
pub mod merge;
pub mod model;
pub mod phone;
pub mod service;

pub use model::{CustomerStatus, CustomerTier};
