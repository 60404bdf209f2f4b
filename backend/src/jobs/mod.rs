//! Scheduled jobs: what runs when, and the lock that makes a job run once
//! per cluster.
//!
//! Each job has a cron schedule read in the business time zone and is
//! checked against the application's clock every `jobs_tick_ms`, so tests
//! move a [`crate::clock::ManualClock`] instead of waiting. A run takes a
//! cluster-wide lock first ([`exclusive`]): a PostgreSQL advisory lock, or
//! on SQLite (one process owns the file) a lock in this process. An
//! instance that finds the lock taken skips the run; the jobs are
//! idempotent (they act on what is due), so a late instance finds nothing
//! left to do.

use std::collections::HashSet;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement, TransactionTrait,
};

use crate::app::AppCtx;
use crate::error::{AppError, AppResult};

pub mod graphql;
pub mod model;

/// Expires virtual credits past their date (DESIGN 4.2), hourly.
pub const CREDIT_EXPIRY: &str = "credit-expiry";
/// Raises priorities near the carrier deadline and flags overdue tickets
/// (DESIGN 4.4), every 6 hours.
pub const TICKET_SLA: &str = "ticket-sla";
/// Recomputes RFM scores, segments, tiers, customer types, lifecycle,
/// temperature and drop-off risk for every customer (DESIGN 4.8), nightly.
pub const RFM: &str = "rfm";
/// Runs the fraud rules (DESIGN 4.8), daily at 2 AM.
pub const FRAUD: &str = "fraud";
/// Generates the day's call tasks for the agents (DESIGN 4.7), daily at
/// 6 AM.
pub const CALL_TASKS: &str = "call-tasks";

/// A job the scheduler runs.
pub struct Job {
    pub name: &'static str,
    /// What it does, for the admin screen.
    pub description: &'static str,
    /// Default schedule, `sec min hour day-of-month month day-of-week`,
    /// business time zone; `job_schedules` in the config replaces it.
    pub cron: &'static str,
    /// Runs the job once and says what it did.
    run: fn(AppCtx) -> BoxFuture<'static, AppResult<String>>,
}

/// Every scheduled job: the one place to register one.
pub fn jobs() -> Vec<Job> {
    vec![
        Job {
            name: CREDIT_EXPIRY,
            description: "Expires virtual credits past their date (ledger rows CREDIT_EXPIRED).",
            cron: "0 0 * * * *",
            run: |ctx| {
                Box::pin(async move {
                    let r = crate::wallets::service::expire_credits(&ctx).await?;
                    Ok(format!("{} credits expired", r.credits))
                })
            },
        },
        Job {
            name: TICKET_SLA,
            description: "Raises tickets near their carrier deadline to HIGH and flags overdue ones.",
            cron: "0 0 */6 * * *",
            run: |ctx| {
                Box::pin(async move {
                    let r = crate::tickets::service::check_sla(&ctx).await?;
                    Ok(format!("{} raised to HIGH, {} flagged overdue", r.raised, r.flagged_overdue))
                })
            },
        },
        Job {
            name: RFM,
            description: "Recomputes RFM scores, segments, tiers, customer types, lifecycle, temperature and \
                          drop-off risk for every customer.",
            cron: "0 30 1 * * *",
            run: |ctx| {
                Box::pin(async move {
                    let system = crate::auth::Principal::system();
                    let r = crate::analytics::rfm::recalculate(&ctx, &system).await?;
                    Ok(format!("{} customers scored, {} tier changes", r.scored, r.tier_changes))
                })
            },
        },
        Job {
            name: FRAUD,
            description: "Flags high return rates (BLACKLIST), wallet abuse (SUSPICIOUS) and self-dealing.",
            cron: "0 0 2 * * *",
            run: |ctx| {
                Box::pin(async move {
                    let system = crate::auth::Principal::system();
                    let r = crate::analytics::fraud::run(&ctx, &system).await?;
                    Ok(format!("{} customers flagged", r.flagged.len()))
                })
            },
        },
        Job {
            name: CALL_TASKS,
            description: "Creates today's call tasks (welcome, follow-up, at-risk, birthday) and deals them to agents.",
            cron: "0 0 6 * * *",
            run: |ctx| {
                Box::pin(async move {
                    let today = crate::automation::service::today(&ctx);
                    let r = crate::automation::service::generate_call_tasks(&ctx, today).await?;
                    Ok(r.summary())
                })
            },
        },
    ]
}

