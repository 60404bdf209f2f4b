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
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::app::AppCtx;
use crate::error::{AppError, AppResult};

/// Expires virtual credits past their date (DESIGN 4.2), hourly.
pub const CREDIT_EXPIRY: &str = "credit-expiry";
/// Raises priorities near the carrier deadline and flags overdue tickets
/// (DESIGN 4.4), every 6 hours.
pub const TICKET_SLA: &str = "ticket-sla";

/// Recomputes RFM scores, segments, tiers, customer types, lifecycle,
/// temperature and drop-off risk for every customer (DESIGN 4.8), nightly.
pub const RFM: &str = "rfm";

/// A job the scheduler runs.
struct Job {
    name: &'static str,
    /// `sec min hour day-of-month month day-of-week`, business time zone.
    cron: &'static str,
    run: fn(AppCtx) -> BoxFuture<'static, AppResult<()>>,
}

fn jobs() -> Vec<Job> {
    vec![
        Job {
            name: CREDIT_EXPIRY,
            cron: "0 0 * * * *",
            run: |ctx| Box::pin(async move { crate::wallets::service::expire_credits(&ctx).await.map(|_| ()) }),
        },
        Job {
            name: TICKET_SLA,
            cron: "0 0 */6 * * *",
            run: |ctx| Box::pin(async move { crate::tickets::service::check_sla(&ctx).await.map(|_| ()) }),
        },
        Job {
            name: RFM,
            cron: "0 30 1 * * *",
            run: |ctx| {
                Box::pin(async move {
                    let system = crate::auth::Principal::system();
                    crate::analytics::rfm::recalculate(&ctx, &system).await.map(|_| ())
                })
            },
        },
    ]
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

/// Starts the scheduler: one task per job, until the returned handles are
/// aborted (the server does so on shutdown).
pub fn spawn(ctx: &AppCtx) -> Vec<tokio::task::JoinHandle<()>> {
    jobs().into_iter().map(|job| tokio::spawn(schedule(ctx.clone(), job))).collect()
}

async fn schedule(ctx: AppCtx, job: Job) {
    let schedule = match cron::Schedule::from_str(job.cron) {
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
        let started = std::time::Instant::now();
        match exclusive(&ctx, job.name, (job.run)(ctx.clone())).await {
            Ok(Some(())) => {
                tracing::info!(job = job.name, ms = started.elapsed().as_millis() as u64, "scheduled job done")
            }
            Ok(None) => tracing::debug!(job = job.name, "skipped: running on another instance"),
            Err(e) => tracing::error!(job = job.name, error = %e, "scheduled job failed"),
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
}
