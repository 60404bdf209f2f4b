//! Subscriptions over `/graphql/ws` with the graphql-transport-ws protocol.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, TestApp};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket and sends `connection_init` with `payload`.
async fn connect(app: &TestApp, payload: Value) -> Ws {
    let mut req = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.expect("websocket handshake");
    assert_eq!(res.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    ws.send(Message::Text(json!({ "type": "connection_init", "payload": payload }).to_string().into())).await.unwrap();
    ws
}

/// The next protocol message (text), or the close code.
pub(crate) async fn next(ws: &mut Ws) -> Result<Value, Option<u16>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "ping" || v["type"] == "pong" {
                    continue;
                }
                return Ok(v);
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

async fn subscribe(ws: &mut Ws, query: &str) {
    subscribe_with(ws, query, json!({})).await;
}

async fn subscribe_with(ws: &mut Ws, query: &str, variables: Value) {
    let msg = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
    ws.send(Message::Text(msg.to_string().into())).await.unwrap();
    // There is no subscribe acknowledgement: give the server a moment.
    tokio::time::sleep(Duration::from_millis(250)).await;
}

/// A socket past `connection_ack`, subscribed to `query`.
pub(crate) async fn subscribed(app: &TestApp, token: &str, query: &str, variables: Value) -> Ws {
    let mut ws = connect(app, json!({ "token": token })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    subscribe_with(&mut ws, query, variables).await;
    ws
}

/// The payload of the next `next` message (panics on anything else).
async fn data(ws: &mut Ws, field: &str) -> Value {
    let msg = next(ws).await.unwrap_or_else(|code| panic!("closed with {code:?} while waiting for {field}"));
    assert_eq!(msg["type"], "next", "{msg}");
    assert!(msg["payload"]["errors"].is_null(), "{msg}");
    msg["payload"]["data"][field].clone()
}

/// Nothing arrives within `ms`.
async fn quiet(ws: &mut Ws, ms: u64) {
    match tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
        Err(_) => {}
        Ok(Some(Ok(Message::Text(t)))) if t.contains("\"ping\"") || t.contains("\"pong\"") => {}
        Ok(other) => panic!("expected silence, got {other:?}"),
    }
}

async fn deposit(app: &TestApp, token: &str, customer: &str, amount: &str) -> Value {
    let res = app
        .gql_as(
            Some(token),
            "mutation($i: DepositInput!) { deposit(input: $i) { transaction { code } wallet { realBalance } } }",
            json!({ "i": { "customerId": customer, "amount": amount } }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["deposit"].clone()
}

const WALLET: &str = "subscription($c: ID!, $after: ID) { walletUpdated(customerId: $c, afterEventId: $after) { \
     eventId type at actor customerId transactionId wallet { realBalance virtualBalance } transaction { code amount } } }";

const EVENTS: &str = "subscription { customerEvents { kind actor customer { name phone } } }";

crate::on_both! {
    async fn a_subscriber_sees_a_customer_created_over_http(app) {
        let mut ws = connect(&app, json!({ "token": app.token() })).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
        subscribe(&mut ws, EVENTS).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.customer("Lý Thu Trang", "0922000001").await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["type"], "next", "{msg}");
        let ev = &msg["payload"]["data"]["customerEvents"];
        assert_eq!(ev["kind"], "customer.created");
        assert_eq!(ev["customer"], json!({ "name": "Lý Thu Trang", "phone": "+84922000001" }));
        assert!(ev["actor"].as_str().unwrap().starts_with("user:"));
    }

    async fn a_socket_without_a_valid_token_is_closed_with_4401_or_4403(app) {
        for (payload, code) in [(json!({}), 4401), (json!({ "token": "" }), 4401), (json!({ "token": "forged" }), 4403),
                                (json!({ "token": "crm_not-a-key" }), 4403)] {
            let mut ws = connect(&app, payload.clone()).await;
            assert_eq!(next(&mut ws).await, Err(Some(code)), "{payload}");
        }
        // Subscribing before the handshake is Unauthorized too.
        let mut req = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
        req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let early = json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } });
        ws.send(Message::Text(early.to_string().into())).await.unwrap();
        assert_eq!(next(&mut ws).await, Err(Some(4401)));
    }

    async fn a_deposit_reaches_wallet_subscribers_with_its_ledger_row(app) {
        let c = app.customer("Hồ Quang Hiếu", "0922000010").await["id"].as_str().unwrap().to_owned();
        let other = app.customer("Khác", "0922000011").await["id"].as_str().unwrap().to_owned();
        let (_, manager) = app.staff("MANAGER").await;
        let mut one = subscribed(&app, &app.token(), WALLET, json!({ "c": c })).await;
        let mut all = subscribed(&app, &manager,
            "subscription { walletEvents { eventId type customerId wallet { realBalance } } }", json!({})).await;
        let made = deposit(&app, &app.token(), &c, "125000").await;
        deposit(&app, &app.token(), &other, "1").await;
        let ev = data(&mut one, "walletUpdated").await;
        assert_eq!(ev["type"], "wallet.deposited");
        assert_eq!(ev["customerId"], c.as_str());
        assert_eq!(ev["actor"], "user:1");
        assert_eq!(ev["wallet"]["realBalance"], "125000");
        assert_eq!(ev["transaction"]["code"], made["transaction"]["code"]);
        assert_eq!(ev["transaction"]["amount"], "125000");
        assert!(ev["eventId"].as_str().is_some_and(|id| !id.is_empty()));
        quiet(&mut one, 300).await; // the other customer's deposit is not sent here
        let first = data(&mut all, "walletEvents").await;
        let second = data(&mut all, "walletEvents").await;
        assert_eq!((first["customerId"].as_str(), second["customerId"].as_str()), (Some(c.as_str()), Some(other.as_str())));
        assert_eq!(first["eventId"], ev["eventId"], "one event, one id, whoever receives it");
    }

    async fn a_rolled_back_change_publishes_nothing(app) {
        let c = app.customer("Lâm Gia Huy", "0922000012").await["id"].as_str().unwrap().to_owned();
        let mut ws = subscribed(&app, &app.token(), WALLET, json!({ "c": c })).await;
        let refused = app.gql("mutation($i: WithdrawInput!) { withdraw(input: $i) { replayed } }",
            json!({ "i": { "customerId": c, "amount": "5000" } })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "INSUFFICIENT_FUNDS", "{refused}");
        deposit(&app, &app.token(), &c, "700").await;
        let ev = data(&mut ws, "walletUpdated").await;
        assert_eq!(ev["type"], "wallet.deposited", "the refused withdrawal sent nothing before it");
        quiet(&mut ws, 300).await;
    }

    async fn agents_receive_only_wallet_and_ticket_events_they_may_see(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let mine = app.gql_as(Some(&agent), "mutation { createCustomer(input: { name: \"Của tôi\", phone: \"0922000013\" }) { id } }", json!({}))
            .await["data"]["createCustomer"]["id"].as_str().unwrap().to_owned();
        let theirs = app.customer("Không phải", "0922000014").await["id"].as_str().unwrap().to_owned();
        // Not the agent's customer: refused at once.
        let mut ws = connect(&app, json!({ "token": agent })).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
        subscribe_with(&mut ws, WALLET, json!({ "c": theirs })).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{msg}");
        // walletEvents is for managers.
        let mut ws = connect(&app, json!({ "token": agent })).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
        subscribe(&mut ws, "subscription { walletEvents { eventId } }").await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{msg}");

        let mut tickets = subscribed(&app, &agent, "subscription { ticketEvents { type ticketId customerId ticket { code } } }", json!({})).await;
        let create = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
        app.gql(create, json!({ "i": { "customerId": theirs, "type": "SUPPORT", "description": "not theirs" } })).await;
        let assigned = app.gql(create, json!({ "i": { "customerId": theirs, "type": "BOOM", "description": "assigned", "assigneeId": agent_id } })).await;
        let own = app.gql(create, json!({ "i": { "customerId": mine, "type": "SUPPORT", "description": "own customer" } })).await;
        let a = data(&mut tickets, "ticketEvents").await;
        assert_eq!(a["ticketId"], assigned["data"]["createTicket"]["ticket"]["id"], "{a}");
        let b = data(&mut tickets, "ticketEvents").await;
        assert_eq!(b["ticketId"], own["data"]["createTicket"]["ticket"]["id"], "{b}");
        quiet(&mut tickets, 300).await;
    }

    async fn ticket_subscriptions_follow_one_ticket_or_a_filter(app) {
        let c = app.customer("Tạ Minh", "0922000015").await["id"].as_str().unwrap().to_owned();
        let create = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
        let t = app.gql(create, json!({ "i": { "customerId": c, "type": "BOOM", "description": "x" } })).await
            ["data"]["createTicket"]["ticket"]["id"].as_str().unwrap().to_owned();
        let mut one = subscribed(&app, &app.token(),
            "subscription($t: ID!) { ticketUpdated(ticketId: $t) { type ticketId data ticket { status } } }", json!({ "t": t })).await;
        let mut done = subscribed(&app, &app.token(),
            "subscription { ticketEvents(filter: { statuses: [COMPLETED] }) { type ticket { code status } } }", json!({})).await;
        let mv = "mutation($id: ID!, $to: TicketStatus!) { transitionTicket(id: $id, to: $to) { status } }";
        for to in ["IN_PROGRESS", "WAITING_CARRIER", "COMPLETED"] {
            let res = app.gql(mv, json!({ "id": t, "to": to })).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let kinds: Vec<Value> = [
            data(&mut one, "ticketUpdated").await, data(&mut one, "ticketUpdated").await,
            data(&mut one, "ticketUpdated").await, data(&mut one, "ticketUpdated").await,
        ].iter().map(|e| json!([e["type"], e["data"]["to"]])).collect();
        assert_eq!(kinds, vec![
            json!(["ticket.status_changed", "IN_PROGRESS"]), json!(["ticket.status_changed", "WAITING_CARRIER"]),
            json!(["ticket.status_changed", "COMPLETED"]), json!(["ticket.completed", "COMPLETED"]),
        ]);
        let a = data(&mut done, "ticketEvents").await;
        let b = data(&mut done, "ticketEvents").await;
        assert_eq!((a["type"].as_str(), b["type"].as_str()), (Some("ticket.status_changed"), Some("ticket.completed")));
        assert_eq!(b["ticket"]["status"], "COMPLETED");
        quiet(&mut done, 300).await;
    }

    async fn the_dashboard_receives_kpi_deltas(app) {
        let mut ws = subscribed(&app, &app.token(),
            "subscription { dashboardUpdated { cause customers walletReal deposited openTickets } }", json!({})).await;
        let c = app.customer("Vi Thị Ngọc", "0922000016").await["id"].as_str().unwrap().to_owned();
        deposit(&app, &app.token(), &c, "90000").await;
        app.gql("mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }",
            json!({ "i": { "customerId": c, "type": "SUPPORT", "description": "x" } })).await;
        assert_eq!(data(&mut ws, "dashboardUpdated").await,
            json!({ "cause": "customer.created", "customers": 1, "walletReal": "0", "deposited": "0", "openTickets": 0 }));
        assert_eq!(data(&mut ws, "dashboardUpdated").await,
            json!({ "cause": "wallet.deposited", "customers": 0, "walletReal": "90000", "deposited": "90000", "openTickets": 0 }));
        assert_eq!(data(&mut ws, "dashboardUpdated").await["openTickets"], 1);
    }

    async fn a_client_resumes_after_the_last_event_it_saw_without_gap_or_duplicate(app) {
        let c = app.customer("Kiều Anh", "0922000017").await["id"].as_str().unwrap().to_owned();
        let mut ws = subscribed(&app, &app.token(), WALLET, json!({ "c": c })).await;
        deposit(&app, &app.token(), &c, "1").await;
        let seen = data(&mut ws, "walletUpdated").await["eventId"].as_str().unwrap().to_owned();
        drop(ws); // disconnected
        for amount in ["2", "3"] {
            deposit(&app, &app.token(), &c, amount).await;
        }
        let mut ws = subscribed(&app, &app.token(), WALLET, json!({ "c": c, "after": seen })).await;
        deposit(&app, &app.token(), &c, "4").await;
        let mut amounts = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let ev = data(&mut ws, "walletUpdated").await;
            amounts.push(ev["transaction"]["amount"].as_str().unwrap().to_owned());
            ids.push(ev["eventId"].as_str().unwrap().to_owned());
        }
        assert_eq!(amounts, vec!["2", "3", "4"], "missed ones first, then live, each once");
        quiet(&mut ws, 300).await;
        assert!(ids.iter().all(|id| id.as_str() != seen.as_str()));
        // An id from before a restart (or long gone) asks the client to reload.
        let mut ws = subscribed(&app, &app.token(), WALLET, json!({ "c": c, "after": "1-1" })).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "LAGGED", "{msg}");
        let mut ws = subscribed(&app, &app.token(), WALLET, json!({ "c": c, "after": "garbage" })).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["field"], "afterEventId", "{msg}");
    }

    async fn a_stream_ends_when_its_token_expires(app) {
        let c = app.customer("Đàm Vĩnh", "0922000018").await["id"].as_str().unwrap().to_owned();
        let token = app.token();
        // The token lives 60 minutes of the server's clock: 2 seconds are left.
        app.clock.advance(chrono::Duration::minutes(60) - chrono::Duration::seconds(2));
        let mut ws = subscribed(&app, &token, WALLET, json!({ "c": c })).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{msg}");
        assert_eq!(next(&mut ws).await.unwrap()["type"], "complete");
    }



    async fn an_agent_receives_only_events_of_their_own_customers(app) {
        let (_, agent) = app.staff("AGENT").await;
        let mut ws = connect(&app, json!({ "token": agent })).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
        subscribe(&mut ws, EVENTS).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.customer("Someone else's", "0922000002").await;
        app.gql_as(Some(&agent), "mutation { createCustomer(input: { name: \"Mine\", phone: \"0922000003\" }) { id } }", json!({})).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["data"]["customerEvents"]["customer"]["name"], "Mine", "{msg}");
    }
}

