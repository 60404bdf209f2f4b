//! CSV over plain HTTP (bearer credential as for `/graphql`):
//!
//! - `POST /imports?kind=customers|orders&filename=F` (MANAGER): the raw
//!   CSV is the request body, streamed to a file under the import
//!   directory (never whole in memory), at most `import_max_bytes`
//!   (1 GiB by default; 413 beyond). Answers `201 {"id": "…", "status":
//!   "UPLOADED"}`; then `importJob(id) { preview }` and `startImport`.
//! - `GET /imports/{id}/errors.csv` (MANAGER): the refused rows.
//! - `GET /exports/customers.csv?…` (VIEWER; an AGENT gets their own
//!   customers): the list the `customers` query would give for the same
//!   `search`, filter and `sort` (lists comma-separated:
//!   `tiers=GOLD,SILVER&statuses=ACTIVE&tags=vip&assignedAgentId=3&unassigned=true&createdFrom=…&createdTo=…&sort=NAME_ASC`).
//! - `GET /exports/ledger.csv?customerId=7[&from=…&to=…&types=DEPOSIT,…]`
//!   (VIEWER, who may see the customer): a wallet's ledger, newest first;
//!   without `customerId`, every ledger row with `from` ≤ time < `to`
//!   (MANAGER), oldest first.
//!
//! Errors are GraphQL-shaped JSON with a code, like everywhere else.

use std::collections::HashMap;
use std::str::FromStr;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::{AppState, error_response};
use crate::auth::{Principal, Role};
use crate::customers::model::{CustomerStatus, CustomerTier};
use crate::customers::service::{CustomerListQuery, CustomerSort};
use crate::error::AppError;
use crate::imports::{ImportKind, export, jobs};
use crate::wallets::service::LedgerFilter;

fn refuse(e: &AppError) -> Response {
    let (status, code) = match e {
        AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
        AppError::BadInput { .. } => (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        AppError::InvalidTransition { .. } | AppError::Conflict { .. } => (StatusCode::CONFLICT, "CONFLICT"),
        _ => return error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error"),
    };
    error_response(status, code, &e.to_string())
}

/// The caller, with at least `min` role.
async fn caller(st: &AppState, headers: &HeaderMap, min: Role) -> Result<Principal, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refuse(&AppError::Unauthenticated(
                "authentication required: send Authorization: Bearer <token or API key>".into(),
            ))
        })?;
    let p = crate::auth::service::authenticate(&st.app, token).await.map_err(|e| refuse(&e))?;
    if p.role < min {
        return Err(refuse(&AppError::Forbidden(format!("requires the {} role or higher", min.as_str()))));
    }
    Ok(p)
}

fn params(query: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

fn csv_response(
    name: &str,
    body: impl Stream<Item = crate::error::AppResult<axum::body::Bytes>> + Send + 'static,
) -> Response {
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "CSV export stopped");
        std::io::Error::other("export failed")
    });
    let mut res = Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `POST /imports?kind=…&filename=…`: stores the body and creates the job.
pub async fn upload(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery, body: Body) -> Response {
    let actor = match caller(&st, &headers, Role::Manager).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let q = params(q);
    let Some(kind) = q.get("kind").and_then(|k| ImportKind::parse(k)) else {
        return refuse(&AppError::bad_input("kind", "kind must be customers or orders"));
    };
    let limit = st.app.config.import_max_bytes;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_USER_INPUT",
            &format!("the file is larger than the limit of {limit} bytes"),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large();
    }
    let dir = jobs::import_dir(&st.app.config);
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(error = %e, dir = %dir.display(), "creating the import directory");
        return refuse(&AppError::Internal(anyhow::anyhow!("{e}")));
    }
    let path = dir.join(format!("{}.csv", uuid::Uuid::new_v4().simple()));
    let written = async {
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::create(&path).await?);
        let mut stream = body.into_data_stream();
        let mut n: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(std::io::Error::other)?;
            n += chunk.len() as u64;
            if n > limit {
                return Ok(None);
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.into_inner().sync_all().await?;
        std::io::Result::Ok(Some(n))
    }
    .await;
    let bytes = match written {
        Ok(Some(n)) => n,
        Ok(None) => {
            let _ = tokio::fs::remove_file(&path).await;
            return too_large();
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return error_response(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &format!("the upload broke off: {e}"));
        }
    };
    let name = q.get("filename").cloned().unwrap_or_else(|| format!("{}.csv", kind.as_str()));
    match jobs::create(&st.app, &actor, kind, &name, &path, bytes).await {
        Ok(job) => {
            let body = serde_json::json!({ "id": job.id.to_string(), "status": job.status, "bytes": bytes });
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(e) => refuse(&e),
    }
}

