//! The customer timeline: every wallet movement, ticket event, note,
//! campaign message, order and profile change of a customer, newest first.
//! Every domain writes to it through [`service::record`] inside its own
//! transaction.

pub mod graphql;
pub mod model;
pub mod service;
