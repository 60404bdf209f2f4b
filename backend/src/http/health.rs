//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;

/// The process is up.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The database and (when configured) Redis answer.
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    let (db, bus) = tokio::join!(st.app.db.ping(), st.app.bus.ping());
    let ready = db && bus;
    let body = Json(json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": if db { "ok" } else { "down" },
        "eventBus": { "kind": st.app.bus.kind(), "status": if bus { "ok" } else { "down" } },
    }));
    (if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}

/// Prometheus text format.
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let mut text = crate::telemetry::metrics_handle().render();
    text.push_str(&format!(
        "# HELP crm360_db_queries_total SQL statements run by this server's pool.\n\
         # TYPE crm360_db_queries_total counter\n\
         crm360_db_queries_total {}\n",
        st.app.db.query_count()
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
