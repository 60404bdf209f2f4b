//! Tickets (DESIGN 4.4): after-sales cases (refused deliveries, exchanges,
//! missing items, returns, support) with a code, a workflow, an SLA on the
//! carrier deadline, and compensation that moves money atomically with the
//! ticket.
//!
//! - [`workflow`]: the state machine, as a pure function.
//! - [`service`]: every rule (codes, validation, access, compensation, SLA,
//!   customer stats, history, events).
//! - [`graphql`]: thin resolvers.

pub mod graphql;
pub mod model;
pub mod service;
pub mod workflow;
