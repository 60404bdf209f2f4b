//! Live updates: GraphQL subscriptions over one shared WebSocket to
//! `/graphql/ws` (the `graphql-transport-ws` protocol).
//!
//! - One socket per tab, opened by the first subscription, authenticated by
//!   `connection_init {token}`; every screen's subscriptions share it.
//! - The last `eventId` each subscription saw is remembered; after a lost
//!   connection (retried with backoff up to 10 s) or a `LAGGED` error, it
//!   subscribes again with `afterEventId`, so nothing is missed and nothing
//!   comes twice.
//! - A rejected token (close 4401/4403, or `UNAUTHENTICATED`) ends the
//!   session like a rejected HTTP call does.
//!
//! Components call [`use_subscription`]; it unsubscribes when the component
//! goes away. [`status`] drives the "Live" indicator in the top bar.

use std::{cell::RefCell, collections::HashMap, rc::Rc, time::Duration};

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::{ApiError, GraphqlError, protocol_error};
use crate::session::Session;

const PROTOCOL: &str = "graphql-transport-ws";
const PATH: &str = "/graphql/ws";
/// Longest wait between two reconnection attempts.
const MAX_BACKOFF_SECONDS: u32 = 10;

/// The state of the shared connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    /// No subscription yet, or signed out.
    Idle,
    Connecting,
    /// Authenticated; events flow.
    Live,
    /// Lost; a reconnection is scheduled.
    Offline,
}

type Handler = Rc<dyn Fn(Value)>;
type ErrorHandler = Rc<dyn Fn(ApiError)>;

struct Subscription {
    query: &'static str,
    variables: Value,
    /// The position of the last event delivered, for `afterEventId`.
    last_event_id: Option<String>,
    /// Bumped on every (re)subscription: the wire id is `<key>-<generation>`,
    /// so an id is never reused while the server may still hold it.
    generation: u32,
    on_data: Handler,
    on_error: Option<ErrorHandler>,
}