/// The job called `name`.
pub fn job(name: &str) -> Option<Job> {
    jobs().into_iter().find(|j| j.name == name)
}

/// The schedule in force for `job`: the config's, else the default.
pub fn schedule_of(ctx: &AppCtx, job: &Job) -> String {
    ctx.config.job_schedules.get(job.name).cloned().unwrap_or_else(|| job.cron.to_owned())
}

/// Refuses schedules for unknown jobs and schedules that do not parse (at
/// start-up, with the rest of the configuration).
pub fn check_schedules(schedules: &std::collections::BTreeMap<String, String>) -> anyhow::Result<()> {
    for (name, cron) in schedules {
        if job(name).is_none() {
            let known: Vec<&str> = jobs().iter().map(|j| j.name).collect();
            anyhow::bail!("job_schedules names an unknown job {name:?} (jobs: {})", known.join(", "));
        }
        cron::Schedule::from_str(cron).map_err(|e| anyhow::anyhow!("job_schedules.{name} {cron:?}: {e}"))?;
    }
    Ok(())
}

/// The next time `job` is due after now, if its schedule has one.
pub fn next_run(ctx: &AppCtx, job: &Job) -> Option<chrono::DateTime<chrono::Utc>> {
    let schedule = cron::Schedule::from_str(&schedule_of(ctx, job)).ok()?;
    schedule.after(&ctx.now().with_timezone(&ctx.tz)).next().map(|t| t.with_timezone(&chrono::Utc))
}

/// Names of the jobs running in this process (the SQLite lock).
#[derive(Default, Clone)]
pub struct LocalLocks(Arc<Mutex<HashSet<String>>>);

struct LocalGuard(LocalLocks, String);

impl Drop for LocalGuard {
    fn drop(&mut self) {
        self.0.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.1);
    }
}

/// Runs `job` unless another instance (or task) is running the job `name`;
/// `None` when it was running elsewhere.
pub async fn exclusive<T>(ctx: &AppCtx, name: &str, job: impl Future<Output = AppResult<T>>) -> AppResult<Option<T>> {
    if ctx.db.backend() == DbBackend::Postgres {
        // A transaction-level advisory lock, held by a connection of its
        // own while the job runs its own short transactions.
        let lock = ctx.db.conn().begin().await?;
        let row = lock
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked",
                [format!("crm360:job:{name}").into()],
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("advisory lock query returned no row"))?;
        if !row.try_get::<bool>("", "locked")? {
            return Ok(None);
        }
        let out = job.await;
        lock.commit().await?;
        return out.map(Some);
    }
    let locks = ctx.job_locks.clone();
    if !locks.0.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_owned()) {
        return Ok(None);
    }
    let _guard = LocalGuard(locks, name.to_owned());
    job.await.map(Some)
}

/// Runs the credit-expiry job now (the admin mutation), under the same
/// lock as the schedule; `CONFLICT` when it is already running.
pub async fn run_credit_expiry(ctx: &AppCtx) -> AppResult<crate::wallets::service::ExpiryReport> {
    run_now(ctx, CREDIT_EXPIRY, crate::wallets::service::expire_credits(ctx)).await
}

/// Runs the ticket SLA check now (the manager mutation), under the same
/// lock as the schedule; `CONFLICT` when it is already running.
pub async fn run_ticket_sla(ctx: &AppCtx) -> AppResult<crate::tickets::service::SlaReport> {
    run_now(ctx, TICKET_SLA, crate::tickets::service::check_sla(ctx)).await
}

async fn run_now<T>(ctx: &AppCtx, name: &str, job: impl Future<Output = AppResult<T>>) -> AppResult<T> {
    exclusive(ctx, name, job)
        .await?
        .ok_or_else(|| AppError::Conflict { field: None, message: format!("the {name} job is already running") })
}

