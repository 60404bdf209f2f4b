//! GraphQL over HTTP and WebSocket. The handler parses the body itself so
//! that malformed JSON and oversized bodies get a GraphQL-shaped error with
//! a code, like every other error.

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{BatchRequest, BatchResponse, Data};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};

use tracing::Instrument;

use super::persisted::describe;
use super::ratelimit::{PeerAddr, client_ip, too_many_requests};
use super::{AppState, error_response};
use crate::app::AppCtx;
use crate::auth::principal::Credential;
use crate::graphql::RequestAuth;
use crate::graphql::loaders::Loaders;
use crate::ratelimit::{ClientIp, Subject};

/// GraphiQL, pointed at this server.
pub async fn graphiql(State(st): State<AppState>) -> Response {
    if !st.app.config.graphiql {
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "GraphiQL is disabled; POST queries here");
    }
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish()).into_response()
}

/// Executes a query, mutation, or a batch of them: authenticates the
/// bearer credential, charges the rate limits (the client IP, and the API
/// key or user; one operation of a batch counts one), resolves persisted
/// queries and the safelist ([`super::persisted`]), then runs each
/// operation, recording its name on the request's span and in the metrics.
pub async fn graphql(
    State(st): State<AppState>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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
    let ip = client_ip(&st.app.config, peer, &headers);
    let mut subjects = vec![Subject::Ip(ip)];
    if let RequestAuth::Authenticated(p) = &auth {
        match p.credential {
            Credential::User { user_id } => subjects.push(Subject::User(user_id)),
            Credential::ApiKey { key_id } => subjects.push(Subject::ApiKey(key_id)),
            Credential::System => {}
        }
    }
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(rs) => (rs, false),
    };
    let cost = u32::try_from(requests.len()).unwrap_or(u32::MAX);
    if let Err(retry) = st.app.limits.check(&subjects, cost, st.app.now()).await {
        tracing::warn!(%ip, limit = retry.scope, retry_after = retry.seconds, "rate limited");
        let msg = format!("too many requests: retry in {} seconds", retry.seconds);
        return too_many_requests(retry, &msg);
    }
    let loaders = Loaders::new(&st.app);
    let runs = requests.into_iter().map(|req| {
        let data = (auth.clone(), loaders.clone(), ClientIp(ip));
        run_one(&st, req, data)
    });
    let (mut responses, names): (Vec<_>, Vec<_>) = futures::future::join_all(runs).await.into_iter().unzip();
    tracing::Span::current().record("operation", names.join(","));
    responses.iter_mut().for_each(with_codes);
    let response = match (single, responses.pop()) {
        (true, Some(r)) => BatchResponse::Single(r),
        (_, last) => BatchResponse::Batch(responses.into_iter().chain(last).collect()),
    };
    let mut res = axum::Json(&response).into_response();
    if let Some(v) = response.cache_control().value().and_then(|c| c.parse().ok()) {
        res.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    res
}

/// Runs one operation of a request; returns its response and name.
async fn run_one(
    st: &AppState,
    mut req: async_graphql::Request,
    (auth, loaders, ip): (RequestAuth, std::sync::Arc<Loaders>, ClientIp),
) -> (async_graphql::Response, String) {
    let started = Instant::now();
    let registry = &st.app.persisted;
    let resolved = registry.resolve(&mut req).await;
    let (name, kind) = match &resolved {
        Ok(()) => describe(&mut req),
        Err(_) => (req.operation_name.clone().unwrap_or_else(|| "anonymous".into()), "unknown"),
    };
    let (response, outcome) = match resolved {
        Err(refusal) => {
            tracing::info!(operation = %name, code = refusal.code, "operation refused");
            (refusal.response(), "rejected")
        }
        Ok(()) => {
            let req = req.data(auth).data(loaders).data(ip);
            let span = tracing::info_span!("graphql", operation = %name, kind);
            let response = st.schema.execute(req).instrument(span).await;
            let outcome = if response.errors.is_empty() { "ok" } else { "error" };
            (response, outcome)
        }
    };
    let label = registry.label(&name);
    metrics::counter!("crm360_graphql_operations_total", "operation" => label.clone(), "type" => kind, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("crm360_graphql_operation_duration_seconds", "operation" => label, "type" => kind)
        .record(started.elapsed().as_secs_f64());
    (response, name)
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
///
/// Opening a socket counts one operation against the client IP's rate
/// limit (a refused upgrade is a `429`); messages on an open socket do not.
pub async fn graphql_ws(
    State(st): State<AppState>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = client_ip(&st.app.config, peer, &headers);
    if let Err(retry) = st.app.limits.check(&[Subject::Ip(ip)], 1, st.app.now()).await {
        let msg = format!("too many requests: retry in {} seconds", retry.seconds);
        return too_many_requests(retry, &msg);
    }
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
        let executor = Guarded { schema, registry: app.persisted.clone() };
        GraphQLWebSocket::new_with_pair(sink, replayed, executor, protocol)
            .on_connection_init(move |_| async move { Ok(data) })
            .serve()
            .await
    })
}

/// The schema as a WebSocket runs it: each operation first goes through
/// the persisted-query registry, so APQ hashes and the safelist hold on
/// sockets as they do over HTTP.
#[derive(Clone)]
struct Guarded {
    schema: crate::graphql::AppSchema,
    registry: std::sync::Arc<super::persisted::Registry>,
}

impl async_graphql::Executor for Guarded {
    async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        match self.registry.resolve(&mut request).await {
            Ok(()) => self.schema.execute(request).await,
            Err(refusal) => refusal.response(),
        }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<std::sync::Arc<Data>>,
    ) -> futures::stream::BoxStream<'static, async_graphql::Response> {
        let (schema, registry) = (self.schema.clone(), self.registry.clone());
        futures::stream::once(async move { registry.resolve(&mut request).await.map(|()| request) })
            .flat_map(move |resolved| match resolved {
                Ok(request) => async_graphql::Executor::execute_stream(&schema, request, session_data.clone()),
                Err(refusal) => futures::stream::once(async move { refusal.response() }).boxed(),
            })
            .boxed()
    }
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
