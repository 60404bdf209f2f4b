//! The audit log: one row per mutation (actor, action, entity, before and
//! after), written in the mutation's own transaction, and hash-chained:
//! each row stores the hash of the previous one, so that changing or
//! deleting a row breaks the chain where it happened ([`service::verify`]).

pub mod graphql;
pub mod model;
pub mod service;
