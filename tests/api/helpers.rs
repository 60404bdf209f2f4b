//! Starting real servers and talking to them.
//!
//! `spawn_app(Backend::Sqlite)` starts the real server (the same
//! `Application` the binary runs) on port 0 over a fresh SQLite file;
//! `Backend::Postgres` over a fresh uuid-named PostgreSQL database (dropped
//! afterwards). Tests reach it only through HTTP and WebSocket.
//!
//! PostgreSQL is at `CRM360_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), Redis at
//! `CRM360_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`). When they
//! are unreachable the PostgreSQL suite is skipped with a notice on the
//! terminal, unless `CRM360_REQUIRE_PG=1` (CI), which makes it fail.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use crm360::clock::ManualClock;
use crm360::config::Config;
use crm360::{AppCtx, Application};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@test.local";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The admin's token (see [`TestApp::token`]).
    admin_token: std::sync::Mutex<String>,
    pub ctx: AppCtx,
    /// The server's clock; move it instead of sleeping.
    pub clock: ManualClock,
    pub backend: Backend,
    pub database_url: String,
    _shutdown: oneshot::Sender<()>,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, db: String },
}

pub fn pg_admin_url() -> String {
    std::env::var("CRM360_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The Redis URL for cross-instance tests.
pub fn redis_url() -> String {
    std::env::var("CRM360_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn say(msg: &str) {
    // Straight to the terminal: libtest does not capture direct writes.
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Whether PostgreSQL (and Redis) are reachable; decided once per run.
pub async fn pg_available() -> bool {
    static AVAILABLE: tokio::sync::OnceCell<bool> = tokio::sync::OnceCell::const_new();
    *AVAILABLE.get_or_init(check_pg).await
}

async fn check_pg() -> bool {
    let url = pg_admin_url();
    let mut opts = sea_orm::ConnectOptions::new(url.clone());
    opts.connect_timeout(std::time::Duration::from_secs(3)).acquire_timeout(std::time::Duration::from_secs(3));
    let pg = sea_orm::Database::connect(opts).await.is_ok();
    let required = std::env::var("CRM360_REQUIRE_PG").is_ok_and(|v| v == "1");
    if !pg {
        if required {
            panic!("CRM360_REQUIRE_PG=1 but PostgreSQL is not reachable at {url}");
        }
        say(&format!(
            "\n*** SKIPPED: the PostgreSQL suite (tests named `postgres::…`) — PostgreSQL is not reachable at {url}.\n\
             *** Start it (or set CRM360_TEST_PG_URL) to run it; CI sets CRM360_REQUIRE_PG=1 and never skips.\n"
        ));
    }
    pg
}

/// Whether Redis is reachable (`CRM360_REQUIRE_PG=1` requires it too).
pub async fn redis_available() -> bool {
    let ok = match redis::Client::open(redis_url()) {
        Ok(c) => c.get_multiplexed_async_connection().await.is_ok(),
        Err(_) => false,
    };
    if !ok {
        if std::env::var("CRM360_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("CRM360_REQUIRE_PG=1 but Redis is not reachable at {}", redis_url());
        }
        say(&format!("\n*** SKIPPED: a Redis test — Redis is not reachable at {}\n", redis_url()));
    }
    ok
}

/// A config for a test server on `database_url`.
pub fn test_config(database_url: &str) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        demo_data: false,
        admin_email: ADMIN_EMAIL.into(),
        admin_password: Some(ADMIN_PASSWORD.to_owned().into()),
        jwt_secret: "test-secret-test-secret-test-secret!".to_owned().into(),
        events_channel: format!("crm360:test:{}", uuid::Uuid::new_v4()),
        db_max_connections: 8,
        // Jobs run when a test asks for them (`spawn_app_with`), and then
        // react quickly when it moves the clock.
        jobs_enabled: false,
        jobs_tick_ms: 50,
        // Campaign delivery runs when a test asks for it.
        delivery_enabled: false,
        delivery_tick_ms: 50,
        // Webhooks: the dispatcher idles without endpoints; retries come
        // at once (tests move the clock for anything slower).
        webhook_tick_ms: 50,
        webhook_retry_base_ms: 0,
        webhook_timeout_ms: 2_000,
        webhook_lease_seconds: 30,
        // Receivers are local servers.
        webhook_allow_private_networks: true,
        // Rate limits are off unless a test turns them on; Redis keys
        // (limits, APQ) are the test's own.
        rate_limit_ip_per_minute: 0,
        rate_limit_user_per_minute: 0,
        rate_limit_api_key_per_minute: 0,
        redis_prefix: format!("crm360:test:{}", uuid::Uuid::new_v4()),
        // Uploaded import files of every test go to the temp directory.
        import_dir: Some(std::env::temp_dir().join("crm360-test-imports")),
        ..Config::default()
    }
}

/// A fresh database URL for `backend` and how to remove it afterwards.
async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("crm360-test-{}.db", uuid::Uuid::new_v4()));
            (format!("sqlite://{}?mode=rwc", path.display()), Cleanup::Sqlite(path))
        }
        Backend::Postgres => {
            use sea_orm::ConnectionTrait;
            let admin_url = pg_admin_url();
            let db = format!("crm360_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(admin_url.as_str()).await.expect("connect to PostgreSQL");
            admin.execute_unprepared(&format!("CREATE DATABASE {db}")).await.expect("create test database");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
            (format!("{base}/{db}"), Cleanup::Postgres { admin_url, db })
        }
    }
}

