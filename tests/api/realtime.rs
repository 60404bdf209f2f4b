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
async fn next(ws: &mut Ws) -> Result<Value, Option<u16>> {
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
    ws.send(Message::Text(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string().into()))
        .await
        .unwrap();
}

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

    async fn a_socket_without_a_valid_token_is_closed_without_ack(app) {
        for payload in [json!({}), json!({ "token": "forged" })] {
            let mut ws = connect(&app, payload.clone()).await;
            let answer = next(&mut ws).await;
            assert!(answer.is_err(), "{payload}: {answer:?}");
        }
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
}
