//! Outgoing webhooks: endpoints registered by admins, every domain event
//! written to the outbox with its change, signed deliveries checked by an
//! independent implementation (Python's `hmac`), retries with an attempt
//! log, wildcards, a restart mid-delivery, auto-disable, replays.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of, field};

const SECRET: &str = "whsec_test_secret_0123456789abcdef";

const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { \
     secret endpoint { id url eventTypes active secretHint } } }";

const DELIVERIES: &str = "query($e: ID, $s: WebhookDeliveryStatus) { webhookDeliveries(endpointId: $e, status: $s, first: 50) { \
     totalCount edges { node { id eventId eventType status attempts replays lastStatusCode lastError payload \
     attemptLog { statusCode latencyMs error success replay } } } } }";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str).unwrap_or_default()
    }
}

/// A receiver on a local port: answers 500 to the first `fail` requests
/// (all of them with `usize::MAX`), 200 after, and records what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    calls: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(fail: usize) -> Self {
        Self::on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), fail).await
    }

    async fn on(listener: tokio::net::TcpListener, fail: usize) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let (store, count) = (got.clone(), calls.clone());
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (store, count) = (store.clone(), count.clone());
                async move {
                    let headers = headers
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    store.lock().unwrap().push(Received { headers, body });
                    if n < fail {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "receiver is down")
                    } else {
                        (axum::http::StatusCode::OK, "ok")
                    }
                }
            }),
        );
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url: format!("http://{addr}/hook"), got, calls }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn types(&self) -> Vec<String> {
        let mut v: Vec<String> = self.got().iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        v.sort();
        v
    }
}

/// Waits (real time, up to 15 s) until `done` holds.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn endpoint(app: &TestApp, url: &str, types: &[&str]) -> String {
    let res = app.gql(CREATE, json!({ "i": { "url": url, "eventTypes": types, "secret": SECRET } })).await;
    assert!(res["errors"].is_null(), "createWebhookEndpoint: {res}");
    res["data"]["createWebhookEndpoint"]["endpoint"]["id"].as_str().unwrap().to_owned()
}

async fn deliveries(app: &TestApp, endpoint: &str, status: Option<&str>) -> Vec<Value> {
    let res = app.gql(DELIVERIES, json!({ "e": endpoint, "s": status })).await;
    assert!(res["errors"].is_null(), "webhookDeliveries: {res}");
    res["data"]["webhookDeliveries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn wait_delivered(app: &TestApp, endpoint: &str, n: usize) -> Vec<Value> {
    until(&format!("{n} delivered"), async || deliveries(app, endpoint, Some("DELIVERED")).await.len() >= n).await;
    deliveries(app, endpoint, Some("DELIVERED")).await
}

/// Checks a signature with Python's `hmac` and `hashlib`, not our code.
fn python_verifies(secret: &str, timestamp: &str, signature: &str, body: &str) -> bool {
    use std::io::Write;
    const SCRIPT: &str = r#"
import hashlib, hmac, sys
secret, timestamp, signature = sys.argv[1:4]
body = sys.stdin.buffer.read()
expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(expected, signature) else 1)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT, secret, timestamp, signature])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    child.wait().unwrap().success()
}

