//! Import jobs: an uploaded file, its preview sample, and the background
//! run that applies it batch by batch.
//!
//! Life of a job: `UPLOADED` (file on disk, sample stored) → `QUEUED`
//! (`startImport` chose the mapping) → `RUNNING` → `COMPLETED`, `FAILED` or
//! `CANCELLED` (`cancelImport`, any time before the end: the batches
//! already committed stay).
//!
//! **Where the file lives.** The instance that receives the upload writes
//! it under its `import_dir` and only an instance that can read that path
//! runs the job: with one server, or several sharing the directory (a
//! shared volume), any of them; otherwise the one that received it. The
//! sample for the preview is stored in the job row, so every instance can
//! answer `importJob { preview }`.
//!
//! **Crash or restart mid-import: the job resumes.** Each batch commits
//! its rows, its refused rows, the counters and the byte offset and line
//! where the next batch starts in one transaction, and renews the job's
//! lease. A running job whose lease has run out (`import_lease_seconds`
//! without a batch) is claimed again by a server that has the file (each
//! server looks every few seconds, and at start) and continues from the
//! last committed line: nothing is imported twice or lost. (Orders commit
//! row by row through the orders service; after a crash the rows of the
//! unfinished batch are read again and, being matched by `external_id`,
//! counted as existing.) When no server has the file any more the job
//! stays `RUNNING` until cancelled; a file that is gone when a server
//! claims the job fails it with a message saying so.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::StringLen;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Columns, CsvFile, ImportKind, OnDuplicate, Summary};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::principal::Credential;
use crate::auth::{Principal, Role};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;

/// Rows kept from the start of the file for the preview.
pub const SAMPLE_ROWS: usize = 1_000;