/// A subscriber that falls behind is told where it was and resumes from
/// the log: across the two subscriptions every event arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_subscriber_is_told_and_resumes_without_loss() {
    const N: usize = 1000;
    let app = crate::helpers::spawn_app_with(Backend::Sqlite, |c| c.events_buffer = 4).await.unwrap();
    let c: i64 = app.customer("Chậm Chạp", "0922000019").await["id"].as_str().unwrap().parse().unwrap();
    // Each event costs the subscriber a database read: it cannot keep up.
    let query = "subscription($after: ID) { walletEvents(afterEventId: $after) { eventId wallet { realBalance } } }";
    let mut ws = subscribed(&app, &app.token(), query, json!({})).await;
    // A burst far larger than the buffer, published without yielding.
    for _ in 0..N {
        let mut e = crm360::events::DomainEvent::new("wallet.adjusted", "wallet", c, "system", chrono::Utc::now());
        e.customer_id = Some(c);
        app.ctx.bus.publish(e).await;
    }
    let mut got: Vec<String> = Vec::new();
    let last = loop {
        let msg = next(&mut ws).await.unwrap();
        if let Some(err) = msg["payload"]["errors"].get(0) {
            assert_eq!(err["extensions"]["code"], "LAGGED", "{msg}");
            break err["extensions"]["lastEventId"].as_str().expect("the last event id to resume after").to_owned();
        }
        got.push(msg["payload"]["data"]["walletEvents"]["eventId"].as_str().unwrap().to_owned());
    };
    assert!(got.len() < N, "it did fall behind ({} received)", got.len());
    if let Some(seen) = got.last() {
        assert_eq!(&last, seen, "resume after the last event received");
    }
    let after = last;
    let mut ws = subscribed(&app, &app.token(), query, json!({ "after": after })).await;
    while got.len() < N {
        got.push(data(&mut ws, "walletEvents").await["eventId"].as_str().unwrap().to_owned());
    }
    quiet(&mut ws, 300).await;
    let unique: std::collections::HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), N, "every event exactly once");
}

