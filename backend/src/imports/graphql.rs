//! GraphQL face of imports: `importJob(id)` (with its `preview`),
//! `importJobs`, `startImport`, `cancelImport`, and the live
//! `importProgress(id)` subscription. The file itself is uploaded over
//! plain HTTP (`POST /imports?kind=customers`, see `http/imports.rs`).

use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::jobs::{self, JobStatus, job};
use super::preview::{self, Problem};
use super::{ImportKind, OnDuplicate};
use crate::auth::Role;
use crate::events::DomainEvent;
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, parse_id, principal};

/// An import: the uploaded file, its mapping and its progress.
pub struct ImportJob(pub job::Model);

/// A CSV column and the field it feeds (`null`: not imported).
#[derive(SimpleObject)]
pub struct ColumnMapping {
    pub column: String,
    pub field: Option<String>,
}

/// A CSV column and the field it should feed (`null` or absent: not imported).
#[derive(InputObject)]
pub struct ColumnMappingInput {
    pub column: String,
    pub field: Option<String>,
}

/// A field an import fills.
#[derive(SimpleObject)]
pub struct ImportField {
    pub name: String,
    pub required: bool,
}

/// A data row of the preview.
#[derive(SimpleObject)]
pub struct PreviewRow {
    pub line: u64,
    pub cells: Vec<String>,
}

/// What the import would do, judged on the first 1,000 rows.
#[derive(SimpleObject)]
pub struct ImportPreview {
    pub header: Vec<String>,
    /// The first 10 rows.
    pub rows: Vec<PreviewRow>,
    /// Each column and its field: the one given, else the one started with,
    /// else the suggested one.
    pub mapping: Vec<ColumnMapping>,
    /// The fields this kind of import fills.
    pub fields: Vec<ImportField>,
    /// Problems found in the sample (at most 200).
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problem_count: u64,
    /// Rows the problems were looked for in.
    pub sample_rows: u64,
    /// True when the sample is the whole file.
    pub complete: bool,
}

/// The most data rows one `importCsv` call takes.
pub const MAX_ROWS: usize = 2_000;

/// What one `importCsv` call did.
#[derive(SimpleObject)]
pub struct ImportResult {
    pub rows: u64,
    pub created: u64,
    /// Already there (same phone or email; same external id): left as they are.
    pub existing: u64,
    pub errors: Vec<ImportRowError>,
}

/// A row the import refused.
#[derive(SimpleObject)]
pub struct ImportRowError {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The CSV column at fault, when one is.
    pub column: Option<String>,
    pub message: String,
    /// The row as it was in the file.
    pub raw: String,
}

fn id_of(id: &ID) -> async_graphql::Result<i64> {
    parse_id(id, "id")
}

fn pairs(mapping: Vec<ColumnMappingInput>) -> Vec<(String, Option<String>)> {
    mapping.into_iter().map(|m| (m.column, m.field)).collect()
}

