//! CRM automation (DESIGN 4.7): the agents' daily call tasks (welcome,
//! follow-up, at-risk recovery, birthday), generated each morning by the
//! `call-tasks` job and worked through with one outcome each; the agents'
//! call performance; and product recommendation rules by customer type,
//! shown with every call (see [`service`] for the rules).

pub mod graphql;
pub mod model;
pub mod service;

pub use model::{CallKind, CallOutcome, CallPriority, CallStatus};
