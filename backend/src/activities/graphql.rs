//! GraphQL face of the timeline.

use async_graphql::{ID, Json, Object};
use chrono::{DateTime, Utc};

use super::model;

/// One entry of a customer's timeline.
pub struct Activity(pub model::Model);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `customer.created`, `customer.updated`, `note.added`, …
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// One line a person can read.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Structured detail.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

crate::graphql::connection::connection!(ActivityConnection, ActivityEdge, Activity);