/// Where a job is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// The file is stored; the preview is ready.
    #[sea_orm(string_value = "UPLOADED")]
    Uploaded,
    /// Started, waiting for a server that has the file.
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl JobStatus {
    /// No more change will come.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// One import.
pub mod job {
    use sea_orm::entity::prelude::*;

    use super::JobStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "import_jobs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `customers` or `orders`.
        pub kind: String,
        pub status: JobStatus,
        pub file_name: String,
        pub file_path: String,
        pub bytes: i64,
        /// Who uploaded it (`user:1`).
        pub actor: String,
        /// The header and first rows ([`super::Sample`]).
        pub sample: Json,
        /// Chosen at start: `[[column, field or null], …]`.
        pub mapping: Option<Json>,
        /// `SKIP` or `UPDATE`.
        pub on_duplicate: String,
        pub rows_read: i64,
        pub created: i64,
        pub existing: i64,
        pub updated: i64,
        pub failed: i64,
        /// Where the next batch starts (after the last committed one).
        pub resume_byte: i64,
        pub resume_line: i64,
        /// The running server's claim (wall clock).
        pub lease_until: Option<DateTimeUtc>,
        /// Why it failed.
        pub error: Option<String>,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A row an import refused.
pub mod row_error {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "import_errors")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub job_id: i64,
        pub line: i64,
        pub column: Option<String>,
        pub message: String,
        /// The row as it was in the file.
        pub raw: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The start of a file, kept for the preview.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sample {
    pub header: Vec<String>,
    /// (line, cells) of the first rows; unreadable rows have no cells and
    /// say why.
    pub rows: Vec<SampleRow>,
    /// The whole file is in the sample.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleRow {
    pub line: u64,
    pub cells: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl job::Model {
    pub fn kind(&self) -> ImportKind {
        ImportKind::parse(&self.kind).unwrap_or(ImportKind::Customers)
    }

    pub fn sample(&self) -> Sample {
        serde_json::from_value(self.sample.clone()).unwrap_or_default()
    }

    /// The chosen mapping, or the suggested one before the start.
    pub fn columns(&self) -> AppResult<Columns> {
        let header = self.sample().header;
        match &self.mapping {
            None => Ok(Columns::suggested(self.kind(), header)),
            Some(m) => {
                let pairs: Vec<(String, Option<String>)> = serde_json::from_value(m.clone()).unwrap_or_default();
                Columns::chosen(self.kind(), header, &pairs)
            }
        }
    }

    /// Whom the rows are imported as.
    fn principal(&self) -> Principal {
        let id = |prefix: &str| self.actor.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
        let credential = match (id("user:"), id("apikey:")) {
            (Some(user_id), _) => Credential::User { user_id },
            (_, Some(key_id)) => Credential::ApiKey { key_id },
            _ => return Principal::system(),
        };
        Principal { credential, role: Role::Manager, expires_at: None }
    }
}

/// The directory uploads are written to: `import_dir`, or `imports/` beside
/// the SQLite file, or `./data/imports`.
pub fn import_dir(config: &crate::config::Config) -> PathBuf {
    if let Some(dir) = &config.import_dir {
        return dir.clone();
    }
    if config.is_sqlite() {
        let path = config.database_url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = Path::new(path.split('?').next().unwrap_or_default());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            return dir.join("imports");
        }
    }
    PathBuf::from("data/imports")
}

/// Reads the header and the first rows of `path`.
fn read_sample(path: &Path) -> AppResult<Sample> {
    let file = std::fs::File::open(path).map_err(|e| AppError::Internal(anyhow::anyhow!("reading the upload: {e}")))?;
    let mut csv = CsvFile::open(std::io::BufReader::new(file))?;
    let rows = csv.next_rows(SAMPLE_ROWS + 1);
    let complete = rows.len() <= SAMPLE_ROWS;
    let rows = rows
        .into_iter()
        .take(SAMPLE_ROWS)
        .map(|r| match r.record {
            Ok(rec) => SampleRow { line: r.line, cells: rec.iter().map(str::to_owned).collect(), unreadable: None },
            Err(why) => SampleRow { line: r.line, cells: Vec::new(), unreadable: Some(why) },
        })
        .collect();
    Ok(Sample { header: csv.header, rows, complete })
}

/// Records an uploaded file (already at `path`, `bytes` long) as a job of
/// `actor`: reads its sample for the preview. A file that is not CSV with
/// a header is `BAD_USER_INPUT` and removed.
pub async fn create(
    ctx: &AppCtx,
    actor: &Principal,
    kind: ImportKind,
    file_name: &str,
    path: &Path,
    bytes: u64,
) -> AppResult<job::Model> {
    let p = path.to_owned();
    let sample = tokio::task::spawn_blocking(move || read_sample(&p))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the upload: {e}")))?;
    let sample = match sample {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
    };
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let job = job::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        status: Set(JobStatus::Uploaded),
        file_name: Set(file_name.chars().take(255).collect()),
        file_path: Set(path.display().to_string()),
        bytes: Set(bytes as i64),
        actor: Set(actor.actor()),
        sample: Set(serde_json::to_value(&sample).map_err(anyhow::Error::from)?),
        mapping: Set(None),
        on_duplicate: Set(OnDuplicate::Skip.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let change = Change::on("import.upload", "import_job", job.id)
        .after(json!({ "kind": job.kind, "fileName": job.file_name, "bytes": bytes }));
    audit::record(&tx, actor, now, change).await?;
    tx.publish(progress_event(&job));
    tx.commit().await?;
    Ok(job)
}

fn status_name(s: JobStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A job by id.
pub async fn get(ctx: &AppCtx, id: i64) -> AppResult<job::Model> {
    job::Entity::find_by_id(id).one(ctx.db.conn()).await?.ok_or_else(|| AppError::NotFound(format!("import job {id}")))
}

/// The latest jobs, newest first.
pub async fn recent(ctx: &AppCtx, first: u64) -> AppResult<Vec<job::Model>> {
    Ok(job::Entity::find().order_by_desc(job::Column::Id).limit(first).all(ctx.db.conn()).await?)
}

/// The first refused rows of a job, in file order.
pub async fn errors(ctx: &AppCtx, id: i64, first: u64, after_id: i64) -> AppResult<Vec<row_error::Model>> {
    Ok(row_error::Entity::find()
        .filter(row_error::Column::JobId.eq(id))
        .filter(row_error::Column::Id.gt(after_id))
        .order_by_asc(row_error::Column::Id)
        .limit(first)
        .all(ctx.db.conn())
        .await?)
}

/// Starts an uploaded job with the chosen mapping (`(column, field)`
/// pairs; `None`: the suggested mapping). Only an `UPLOADED` job starts
/// (`INVALID_TRANSITION` otherwise); a mapping without a required field is
/// `BAD_USER_INPUT` on `mapping`.
pub async fn start(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    mapping: Option<Vec<(String, Option<String>)>>,
    on_duplicate: OnDuplicate,
) -> AppResult<job::Model> {
    let job = get(ctx, id).await?;
    if job.status != JobStatus::Uploaded {
        return Err(AppError::InvalidTransition { from: status_name(job.status), to: "QUEUED".into() });
    }
    let columns = match &mapping {
        Some(pairs) => Columns::chosen(job.kind(), job.sample().header, pairs)?,
        None => Columns::suggested(job.kind(), job.sample().header),
    };
    columns.check(job.kind())?;
    let pairs: Vec<(String, Option<&str>)> = columns.pairs();
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let changed = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Queued))
        .col_expr(job::Column::Mapping, Expr::value(json!(pairs)))
        .col_expr(job::Column::OnDuplicate, Expr::value(on_duplicate.as_str()))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(JobStatus::Uploaded))
        .exec(tx.db())
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::InvalidTransition { from: status_name(job.status), to: "QUEUED".into() });
    }
    let change = Change::on("import.start", "import_job", id)
        .after(json!({ "mapping": pairs, "onDuplicate": on_duplicate.as_str() }));
    audit::record(&tx, actor, now, change).await?;
    let job = job::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("import job {id}")))?;
    tx.publish(progress_event(&job));
    tx.commit().await?;
    if Path::new(&job.file_path).exists() {
        tokio::spawn(run(ctx.clone(), id));
    }
    Ok(job)
}

