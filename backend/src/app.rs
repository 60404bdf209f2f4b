//! Startup as a library: [`Application::build`] connects, migrates, prepares
//! the first admin and demo data, and binds (port 0 picks a free port, which
//! is how the tests start real servers); [`Application::run`] serves until
//! shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use jsonwebtoken::{DecodingKey, EncodingKey};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::events::EventBus;

/// Everything a service needs, cheap to clone.
#[derive(Clone)]
pub struct AppCtx {
    pub config: Arc<Config>,
    pub db: Db,
    pub bus: EventBus,
    pub clock: SharedClock,
    pub jwt: Arc<JwtKeys>,
    /// Region for phone numbers written without a country code.
    pub phone_region: phonenumber::country::Id,
    pub tz: chrono_tz::Tz,
    /// Jobs running in this process (the once-per-cluster lock on SQLite).
    pub job_locks: crate::jobs::LocalLocks,
    /// Rate limits and login throttling (Redis when `REDIS_URL` is set).
    pub limits: crate::ratelimit::Limits,
    /// Registered operations and the APQ store.
    pub persisted: Arc<crate::http::persisted::Registry>,
}

/// Keys derived from the JWT secret.
pub struct JwtKeys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
}

impl AppCtx {
    /// Connects to the database and the event bus described by `config`.
    pub async fn connect(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        config.validate()?;
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        let retention = std::time::Duration::from_secs(config.events_retention_seconds.max(1));
        let bus = match &config.redis_url {
            Some(url) => EventBus::redis(url, &config.events_channel, retention, config.events_buffer).await?,
            None => EventBus::in_process(retention, config.events_buffer),
        };
        let secret = config.jwt_secret.expose_secret().as_bytes().to_vec();
        let phone_region = crate::customers::phone::region(&config.phone_region).context("unknown phone region")?;
        let tz = config.tz()?;
        let limits = crate::ratelimit::Limits::connect(&config).await?;
        let persisted = Arc::new(crate::http::persisted::Registry::new(&config, &limits)?);
        Ok(Self {
            jwt: Arc::new(JwtKeys {
                encoding: EncodingKey::from_secret(&secret),
                decoding: DecodingKey::from_secret(&secret),
            }),
            config: Arc::new(config),
            db,
            bus,
            clock,
            phone_region,
            tz,
            job_locks: Default::default(),
            limits,
            persisted,
        })
    }

    /// Starts a write transaction (events publish on commit).
    pub async fn begin(&self) -> AppResult<Tx> {
        self.db.begin(&self.bus).await
    }

    /// The current time from the application's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The current year in the business time zone (for human codes).
    pub fn business_year(&self) -> i32 {
        use chrono::Datelike;
        self.now().with_timezone(&self.tz).year()
    }
}

/// A built server, bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    ctx: AppCtx,
    /// Set when this start created the first admin with a generated password.
    pub generated_admin_password: Option<String>,
}

impl Application {
    /// Builds with the machine's clock.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds with a given clock (tests move time with a manual clock).
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let ctx = AppCtx::connect(config, clock).await?;
        ctx.db.migrate().await?;
        let generated_admin_password =
            crate::auth::service::ensure_first_admin(&ctx).await.context("creating the first admin")?;
        if ctx.config.demo_data {
            crate::seed::demo_if_empty(&ctx).await.context("loading demo data")?;
        }
        let listener =
            TcpListener::bind(ctx.config.bind).await.with_context(|| format!("binding {}", ctx.config.bind))?;
        Ok(Self { listener, ctx, generated_admin_password })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Where vendors post delivery receipts: `public_url`, or the bound
    /// address (an unspecified address is reached on loopback).
    pub fn receipts_url(&self) -> String {
        if let Some(base) = &self.ctx.config.public_url {
            return format!("{}/webhooks/receipts", base.trim_end_matches('/'));
        }
        let mut addr = self.local_addr();
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}/webhooks/receipts")
    }

    /// The shared context (tests use it to look inside).
    pub fn ctx(&self) -> &AppCtx {
        &self.ctx
    }

    /// Serves until Ctrl-C / SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::http::router(self.ctx.clone());
        let mut jobs = if self.ctx.config.jobs_enabled { crate::jobs::spawn(&self.ctx) } else { Vec::new() };
        if self.ctx.config.delivery_enabled {
            jobs.extend(crate::campaigns::delivery::spawn(&self.ctx, self.receipts_url()));
        }
        // Import jobs run (and resume after a restart) on every instance.
        jobs.push(crate::imports::jobs::spawn(&self.ctx));
        jobs.extend(crate::webhooks::dispatch::spawn(&self.ctx));
        // On shutdown the background work stops at once (its claims and
        // locks expire; nothing it did is half-written) while HTTP drains.
        let stop: Vec<tokio::task::AbortHandle> = jobs.iter().map(|j| j.abort_handle()).collect();
        let shutdown = async move {
            shutdown.await;
            stop.iter().for_each(tokio::task::AbortHandle::abort);
        };
        let served = axum::serve(self.listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP");
        for job in jobs {
            job.abort();
        }
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
