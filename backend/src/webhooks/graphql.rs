//! GraphQL face of outgoing webhooks: thin resolvers over
//! [`super::service`], ADMIN only.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use super::model::{DeliveryStatus, attempt, endpoint};
use super::service::{self, DeliveryView, EndpointPatch, NewEndpoint};
use crate::auth::Role;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, maybe, opt_id, parse_id, principal};

/// A registered receiver of webhooks.
pub struct WebhookEndpoint(pub endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Patterns of the event types it receives: `*`, `wallet.*`, or exact
    /// types such as `ticket.status_changed`.
    async fn event_types(&self) -> Vec<String> {
        self.0.patterns()
    }
    /// False when disabled (by an admin, or after repeated failures).
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Why it is disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// The last characters of the signing secret (the secret itself is only
    /// shown when it is created or rotated).
    async fn secret_hint(&self) -> String {
        service::secret_hint(&self.0.secret)
    }
    /// Deliveries that failed in a row; at `webhook_disable_after_failures`
    /// the endpoint is disabled.
    async fn consecutive_failures(&self) -> i32 {
        self.0.consecutive_failures
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An endpoint just created or changed, with its signing secret when it
/// was just set (shown this once: store it now).
#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub endpoint: WebhookEndpoint,
    /// The secret, when this change created or rotated it; null otherwise.
    pub secret: Option<String>,
}

/// One try to send a delivery.
pub struct WebhookAttempt(pub attempt::Model);

#[Object]
impl WebhookAttempt {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.0.attempted_at
    }
    /// The receiver's HTTP status; null when it could not be reached.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }
    async fn latency_ms(&self) -> i64 {
        self.0.latency_ms
    }
    /// What went wrong (`HTTP 500: …`, `could not connect`, `timed out …`).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// A 2xx answer.
    async fn success(&self) -> bool {
        self.0.success
    }
    /// Sent because an admin asked for a replay.
    async fn replay(&self) -> bool {
        self.0.replay
    }
}

/// One event for one endpoint, with every attempt to send it.
pub struct WebhookDelivery(pub DeliveryView);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(self.0.delivery.id.to_string())
    }
    async fn endpoint_id(&self) -> ID {
        ID(self.0.delivery.endpoint_id.to_string())
    }
    /// The event's id (`evt_…`, the body's `id` and `X-Crm360-Event-Id`).
    async fn event_id(&self) -> Option<&str> {
        self.0.event.as_ref().map(|e| e.event_id.as_str())
    }
    /// `wallet.deposited`, `ticket.status_changed`, …
    async fn event_type(&self) -> Option<&str> {
        self.0.event.as_ref().map(|e| e.kind.as_str())
    }
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.event.as_ref().map(|e| e.occurred_at)
    }
    /// The JSON body sent.
    async fn payload(&self) -> Option<&str> {
        self.0.event.as_ref().map(|e| e.payload.as_str())
    }
    async fn status(&self) -> DeliveryStatus {
        self.0.delivery.status
    }
    /// Attempts since it was created or last replayed.
    async fn attempts(&self) -> i32 {
        self.0.delivery.attempts
    }
    /// Times an admin replayed it.
    async fn replays(&self) -> i32 {
        self.0.delivery.replays
    }
    /// When the next attempt is due (while PENDING).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.delivery.status == DeliveryStatus::Pending).then_some(self.0.delivery.next_attempt_at)
    }
    async fn last_status_code(&self) -> Option<i32> {
        self.0.delivery.last_status_code
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.delivery.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.delivery.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivery.delivered_at
    }
    /// Every attempt, oldest first.
    async fn attempt_log(&self) -> Vec<WebhookAttempt> {
        self.0.attempts.iter().cloned().map(WebhookAttempt).collect()
    }
}

crate::graphql::connection::connection!(WebhookDeliveryConnection, WebhookDeliveryEdge, WebhookDelivery);

/// An endpoint to register.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// An http or https URL.
    pub url: String,
    /// `*`, `wallet.*`, `ticket.status_changed`, …
    pub event_types: Vec<String>,
    /// The signing secret (16 to 128 characters); generated when omitted.
    pub secret: Option<String>,
    pub description: Option<String>,
    #[graphql(default = true)]
    pub active: bool,
}

/// Changes to an endpoint; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: MaybeUndefined<String>,
    /// `true` re-enables a disabled endpoint (its failure count restarts);
    /// `false` disables it.
    pub active: Option<bool>,
    /// A new signing secret of your own.
    pub secret: Option<String>,
    /// Generate a new signing secret (returned once in the payload).
    #[graphql(default)]
    pub rotate_secret: bool,
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook endpoint, oldest first.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        Ok(service::endpoints(app(ctx)).await.extend()?.into_iter().map(WebhookEndpoint).collect())
    }

    /// One webhook endpoint.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookEndpoint> {
        Ok(WebhookEndpoint(service::get_endpoint(app(ctx), parse_id(&id, "id")?).await.extend()?))
    }

    /// Deliveries, newest first, of one endpoint (or all), with their attempts.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Admin)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<DeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<WebhookDeliveryConnection> {
        let app = app(ctx).clone();
        let endpoint_id = opt_id(endpoint_id.as_ref(), "endpointId")?;
        let first = connection::page_size(first).extend()?;
        let cursor: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let (rows, more) =
            service::deliveries(&app, endpoint_id, status, first, cursor.map(|c| c.id)).await.extend()?;
        let items = rows
            .into_iter()
            .map(|d| (connection::encode_cursor(&IdCursor { id: d.delivery.id }), WebhookDelivery(d)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let app = app.clone();
            Box::pin(async move { service::deliveries_count(&app, endpoint_id, status).await })
        });
        Ok(WebhookDeliveryConnection::new(items, more, cursor.is_some(), counter))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint. The signing secret is in this answer only.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let new = NewEndpoint {
            url: input.url,
            event_types: input.event_types,
            secret: input.secret,
            description: input.description,
            active: input.active,
        };
        let (e, secret) = service::create(app(ctx), principal(ctx)?, new).await.extend()?;
        Ok(WebhookEndpointPayload { endpoint: WebhookEndpoint(e), secret: Some(secret) })
    }

    /// Changes an endpoint: URL, event types, description, re-enable or
    /// disable, new secret (returned once).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let id = parse_id(&id, "id")?;
        let patch = EndpointPatch {
            url: input.url,
            event_types: input.event_types,
            description: maybe(input.description, |d| d),
            active: input.active,
            secret: input.secret,
            rotate_secret: input.rotate_secret,
        };
        let (e, secret) = service::update(app(ctx), principal(ctx)?, id, patch).await.extend()?;
        Ok(WebhookEndpointPayload { endpoint: WebhookEndpoint(e), secret })
    }

    /// Deletes an endpoint with its deliveries.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        service::delete(app(ctx), principal(ctx)?, parse_id(&id, "id")?).await.extend()?;
        Ok(true)
    }

    /// Sends one delivery again (a fresh set of attempts).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn replay_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookDelivery> {
        let id = parse_id(&id, "id")?;
        Ok(WebhookDelivery(service::replay_one(app(ctx), principal(ctx)?, id).await.extend()?))
    }

    /// Sends again to an endpoint every event it subscribes to that
    /// occurred in `[from, to)`, including events it never got (while it
    /// was disabled). Returns how many deliveries were queued.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<i32> {
        let id = parse_id(&endpoint_id, "endpointId")?;
        let n = service::replay_range(app(ctx), principal(ctx)?, id, from, to).await.extend()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