/// Cancels a job that has not ended: nothing more is imported (the batches
/// committed so far stay). Ending jobs are `INVALID_TRANSITION`.
pub async fn cancel(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<job::Model> {
    let job = get(ctx, id).await?;
    if job.status.is_final() {
        return Err(AppError::InvalidTransition { from: status_name(job.status), to: "CANCELLED".into() });
    }
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Cancelled))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in([JobStatus::Uploaded, JobStatus::Queued, JobStatus::Running]))
        .exec(tx.db())
        .await?;
    audit::record(&tx, actor, now, Change::on("import.cancel", "import_job", id)).await?;
    let job = job::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("import job {id}")))?;
    tx.publish(progress_event(&job));
    tx.commit().await?;
    if job.status == JobStatus::Cancelled && job.lease_until.is_none() {
        // Not running anywhere: nobody else will remove the file.
        let _ = std::fs::remove_file(&job.file_path);
    }
    Ok(job)
}

/// What a batch of a job commits with its rows.
pub struct Commit {
    pub job_id: i64,
    /// Where the next batch starts.
    pub resume_byte: u64,
    pub resume_line: u64,
    /// Publish the progress (throttled by the caller).
    pub publish: bool,
    pub lease_seconds: u64,
}

/// Writes a batch's refused rows and progress in `tx`.
pub async fn record(ctx: &AppCtx, tx: &mut Tx, c: &Commit, s: &Summary) -> AppResult<()> {
    for part in s.errors.chunks(500) {
        row_error::Entity::insert_many(part.iter().map(|e| row_error::ActiveModel {
            job_id: Set(c.job_id),
            line: Set(e.line as i64),
            column: Set(e.column.clone()),
            message: Set(e.message.chars().take(1000).collect()),
            raw: Set(e.raw.chars().take(10_000).collect()),
            ..Default::default()
        }))
        .exec_without_returning(tx.db())
        .await?;
    }
    let add = |col: job::Column, n: u64| Expr::col(col).add(n as i64);
    job::Entity::update_many()
        .col_expr(job::Column::RowsRead, add(job::Column::RowsRead, s.rows))
        .col_expr(job::Column::Created, add(job::Column::Created, s.created))
        .col_expr(job::Column::Existing, add(job::Column::Existing, s.existing))
        .col_expr(job::Column::Updated, add(job::Column::Updated, s.updated))
        .col_expr(job::Column::Failed, add(job::Column::Failed, s.errors.len() as u64))
        .col_expr(job::Column::ResumeByte, Expr::value(c.resume_byte as i64))
        .col_expr(job::Column::ResumeLine, Expr::value(c.resume_line as i64))
        .col_expr(job::Column::LeaseUntil, Expr::value(lease(c.lease_seconds)))
        .col_expr(job::Column::UpdatedAt, Expr::value(ctx.now()))
        .filter(job::Column::Id.eq(c.job_id))
        .exec(tx.db())
        .await?;
    if c.publish
        && let Some(job) = job::Entity::find_by_id(c.job_id).one(tx.db()).await?
    {
        tx.publish(progress_event(&job));
    }
    Ok(())
}

fn lease(seconds: u64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(Ord::max(seconds, 1) as i64)
}

/// The `import.progress` event of `job` (entity `import_job`).
pub fn progress_event(job: &job::Model) -> DomainEvent {
    let mut ev = DomainEvent::new("import.progress", "import_job", job.id, &job.actor, job.updated_at);
    ev.data = json!({
        "status": job.status,
        "rowsRead": job.rows_read,
        "created": job.created,
        "existing": job.existing,
        "updated": job.updated,
        "failed": job.failed,
        "bytesRead": job.resume_byte,
        "bytes": job.bytes,
        "error": job.error,
    });
    ev
}