/// `GET /imports/{id}/errors.csv`.
pub async fn errors_csv(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = caller(&st, &headers, Role::Manager).await {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else { return refuse(&AppError::NotFound(format!("import job {id}"))) };
    if let Err(e) = jobs::get(&st.app, id).await {
        return refuse(&e);
    }
    csv_response(&format!("import-{id}-errors.csv"), export::import_errors(st.app.clone(), id))
}

fn list<T>(q: &HashMap<String, String>, key: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, AppError> {
    let Some(v) = q.get(key) else { return Ok(Vec::new()) };
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| AppError::bad_input(key, format!("unknown value {s:?}"))))
        .collect()
}

fn time(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    match q.get(key).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| AppError::bad_input(key, "a date-time like 2026-11-01T00:00:00Z")),
    }
}

/// A GraphQL enum value (`GOLD`) as the Rust enum.
fn gql_enum<T: async_graphql::InputType>(s: &str) -> Option<T> {
    T::parse(Some(async_graphql::Value::Enum(async_graphql::Name::new(s.to_ascii_uppercase())))).ok()
}

/// The `customers` query's arguments, from the query string.
fn customer_query(q: &HashMap<String, String>) -> Result<CustomerListQuery, AppError> {
    Ok(CustomerListQuery {
        search: q.get("search").filter(|s| !s.trim().is_empty()).cloned(),
        tiers: list(q, "tiers", gql_enum::<CustomerTier>)?,
        statuses: list(q, "statuses", gql_enum::<CustomerStatus>)?,
        tags: list(q, "tags", |s| Some(s.to_owned()))?,
        assigned_agent_id: match q.get("assignedAgentId").filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(i64::from_str(s).map_err(|_| AppError::bad_input("assignedAgentId", "not a valid id"))?),
        },
        unassigned: q.get("unassigned").is_some_and(|v| v == "true" || v == "1"),
        created_from: time(q, "createdFrom")?,
        created_to: time(q, "createdTo")?,
        sort: match q.get("sort").filter(|s| !s.is_empty()) {
            None => CustomerSort::default(),
            Some(s) => {
                gql_enum::<CustomerSort>(s).ok_or_else(|| AppError::bad_input("sort", format!("unknown sort {s:?}")))?
            }
        },
    })
}

/// `GET /exports/customers.csv`.
pub async fn customers_csv(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let actor = match caller(&st, &headers, Role::Viewer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match customer_query(&params(q)) {
        Ok(query) => csv_response("customers.csv", export::customers(st.app.clone(), actor, query)),
        Err(e) => refuse(&e),
    }
}

/// `GET /exports/ledger.csv`.
pub async fn ledger_csv(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let actor = match caller(&st, &headers, Role::Viewer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let q = params(q);
    let run = async {
        let from = time(&q, "from")?;
        let to = time(&q, "to")?;
        match q.get("customerId").filter(|s| !s.is_empty()) {
            Some(id) => {
                let id = i64::from_str(id).map_err(|_| AppError::bad_input("customerId", "not a valid id"))?;
                let wallet = crate::wallets::service::of_customer(&st.app, &actor, id).await?;
                let filter = LedgerFilter {
                    types: Some(list(&q, "types", gql_enum)?).filter(|t| !t.is_empty()),
                    sources: Some(list(&q, "sources", gql_enum)?).filter(|s| !s.is_empty()),
                    from,
                    to,
                };
                Ok(csv_response(&format!("ledger-{id}.csv"), export::wallet_ledger(st.app.clone(), wallet.id, filter)))
            }
            None => {
                if actor.role < Role::Manager {
                    return Err(AppError::Forbidden("every ledger needs the MANAGER role or higher".into()));
                }
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(AppError::bad_input("from", "give customerId, or from and to"));
                };
                Ok(csv_response("ledger.csv", export::all_ledgers(st.app.clone(), from, to)))
            }
        }
    };
    match run.await {
        Ok(r) => r,
        Err(e) => refuse(&e),
    }
}