mod postgres_redis {
    use super::*;

    /// Two server processes' worth of instances on one PostgreSQL database,
    /// sharing events through Redis.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_customer_created_on_instance_a_reaches_a_subscriber_on_instance_b() {
        let Some(a) = crate::helpers::spawn_app(Backend::Postgres).await else { return };
        if !crate::helpers::redis_available().await {
            return;
        }
        let channel = format!("crm360:test:{}", uuid::Uuid::new_v4());
        let mut config_b = crate::helpers::test_config(&a.database_url);
        config_b.redis_url = Some(crate::helpers::redis_url());
        config_b.events_channel = channel.clone();
        let mut config_a = config_b.clone();
        config_a.database_url = a.database_url.clone();
        let inst_a = crate::helpers::spawn_with(config_a, Backend::Postgres).await;
        let inst_b = crate::helpers::spawn_with(config_b, Backend::Postgres).await;
        let mut ws = connect(&inst_b, json!({ "token": inst_b.token() })).await;
        assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
        subscribe(&mut ws, EVENTS).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        inst_a.customer("Dương Gia Bảo", "0922000009").await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["data"]["customerEvents"]["customer"]["name"], "Dương Gia Bảo", "{msg}");
        let ready: Value = inst_b.http.get(inst_b.url("/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["eventBus"]["kind"], "redis");
        drop((inst_a, inst_b));
        drop(a);
    }

    /// A deposit over HTTP on instance A reaches a `walletUpdated`
    /// subscriber on instance B; B's subscriber then resumes, on A, after
    /// the last event it saw, from the shared Redis stream.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deposit_on_instance_a_reaches_b_and_resumes_on_a() {
        let Some(a) = crate::helpers::spawn_app(Backend::Postgres).await else { return };
        if !crate::helpers::redis_available().await {
            return;
        }
        let mut config = crate::helpers::test_config(&a.database_url);
        config.redis_url = Some(crate::helpers::redis_url());
        config.events_channel = format!("crm360:test:{}", uuid::Uuid::new_v4());
        let inst_a = crate::helpers::spawn_with(config.clone(), Backend::Postgres).await;
        let inst_b = crate::helpers::spawn_with(config, Backend::Postgres).await;
        let c = inst_a.customer("Mạc Thu", "0922000020").await["id"].as_str().unwrap().to_owned();
        let mut ws = subscribed(&inst_b, &inst_b.token(), WALLET, json!({ "c": c })).await;
        let made = deposit(&inst_a, &inst_a.token(), &c, "5000").await;
        let ev = data(&mut ws, "walletUpdated").await;
        assert_eq!(ev["transaction"]["code"], made["transaction"]["code"]);
        assert_eq!(ev["wallet"]["realBalance"], "5000");
        let seen = ev["eventId"].as_str().unwrap().to_owned();
        drop(ws);
        deposit(&inst_b, &inst_b.token(), &c, "6").await;
        let mut ws = subscribed(&inst_a, &inst_a.token(), WALLET, json!({ "c": c, "after": seen })).await;
        deposit(&inst_a, &inst_a.token(), &c, "7").await;
        let amounts = [data(&mut ws, "walletUpdated").await, data(&mut ws, "walletUpdated").await]
            .map(|e| e["transaction"]["amount"].as_str().unwrap().to_owned());
        assert_eq!(amounts, ["6".to_owned(), "7".to_owned()]);
        quiet(&mut ws, 300).await;
        drop((inst_a, inst_b));
        drop(a);
    }
}