/// Runs the job `name` now for `trigger` (`user:1`), under the cluster
/// lock, and records the run; `CONFLICT` when it is already running.
pub async fn run_job(ctx: &AppCtx, name: &str, trigger: &str) -> AppResult<model::Model> {
    let job = job(name).ok_or_else(|| AppError::bad_input("name", format!("no job {name:?}")))?;
    match run_recorded(ctx, &job, trigger).await? {
        Some(run) => Ok(run),
        None => Err(AppError::Conflict { field: None, message: format!("the {name} job is already running") }),
    }
}

/// Runs `job` under the lock and writes its run row (also when it fails);
/// `None` when another instance holds the lock.
async fn run_recorded(ctx: &AppCtx, job: &Job, trigger: &str) -> AppResult<Option<model::Model>> {
    let started_at = ctx.now();
    let started = std::time::Instant::now();
    let outcome = exclusive(ctx, job.name, (job.run)(ctx.clone())).await;
    let (ok, summary) = match outcome {
        Ok(None) => return Ok(None),
        Ok(Some(summary)) => (true, summary),
        Err(e) => {
            tracing::error!(job = job.name, error = %e, "job failed");
            (false, format!("failed: {e}"))
        }
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    let row = model::ActiveModel {
        job: Set(job.name.to_owned()),
        trigger: Set(trigger.to_owned()),
        started_at: Set(started_at),
        finished_at: Set(started_at + chrono::Duration::milliseconds(duration_ms)),
        duration_ms: Set(duration_ms),
        ok: Set(ok),
        summary: Set(summary),
        ..Default::default()
    }
    .insert(ctx.db.conn())
    .await?;
    tracing::info!(job = job.name, trigger, ms = duration_ms, ok, "job run");
    Ok(Some(row))
}

/// The latest runs, newest first (of one job when `job` is given).
pub async fn runs(ctx: &AppCtx, job: Option<&str>, limit: u64) -> AppResult<Vec<model::Model>> {
    let mut q = model::Entity::find();
    if let Some(job) = job {
        q = q.filter(model::Column::Job.eq(job));
    }
    Ok(q.order_by_desc(model::Column::Id).limit(limit).all(ctx.db.conn()).await?)
}

/// Starts the scheduler: one task per job, until the returned handles are
/// aborted (the server does so on shutdown).
pub fn spawn(ctx: &AppCtx) -> Vec<tokio::task::JoinHandle<()>> {
    jobs().into_iter().map(|job| tokio::spawn(schedule(ctx.clone(), job))).collect()
}

async fn schedule(ctx: AppCtx, job: Job) {
    let cron = schedule_of(&ctx, &job);
    let schedule = match cron::Schedule::from_str(&cron) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(job = job.name, error = %e, "invalid schedule; job disabled");
            return;
        }
    };
    let tick = Duration::from_millis(ctx.config.jobs_tick_ms.max(10));
    let mut next = schedule.after(&ctx.now().with_timezone(&ctx.tz)).next();
    while let Some(due) = next {
        tokio::time::sleep(tick).await;
        if ctx.now() < due {
            continue;
        }
        match run_recorded(&ctx, &job, "schedule").await {
            Ok(Some(_)) => {}
            Ok(None) => tracing::debug!(job = job.name, "skipped: running on another instance"),
            Err(e) => tracing::error!(job = job.name, error = %e, "could not record the job run"),
        }
        next = schedule.after(&ctx.now().with_timezone(&ctx.tz)).next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_parses() {
        for job in jobs() {
            assert!(cron::Schedule::from_str(job.cron).is_ok(), "{}", job.name);
        }
    }

    #[test]
    fn configured_schedules_must_name_a_job_and_parse() {
        let map = |k: &str, v: &str| std::collections::BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(check_schedules(&map("rfm", "0 0 3 * * *")).is_ok());
        assert!(check_schedules(&map("nope", "0 0 3 * * *")).is_err());
        assert!(check_schedules(&map("rfm", "every night")).is_err());
    }
}
