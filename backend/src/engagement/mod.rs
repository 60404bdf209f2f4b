//! Engagement (DESIGN 4.1, CDM extras): the interactions staff log with a
//! customer (call, WhatsApp, SMS, email, visit; direction, outcome,
//! follow-up date, agent), the customer's family members, and the
//! birthdays and anniversaries coming up in the next days (see
//! [`service`]).

pub mod graphql;
pub mod model;
pub mod service;

pub use model::{InteractionChannel, InteractionDirection, Relationship};
