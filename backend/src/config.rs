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