/// Starts a server on a fresh database; `None` when PostgreSQL is wanted
/// but unavailable (and not required).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with changes to the test configuration.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    if backend == Backend::Postgres && !pg_available().await {
        return None;
    }
    let (url, cleanup) = fresh_database(backend).await;
    let mut config = test_config(&url);
    configure(&mut config);
    let mut app = spawn_with(config, backend).await;
    app.cleanup = Some(cleanup);
    Some(app)
}

/// Starts a server with a given configuration (a second instance on the
/// same database, Redis, …). The caller owns the database's lifetime.
pub async fn spawn_with(config: Config, backend: Backend) -> TestApp {
    let clock = ManualClock::new(Utc::now());
    let database_url = config.database_url.clone();
    let app = Application::build_with_clock(config, Arc::new(clock.clone())).await.expect("build the application");
    let addr = app.local_addr();
    let ctx = app.ctx().clone();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();
    let test_app = TestApp {
        addr,
        http,
        admin_token: Default::default(),
        ctx,
        clock,
        backend,
        database_url,
        _shutdown: tx,
        cleanup: None,
    };
    *test_app.admin_token.lock().unwrap() = test_app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    test_app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match self.cleanup.take() {
            Some(Cleanup::Sqlite(path)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Some(Cleanup::Postgres { admin_url, db }) => {
                // Drop runs inside the test's runtime: do the async cleanup
                // on a thread of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        use sea_orm::ConnectionTrait;
                        let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await.ok()
                    })
                })
                .join();
            }
            None => {}
        }
    }
}

impl TestApp {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The admin's current token.
    pub fn token(&self) -> String {
        self.admin_token.lock().unwrap().clone()
    }

    /// Moves the server's clock forward and signs the admin in again (a
    /// token lives an hour of that clock).
    pub async fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
        let token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        *self.admin_token.lock().unwrap() = token;
    }

    /// Runs a GraphQL operation as the admin.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(Some(&self.token()), query, variables).await
    }

    /// Runs a GraphQL operation with a given bearer credential (or none).
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.http.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("POST /graphql");
        assert!(res.status().is_success(), "HTTP {}", res.status());
        res.json().await.expect("a JSON response")
    }

    /// Logs in and returns the token (panics on failure). It sends the
    /// SPA's own login operation, which runs in safelist mode too.
    pub async fn login(&self, email: &str, password: &str) -> String {
        const SPA_LOGIN: &str = include_str!("../../frontend/src/api/login.graphql");
        let res = self.gql_as(None, SPA_LOGIN, json!({ "email": email, "password": password })).await;
        res["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("login failed: {res}")).to_owned()
    }

    /// Creates a staff user with `role` and returns (id, token).
    pub async fn staff(&self, role: &str) -> (String, String) {
        let email = format!("{}-{}@test.local", role.to_lowercase(), uuid::Uuid::new_v4().simple());
        let res = self
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": email, "name": format!("Test {role}"), "role": role, "password": "password-1234" } }),
            )
            .await;
        let id = res["data"]["createUser"]["id"].as_str().unwrap_or_else(|| panic!("createUser: {res}")).to_owned();
        (id, self.login(&email, "password-1234").await)
    }

    /// Creates a customer as the admin and returns it.
    pub async fn customer(&self, name: &str, phone: &str) -> Value {
        let res = self
            .gql(
                "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id memberCode name phone } }",
                json!({ "i": { "name": name, "phone": phone } }),
            )
            .await;
        assert!(res["errors"].is_null(), "createCustomer: {res}");
        res["data"]["createCustomer"].clone()
    }

    /// Stops this server, cutting its background work off wherever it is
    /// (like a crash: open transactions roll back), and starts another on
    /// the same database with the test configuration changed by
    /// `configure`. The new server owns the database's cleanup.
    pub async fn restart(mut self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let cleanup = self.cleanup.take();
        let mut config = test_config(&self.database_url);
        configure(&mut config);
        let backend = self.backend;
        drop(self);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut app = spawn_with(config, backend).await;
        app.cleanup = cleanup;
        app
    }

    /// Runs SQL straight on the test server's database (to prepare data
    /// the API has no door for, such as derived fields).
    pub async fn exec(&self, sql: &str) {
        use sea_orm::ConnectionTrait;
        self.ctx.db.conn().execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// SQL statements the server has run so far.
    pub fn queries(&self) -> u64 {
        self.ctx.db.query_count()
    }
}

/// The first column of the first row of `sql`, run straight on the test
/// server's database (for invariants the API does not expose).
pub async fn count_of(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.ctx.db.conn();
    db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The `extensions.code` of the first error, if any.
pub fn code(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["code"].as_str()
}

/// The `extensions.field` of the first error, if any.
pub fn field(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["field"].as_str()
}

/// Generates each test twice: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await else { return };
                    $body
                }
            )*
        }
    };
}