crate::on_both! {
    async fn a_committed_change_is_delivered_signed_as_an_independent_implementation_checks(app) {
        let rx = Receiver::start(0).await;
        let created = app.gql(CREATE, json!({ "i": { "url": rx.url, "eventTypes": ["customer.*"] } })).await;
        let payload = &created["data"]["createWebhookEndpoint"];
        let secret = payload["secret"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
        assert!(secret.starts_with("whsec_") && secret.len() > 40, "generated secret: {secret}");
        assert_eq!(payload["endpoint"]["secretHint"], format!("…{}", &secret[secret.len() - 4..]));
        let listed = app.gql("{ webhookEndpoints { id secretHint active } }", json!({})).await;
        assert!(!listed.to_string().contains(&secret), "the secret is never shown again: {listed}");

        let c = app.customer("Lan", "0905000001").await;
        until("the webhook", async || !rx.got().is_empty()).await;
        let r = rx.got()[0].clone();
        let body = r.json();
        assert_eq!(body["type"], "customer.created");
        assert_eq!(body["entity"], json!({ "type": "customer", "id": c["id"] }));
        assert_eq!(body["customerId"], c["id"]);
        assert!(body["actor"].as_str().unwrap().starts_with("user:"), "{body}");
        assert!(body["id"].as_str().unwrap().starts_with("evt_"), "{body}");
        assert!(body["occurredAt"].as_str().is_some() && body.get("data").is_some(), "{body}");
        assert_eq!(r.header("X-Crm360-Event-Id"), body["id"].as_str().unwrap());
        assert_eq!(r.header("X-Crm360-Event-Type"), "customer.created");
        assert_eq!(r.header("content-type"), "application/json");
        let ts = r.header("X-Crm360-Timestamp");
        assert!((ts.parse::<i64>().unwrap() - app.ctx.now().timestamp()).abs() < 300, "fresh timestamp {ts}");
        let sig = r.header("X-Crm360-Signature");
        assert!(sig.starts_with("v1="), "{sig}");
        assert!(python_verifies(&secret, ts, sig, &r.body), "Python verifies the signature");
        assert!(!python_verifies(&secret, ts, sig, &r.body.replace("customer.created", "customer.updated")), "a changed body fails");
        assert!(!python_verifies("another-secret-entirely", ts, sig, &r.body), "another secret fails");
    }

    async fn a_receiver_failing_twice_gets_the_event_on_the_third_attempt_with_the_log_in_graphql(app) {
        let rx = Receiver::start(2).await;
        let ep = endpoint(&app, &rx.url, &["customer.created"]).await;
        app.customer("Mai", "0905000002").await;
        let done = wait_delivered(&app, &ep, 1).await;
        let d = &done[0];
        assert_eq!(d["attempts"], 3, "{d}");
        assert_eq!(d["lastStatusCode"], 200, "{d}");
        assert!(d["lastError"].is_null(), "{d}");
        let log = d["attemptLog"].as_array().unwrap();
        let codes: Vec<i64> = log.iter().map(|a| a["statusCode"].as_i64().unwrap()).collect();
        assert_eq!(codes, vec![500, 500, 200], "{d}");
        assert_eq!(log[0]["error"], "HTTP 500 Internal Server Error: receiver is down", "{d}");
        assert!(log.iter().all(|a| a["latencyMs"].as_i64().is_some_and(|ms| ms >= 0)), "{d}");
        assert_eq!(log.iter().map(|a| a["success"].as_bool().unwrap()).collect::<Vec<_>>(), vec![false, false, true]);
        let ids: Vec<String> = rx.got().iter().map(|r| r.header("X-Crm360-Event-Id").to_owned()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.iter().all(|i| *i == ids[0]), "every retry carries the same event id: {ids:?}");
    }

    async fn wildcards_exact_types_and_star_choose_the_events(app) {
        let (all, wallet, exact) = (Receiver::start(0).await, Receiver::start(0).await, Receiver::start(0).await);
        endpoint(&app, &all.url, &["*"]).await;
        endpoint(&app, &wallet.url, &["wallet.*"]).await;
        endpoint(&app, &exact.url, &["customer.created", "ticket.status_changed"]).await;
        let c = app.customer("Hoa", "0905000003").await;
        let res = app
            .gql(
                "mutation($i: DepositInput!) { deposit(input: $i) { wallet { realBalance } } }",
                json!({ "i": { "customerId": c["id"], "amount": "50000", "reference": "cash" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        until("the wallet event", async || !wallet.got().is_empty()).await;
        until("every event to *", async || all.got().len() >= 4).await;
        until("the exact type", async || !exact.got().is_empty()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(wallet.types(), vec!["wallet.deposited"]);
        assert_eq!(exact.types(), vec!["customer.created"]);
        // `*` also hears the two endpoints registered after it.
        assert_eq!(
            all.types(),
            vec!["customer.created", "wallet.deposited", "webhook.endpoint_created", "webhook.endpoint_created"]
        );
    }

    async fn a_rolled_back_change_produces_no_webhook(app) {
        let rx = Receiver::start(0).await;
        endpoint(&app, &rx.url, &["*"]).await;
        let c = app.customer("Tuan", "0905000004").await;
        until("customer.created", async || rx.got().len() == 1).await;
        let events = count_of(&app, "SELECT COUNT(*) FROM webhook_events").await;
        // Refused by the service: nothing committed, nothing written.
        let res = app
            .gql(
                "mutation($i: WithdrawInput!) { withdraw(input: $i) { wallet { realBalance } } }",
                json!({ "i": { "customerId": c["id"], "amount": "1000" } }),
            )
            .await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        // A transaction that published an event and then rolled back.
        let mut tx = app.ctx.begin().await.unwrap();
        tx.publish(crm360::events::DomainEvent::new("customer.updated", "customer", 1, "system", app.ctx.now()));
        drop(tx);
        // And one that committed, for contrast.
        let mut tx = app.ctx.begin().await.unwrap();
        tx.publish(crm360::events::DomainEvent::new("customer.updated", "customer", 2, "system", app.ctx.now()));
        tx.commit().await.unwrap();
        until("the committed event", async || rx.got().len() == 2).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM webhook_events").await, events + 1);
        let got = rx.got();
        assert_eq!(got.len(), 2, "{:?}", rx.types());
        assert_eq!(got[1].json()["entity"]["id"], "2");
    }

    async fn the_outbox_survives_restarts_and_an_abandoned_claim_is_sent_after_its_lease(app) {
        use sea_orm::sea_query::Expr;
        use sea_orm::{EntityTrait, QueryFilter, ColumnTrait};
        use crm360::webhooks::model::delivery;
        // The receiver's port, with nobody listening yet.
        let port = { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port() };
        let url = format!("http://127.0.0.1:{port}/hook");
        let app = app.restart(|c| c.webhooks_enabled = false).await;
        let ep = endpoint(&app, &url, &["customer.created"]).await;
        app.customer("Quang", "0905000005").await;
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'customer.created'").await, 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM webhook_deliveries").await, 0, "no dispatcher ran");

        // Dispatching, the receiver down: the first attempt fails, the next is an hour away.
        let app = app.restart(|c| c.webhook_retry_base_ms = 3_600_000).await;
        until("a failed attempt", async || {
            deliveries(&app, &ep, None).await.first().is_some_and(|d| d["attemptLog"].as_array().unwrap().len() == 1)
        })
        .await;
        let d = deliveries(&app, &ep, None).await[0].clone();
        assert_eq!(d["status"], "PENDING", "{d}");
        assert_eq!(d["attemptLog"][0]["error"], "could not connect", "{d}");
        assert!(d["attemptLog"][0]["statusCode"].is_null(), "{d}");

        // A dispatcher claims it and dies before finishing.
        let lease = app.ctx.now() + chrono::Duration::seconds(30);
        let app = app.restart(|c| c.webhooks_enabled = false).await;
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::val("SENDING"))
            .col_expr(delivery::Column::LockedUntil, Expr::val(Some(lease)))
            .col_expr(delivery::Column::NextAttemptAt, Expr::val(app.ctx.now()))
            .filter(delivery::Column::Status.eq("PENDING"))
            .exec(app.ctx.db.conn())
            .await
            .unwrap();

        // Restarted with the receiver up: nothing before the lease ends, delivered after.
        let rx = Receiver::on(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap(), 0).await;
        let app = app.restart(|_| {}).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(rx.got().is_empty(), "still under another dispatcher's lease");
        app.advance(chrono::Duration::seconds(31)).await;
        let done = wait_delivered(&app, &ep, 1).await;
        assert_eq!(done[0]["eventType"], "customer.created");
        assert_eq!(rx.got().len(), 1);
        assert_eq!(rx.types(), vec!["customer.created"]);
    }

    async fn settled_deliveries_and_their_events_are_pruned_after_the_retention(app) {
        let app = app.restart(|c| {
            c.webhook_retention_days = 30;
            c.webhook_retry_base_ms = 3_600_000 * 24 * 40;
            c.webhook_retry_max_ms = 3_600_000 * 24 * 40;
        })
        .await;
        let rx = Receiver::start(0).await;
        let up = endpoint(&app, &rx.url, &["customer.created"]).await;
        // A receiver that is down: its delivery stays PENDING (next attempt in 40 days).
        let port = { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port() };
        let down = endpoint(&app, &format!("http://127.0.0.1:{port}/hook"), &["customer.updated"]).await;
        let c = app.customer("Lưu Trữ", "0905000021").await;
        wait_delivered(&app, &up, 1).await;
        let res = app.gql("mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Lưu Trữ Mới\" }) { id } }", json!({ "id": c["id"] })).await;
        assert!(res["errors"].is_null(), "{res}");
        until("a failed attempt", async || {
            deliveries(&app, &down, None).await.first().is_some_and(|d| d["attemptLog"].as_array().unwrap().len() == 1)
        })
        .await;

        // 29 days on: everything is kept.
        app.advance(chrono::Duration::days(29)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(deliveries(&app, &up, Some("DELIVERED")).await.len(), 1);
        // 31 days on: the delivered one goes with its attempts and event; the pending one stays.
        app.advance(chrono::Duration::days(2)).await;
        until("the settled delivery pruned", async || deliveries(&app, &up, None).await.is_empty()).await;
        let pending = deliveries(&app, &down, None).await;
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0]["status"], "PENDING");
        assert_eq!(pending[0]["attemptLog"].as_array().unwrap().len(), 1, "its attempts are kept");
        let orphans = "SELECT COUNT(*) FROM webhook_events e WHERE NOT EXISTS \
            (SELECT 1 FROM webhook_deliveries d WHERE d.event_row_id = e.id)";
        assert_eq!(count_of(&app, orphans).await, 0, "events no delivery needs are gone");
        assert!(count_of(&app, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'customer.updated'").await >= 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'customer.created'").await, 0);
    }

    async fn receivers_must_be_public_unless_private_networks_are_allowed(app) {
        let app = app.restart(|c| c.webhook_allow_private_networks = false).await;
        // An internal address is refused on the field, at registration and on update.
        for url in ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://10.0.0.7/hook"] {
            let res = app.gql(CREATE, json!({ "i": { "url": url, "eventTypes": ["*"], "secret": SECRET } })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.url")), "{url}: {res}");
        }
        // A name is checked where it resolves, before each delivery: nothing is sent.
        let rx = Receiver::start(0).await;
        let by_name = rx.url.replace("127.0.0.1", "localhost");
        let ep = endpoint(&app, &by_name, &["customer.created"]).await;
        app.customer("Riêng Tư", "0905000031").await;
        until("a refused attempt", async || {
            deliveries(&app, &ep, None).await.first().is_some_and(|d| !d["attemptLog"].as_array().unwrap().is_empty())
        })
        .await;
        let d = deliveries(&app, &ep, None).await[0].clone();
        let error = d["attemptLog"][0]["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains("localhost resolves to a private or local address"), "{d}");
        assert!(rx.got().is_empty(), "the receiver got nothing");
        let update = "mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { secret } }";
        let res = app.gql(update, json!({ "id": ep, "i": { "url": "http://192.168.1.20/hook" } })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.url")), "{res}");
    }

    async fn an_endpoint_failing_again_and_again_is_disabled_with_a_reason_and_can_be_re_enabled(app) {
        let app = app.restart(|c| {
            c.webhook_max_attempts = 2;
            c.webhook_disable_after_failures = 2;
        })
        .await;
        let down = Receiver::start(usize::MAX).await;
        let watcher = Receiver::start(0).await;
        let ep = endpoint(&app, &down.url, &["customer.created"]).await;
        endpoint(&app, &watcher.url, &["webhook.*"]).await;
        app.customer("Son", "0905000006").await;
        app.customer("Vy", "0905000007").await;
        until("two failed deliveries", async || deliveries(&app, &ep, Some("FAILED")).await.len() == 2).await;
        let q = "query($id: ID!) { webhookEndpoint(id: $id) { active disabledReason consecutiveFailures } }";
        let res = app.gql(q, json!({ "id": ep })).await;
        let e = &res["data"]["webhookEndpoint"];
        assert_eq!(e["active"], false, "{res}");
        assert_eq!(
            e["disabledReason"],
            "disabled after 2 failed deliveries in a row (last: HTTP 500 Internal Server Error: receiver is down)"
        );
        assert_eq!(down.calls.load(Ordering::SeqCst), 4, "two attempts each");
        until("the notice", async || watcher.types().contains(&"webhook.endpoint_disabled".to_owned())).await;
        let notice = watcher.got().into_iter().find(|r| r.json()["type"] == "webhook.endpoint_disabled").unwrap();
        assert_eq!(notice.json()["entity"]["id"], ep.as_str());
        assert_eq!(notice.json()["actor"], "system");
        assert_eq!(
            count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'webhook.auto_disable'").await,
            1
        );

        // A disabled endpoint gets nothing new; re-enabled, it does again.
        app.customer("Nga", "0905000008").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(down.calls.load(Ordering::SeqCst), 4);
        let res = app
            .gql(
                "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { active: true }) { secret endpoint { active disabledReason consecutiveFailures } } }",
                json!({ "id": ep }),
            )
            .await;
        assert_eq!(
            res["data"]["updateWebhookEndpoint"],
            json!({ "secret": null, "endpoint": { "active": true, "disabledReason": null, "consecutiveFailures": 0 } }),
            "{res}"
        );
        app.customer("Kim", "0905000009").await;
        until("a new attempt", async || down.calls.load(Ordering::SeqCst) >= 5).await;
    }

    async fn replays_send_one_delivery_or_a_time_range_again(app) {
        let rx = Receiver::start(0).await;
        let ep = endpoint(&app, &rx.url, &["customer.created"]).await;
        let t0 = app.ctx.now();
        let a1 = app.customer("A1", "0905000011").await["id"].as_str().unwrap().to_owned();
        app.advance(chrono::Duration::minutes(10)).await;
        let a2 = app.customer("A2", "0905000012").await["id"].as_str().unwrap().to_owned();
        let a3 = app.customer("A3", "0905000013").await["id"].as_str().unwrap().to_owned();
        let entity = |payload: &str| {
            serde_json::from_str::<Value>(payload).unwrap()["entity"]["id"].as_str().unwrap().to_owned()
        };
        let done = wait_delivered(&app, &ep, 3).await;
        assert_eq!(rx.got().len(), 3);

        let first = done.iter().find(|d| entity(d["payload"].as_str().unwrap()) == a1).unwrap();
        let res = app
            .gql("mutation($id: ID!) { replayWebhookDelivery(id: $id) { status replays } }", json!({ "id": first["id"] }))
            .await;
        assert_eq!(res["data"]["replayWebhookDelivery"], json!({ "status": "PENDING", "replays": 1 }), "{res}");
        until("the replay", async || rx.got().len() == 4).await;
        assert_eq!(rx.got()[3].header("X-Crm360-Event-Id"), first["eventId"].as_str().unwrap(), "same event id");
        until("the replay settled", async || {
            deliveries(&app, &ep, None).await.iter().any(|d| d["attemptLog"].as_array().unwrap().len() == 2)
        })
        .await;
        let again = deliveries(&app, &ep, None).await.into_iter().find(|d| d["id"] == first["id"]).unwrap();
        let log: Vec<bool> = again["attemptLog"].as_array().unwrap().iter().map(|a| a["replay"].as_bool().unwrap()).collect();
        assert_eq!(log, vec![false, true], "{again}");

        // The range after the first customer: the two others.
        let range = "mutation($e: ID!, $f: DateTime!, $t: DateTime!) { replayWebhookDeliveries(endpointId: $e, from: $f, to: $t) }";
        let from = (t0 + chrono::Duration::minutes(5)).to_rfc3339();
        let to = (app.ctx.now() + chrono::Duration::minutes(1)).to_rfc3339();
        let res = app.gql(range, json!({ "e": ep, "f": from, "t": to })).await;
        assert_eq!(res["data"]["replayWebhookDeliveries"], 2, "{res}");
        until("two more", async || rx.got().len() == 6).await;
        let mut replayed: Vec<String> = rx.got()[4..].iter().map(|r| entity(&r.body)).collect();
        replayed.sort();
        let mut want = vec![a2, a3];
        want.sort();
        assert_eq!(replayed, want);
        let res = app.gql(range, json!({ "e": ep, "f": to, "t": from })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("to")), "{res}");
    }

    async fn only_admins_manage_webhooks_and_bad_input_names_its_field(app) {
        let (_, manager) = app.staff("MANAGER").await;
        let res = app.gql_as(Some(&manager), "{ webhookEndpoints { id } }", json!({})).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let input = json!({ "i": { "url": "https://example.com/hook", "eventTypes": ["*"] } });
        let res = app.gql_as(Some(&manager), CREATE, input.clone()).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(None, DELIVERIES, json!({})).await;
        assert_eq!(code(&res), Some("UNAUTHENTICATED"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM webhook_endpoints").await, 0);

        for (i, want) in [
            (json!({ "url": "ftp://example.com/x", "eventTypes": ["*"] }), "input.url"),
            (json!({ "url": "not a url", "eventTypes": ["*"] }), "input.url"),
            (json!({ "url": "https://example.com", "eventTypes": [] }), "input.eventTypes"),
            (json!({ "url": "https://example.com", "eventTypes": ["Wallet.*"] }), "input.eventTypes"),
            (json!({ "url": "https://example.com", "eventTypes": ["wallet*"] }), "input.eventTypes"),
            (json!({ "url": "https://example.com", "eventTypes": ["*"], "secret": "short" }), "input.secret"),
        ] {
            let res = app.gql(CREATE, json!({ "i": i })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(want)), "{i}: {res}");
        }
        let res = app.gql(CREATE, input).await;
        assert!(res["errors"].is_null(), "{res}");
        let id = res["data"]["createWebhookEndpoint"]["endpoint"]["id"].clone();
        let res = app
            .gql(
                "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { rotateSecret: true, eventTypes: [\"wallet.*\", \"wallet.*\"] }) { secret endpoint { eventTypes } } }",
                json!({ "id": id }),
            )
            .await;
        assert!(res["data"]["updateWebhookEndpoint"]["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "{res}");
        assert_eq!(res["data"]["updateWebhookEndpoint"]["endpoint"]["eventTypes"], json!(["wallet.*"]));
        let res = app.gql_as(Some(&manager), "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }", json!({ "id": id })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql("mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }", json!({ "id": id })).await;
        assert_eq!(res["data"]["deleteWebhookEndpoint"], true, "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'webhook.%'").await, 3);
    }
}
