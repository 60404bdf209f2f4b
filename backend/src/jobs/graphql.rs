//! GraphQL face of the scheduler: the jobs, their runs, and running one now.

use async_graphql::{Context, ID, Object, ResultExt};
use chrono::{DateTime, Utc};

use super::model;
use crate::auth::Role;
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, principal};

/// One run of a job.
pub struct JobRun(pub model::Model);

#[Object]
impl JobRun {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn job(&self) -> &str {
        &self.0.job
    }
    /// `schedule`, or who started it (`user:1`).
    async fn trigger(&self) -> &str {
        &self.0.trigger
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn finished_at(&self) -> DateTime<Utc> {
        self.0.finished_at
    }
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms
    }
    async fn ok(&self) -> bool {
        self.0.ok
    }
    /// What it did, or why it failed.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
}

/// A scheduled job.
pub struct ScheduledJob {
    name: &'static str,
    description: &'static str,
    schedule: String,
    next_run_at: Option<DateTime<Utc>>,
}

#[Object]
impl ScheduledJob {
    async fn name(&self) -> &str {
        self.name
    }
    async fn description(&self) -> &str {
        self.description
    }
    /// Cron with seconds, in the business time zone (`job_schedules` in
    /// the configuration replaces the default).
    async fn schedule(&self) -> &str {
        &self.schedule
    }
    async fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.next_run_at
    }
    /// The latest run, if any.
    async fn last_run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<JobRun>> {
        Ok(super::runs(app(ctx), Some(self.name), 1).await.extend()?.into_iter().next().map(JobRun))
    }
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// Every scheduled job with its schedule, next and last run (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn jobs(&self, ctx: &Context<'_>) -> Vec<ScheduledJob> {
        let ctx = app(ctx);
        super::jobs()
            .into_iter()
            .map(|j| ScheduledJob {
                schedule: super::schedule_of(ctx, &j),
                next_run_at: super::next_run(ctx, &j),
                name: j.name,
                description: j.description,
            })
            .collect()
    }

    /// The latest runs, newest first, of one job or all (ADMIN; at most 100).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn job_runs(
        &self,
        ctx: &Context<'_>,
        job: Option<String>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<JobRun>> {
        let limit = first.clamp(1, 100) as u64;
        Ok(super::runs(app(ctx), job.as_deref(), limit).await.extend()?.into_iter().map(JobRun).collect())
    }
}

#[derive(Default)]
pub struct JobMutation;

#[Object]
impl JobMutation {
    /// Runs a job now, under the same once-per-cluster lock as its
    /// schedule (ADMIN); `CONFLICT` when it is already running. The run is
    /// recorded whether it succeeds or fails.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn run_job(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<JobRun> {
        let trigger = principal(ctx)?.actor();
        Ok(JobRun(super::run_job(app(ctx), &name, &trigger).await.extend()?))
    }
}
