//! CSV import of customers and orders: from the command line
//! (`crm360 import customers --file F`, `crm360 import orders --file F`)
//! and through the API (`importCsv`, which the SPA calls chunk by chunk).
//!
//! Each row goes through the same service as the API (validation,
//! idempotency, audit, events) in its own transaction. A bad row is
//! reported with its line number, the column at fault and why, and
//! skipped; every other row is kept. The report is printed and, when there
//! are errors, written as CSV (`line,column,message`) next to the input
//! (`F.errors.csv`, or `--report`). Running the same file again adds
//! nothing: customers are matched by phone, orders by `external_id`.
//! A progress bar follows the bytes read.

use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

pub mod customers;
pub mod graphql;
pub mod orders;

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Already there (same phone, same external id): left as it is.
    Existing,
}

/// Why a row was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub created: u64,
    pub existing: u64,
    pub errors: Vec<RowError>,
    /// Where the error report was written, if there were errors.
    pub report: Option<PathBuf>,
}

/// One data row, read by column name.
pub struct Row {
    headers: std::sync::Arc<csv::StringRecord>,
    record: csv::StringRecord,
}

impl Row {
    /// The trimmed value of `column`, `None` when missing or empty.
    pub fn get(&self, column: &str) -> Option<String> {
        let i = self.headers.iter().position(|h| h.trim().eq_ignore_ascii_case(column))?;
        self.record.get(i).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    }
}

/// A row's failure: the column (CSV name) and the message.
pub type Refusal = (Option<String>, String);

/// A refusal about `column`.
pub fn refuse(column: &str, message: impl Into<String>) -> Refusal {
    (Some(column.to_owned()), message.into())
}

/// Turns a service error about a row into a refusal, naming the CSV column
/// with `column_of` (which gets the last part of the service's field, such
/// as `orderedAt`); errors that are not about the row (database down) come
/// back as they are and stop the import.
pub fn refusal(error: AppError, column_of: fn(&str) -> String) -> Result<Refusal, AppError> {
    let field = |f: &str| column_of(f.rsplit('.').next().unwrap_or(f));
    match error {
        AppError::BadInput { field: f, message } => Ok((Some(field(&f)), message)),
        AppError::Conflict { field: f, message } => Ok((f.as_deref().map(field), message)),
        AppError::NotFound(what) => Ok((None, format!("{what} not found"))),
        AppError::Forbidden(message) | AppError::Unauthenticated(message) => Ok((None, message)),
        AppError::InvalidTransition { from, to } => {
            Ok((Some("status".into()), format!("cannot move from {from} to {to}")))
        }
        other => Err(other),
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, async_graphql::Enum)]
pub enum ImportKind {
    Customers,
    Orders,
}

impl ImportKind {
    /// The columns the header must have.
    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Customers => customers::REQUIRED,
            Self::Orders => orders::REQUIRED,
        }
    }

    /// Imports one row as `actor`.
    async fn row(self, ctx: &AppCtx, actor: &Principal, row: Row) -> AppResult<Result<Outcome, Refusal>> {
        match self {
            Self::Customers => customers::row(ctx, actor, row).await,
            Self::Orders => orders::row(ctx, actor, row).await,
        }
    }
}

/// Imports CSV text as `actor` (the API's import, one chunk of a file at a
/// time); `first_line` is the line of the text's first data row in the
/// whole file, so errors name the file's lines.
pub async fn text(ctx: &AppCtx, actor: &Principal, kind: ImportKind, csv: &str, first_line: u64) -> AppResult<Summary> {
    let mut summary = rows(csv.as_bytes(), kind.required(), |row| kind.row(ctx, actor, row), |_, _| {}).await?;
    for e in &mut summary.errors {
        e.line = e.line + first_line.max(2) - 2;
    }
    Ok(summary)
}

/// Imports the file `path` as the system, with a progress bar when
/// `progress`; see the module docs.
pub async fn file(
    ctx: &AppCtx,
    kind: ImportKind,
    path: &Path,
    report: Option<PathBuf>,
    progress: bool,
) -> anyhow::Result<Summary> {
    let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    let input = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let bar = if progress { ProgressBar::new(size) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({msg}, eta {eta})")?
            .progress_chars("=> "),
    );
    let system = Principal::system();
    let mut summary = rows(
        std::io::BufReader::new(input),
        kind.required(),
        |row| kind.row(ctx, &system, row),
        |byte, s| {
            bar.set_position(byte);
            bar.set_message(format!("{} rows, {} errors", s.rows, s.errors.len()));
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    bar.finish_and_clear();
    if !summary.errors.is_empty() {
        let out = report.unwrap_or_else(|| {
            let mut name = path.as_os_str().to_owned();
            name.push(".errors.csv");
            PathBuf::from(name)
        });
        let mut w = csv::Writer::from_path(&out).with_context(|| format!("writing {}", out.display()))?;
        w.write_record(["line", "column", "message"])?;
        for e in &summary.errors {
            w.write_record([e.line.to_string(), e.column.clone().unwrap_or_default(), e.message.clone()])?;
        }
        w.flush()?;
        summary.report = Some(out);
    }
    Ok(summary)
}

/// Reads CSV from `input` and hands each row to `handle`, calling
/// `progress` with the bytes read after each row. `required` columns must
/// be in the header (`BAD_USER_INPUT` on `csv` otherwise). A row `handle`
/// refuses, or one that cannot be read, is recorded and skipped; an error
/// from `handle` stops the import.
async fn rows<R, F, Fut>(
    input: R,
    required: &[&str],
    mut handle: F,
    mut progress: impl FnMut(u64, &Summary),
) -> AppResult<Summary>
where
    R: std::io::Read,
    F: FnMut(Row) -> Fut,
    Fut: Future<Output = AppResult<Result<Outcome, Refusal>>>,
{
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(|e| AppError::bad_input("csv", format!("unreadable header: {e}")))?.clone();
    let headers = std::sync::Arc::new(csv::StringRecord::from(
        headers.iter().map(|h| h.trim_start_matches('\u{feff}')).collect::<Vec<_>>(),
    ));
    let missing: Vec<&str> =
        required.iter().copied().filter(|r| !headers.iter().any(|h| h.trim().eq_ignore_ascii_case(r))).collect();
    if !missing.is_empty() {
        return Err(AppError::bad_input("csv", format!("the header lacks the column(s) {}", missing.join(", "))));
    }
    let mut summary = Summary::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A malformed record (bad quoting, invalid UTF-8): skip it.
                summary.rows += 1;
                summary.errors.push(RowError { line, column: None, message: format!("unreadable row: {e}") });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        summary.rows += 1;
        match handle(Row { headers: headers.clone(), record: record.clone() }).await? {
            Ok(Outcome::Created) => summary.created += 1,
            Ok(Outcome::Existing) => summary.existing += 1,
            Err((column, message)) => summary.errors.push(RowError { line, column, message }),
        }
        progress(reader.position().byte(), &summary);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_fields_become_csv_columns() {
        let snake = |f: &str| if f == "orderedAt" { "ordered_at".to_owned() } else { f.to_owned() };
        let r = refusal(AppError::bad_input("row.orderedAt", "in the future"), snake).unwrap();
        assert_eq!(r, (Some("ordered_at".into()), "in the future".into()));
        let r = refusal(AppError::bad_input("row.items.0.quantity", "1 or more"), snake).unwrap();
        assert_eq!(r.0.as_deref(), Some("quantity"));
        assert!(refusal(AppError::Internal(anyhow::anyhow!("db down")), snake).is_err());
    }
}
