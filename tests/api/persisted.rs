//! Automatic persisted queries (Apollo's protocol), the safelist, and
//! operation names in the metrics. Each scenario runs on SQLite (the APQ
//! store in memory) and on PostgreSQL with Redis (the store in Redis).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, code};
use crm360::config::Config;
use crm360::http::persisted::Mode;

const COUNT: &str = "query PersistedCount { customers { totalCount } }";

fn sha256(s: &str) -> String {
    crm360::http::persisted::sha256_hex(s)
}

fn pq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs a raw body as the admin; the status and the JSON answer.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let res = app.http.post(app.url("/graphql")).bearer_auth(app.token()).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

/// Starts a server: SQLite alone, or PostgreSQL with Redis (`None` when
/// either is missing and not required).
pub async fn spawn(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    if backend == Backend::Postgres
        && !(crate::helpers::pg_available().await && crate::helpers::redis_available().await)
    {
        return None;
    }
    crate::helpers::spawn_app_with(backend, |c| {
        if backend == Backend::Postgres {
            c.redis_url = Some(crate::helpers::redis_url());
        }
        configure(c);
    })
    .await
}

/// Each test twice: `sqlite::name` and `postgres_redis::name`, on a server
/// configured by the closure.
#[macro_export]
macro_rules! with_stores {
    ($(async fn $name:ident($app:ident, $configure:expr) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = $crate::persisted::spawn($crate::helpers::Backend::Sqlite, $configure).await.unwrap();
                    $body
                }
            )*
        }
        mod postgres_redis {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($app) = $crate::persisted::spawn($crate::helpers::Backend::Postgres, $configure).await else { return };
                    $body
                }
            )*
        }
    };
}

/// A manifest with one integrator operation, written to a temporary file.
fn manifest_file() -> (std::path::PathBuf, &'static str) {
    const BODY: &str = "query PosCustomerCount { customers { totalCount } }";
    let path = std::env::temp_dir().join(format!("crm360-manifest-{}.json", uuid::Uuid::new_v4()));
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": sha256(BODY), "name": "PosCustomerCount", "type": "query", "body": BODY }],
    });
    std::fs::write(&path, manifest.to_string()).unwrap();
    (path, BODY)
}

fn spa_operation(path: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"))
}

