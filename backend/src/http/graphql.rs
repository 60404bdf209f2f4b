//! GraphQL over HTTP and WebSocket. The handler parses the body itself so
//! that malformed JSON and oversized bodies get a GraphQL-shaped error with
//! a code, like every other error.

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{BatchRequest, BatchResponse, Data};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};

use super::{AppState, error_response};
use crate::app::AppCtx;
use crate::graphql::RequestAuth;
use crate::graphql::loaders::Loaders;

/// GraphiQL, pointed at this server.
pub async fn graphiql(State(st): State<AppState>) -> Response {
    if !st.app.config.graphiql {
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "GraphiQL is disabled; POST queries here");
    }
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish()).into_response()
}

/// Executes a query, mutation, or a batch of them.
pub async fn graphql(State(st): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(BytesRejection::FailedToBufferBody(e)) if e.body_text().contains("length limit") => {
            let msg = format!("request body is larger than {} bytes", st.app.config.max_body_bytes);
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT", &msg);
        }
        Err(e) => return error_response(e.status(), "BAD_USER_INPUT", &e.body_text()),
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            let msg = format!("malformed GraphQL request: {e}");
            return error_response(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &msg);
        }
    };
    let auth = match bearer(&headers) {
        None => RequestAuth::Anonymous,
        Some(token) => match crate::auth::service::authenticate(&st.app, token).await {
            Ok(p) => RequestAuth::Authenticated(p),
            Err(e) => RequestAuth::Invalid(e.to_string()),
        },
    };
    let batch = batch.data(auth).data(Loaders::new(&st.app));
    let mut response = st.schema.execute_batch(batch).await;
    match &mut response {
        BatchResponse::Single(r) => with_codes(r),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(with_codes),
    }
    let mut res = axum::Json(&response).into_response();
    if let Some(v) = response.cache_control().value().and_then(|c| c.parse().ok()) {
        res.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    res
}

/// Errors raised by async-graphql itself (syntax, validation, depth and
/// complexity limits, input coercion) have no code: they are all mistakes
/// in the request, so they get `BAD_USER_INPUT`.
fn with_codes(response: &mut async_graphql::Response) {
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then_some(token)
}

/// Subscriptions over WebSocket (graphql-transport-ws, and the legacy
/// graphql-ws protocol that async-graphql also speaks).
///
/// The server reads `connection_init` itself before handing the socket to
/// async-graphql, to close refusals with the protocol's codes: 4401
/// (Unauthorized) when there is no token or a subscription comes before
/// the handshake, 4403 (Forbidden) when the token or key is not valid, and
/// 4408 when no `connection_init` arrives within 10 seconds.
pub async fn graphql_ws(State(st): State<AppState>, protocol: GraphQLProtocol, ws: WebSocketUpgrade) -> Response {
    let AppState { app, schema } = st;
    // Small buffers: events are small and most sockets sit idle; the
    // defaults (128 KiB each way) would dominate the memory per subscriber.
    let ws = ws.protocols(ALL_WEBSOCKET_PROTOCOLS).read_buffer_size(4 * 1024).write_buffer_size(8 * 1024);
    ws.on_upgrade(move |socket| async move {
        let (mut sink, mut stream) = socket.split();
        let init = match tokio::time::timeout(Duration::from_secs(10), first_text(&mut stream)).await {
            Ok(Some(text)) => text,
            Ok(None) => return,
            Err(_) => return close(&mut sink, 4408, "Connection initialisation timeout").await,
        };
        let message: serde_json::Value = serde_json::from_str(&init).unwrap_or_default();
        if message["type"] != "connection_init" {
            return close(&mut sink, 4401, "Unauthorized: send connection_init first").await;
        }
        let data = match authenticate(&app, &message["payload"]).await {
            Ok(data) => data,
            Err((code, reason)) => return close(&mut sink, code, reason).await,
        };
        // Hand the socket over with `connection_init` put back first;
        // async-graphql answers it with `connection_ack`.
        let replayed = futures::stream::once(async move { Ok(Message::Text(init.into())) }).chain(stream);
        GraphQLWebSocket::new_with_pair(sink, replayed, schema, protocol)
            .on_connection_init(move |_| async move { Ok(data) })
            .serve()
            .await
    })
}

/// The first text frame (answering pings), `None` when the socket closes.
async fn first_text(stream: &mut SplitStream<WebSocket>) -> Option<String> {
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Text(t) => return Some(t.to_string()),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
    None
}

async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: reason.to_owned().into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// Authenticates a WebSocket from its `connection_init` payload:
/// `{"token": "…"}` or `{"Authorization": "Bearer …"}`; the close code and
/// reason when it cannot.
async fn authenticate(app: &AppCtx, payload: &serde_json::Value) -> Result<Data, (u16, &'static str)> {
    let token = ["token", "authToken", "Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .map(|t| t.strip_prefix("Bearer ").unwrap_or(t).trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or((4401, "Unauthorized: send {\"token\": …} in connection_init"))?;
    let principal = crate::auth::service::authenticate(app, &token)
        .await
        .map_err(|_| (4403, "Forbidden: the token or API key is not valid"))?;
    let mut data = Data::default();
    data.insert(RequestAuth::Authenticated(principal));
    data.insert(Loaders::new(app));
    Ok(data)
}
