//! Typed configuration, layered: built-in defaults, then an optional TOML
//! file (`crm360.toml`, or the path in `CRM360_CONFIG`), then environment
//! variables (`CRM360_*`, plus the conventional `DATABASE_URL`, `REDIS_URL`
//! and `JWT_SECRET`). Secrets are wrapped so they never print (the
//! `Serialize` impl, used to show the effective configuration, redacts them).

use std::net::SocketAddr;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The JWT secret used when none is configured; refused in production.
pub const DEFAULT_JWT_SECRET: &str = "crm360-development-secret-change-me";

/// Where the server runs: development allows the default secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything the server can be told. Missing keys take their default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub environment: Environment,
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// `sqlite://path?mode=rwc` (default, under `./data/`) or `postgres://…`.
    pub database_url: String,
    /// Optional Redis for the cross-instance event bus.
    pub redis_url: Option<String>,
    /// Redis stream (key) of the events, shared by the instances of one deployment.
    pub events_channel: String,
    #[serde(serialize_with = "ser_secret")]
    pub jwt_secret: SecretString,
    /// Lifetime of a staff login token.
    pub jwt_ttl_minutes: i64,
    /// IANA zone that decides "today" and the year in human codes.
    pub business_timezone: String,
    /// ISO currency code of the deployment (one currency per deployment).
    pub currency: String,
    /// Decimal places of the currency's minor unit (VND: 0).
    pub currency_decimals: u32,
    /// Region used to read phone numbers written without a country code.
    pub phone_region: String,
    pub log_format: LogFormat,
    /// Load a small demo dataset when the database is new.
    pub demo_data: bool,
    /// First admin's email; its password is generated and printed once
    /// when `admin_password` is not set.
    pub admin_email: String,
    #[serde(serialize_with = "ser_opt_secret")]
    pub admin_password: Option<SecretString>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Deepest accepted GraphQL query.
    pub max_query_depth: usize,
    /// Costliest accepted GraphQL query (list fields multiply by `first`).
    pub max_query_complexity: usize,
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Persisted queries: `off`, `apq` (Apollo automatic persisted
    /// queries) or `safelist` (only registered operations run).
    pub persisted_queries: crate::http::persisted::Mode,
    /// An Apollo persisted-query manifest of operations registered beside
    /// the SPA's own (`crm360 safelist --out` writes the SPA's).
    pub persisted_queries_manifest: Option<std::path::PathBuf>,
    /// Queries an instance keeps for APQ without Redis (least recently used go).
    pub apq_cache_size: usize,
    /// How long Redis keeps an APQ query after it was last registered, in seconds.
    pub apq_ttl_seconds: u64,
    /// Prefix of the Redis keys of rate limits, login throttling and APQ.
    pub redis_prefix: String,
    /// GraphQL operations per minute per client IP (0: no limit), and the
    /// burst allowed above that rate.
    pub rate_limit_ip_per_minute: u32,
    pub rate_limit_ip_burst: u32,
    /// GraphQL operations per minute per staff user (JWT), and burst.
    pub rate_limit_user_per_minute: u32,
    pub rate_limit_user_burst: u32,
    /// GraphQL operations per minute per API key, and burst.
    pub rate_limit_api_key_per_minute: u32,
    pub rate_limit_api_key_burst: u32,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` names the client;
    /// empty: the socket's peer is the client.
    pub trusted_proxies: Vec<String>,
    /// Failed logins for one email before each attempt waits (1 s, 2 s,
    /// 4 s, …); 0: no delay.
    pub login_delay_after_failures: u32,
    /// Failed logins for one email that lock it for `login_lockout_seconds`; 0: never.
    pub login_lockout_after_failures: u32,
    /// Failed logins from one IP that lock that IP out; 0: never.
    pub login_ip_lockout_after_failures: u32,
    /// How long a lockout lasts, and how long failures are remembered after
    /// the last one, in seconds.
    pub login_lockout_seconds: u64,
    /// Connection pool size.
    pub db_max_connections: u32,
    /// Lifetime of a virtual credit when the caller gives none.
    pub credit_lifetime_days: u32,
    /// Shared secret the bank (SePay) sends as `Authorization: Apikey <secret>`
    /// on `POST /webhooks/bank`; the webhook refuses everything when unset.
    #[serde(serialize_with = "ser_opt_secret")]
    pub bank_webhook_secret: Option<SecretString>,
    /// Run the scheduled jobs (credit expiry, …) in this process.
    pub jobs_enabled: bool,
    /// How often the scheduler looks at the clock, in milliseconds.
    pub jobs_tick_ms: u64,
    /// Schedules that replace a job's default, by job name: cron with
    /// seconds, in the business time zone (`{ rfm = "0 0 3 * * *" }`).
    pub job_schedules: std::collections::BTreeMap<String, String>,
    /// How long events stay replayable for subscribers that resume with
    /// `afterEventId`, in seconds.
    pub events_retention_seconds: u64,
    /// Events a subscriber may fall behind before it is told (`LAGGED`)
    /// and must resume.
    pub events_buffer: usize,
    /// Prefix of ticket codes (`TV` gives `TV-2026-00001`).
    pub ticket_code_prefix: String,
    /// Ticket compensation above this amount (minor units) needs a
    /// MANAGER's approval.
    pub compensation_approval_limit: i64,
    /// Deliver campaign messages from this process (the workers share the
    /// queue in the database with the other instances).
    pub delivery_enabled: bool,
    /// How often an idle delivery worker looks for work, in milliseconds.
    pub delivery_tick_ms: u64,
    /// Messages a worker claims and hands to a vendor at once.
    pub delivery_batch: u32,
    /// Messages per second per channel from this instance.
    pub delivery_rate_per_second: u32,
    /// How long a claimed message is a worker's; after that (a crash) it
    /// goes back to the queue and is sent again with the same idempotency
    /// key.
    pub delivery_lease_seconds: u64,
    /// Tries per message before it fails for good.
    pub delivery_max_attempts: i32,
    /// Share of messages the built-in simulated vendor fails, in percent.
    pub sim_vendor_failure_percent: u8,
    /// Channels delivered through the generic HTTP webhook adapter, by
    /// channel (`{ SMS = "https://sms.example/send" }`); the others go to
    /// the simulated vendor.
    pub channel_webhooks: std::collections::BTreeMap<String, String>,
    /// Secret vendors send on `POST /webhooks/receipts`
    /// (`X-Webhook-Secret`); by default derived from the JWT secret, so
    /// every instance agrees and the simulated vendor knows it.
    #[serde(serialize_with = "ser_opt_secret")]
    pub receipts_secret: Option<SecretString>,
    /// This server's address as vendors reach it (receipts go to
    /// `<public_url>/webhooks/receipts`); by default the bound address.
    pub public_url: Option<String>,
    /// Send outgoing webhooks from this process (every instance may: they
    /// share the outbox in the database).
    pub webhooks_enabled: bool,
    /// How often an idle webhook dispatcher looks for work, in milliseconds.
    pub webhook_tick_ms: u64,
    /// Deliveries a dispatcher claims per round.
    pub webhook_batch: u32,
    /// Requests a dispatcher has in flight at once.
    pub webhook_concurrency: u32,
    /// Time limit of one webhook request, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// How long a claimed delivery is its dispatcher's; after that (a
    /// crash) it is sent again.
    pub webhook_lease_seconds: u64,
    /// Attempts per delivery before it is FAILED.
    pub webhook_max_attempts: i32,
    /// Wait before the first retry; doubles with each attempt (±20% jitter).
    pub webhook_retry_base_ms: u64,
    /// Longest wait between two attempts.
    pub webhook_retry_max_ms: u64,
    /// FAILED deliveries in a row that disable an endpoint (0: never).
    pub webhook_disable_after_failures: i32,
    /// Days a settled delivery (DELIVERED or FAILED), its attempts and its
    /// event are kept for the log and replays; then they are deleted.
    pub webhook_retention_days: u32,
    /// Let webhooks go to loopback, private and link-local addresses
    /// (off: receivers must be public; see [`crate::webhooks::guard`]).
    pub webhook_allow_private_networks: bool,
    /// Where uploaded import files are kept while their job runs; by
    /// default `imports/` beside the SQLite file, or `./data/imports`.
    /// Each instance keeps the files it received (see [`crate::imports`]).
    pub import_dir: Option<std::path::PathBuf>,
    /// Largest accepted import upload (`POST /imports`), in bytes.
    pub import_max_bytes: u64,
    /// Rows an import commits per transaction.
    pub import_batch_rows: usize,
    /// How long a running import's claim lasts without progress before
    /// another start of the server (or instance holding the file) resumes it.
    pub import_lease_seconds: u64,
}

fn ser_secret<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

fn ser_opt_secret<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            bind: "127.0.0.1:8080".parse().expect("valid literal address"),
            database_url: "sqlite://data/crm360.db?mode=rwc".into(),
            redis_url: None,
            events_channel: "crm360:events".into(),
            jwt_secret: SecretString::from(DEFAULT_JWT_SECRET),
            jwt_ttl_minutes: 60,
            business_timezone: "Asia/Ho_Chi_Minh".into(),
            currency: "VND".into(),
            currency_decimals: 0,
            phone_region: "VN".into(),
            log_format: LogFormat::Pretty,
            demo_data: true,
            admin_email: "admin@crm360.local".into(),
            admin_password: None,
            max_body_bytes: 256 * 1024,
            max_query_depth: 12,
            max_query_complexity: 5_000,
            graphiql: true,
            persisted_queries: crate::http::persisted::Mode::Apq,
            persisted_queries_manifest: None,
            apq_cache_size: 1_000,
            apq_ttl_seconds: 7 * 86_400,
            redis_prefix: "crm360".into(),
            rate_limit_ip_per_minute: 1_200,
            rate_limit_ip_burst: 300,
            rate_limit_user_per_minute: 600,
            rate_limit_user_burst: 120,
            rate_limit_api_key_per_minute: 1_200,
            rate_limit_api_key_burst: 300,
            trusted_proxies: Vec::new(),
            login_delay_after_failures: 3,
            login_lockout_after_failures: 10,
            login_ip_lockout_after_failures: 100,
            login_lockout_seconds: 900,
            db_max_connections: 16,
            credit_lifetime_days: 15,
            bank_webhook_secret: None,
            jobs_enabled: true,
            jobs_tick_ms: 1_000,
            job_schedules: Default::default(),
            events_retention_seconds: 900,
            events_buffer: 4096,
            ticket_code_prefix: "TV".into(),
            compensation_approval_limit: 500_000,
            delivery_enabled: true,
            delivery_tick_ms: 200,
            delivery_batch: 500,
            delivery_rate_per_second: 10_000,
            delivery_lease_seconds: 60,
            delivery_max_attempts: 5,
            sim_vendor_failure_percent: 10,
            channel_webhooks: Default::default(),
            receipts_secret: None,
            public_url: None,
            webhooks_enabled: true,
            webhook_tick_ms: 500,
            webhook_batch: 100,
            webhook_concurrency: 8,
            webhook_timeout_ms: 10_000,
            webhook_lease_seconds: 120,
            // 1, 2, 4, … 64 minutes apart: the 8th attempt comes about
            // 2 h 7 min after the first, so a receiver down for an hour
            // loses nothing.
            webhook_max_attempts: 8,
            webhook_retry_base_ms: 60_000,
            webhook_retry_max_ms: 3_600_000,
            webhook_disable_after_failures: 10,
            webhook_retention_days: 30,
            webhook_allow_private_networks: false,
            import_dir: None,
            import_max_bytes: 1024 * 1024 * 1024,
            import_batch_rows: 500,
            import_lease_seconds: 60,
        }
    }
}

impl Config {
    /// Reads defaults, the optional file and the environment, then checks.
    pub fn load() -> anyhow::Result<Self> {
        let file = std::env::var("CRM360_CONFIG").unwrap_or_else(|_| "crm360.toml".into());
        let config: Config = Figment::new()
            .merge(Toml::file(&file))
            .merge(Env::prefixed("CRM360_"))
            .merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL", "JWT_SECRET"]))
            .extract()
            .context("reading configuration (defaults, crm360.toml, CRM360_* environment)")?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings the server cannot run safely with.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.environment == Environment::Production {
            let secret = self.jwt_secret.expose_secret();
            if secret == DEFAULT_JWT_SECRET || secret.len() < 32 {
                bail!(
                    "refusing to start in production with the default or a short JWT secret: \
                     set JWT_SECRET to at least 32 random characters"
                );
            }
        }
        self.tz().with_context(|| format!("unknown business time zone {}", self.business_timezone))?;
        crate::customers::phone::region(&self.phone_region)
            .with_context(|| format!("unknown phone region {}", self.phone_region))?;
        let prefix = &self.ticket_code_prefix;
        if prefix.is_empty()
            || prefix.len() > 8
            || !prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            bail!("ticket_code_prefix must be 1 to 8 upper-case letters or digits, not {prefix:?}");
        }
        if self.compensation_approval_limit < 0 {
            bail!("compensation_approval_limit cannot be negative");
        }
        if self.currency_decimals > 6 {
            bail!("currency_decimals must be between 0 and 6");
        }
        crate::jobs::check_schedules(&self.job_schedules)?;
        for proxy in &self.trusted_proxies {
            crate::ratelimit::IpNet::parse(proxy)
                .with_context(|| format!("trusted_proxies: {proxy:?} is not an IP address or CIDR"))?;
        }
        if self.redis_prefix.is_empty() {
            bail!("redis_prefix cannot be empty");
        }
        if self.sim_vendor_failure_percent > 100 {
            bail!("sim_vendor_failure_percent must be between 0 and 100");
        }
        if self.delivery_batch == 0 || self.delivery_rate_per_second == 0 {
            bail!("delivery_batch and delivery_rate_per_second must be at least 1");
        }
        for (channel, url) in &self.channel_webhooks {
            if !["SMS", "EMAIL", "WHATSAPP", "PUSH"].contains(&channel.as_str()) {
                bail!("channel_webhooks: unknown channel {channel:?} (SMS, EMAIL, WHATSAPP or PUSH)");
            }
            url::Url::parse(url).with_context(|| format!("channel_webhooks.{channel}: {url:?} is not a URL"))?;
        }
        if self.webhook_max_attempts < 1 || self.webhook_batch == 0 || self.webhook_concurrency == 0 {
            bail!("webhook_max_attempts, webhook_batch and webhook_concurrency must be at least 1");
        }
        if self.webhook_lease_seconds.saturating_mul(1000) <= self.webhook_timeout_ms {
            bail!(
                "webhook_lease_seconds must be longer than webhook_timeout_ms, or a slow receiver gets a request twice"
            );
        }
        if self.webhook_max_attempts < 1 || self.webhook_batch == 0 || self.webhook_concurrency == 0 {
            bail!("webhook_max_attempts, webhook_batch and webhook_concurrency must be at least 1");
        }
        if self.webhook_lease_seconds.saturating_mul(1000) <= self.webhook_timeout_ms {
            bail!(
                "webhook_lease_seconds must be longer than webhook_timeout_ms, or a slow receiver gets a request twice"
            );
        }
        Ok(())
    }

    /// The business time zone.
    pub fn tz(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.business_timezone.parse::<chrono_tz::Tz>().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// True for a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_the_default_or_a_short_jwt_secret() {
        let mut c = Config { environment: Environment::Production, ..Config::default() };
        assert!(c.validate().unwrap_err().to_string().contains("JWT secret"));
        c.jwt_secret = SecretString::from("short");
        assert!(c.validate().is_err());
        c.jwt_secret = SecretString::from("a-long-random-secret-of-at-least-32-chars");
        c.validate().unwrap();
    }

    #[test]
    fn development_accepts_the_default_secret_but_not_a_bad_zone_or_region() {
        Config::default().validate().unwrap();
        assert!(Config { business_timezone: "Mars/Olympus".into(), ..Config::default() }.validate().is_err());
        assert!(Config { phone_region: "XX".into(), ..Config::default() }.validate().is_err());
    }

    #[test]
    #[expect(clippy::result_large_err, reason = "figment::Jail's closure returns figment::Error")]
    fn the_file_and_the_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://u:p@db/crm");
            jail.set_env("CRM360_BIND", "0.0.0.0:9000");
            jail.set_env("CRM360_DEMO_DATA", "false");
            jail.create_file("crm360.toml", "currency = \"USD\"\ncurrency_decimals = 2\nbind = \"127.0.0.1:7000\"")?;
            let c = Config::load().unwrap();
            assert_eq!((c.currency.as_str(), c.currency_decimals), ("USD", 2), "read from crm360.toml");
            assert_eq!(c.database_url, "postgres://u:p@db/crm");
            assert_eq!(c.bind.port(), 9000);
            assert!(!c.demo_data);
            assert_eq!(c.jwt_secret.expose_secret(), DEFAULT_JWT_SECRET);
            Ok(())
        });
    }

    #[test]
    fn secrets_never_print() {
        let c = Config { jwt_secret: SecretString::from("super-secret-value"), ..Config::default() };
        assert!(!format!("{c:?}").contains("super-secret-value"));
        assert!(!serde_json::to_string(&c).unwrap().contains("super-secret-value"));
    }
}