#[Object]
impl ImportJob {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> ImportKind {
        self.0.kind()
    }
    async fn status(&self) -> JobStatus {
        self.0.status
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Size of the file.
    async fn bytes(&self) -> u64 {
        self.0.bytes as u64
    }
    /// Bytes of the file imported so far (committed batches).
    async fn bytes_read(&self) -> u64 {
        self.0.resume_byte as u64
    }
    async fn rows_read(&self) -> u64 {
        self.0.rows_read as u64
    }
    async fn created(&self) -> u64 {
        self.0.created as u64
    }
    /// Already there, left as they were.
    async fn existing(&self) -> u64 {
        self.0.existing as u64
    }
    /// Already there, updated from the file (`onDuplicate: UPDATE`).
    async fn updated(&self) -> u64 {
        self.0.updated as u64
    }
    /// Refused rows (see `errors` and `GET /imports/{id}/errors.csv`).
    async fn failed(&self) -> u64 {
        self.0.failed as u64
    }
    async fn on_duplicate(&self) -> OnDuplicate {
        OnDuplicate::parse(&self.0.on_duplicate)
    }
    /// Why the job failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Where the error report is downloaded (with the bearer credential).
    async fn errors_csv_url(&self) -> String {
        format!("/imports/{}/errors.csv", self.0.id)
    }
    /// The first refused rows, in file order (all of them: the CSV report).
    async fn errors(&self, ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<Vec<ImportRowError>> {
        let first = first.unwrap_or(100).clamp(0, 1000) as u64;
        let rows = jobs::errors(app(ctx), self.0.id, first, 0).await.extend()?;
        Ok(rows
            .into_iter()
            .map(|e| ImportRowError { line: e.line as u64, column: e.column, message: e.message, raw: e.raw })
            .collect())
    }
    /// The preview: with `mapping`, judged through that mapping (to check
    /// an edited mapping before starting).
    async fn preview(
        &self,
        ctx: &Context<'_>,
        mapping: Option<Vec<ColumnMappingInput>>,
    ) -> async_graphql::Result<ImportPreview> {
        let kind = self.0.kind();
        let sample = self.0.sample();
        let columns = match mapping {
            Some(m) => super::Columns::chosen(kind, sample.header.clone(), &pairs(m)).extend()?,
            None => self.0.columns().extend()?,
        };
        let (problems, problem_count) = preview::problems(app(ctx), kind, &sample, &columns).await.extend()?;
        Ok(ImportPreview {
            header: sample.header.clone(),
            rows: sample.rows.iter().take(10).map(|r| PreviewRow { line: r.line, cells: r.cells.clone() }).collect(),
            mapping: columns
                .pairs()
                .into_iter()
                .map(|(column, field)| ColumnMapping { column, field: field.map(str::to_owned) })
                .collect(),
            fields: kind
                .fields()
                .iter()
                .map(|f| ImportField { name: f.name.to_owned(), required: f.required })
                .collect(),
            problems,
            problem_count,
            sample_rows: sample.rows.len() as u64,
            complete: sample.complete,
        })
    }
}

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// An import job (MANAGER).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ImportJob> {
        Ok(ImportJob(jobs::get(app(ctx), id_of(&id)?).await.extend()?))
    }

    /// The latest import jobs, newest first (MANAGER).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_jobs(&self, ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<Vec<ImportJob>> {
        let first = first.unwrap_or(20).clamp(1, 100) as u64;
        Ok(jobs::recent(app(ctx), first).await.extend()?.into_iter().map(ImportJob).collect())
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Starts an uploaded import in the background (MANAGER) with the
    /// mapping given (each CSV column and its field; the suggested mapping
    /// when left out). `onDuplicate` says what to do with rows whose
    /// customer is already there (same phone, or same email): `SKIP` (the
    /// default) or `UPDATE`. Follow it with `importProgress`.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn start_import(
        &self,
        ctx: &Context<'_>,
        id: ID,
        mapping: Option<Vec<ColumnMappingInput>>,
        on_duplicate: Option<OnDuplicate>,
    ) -> async_graphql::Result<ImportJob> {
        let job =
            jobs::start(app(ctx), principal(ctx)?, id_of(&id)?, mapping.map(pairs), on_duplicate.unwrap_or_default())
                .await
                .extend()?;
        Ok(ImportJob(job))
    }

    /// Imports CSV text synchronously: a header line, then at most 2,000
    /// rows (MANAGER), with the suggested mapping. Kept for small files
    /// and older clients (the SPA used to send files chunk by chunk);
    /// large files go through `POST /imports` and `startImport`.
    /// `firstLine` is the file line of the first data row, for chunks of a
    /// larger file (2 when left out).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_csv(
        &self,
        ctx: &Context<'_>,
        kind: ImportKind,
        csv: String,
        first_line: Option<u64>,
    ) -> async_graphql::Result<ImportResult> {
        use crate::error::AppError;
        if csv.lines().count() > MAX_ROWS + 1 {
            return Err(AppError::bad_input(
                "csv",
                format!("at most {MAX_ROWS} rows per call: send the file in chunks"),
            ))
            .extend();
        }
        let app = app(ctx);
        let mut file = super::CsvFile::open(csv.as_bytes()).extend()?;
        let columns = std::sync::Arc::new(super::Columns::suggested(kind, file.header.clone()));
        if !columns.missing(kind).is_empty() {
            let msg = format!("the header lacks the column(s) {}", columns.missing(kind).join(", "));
            return Err(AppError::bad_input("csv", msg)).extend();
        }
        let rows = file.next_rows(MAX_ROWS + 1);
        let s = super::apply(app, principal(ctx)?, kind, &columns, rows, OnDuplicate::Skip, None).await.extend()?;
        let shift = first_line.unwrap_or(2).max(2) - 2;
        Ok(ImportResult {
            rows: s.rows,
            created: s.created,
            existing: s.existing + s.updated,
            errors: s
                .errors
                .into_iter()
                .map(|e| ImportRowError { line: e.line + shift, column: e.column, message: e.message, raw: e.raw })
                .collect(),
        })
    }

    /// Cancels an import that has not ended (MANAGER); the rows already
    /// committed stay.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn cancel_import(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ImportJob> {
        Ok(ImportJob(jobs::cancel(app(ctx), principal(ctx)?, id_of(&id)?).await.extend()?))
    }
}

