//! The audit log: one row per mutation (actor, action, entity, before and
//! after), written in the mutation's own transaction, and hash-chained:
//! each row stores the hash of the previous one, so that changing or
//! deleting a row breaks the chain where it happened ([`service::verify`]).
//! There are 16 chains, each with its own head row, so that transactions
//! on different entities append at the same time.

pub mod graphql;
pub mod model;
pub mod service;