/// Claims job `id` for this server when it is queued, or running with an
/// expired lease; false when someone else has it.
async fn claim(ctx: &AppCtx, id: i64) -> AppResult<bool> {
    let now = ctx.now();
    let res = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Running))
        .col_expr(job::Column::LeaseUntil, Expr::value(lease(ctx.config.import_lease_seconds)))
        .col_expr(job::Column::StartedAt, Expr::col(job::Column::StartedAt).if_null(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(Condition::any().add(job::Column::Status.eq(JobStatus::Queued)).add(
            Condition::all().add(job::Column::Status.eq(JobStatus::Running)).add(
                Condition::any().add(job::Column::LeaseUntil.is_null()).add(job::Column::LeaseUntil.lt(Utc::now())),
            ),
        ))
        .exec(ctx.db.conn())
        .await?;
    Ok(res.rows_affected == 1)
}

/// Runs job `id` to its end on this server if it can claim it.
pub async fn run(ctx: AppCtx, id: i64) {
    match claim(&ctx, id).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(job = id, error = %e, "claiming an import job");
            return;
        }
    }
    let outcome = run_claimed(&ctx, id).await;
    let now = ctx.now();
    let (status, error) = match outcome {
        Ok(true) => (JobStatus::Completed, None),
        Ok(false) => (JobStatus::Cancelled, None),
        Err(e) => {
            tracing::error!(job = id, error = %e, "import job failed");
            (JobStatus::Failed, Some(e.to_string()))
        }
    };
    let finish = async {
        let mut tx = ctx.begin().await?;
        job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(status))
            .col_expr(job::Column::Error, Expr::value(error))
            .col_expr(job::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::Status.eq(JobStatus::Running))
            .exec(tx.db())
            .await?;
        // Cancelled meanwhile: keep its status, let go of the lease.
        job::Entity::update_many()
            .col_expr(job::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(job::Column::Id.eq(id))
            .exec(tx.db())
            .await?;
        let job = job::Entity::find_by_id(id).one(tx.db()).await?;
        if let Some(job) = &job {
            tx.publish(progress_event(job));
        }
        tx.commit().await?;
        AppResult::Ok(job)
    };
    match finish.await {
        Ok(Some(job)) => {
            let _ = std::fs::remove_file(&job.file_path);
        }
        Ok(None) => {}
        Err(e) => tracing::error!(job = id, error = %e, "recording the end of an import job"),
    }
}

/// The batches of a claimed job; `Ok(false)` when it was cancelled.
async fn run_claimed(ctx: &AppCtx, id: i64) -> Result<bool, AppError> {
    let job = get(ctx, id).await?;
    let kind = job.kind();
    let columns = Arc::new(job.columns()?);
    let on_duplicate = OnDuplicate::parse(&job.on_duplicate);
    let actor = job.principal();
    let file = std::fs::File::open(&job.file_path).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("the uploaded file is no longer on this server ({e}): upload it again"))
    })?;
    let mut csv = CsvFile::open(std::io::BufReader::with_capacity(256 * 1024, file))?;
    if job.resume_byte > 0 {
        csv.seek(job.resume_byte as u64, job.resume_line as u64)?;
    }
    let batch = ctx.config.import_batch_rows.max(1);
    let mut last_publish = Instant::now();
    let mut statistics = super::Statistics::default();
    loop {
        let status: Option<JobStatus> = job::Entity::find_by_id(id)
            .select_only()
            .column(job::Column::Status)
            .into_tuple()
            .one(ctx.db.conn())
            .await?;
        if status != Some(JobStatus::Running) {
            return Ok(false);
        }
        let rows = csv.next_rows(batch);
        if rows.is_empty() {
            return Ok(true);
        }
        let (resume_byte, resume_line) = csv.position();
        let publish = last_publish.elapsed() >= Duration::from_secs(1);
        if publish {
            last_publish = Instant::now();
        }
        let commit =
            Commit { job_id: id, resume_byte, resume_line, publish, lease_seconds: ctx.config.import_lease_seconds };
        let n = rows.len();
        super::apply(ctx, &actor, kind, &columns, rows, on_duplicate, Some(&commit)).await?;
        statistics.after(ctx, kind, n).await;
    }
}

/// Resumes, every few seconds, the jobs this server can run: queued ones,
/// and running ones whose server stopped (lease expired), when their file
/// is here.
pub fn spawn(ctx: &AppCtx) -> tokio::task::JoinHandle<()> {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let every = Duration::from_secs(ctx.config.import_lease_seconds.clamp(1, 5));
        loop {
            match waiting(&ctx).await {
                Ok(jobs) => {
                    for job in jobs {
                        if Path::new(&job.file_path).exists() {
                            tokio::spawn(run(ctx.clone(), job.id));
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "looking for import jobs to resume"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

async fn waiting(ctx: &AppCtx) -> AppResult<Vec<job::Model>> {
    Ok(job::Entity::find()
        .filter(Condition::any().add(job::Column::Status.eq(JobStatus::Queued)).add(
            Condition::all().add(job::Column::Status.eq(JobStatus::Running)).add(
                Condition::any().add(job::Column::LeaseUntil.is_null()).add(job::Column::LeaseUntil.lt(Utc::now())),
            ),
        ))
        .limit(20)
        .all(ctx.db.conn())
        .await?)
}
