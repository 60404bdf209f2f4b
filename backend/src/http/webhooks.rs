//! Webhooks from outside systems.
//!
//! `POST /webhooks/bank`: SePay reports a bank transfer. Authenticated by
//! the shared secret (`CRM360_BANK_WEBHOOK_SECRET`) sent as
//! `Authorization: Apikey <secret>` (SePay's convention) or
//! `X-Webhook-Secret: <secret>`, compared in constant time; with no secret
//! configured every call is refused. Answers (SePay retries until it gets
//! a 2xx with `success`):
//!
//! - 200 `{"success": true, "id": "…", "status": "LINKED"}`: stored;
//! - 200 `{"success": true, "duplicate": true, …}`: already stored, nothing
//!   changed;
//! - 401 wrong or missing secret, 400 a body that is not a transfer, 500 a
//!   failure on our side (SePay will retry): `{"success": false, "errors":
//!   [{"message", "extensions": {"code", "field"}}]}`, nothing stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::error::AppError;

/// Receives a bank transfer from SePay.
#[tracing::instrument(skip_all)]
pub async fn bank(State(st): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let expected = st.app.config.bank_webhook_secret.as_ref().map(|s| s.expose_secret()).filter(|s| !s.is_empty());
    let Some(expected) = expected else {
        tracing::warn!("bank webhook refused: no CRM360_BANK_WEBHOOK_SECRET is configured");
        return failure(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", None, "the bank webhook is not configured");
    };
    if !presented_secrets(&headers).iter().any(|given| same_secret(expected, given)) {
        return failure(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            None,
            "send the webhook secret as `Authorization: Apikey <secret>`",
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => return failure(e.status(), "BAD_USER_INPUT", Some("body"), &e.body_text()),
    };
    let incoming = match crate::bank::sepay::parse(&body, st.app.tz, st.app.now()) {
        Ok(t) => t,
        Err(e) => return app_failure(&e),
    };
    match crate::bank::service::receive(&st.app, incoming).await {
        Ok(r) => {
            let mut out = json!({
                "success": true,
                "id": r.transfer.id.to_string(),
                "status": r.transfer.status,
            });
            if r.duplicate {
                out["duplicate"] = json!(true);
            }
            (StatusCode::OK, Json(out)).into_response()
        }
        Err(e) => app_failure(&e),
    }
}

/// Receives delivery receipts from a message vendor:
/// `{"receipts": [{"idempotencyKey", "status": "DELIVERED" | "FAILED", "error"}]}`
/// (at most 5,000), authenticated like the bank webhook with the receipts
/// secret. Answers 200 `{"success": true, "applied": n, "ignored": m}`
/// (ignored: already settled or unknown, so a vendor's retry is harmless),
/// 401, 400 naming the bad field, or 500 (the vendor retries).
#[tracing::instrument(skip_all)]
pub async fn receipts(State(st): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let expected = crate::campaigns::delivery::receipts_secret(&st.app);
    if !presented_secrets(&headers).iter().any(|given| same_secret(&expected, given)) {
        return failure(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            None,
            "send the receipts secret as `X-Webhook-Secret: <secret>`",
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => return failure(e.status(), "BAD_USER_INPUT", Some("body"), &e.body_text()),
    };
    #[derive(serde::Deserialize)]
    struct Body {
        receipts: Vec<crate::campaigns::service::Receipt>,
    }
    let parsed: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return failure(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", Some("body"), &e.to_string()),
    };
    match crate::campaigns::service::apply_receipts(&st.app, &parsed.receipts).await {
        Ok(r) => {
            (StatusCode::OK, Json(json!({"success": true, "applied": r.applied, "ignored": r.ignored}))).into_response()
        }
        Err(e) => app_failure(&e),
    }
}

/// The secrets the caller sent: `Authorization: Apikey <s>` (any case of
/// the scheme) and `X-Webhook-Secret: <s>`.
fn presented_secrets(headers: &HeaderMap) -> Vec<&str> {
    let mut out = Vec::new();
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some((scheme, secret)) = v.trim().split_once(' ')
        && scheme.eq_ignore_ascii_case("apikey")
    {
        out.push(secret.trim());
    }
    if let Some(v) = headers.get("x-webhook-secret").and_then(|v| v.to_str().ok()) {
        out.push(v.trim());
    }
    out
}

/// Compares in time independent of where the secrets differ, and of their
/// lengths: both are hashed to 32 bytes, which are compared in full.
fn same_secret(expected: &str, given: &str) -> bool {
    let (a, b) = (Sha256::digest(expected.as_bytes()), Sha256::digest(given.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn app_failure(e: &AppError) -> Response {
    let status = match e {
        AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
        AppError::Db(err) => {
            tracing::error!(error = %err, "webhook: database error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        other => {
            tracing::error!(error = ?other, "webhook failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let message = if status == StatusCode::BAD_REQUEST { e.to_string() } else { "internal error".to_owned() };
    failure(status, e.code(), e.field(), &message)
}

fn failure(status: StatusCode, code: &str, field: Option<&str>, message: &str) -> Response {
    let mut extensions = json!({ "code": code });
    if let Some(f) = field {
        extensions["field"] = json!(f);
    }
    let body = json!({ "success": false, "errors": [{ "message": message, "extensions": extensions }] });
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_secret_matches() {
        assert!(same_secret("s3cret-value", "s3cret-value"));
        for other in ["", "s3cret-valu", "s3cret-value ", "S3cret-value", "x"] {
            assert!(!same_secret("s3cret-value", other), "{other:?}");
        }
    }

    #[test]
    fn the_secret_comes_from_either_header() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Apikey abc".parse().unwrap());
        assert_eq!(presented_secrets(&h), vec!["abc"]);
        h.insert(header::AUTHORIZATION, "APIKEY  abc ".parse().unwrap());
        assert_eq!(presented_secrets(&h), vec!["abc"]);
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert!(presented_secrets(&h).is_empty());
        h.insert("x-webhook-secret", "def".parse().unwrap());
        assert_eq!(presented_secrets(&h), vec!["def"]);
    }
}