crate::with_stores! {
    async fn a_query_registered_with_its_hash_then_runs_by_hash_alone(app, |_: &mut Config| {}) {
        let hash = sha256(COUNT);
        // An Apollo client sends the hash first; the server does not know it yet.
        let (status, miss) = post(&app, json!({ "extensions": pq(&hash) })).await;
        assert_eq!(status, 200);
        assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound", "{miss}");
        assert_eq!(code(&miss), Some("PERSISTED_QUERY_NOT_FOUND"));
        // It retries with the query, which runs and is stored.
        let (_, full) = post(&app, json!({ "query": COUNT, "extensions": pq(&hash) })).await;
        assert_eq!(full["data"]["customers"]["totalCount"], 0, "{full}");
        // Then the hash alone runs it, in a batch too.
        app.customer("Lê Văn Tám", "0918000001").await;
        let (_, hit) = post(&app, json!({ "extensions": pq(&hash) })).await;
        assert_eq!(hit["data"]["customers"]["totalCount"], 1, "{hit}");
        let (_, batch) = post(&app, json!([{ "extensions": pq(&hash) }, { "extensions": pq(&sha256("{ me { id } }")) }])).await;
        assert_eq!(batch[0]["data"]["customers"]["totalCount"], 1, "{batch}");
        assert_eq!(batch[1]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{batch}");
    }

    async fn a_hash_that_does_not_match_the_query_is_refused(app, |_: &mut Config| {}) {
        let wrong = sha256("{ me { id } }");
        let (status, res) = post(&app, json!({ "query": COUNT, "extensions": pq(&wrong) })).await;
        assert_eq!(status, 200);
        assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["field"], "extensions.persistedQuery.sha256Hash");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains(&sha256(COUNT)), "names the right hash: {res}");
        // Nothing was stored under the wrong hash.
        let (_, miss) = post(&app, json!({ "extensions": pq(&wrong) })).await;
        assert_eq!(code(&miss), Some("PERSISTED_QUERY_NOT_FOUND"));
        let (_, bad) = post(&app, json!({ "query": COUNT, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(COUNT) } } })).await;
        assert_eq!(code(&bad), Some("BAD_USER_INPUT"), "{bad}");
    }

    async fn the_safelist_runs_manifest_and_spa_operations_only(app, |c: &mut Config| {
        c.persisted_queries = Mode::Safelist;
        c.persisted_queries_manifest = Some(manifest_file().0);
    }) {
        // Not registered: refused, sent in full or by hash (and not learnt).
        let (status, res) = post(&app, json!({ "query": COUNT })).await;
        assert_eq!(status, 200);
        assert_eq!(code(&res), Some("OPERATION_NOT_ALLOWED"), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("registered"), "{res}");
        let (_, res) = post(&app, json!({ "query": COUNT, "extensions": pq(&sha256(COUNT)) })).await;
        assert_eq!(code(&res), Some("OPERATION_NOT_ALLOWED"), "{res}");
        let (_, res) = post(&app, json!({ "extensions": pq(&sha256(COUNT)) })).await;
        assert_eq!(code(&res), Some("PERSISTED_QUERY_NOT_FOUND"), "{res}");

        // The manifest's operation: by hash, in full, and reformatted.
        let body = "query PosCustomerCount { customers { totalCount } }";
        let (_, res) = post(&app, json!({ "extensions": pq(&sha256(body)) })).await;
        assert_eq!(res["data"]["customers"]["totalCount"], 0, "{res}");
        let (_, res) = post(&app, json!({ "query": "# POS\nquery PosCustomerCount {\n  customers { totalCount }\n}\n" })).await;
        assert_eq!(res["data"]["customers"]["totalCount"], 0, "{res}");

        // The SPA's operations, as the SPA sends them: signing in, then a
        // screen's query, and one operation cut out of a file of several.
        let login = app.gql_as(None, &spa_operation("api/login.graphql"), json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
        assert!(login["errors"].is_null(), "{login}");
        let token = login["data"]["login"]["token"].as_str().unwrap();
        let list = app.gql_as(Some(token), &spa_operation("screens/customers/customers.graphql"), json!({ "first": 25 })).await;
        assert!(list["errors"].is_null(), "{list}");
        let manifest = crm360::http::persisted::spa_manifest();
        let me = manifest.operations.iter().find(|o| o.name == "Me").unwrap();
        let (_, res) = post(&app, json!({ "extensions": pq(&me.id) })).await;
        assert_eq!(res["data"]["me"]["email"], ADMIN_EMAIL, "{res}");
        let several = manifest.operations.iter().find(|o| o.name == "AdminUsers").unwrap();
        let (_, res) = post(&app, json!({ "query": several.body, "operationName": "AdminUsers" })).await;
        assert!(res["errors"].is_null(), "{res}");
    }

    async fn the_safelist_holds_on_websockets(app, |c: &mut Config| {
        c.persisted_queries = Mode::Safelist;
    }) {
        use crate::realtime::{next, subscribed};
        // Not registered: refused on the socket with the same code as over HTTP.
        let query = "subscription { walletEvents { eventId } }";
        let mut ws = subscribed(&app, &app.token(), query, json!({})).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "OPERATION_NOT_ALLOWED", "{msg}");
        assert_eq!(next(&mut ws).await.unwrap()["type"], "complete");

        // The SPA's own subscription (the import wizard's progress) runs.
        let manifest = crm360::http::persisted::spa_manifest();
        let progress = manifest.operations.iter().find(|o| o.name == "ImportProgress").expect("the SPA's ImportProgress");
        let mut ws = subscribed(&app, &app.token(), &progress.body, json!({ "id": "999999" })).await;
        let msg = next(&mut ws).await.unwrap();
        assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "past the safelist: {msg}");
    }

    async fn operation_names_are_in_the_metrics(app, |_: &mut Config| {}) {
        let name = format!("MetricsProbe{}", uuid::Uuid::new_v4().simple());
        let ok = app.gql(&format!("query {name} {{ customers {{ totalCount }} }}"), json!({})).await;
        assert!(ok["errors"].is_null(), "{ok}");
        app.gql(&format!("query {name}Fail {{ nope }}"), json!({})).await;
        app.gql("{ customers { totalCount } }", json!({})).await;
        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let line = |n: &str, outcome: &str| metrics.lines().any(|l| {
            l.starts_with("crm360_graphql_operations_total{") && l.contains(&format!("operation=\"{n}\"")) && l.contains(&format!("outcome=\"{outcome}\""))
        });
        assert!(line(&name, "ok"), "{metrics}");
        assert!(line(&format!("{name}Fail"), "error"));
        assert!(line("anonymous", "ok"));
        assert!(metrics.contains("crm360_graphql_operation_duration_seconds"));
    }
}

mod postgres_redis_instances {
    use super::*;

    /// A query registered on instance A runs by hash on instance B: the
    /// APQ store is in Redis.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_registered_on_one_instance_runs_by_hash_on_another() {
        let Some(a) = crate::helpers::spawn_app(Backend::Postgres).await else { return };
        if !crate::helpers::redis_available().await {
            return;
        }
        let mut config = crate::helpers::test_config(&a.database_url);
        config.redis_url = Some(crate::helpers::redis_url());
        let inst_a = crate::helpers::spawn_with(config.clone(), Backend::Postgres).await;
        let inst_b = crate::helpers::spawn_with(config, Backend::Postgres).await;
        let hash = sha256(COUNT);
        let (_, full) = post(&inst_a, json!({ "query": COUNT, "extensions": pq(&hash) })).await;
        assert!(full["errors"].is_null(), "{full}");
        let (_, hit) = post(&inst_b, json!({ "extensions": pq(&hash) })).await;
        assert_eq!(hit["data"]["customers"]["totalCount"], 0, "{hit}");
        drop((inst_a, inst_b));
        drop(a);
    }
}