struct Socket {
    ws: WebSocket,
    token: String,
    acknowledged: bool,
    // Kept alive as long as the socket.
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

struct Hub {
    socket: Option<Socket>,
    subscriptions: HashMap<u64, Subscription>,
    next_key: u64,
    failures: u32,
    reconnect_scheduled: bool,
    session: Option<Session>,
    status: ArcRwSignal<LiveStatus>,
}

thread_local! {
    static HUB: RefCell<Hub> = RefCell::new(Hub {
        socket: None,
        subscriptions: HashMap::new(),
        next_key: 1,
        failures: 0,
        reconnect_scheduled: false,
        session: None,
        status: ArcRwSignal::new(LiveStatus::Idle),
    });
}

/// The connection's state (tracked).
pub fn status() -> LiveStatus {
    HUB.with_borrow(|hub| hub.status.clone()).get()
}

/// Subscribes for as long as the calling component lives; `on_event` gets
/// the subscription's root field decoded as `T`.
pub fn use_subscription<T, F>(query: &'static str, variables: Value, on_event: F)
where
    T: DeserializeOwned + 'static,
    F: Fn(T) + 'static,
{
    use_subscription_with_errors(query, variables, on_event, |error| {
        leptos::logging::warn!("subscription ended: {error}");
    });
}

/// [`use_subscription`], with a say in the errors that end it (other than
/// `LAGGED`, which is handled by resuming).
pub fn use_subscription_with_errors<T, F, E>(query: &'static str, variables: Value, on_event: F, on_error: E)
where
    T: DeserializeOwned + 'static,
    F: Fn(T) + 'static,
    E: Fn(ApiError) + 'static,
{
    let session = Session::current();
    let on_data: Handler = Rc::new(move |data: Value| {
        let root = first_field(data);
        match serde_json::from_value::<T>(root) {
            Ok(event) => on_event(event),
            Err(e) => {
                protocol_error(format_args!("unexpected subscription data: {e}"));
            }
        }
    });
    let key = HUB.with_borrow_mut(|hub| {
        hub.session = Some(session);
        let key = hub.next_key;
        hub.next_key += 1;
        hub.subscriptions.insert(
            key,
            Subscription {
                query,
                variables,
                last_event_id: None,
                generation: 0,
                on_data,
                on_error: Some(Rc::new(on_error)),
            },
        );
        key
    });
    connect_or_send(key);
    on_cleanup(move || unsubscribe(key));
}

/// Closes the connection and forgets every subscription's position (on
/// sign-out).
pub fn disconnect() {
    let socket = HUB.with_borrow_mut(|hub| {
        hub.failures = 0;
        hub.status.set(LiveStatus::Idle);
        hub.socket.take()
    });
    if let Some(socket) = socket {
        let _ = socket.ws.close_with_code(1000);
    }
}

/// Reconnects with the session's current token (after it was renewed);
/// subscriptions resume where they were.
pub fn reauthenticate() {
    let socket = HUB.with_borrow_mut(|hub| hub.socket.take());
    if let Some(socket) = socket {
        let _ = socket.ws.close_with_code(1000);
        let token = HUB.with_borrow(|hub| hub.session.and_then(|s| s.token()));
        if let Some(token) = token {
            open(token);
        }
    }
}

fn unsubscribe(key: u64) {
    HUB.with_borrow_mut(|hub| {
        let Some(subscription) = hub.subscriptions.remove(&key) else { return };
        if let Some(socket) = hub.socket.as_ref().filter(|s| s.acknowledged) {
            send(&socket.ws, &json!({ "id": wire_id(key, subscription.generation), "type": "complete" }));
        }
    });
}

/// Sends the subscription if the socket is ready, or opens the socket (the
/// acknowledgement then sends every subscription).
fn connect_or_send(key: u64) {
    let token = HUB.with_borrow(|hub| hub.session.and_then(|s| s.token()));
    let Some(token) = token else { return };
    let ready = HUB.with_borrow(|hub| hub.socket.as_ref().map(|s| (s.token == token, s.acknowledged)));
    match ready {
        Some((true, true)) => HUB.with_borrow_mut(|hub| start(hub, key)),
        Some((true, false)) => {} // the acknowledgement will send it
        Some((false, _)) => {
            // Someone else signed in: start over with their token.
            disconnect();
            open(token);
        }
        None => open(token),
    }
}

/// Sends `subscribe` for one subscription under a fresh wire id.
fn start(hub: &mut Hub, key: u64) {
    let Some(socket) = hub.socket.as_ref().filter(|s| s.acknowledged) else { return };
    let Some(subscription) = hub.subscriptions.get_mut(&key) else { return };
    subscription.generation += 1;
    let mut variables = subscription.variables.clone();
    if let (Some(after), Some(vars)) = (&subscription.last_event_id, variables.as_object_mut()) {
        vars.insert("afterEventId".to_owned(), Value::String(after.clone()));
    }
    send(
        &socket.ws,
        &json!({
            "id": wire_id(key, subscription.generation),
            "type": "subscribe",
            "payload": { "query": subscription.query, "variables": variables },
        }),
    );
}

fn open(token: String) {
    let url = match web_sys::window().map(|w| w.location()) {
        Some(location) => {
            let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
            format!("{scheme}://{}{PATH}", location.host().unwrap_or_default())
        }
        None => return,
    };
    let Ok(ws) = WebSocket::new_with_str(&url, PROTOCOL) else {
        schedule_reconnect();
        return;
    };

    let on_open = Closure::<dyn FnMut()>::new({
        let ws = ws.clone();
        let token = token.clone();
        move || send(&ws, &json!({ "type": "connection_init", "payload": { "token": token } }))
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let ws = ws.clone();
        move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                on_message(&ws, &text);
            }
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new({
        let ws = ws.clone();
        move |event: CloseEvent| on_close(&ws, event.code())
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    HUB.with_borrow_mut(|hub| {
        hub.status.set(LiveStatus::Connecting);
        hub.socket = Some(Socket {
            ws,
            token,
            acknowledged: false,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
    });
}

fn on_message(ws: &WebSocket, text: &str) {
    let Ok(message) = serde_json::from_str::<Value>(text) else { return };
    match message["type"].as_str() {
        Some("connection_ack") => HUB.with_borrow_mut(|hub| {
            let Some(socket) = hub.socket.as_mut().filter(|s| &s.ws == ws) else { return };
            socket.acknowledged = true;
            hub.failures = 0;
            hub.status.set(LiveStatus::Live);
            let keys: Vec<u64> = hub.subscriptions.keys().copied().collect();
            for key in keys {
                start(hub, key);
            }
        }),
        Some("ping") => send(ws, &json!({ "type": "pong" })),
        Some("next") => {
            let Some(key) = message["id"].as_str().and_then(parse_wire_id) else { return };
            on_next(key, message["payload"].clone());
        }
        Some("error") => {
            let Some(key) = message["id"].as_str().and_then(parse_wire_id) else { return };
            let errors: Vec<GraphqlError> = serde_json::from_value(message["payload"].clone()).unwrap_or_default();
            if let Some(error) = errors.into_iter().next() {
                deliver_error(key, error.into());
            }
        }
        _ => {}
    }
}

/// One `next`: data for the handler, or the error that ended the stream.
fn on_next(key: u64, mut payload: Value) {
    let errors: Vec<GraphqlError> = serde_json::from_value(payload["errors"].take()).unwrap_or_default();
    if let Some(error) = errors.into_iter().next() {
        let error = ApiError::from(error);
        if error.is("LAGGED") {
            // Resume from the last event the server says we got.
            HUB.with_borrow_mut(|hub| {
                if let Some(subscription) = hub.subscriptions.get_mut(&key) {
                    subscription.last_event_id = error.extension("lastEventId").or(subscription.last_event_id.take());
                }
                start(hub, key);
            });
            return;
        }
        deliver_error(key, error);
        return;
    }
    let data = payload["data"].take();
    let handler = HUB.with_borrow_mut(|hub| {
        let subscription = hub.subscriptions.get_mut(&key)?;
        if let Some(id) = event_id(&data) {
            subscription.last_event_id = Some(id);
        }
        Some(Rc::clone(&subscription.on_data))
    });
    // Called with the hub released: the handler may subscribe or unsubscribe.
    if let Some(handler) = handler {
        handler(data);
    }
}

fn deliver_error(key: u64, error: ApiError) {
    if error.is("UNAUTHENTICATED") {
        expire_session();
        return;
    }
    let handler = HUB.with_borrow(|hub| hub.subscriptions.get(&key).and_then(|s| s.on_error.clone()));
    if let Some(handler) = handler {
        handler(error);
    }
}

fn on_close(ws: &WebSocket, code: u16) {
    let current = HUB.with_borrow_mut(|hub| {
        if hub.socket.as_ref().is_some_and(|s| &s.ws == ws) {
            hub.socket = None;
            true
        } else {
            false
        }
    });
    if !current {
        return; // an old socket, already replaced
    }
    match code {
        // Unauthorized / Forbidden: the token is no good any more.
        4401 | 4403 => expire_session(),
        _ => {
            HUB.with_borrow_mut(|hub| hub.status.set(LiveStatus::Offline));
            schedule_reconnect();
        }
    }
}

fn expire_session() {
    let session = HUB.with_borrow(|hub| hub.session);
    disconnect();
    if let Some(session) = session {
        session.expire();
    }
}

fn schedule_reconnect() {
    let delay = HUB.with_borrow_mut(|hub| {
        if hub.reconnect_scheduled || hub.subscriptions.is_empty() {
            return None;
        }
        hub.reconnect_scheduled = true;
        hub.failures += 1;
        Some(backoff(hub.failures))
    });
    let Some(delay) = delay else { return };
    set_timeout(
        || {
            let token = HUB.with_borrow_mut(|hub| {
                hub.reconnect_scheduled = false;
                let wanted = hub.socket.is_none() && !hub.subscriptions.is_empty();
                wanted.then(|| hub.session.and_then(|s| s.token())).flatten()
            });
            if let Some(token) = token {
                open(token);
            }
        },
        delay,
    );
}

/// 1 s, 2 s, 4 s, 8 s, then 10 s between attempts.
fn backoff(failures: u32) -> Duration {
    let seconds = 1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(u32::MAX).min(MAX_BACKOFF_SECONDS);
    Duration::from_secs(u64::from(seconds))
}

fn send(ws: &WebSocket, message: &Value) {
    if ws.ready_state() == WebSocket::OPEN {
        let _ = ws.send_with_str(&message.to_string());
    }
}

fn wire_id(key: u64, generation: u32) -> String {
    format!("{key}-{generation}")
}

fn parse_wire_id(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}

/// `data`'s only root field (`{"walletUpdated": {…}}` → `{…}`).
fn first_field(data: Value) -> Value {
    match data {
        Value::Object(map) => map.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null),
        other => other,
    }
}

/// The `eventId` of an event, if the operation selected it.
fn event_id(data: &Value) -> Option<String> {
    let root = data.as_object()?.values().next()?;
    root.get("eventId")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        let seconds: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(backoff(200).as_secs(), 10);
    }

    #[test]
    fn wire_ids_carry_the_subscription_key() {
        assert_eq!(parse_wire_id(&wire_id(42, 3)), Some(42));
        assert_eq!(parse_wire_id("junk"), None);
    }

    #[test]
    fn the_event_id_and_root_field_are_found() {
        let data = json!({ "walletUpdated": { "eventId": "1-0", "kind": "wallet.deposited" } });
        assert_eq!(event_id(&data).as_deref(), Some("1-0"));
        assert_eq!(first_field(data)["kind"], "wallet.deposited");
        assert_eq!(event_id(&json!({ "x": { "y": 1 } })), None);
    }
}
