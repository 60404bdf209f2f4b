//! Staff users, login tokens (JWT), API keys for integrators, and roles.
//!
//! Authentication happens once at the edge ([`crate::http`] turns the
//! `Authorization: Bearer` header into a [`Principal`]); authorisation is
//! declared on GraphQL fields with [`crate::graphql::guards`].

pub mod graphql;
pub mod model;
pub mod principal;
pub mod service;

pub use principal::{Principal, Role};
