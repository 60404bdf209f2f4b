//! One folder per screen: `mod.rs` (the route components), `api.rs` (its
//! calls to the server), its `.graphql` operations and, if it needs any,
//! `style.css` (appended to the app's stylesheet by `backend/build.rs`).

pub mod admin;
pub mod analytics;
pub mod call_tasks;
pub mod campaigns;
pub mod customer;
pub mod customers;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod tickets;
pub mod transfers;
