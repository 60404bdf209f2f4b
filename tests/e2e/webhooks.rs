//! The Webhooks tab in the browser: register an endpoint pointing at a
//! local receiver (the secret shown once), cause an event, see the
//! delivery with its attempt, replay it and see the second attempt.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::browser::scenario;

/// A receiver on a local port that accepts everything and keeps the bodies.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let store = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_registers_an_endpoint_sees_a_delivery_and_replays_it() {
    scenario("admin_webhooks", |s| async move {
        let (url, got) = receiver().await;
        s.sign_in_as_admin().await;
        s.open("/admin/webhooks").await;
        s.wait_text(".empty", "No webhook endpoints yet").await;

        // A bad URL is refused beside its field; a good one shows the secret once.
        s.click("#new-webhook").await;
        s.fill("#new-webhook-url", "ftp://example.com").await;
        s.fill("#new-webhook-types", "customer.*").await;
        s.click_text(".dialog", "Register endpoint").await;
        s.wait_text(".field.has-error .field-error", "http or https").await;
        s.fill("#new-webhook-url", &url).await;
        s.click_text(".dialog", "Register endpoint").await;
        let secret = s.find("#created-webhook-secret").await.prop("value").await.unwrap().unwrap_or_default();
        assert!(secret.starts_with("whsec_"), "{secret}");
        s.click("#created-webhook-done").await;
        s.wait_text(".webhook-row .webhook-status", "Active").await;

        // An event: a new customer.
        s.app.customer("Webhook Lan", "0906000001").await;
        for _ in 0..100 {
            if !got.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(got.lock().unwrap().first().map(|b| b["type"].clone()), Some("customer.created".into()));

        s.click(".webhook-row .webhook-deliveries").await;
        s.wait_text(".webhook-delivery .delivery-type", "customer.created").await;
        s.wait_text(".webhook-delivery .delivery-status", "Delivered").await;
        s.click(".webhook-delivery summary").await;
        s.wait_text(".webhook-attempt .attempt-code", "200").await;
        s.wait_text(".webhook-attempt .attempt-latency", "ms").await;

        // Replayed: the receiver gets it again, and the log shows a second attempt.
        s.click(".webhook-delivery .webhook-replay").await;
        for _ in 0..100 {
            if got.lock().unwrap().len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let bodies = got.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2, "{bodies:?}");
        assert_eq!(bodies[0]["id"], bodies[1]["id"], "a replay carries the same event id");
        s.click("#webhook-refresh").await;
        s.wait_text(".webhook-delivery .delivery-attempts", "2 attempt(s)").await;
    })
    .await;
}