/// Progress of an import, live.
#[derive(SimpleObject)]
pub struct ImportProgress {
    pub job_id: ID,
    pub status: JobStatus,
    pub rows_read: u64,
    pub created: u64,
    pub existing: u64,
    pub updated: u64,
    pub failed: u64,
    pub bytes_read: u64,
    pub bytes: u64,
    pub error: Option<String>,
}

impl ImportProgress {
    fn of(e: &DomainEvent) -> Self {
        let n = |k: &str| e.data[k].as_u64().unwrap_or(0);
        Self {
            job_id: ID(e.entity_id.to_string()),
            status: serde_json::from_value(e.data["status"].clone()).unwrap_or(JobStatus::Running),
            rows_read: n("rowsRead"),
            created: n("created"),
            existing: n("existing"),
            updated: n("updated"),
            failed: n("failed"),
            bytes_read: n("bytesRead"),
            bytes: n("bytes"),
            error: e.data["error"].as_str().map(str::to_owned),
        }
    }
}

#[derive(Default)]
pub struct ImportSubscription;

#[Subscription]
impl ImportSubscription {
    /// Progress of import `id` (MANAGER): its state now, then at most one
    /// update a second while it runs, and the final totals, after which
    /// the stream ends.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<ImportProgress>>> {
        let id = id_of(&id)?;
        // Subscribe first, then read the state: nothing falls in between.
        let live = crate::graphql::event_stream(
            ctx,
            None,
            move |e| e.entity_type == "import_job" && e.entity_id == id,
            |e| ImportProgress::of(&e),
        )?;
        let now = jobs::get(app(ctx), id).await.extend()?;
        let first = ImportProgress::of(&jobs::progress_event(&now));
        let done = now.status.is_final();
        let stream = futures::stream::once(async move { Ok(first) }).chain(live.take_while(move |_| {
            let keep = !done;
            async move { keep }
        }));
        // End right after the first final state.
        let stream = futures::stream::unfold((stream.boxed(), false), |(mut s, ended)| async move {
            if ended {
                return None;
            }
            let item = s.next().await?;
            let last = matches!(&item, Ok(p) if p.status.is_final()) || item.is_err();
            Some((item, (s, last)))
        });
        Ok(stream.boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_read_from_the_event() {
        let mut e = DomainEvent::new("import.progress", "import_job", 7, "user:1", Utc::now());
        e.data = serde_json::json!({ "status": "COMPLETED", "rowsRead": 10, "created": 8, "failed": 2 });
        let p = ImportProgress::of(&e);
        assert_eq!(
            (p.job_id.as_str(), p.status, p.rows_read, p.created, p.failed),
            ("7", JobStatus::Completed, 10, 8, 2)
        );
    }
}
