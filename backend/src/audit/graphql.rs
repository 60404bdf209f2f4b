//! GraphQL face of the audit log (ADMIN only).

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Json, Object, ResultExt};
use chrono::{DateTime, Utc};

use super::model::entry;
use super::service::{self, AuditFilter, ChainReport};
use crate::auth::Role;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, principal};

/// One audited change.
pub struct AuditEntry(pub entry::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// `customer.create`, `customer.update`, …
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    async fn entity_id(&self) -> Option<&str> {
        self.0.entity_id.as_deref()
    }
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Hash of the row before this one.
    /// The hash chain the row belongs to (1..=16): rows link to the previous
    /// row of the same chain.
    async fn chain(&self) -> i32 {
        self.0.chain
    }
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }
    /// SHA-256 of this row's content and `prevHash`.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// Narrows the audit log.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first (ADMIN).
    #[graphql(
        guard = "RoleGuard::at_least(Role::Admin)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditLogFilter>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        principal(ctx)?;
        let app = app(ctx).clone();
        let first = connection::page_size(first).extend()?;
        let after: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let f = filter.unwrap_or_default();
        let filter =
            AuditFilter { entity_type: f.entity_type, entity_id: f.entity_id, actor: f.actor, action: f.action };
        let (rows, more) = service::list(app.db.conn(), &filter, first, after.map(|c| c.id)).await.extend()?;
        let items =
            rows.into_iter().map(|r| (connection::encode_cursor(&IdCursor { id: r.id }), AuditEntry(r))).collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, filter) = (app.clone(), filter.clone());
            Box::pin(async move { service::count(app.db.conn(), &filter).await })
        });
        Ok(AuditEntryConnection::new(items, more, after.is_some(), counter))
    }

    /// Recomputes every hash of the audit chain and reports the first
    /// tampered or missing row (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn verify_audit_chain(&self, ctx: &Context<'_>) -> async_graphql::Result<ChainReport> {
        service::verify(app(ctx).db.conn()).await.extend()
    }
}

crate::graphql::connection::connection!(AuditEntryConnection, AuditEntryEdge, AuditEntry);
