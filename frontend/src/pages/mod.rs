//! One module per screen.

pub mod customers;
pub mod login;
pub mod not_found;
