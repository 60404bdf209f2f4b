//! The HTTP edge: routes, authentication of the bearer credential, limits,
//! request ids, metrics, health, and the embedded SPA.
//!
//! - `POST /graphql` queries and mutations; `GET /graphql` GraphiQL.
//! - `GET /graphql/ws` subscriptions (graphql-transport-ws; the token goes
//!   in `connection_init`).
//! - `/healthz` (alive), `/readyz` (database and Redis answer), `/metrics`.
//! - `POST /webhooks/bank` bank transfers from SePay, `POST /webhooks/receipts`
//!   delivery receipts from message vendors ([`webhooks`]).
//! - `POST /imports`, `GET /imports/{id}/errors.csv`,
//!   `GET /exports/customers.csv`, `GET /exports/ledger.csv`: CSV in and
//!   out ([`imports`]).
//! - everything else: the single-page app.

mod graphql;
mod health;
mod imports;
pub mod persisted;
mod ratelimit;
pub mod spa;
pub mod webhooks;

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::app::AppCtx;
use crate::graphql::AppSchema;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: AppCtx,
    pub schema: AppSchema,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn router(app: AppCtx) -> Router {
    crate::money::set_decimals(app.config.currency_decimals);
    crate::telemetry::metrics_handle();
    let max_body = app.config.max_body_bytes;
    let state = AppState { schema: crate::graphql::build_schema(app.clone()), app };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::graphql))
        .route("/graphql/ws", get(graphql::graphql_ws))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/webhooks/bank", post(webhooks::bank))
        .route("/webhooks/receipts", post(webhooks::receipts))
        .route("/imports", post(imports::upload))
        .route("/imports/{id}/errors.csv", get(imports::errors_csv))
        .route("/exports/customers.csv", get(imports::customers_csv))
        .route("/exports/ledger.csv", get(imports::ledger_csv))
        .fallback_service(get(spa::serve_spa))
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(record_metrics))
        .layer(CorsLayer::permissive().max_age(Duration::from_secs(3600)))
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id, operation = tracing::field::Empty)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn record_metrics(req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "spa".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("crm360_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("crm360_http_request_duration_seconds", "method" => method, "path" => path)
        .record(started.elapsed().as_secs_f64());
    res
}

/// A GraphQL-shaped error response for failures outside GraphQL execution.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code } }],
    });
    (status, Json(body)).into_response()
}

fn internal_error() -> Response {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
}
