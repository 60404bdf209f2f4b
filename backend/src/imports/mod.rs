//! CSV import of customers and orders, and CSV export.
//!
//! Two doors share one engine ([`apply`]):
//!
//! - the command line (`crm360 import customers --file F`, `crm360 import
//!   orders --file F`), with a progress bar, the report printed and written
//!   as `F.errors.csv` (or `--report`);
//! - the API, asynchronously ([`jobs`]): `POST /imports?kind=customers`
//!   streams the file to disk and returns a job; `importJob(id) { preview }`
//!   shows the header, the first rows, the suggested mapping and the
//!   problems found in a sample; `startImport` runs it in the background
//!   with live progress (`importProgress`), `cancelImport` stops it, and
//!   `GET /imports/{id}/errors.csv` gives every refused row.
//!
//! The file is read as a stream (the `csv` crate, never whole in memory)
//! and applied in batches of `import_batch_rows` (500) rows per
//! transaction. Customers are inserted set-based (one multi-row INSERT for
//! customers, wallets and timeline entries, one audit row per batch);
//! customers already there (same normalised phone, or else same email)
//! are skipped or updated. Orders go through the orders service one by one
//! (they move totals, RFM and may create customers), matched by
//! `external_id`. A bad row is recorded with its line, the CSV column at
//! fault, why, and the raw row, and skipped; every other row is kept.
//! Running the same file again adds nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

pub mod customers;
pub mod export;
pub mod graphql;
pub mod jobs;
pub mod mapping;
pub mod orders;
pub mod preview;

pub use mapping::Columns;

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Already there (same phone, same external id): left as it is.
    Existing,
    /// Already there and updated from the row (`onDuplicate: UPDATE`).
    Updated,
}

/// Why a row was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The CSV column at fault (as the header names it), when one is.
    pub column: Option<String>,
    pub message: String,
    /// The row as it was in the file (one CSV record).
    pub raw: String,
}

/// What an import (or one batch of it) did.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub created: u64,
    pub existing: u64,
    pub updated: u64,
    pub errors: Vec<RowError>,
    /// Where the error report was written, if there were errors (CLI).
    pub report: Option<PathBuf>,
}

impl Summary {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Existing => self.existing += 1,
            Outcome::Updated => self.updated += 1,
        }
    }
}

/// One data row, read by field through the mapping.
pub struct Row {
    columns: Arc<Columns>,
    record: csv::StringRecord,
}

impl Row {
    /// A row of `record` read through `columns`.
    pub fn new(columns: Arc<Columns>, record: csv::StringRecord) -> Self {
        Self { columns, record }
    }

    /// The trimmed value of `field`, `None` when unmapped or empty. A
    /// leading `'` that an export put before `=`, `+`, `-` or `@` (the
    /// formula guard) is dropped.
    pub fn get(&self, field: &str) -> Option<String> {
        let i = self.columns.index(field)?;
        let v = export::unguard(self.record.get(i)?.trim());
        (!v.is_empty()).then(|| v.to_owned())
    }
}

/// A row's failure: the field at fault (when one is) and the message.
pub type Refusal = (Option<String>, String);

/// A refusal about `field`.
pub fn refuse(field: &str, message: impl Into<String>) -> Refusal {
    (Some(field.to_owned()), message.into())
}

/// Turns a service error about a row into a refusal, naming the field with
/// `column_of` (which gets the last part of the service's field, such as
/// `orderedAt`); errors that are not about the row (database down) come
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
    /// `customers` or `orders` (the `kind` of `POST /imports`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Orders => "orders",
        }
    }

    /// Parses `customers` / `orders`, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "customers" => Some(Self::Customers),
            "orders" => Some(Self::Orders),
            _ => None,
        }
    }
}

/// What to do with a row whose customer is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, async_graphql::Enum)]
pub enum OnDuplicate {
    /// Leave the customer as it is (counted as existing).
    #[default]
    Skip,
    /// Fill the customer's fields from the row's non-empty cells (customers
    /// only; the phone never changes).
    Update,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "SKIP",
            Self::Update => "UPDATE",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "UPDATE" { Self::Update } else { Self::Skip }
    }
}

/// When a bulk import refreshes the database's statistics: after 2,000
/// rows, then 20,000, 200,000…, so that the lookups by phone, email and
/// external id are not planned on a table that looked empty.
pub(crate) struct Statistics {
    imported: usize,
    next: usize,
}

impl Default for Statistics {
    fn default() -> Self {
        Self { imported: 0, next: 2_000 }
    }
}

impl Statistics {
    /// `rows` more were imported.
    pub(crate) async fn after(&mut self, ctx: &AppCtx, kind: ImportKind, rows: usize) {
        self.imported += rows;
        if self.imported < self.next {
            return;
        }
        self.next = self.next.saturating_mul(10);
        ctx.db.analyze("customers").await;
        if kind == ImportKind::Orders {
            ctx.db.analyze("orders").await;
        }
    }
}

/// A record as read: its line, and the record or why it could not be read.
pub struct RawRow {
    pub line: u64,
    pub record: Result<csv::StringRecord, String>,
}

/// The record as one CSV line (for the error report).
pub fn raw_text(record: &csv::StringRecord) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record(record);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_owned()
}

/// A CSV file being read: its header and mapping, then batches of rows.
///
/// Records end at `\n` only (a `\r` before it is dropped from the last
/// cell), so that every line the reader counts is a real one: the `csv`
/// crate's own record positions are off after blank lines and in files
/// with CRLF line ends. A record's line is worked back from where the
/// reader stands after it.
pub struct CsvFile<R: std::io::Read> {
    reader: csv::Reader<Tracked<R>>,
    pub header: Vec<String>,
}

/// The input, with how many bytes were taken from it and the last one: the
/// reader stands at the end of an unterminated last record when it has
/// taken everything and that byte is not a newline.
struct Tracked<R> {
    inner: R,
    taken: u64,
    last: Option<u8>,
    ended: bool,
}

impl<R: std::io::Read> std::io::Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended = true;
        } else if n > 0 {
            self.taken += n as u64;
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Tracked<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(pos)?;
        (self.taken, self.last, self.ended) = (at, None, false);
        Ok(at)
    }
}

impl<R: std::io::Read> CsvFile<R> {
    /// Reads the header (a UTF-8 byte-order mark is dropped).
    pub fn open(input: R) -> AppResult<Self> {
        let input = Tracked { inner: input, taken: 0, last: None, ended: false };
        let mut reader =
            csv::ReaderBuilder::new().flexible(true).terminator(csv::Terminator::Any(b'\n')).from_reader(input);
        let header = reader.headers().map_err(|e| AppError::bad_input("csv", format!("unreadable header: {e}")))?;
        let header: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
        if header.iter().all(String::is_empty) {
            return Err(AppError::bad_input("csv", "the file is empty or has no header line"));
        }
        Ok(Self { reader, header })
    }

    /// Up to `n` rows; empty at the end of the file.
    pub fn next_rows(&mut self, n: usize) -> Vec<RawRow> {
        let mut out = Vec::with_capacity(n.min(4096));
        while out.len() < n {
            let mut record = csv::StringRecord::new();
            match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    drop_carriage_return(&mut record);
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let line = self.line_of(&record);
                    out.push(RawRow { line, record: Ok(record) });
                }
                // A malformed record (invalid UTF-8): kept as an error.
                Err(e) => {
                    let line = e.position().map_or_else(|| self.reader.position().line(), csv::Position::line);
                    out.push(RawRow { line, record: Err(format!("unreadable row: {e}")) });
                }
            }
        }
        out
    }

    /// The line `record` (just read) started on: where the reader stands,
    /// less the newlines inside the record and the one that ended it.
    fn line_of(&self, record: &csv::StringRecord) -> u64 {
        let at = self.reader.position();
        let input = self.reader.get_ref();
        let unterminated = input.ended && at.byte() == input.taken && input.last != Some(b'\n');
        let inside = record.iter().map(|c| c.bytes().filter(|b| *b == b'\n').count() as u64).sum::<u64>();
        at.line().saturating_sub(inside + u64::from(!unterminated)).max(2)
    }

    /// Where the next row starts: (byte offset, line).
    pub fn position(&self) -> (u64, u64) {
        let p = self.reader.position();
        (p.byte(), p.line())
    }
}

/// Drops the `\r` of a CRLF line end from the last cell.
fn drop_carriage_return(record: &mut csv::StringRecord) {
    let Some(last) = record.iter().next_back().filter(|c| c.ends_with('\r')) else { return };
    let last = last.trim_end_matches('\r').to_owned();
    record.truncate(record.len() - 1);
    record.push_field(&last);
}

impl<R: std::io::Read + std::io::Seek> CsvFile<R> {
    /// Continues at `byte` (a position returned by [`CsvFile::position`]
    /// after the header), which is line `line`.
    pub fn seek(&mut self, byte: u64, line: u64) -> AppResult<()> {
        let mut pos = csv::Position::new();
        pos.set_byte(byte).set_line(line).set_record(line.saturating_sub(1));
        self.reader.seek(pos).map_err(|e| AppError::Internal(anyhow::anyhow!("seeking in the import file: {e}")))
    }
}

/// Applies one batch of rows as `actor` and returns what it did; when
/// `commit` is given (a job), the job's progress is written in the same
/// transaction as the rows (customers) or right after them (orders, whose
/// rows commit one by one and are idempotent by `external_id`).
pub async fn apply(
    ctx: &AppCtx,
    actor: &Principal,
    kind: ImportKind,
    columns: &Arc<Columns>,
    rows: Vec<RawRow>,
    on_duplicate: OnDuplicate,
    commit: Option<&jobs::Commit>,
) -> AppResult<Summary> {
    let mut summary = Summary { rows: rows.len() as u64, ..Default::default() };
    let error = |line: u64, raw: String, (field, message): Refusal| RowError {
        line,
        column: field.map(|f| columns.column_name(&f)),
        message,
        raw,
    };
    match kind {
        ImportKind::Customers => {
            let mut parsed = Vec::with_capacity(rows.len());
            for r in rows {
                match r.record {
                    Err(message) => {
                        summary.errors.push(RowError { line: r.line, column: None, message, raw: String::new() })
                    }
                    Ok(record) => match customers::parse(ctx, &Row::new(columns.clone(), record.clone())) {
                        Ok(c) => parsed.push((r.line, c)),
                        Err(refusal) => summary.errors.push(error(r.line, raw_text(&record), refusal)),
                    },
                }
            }
            let mut tx = ctx.begin().await?;
            for o in customers::batch(ctx, &tx, actor, parsed, on_duplicate).await? {
                summary.add(o);
            }
            if let Some(c) = commit {
                jobs::record(ctx, &mut tx, c, &summary).await?;
            }
            tx.commit().await?;
        }
        ImportKind::Orders => {
            for r in rows {
                let record = match r.record {
                    Err(message) => {
                        summary.errors.push(RowError { line: r.line, column: None, message, raw: String::new() });
                        continue;
                    }
                    Ok(record) => record,
                };
                match orders::row(ctx, actor, Row::new(columns.clone(), record.clone())).await? {
                    Ok(o) => summary.add(o),
                    Err(refusal) => summary.errors.push(error(r.line, raw_text(&record), refusal)),
                }
            }
            if let Some(c) = commit {
                let mut tx = ctx.begin().await?;
                jobs::record(ctx, &mut tx, c, &summary).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(summary)
}

/// Imports the file `path` as the system with the suggested mapping, with
/// a progress bar when `progress`; see the module docs.
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
    let fail = |e: AppError| anyhow::anyhow!("{}: {e}", path.display());
    let mut csv = CsvFile::open(std::io::BufReader::new(input)).map_err(fail)?;
    let columns = Arc::new(Columns::suggested(kind, csv.header.clone()));
    columns.check(kind).map_err(|_| {
        anyhow::anyhow!("{}: the header lacks the column(s) {}", path.display(), columns.missing(kind).join(", "))
    })?;
    let system = Principal::system();
    let mut summary = Summary::default();
    let mut statistics = Statistics::default();
    loop {
        let rows = csv.next_rows(ctx.config.import_batch_rows.max(1));
        if rows.is_empty() {
            break;
        }
        let n = rows.len();
        let s = apply(ctx, &system, kind, &columns, rows, OnDuplicate::Skip, None).await.map_err(fail)?;
        statistics.after(ctx, kind, n).await;
        summary.rows += s.rows;
        summary.created += s.created;
        summary.existing += s.existing;
        summary.updated += s.updated;
        summary.errors.extend(s.errors);
        bar.set_position(csv.position().0);
        bar.set_message(format!("{} rows, {} errors", summary.rows, summary.errors.len()));
    }
    bar.finish_and_clear();
    if !summary.errors.is_empty() {
        let out = report.unwrap_or_else(|| {
            let mut name = path.as_os_str().to_owned();
            name.push(".errors.csv");
            PathBuf::from(name)
        });
        let mut w = csv::Writer::from_path(&out).with_context(|| format!("writing {}", out.display()))?;
        w.write_record(["line", "column", "message", "row"])?;
        for e in &summary.errors {
            w.write_record([
                e.line.to_string(),
                export::guard(e.column.as_deref().unwrap_or_default()).into_owned(),
                export::guard(&e.message).into_owned(),
                export::guard(&e.raw).into_owned(),
            ])?;
        }
        w.flush()?;
        summary.report = Some(out);
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

    #[test]
    fn rows_are_read_in_batches_with_their_lines_and_can_resume() {
        let text = "\u{feff}Phone,Name\n1,a\n2,\"b\nc\"\n3,d\n";
        let mut f = CsvFile::open(std::io::Cursor::new(text)).unwrap();
        assert_eq!(f.header, ["Phone", "Name"]);
        let first = f.next_rows(2);
        let lines: Vec<u64> = first.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3]);
        let (byte, line) = f.position();
        let mut again = CsvFile::open(std::io::Cursor::new(text)).unwrap();
        again.seek(byte, line).unwrap();
        let rest = again.next_rows(10);
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].line, rest[0].record.as_ref().unwrap().get(1)),
            (5, Some("d")),
            "after a record over two lines"
        );
        assert_eq!(raw_text(first[1].record.as_ref().unwrap()), "2,\"b\nc\"");
    }

    #[test]
    fn lines_are_right_after_blank_lines_and_with_crlf_line_ends() {
        let lines = |text: &str| -> Vec<(u64, Vec<String>)> {
            let mut f = CsvFile::open(std::io::Cursor::new(text.to_owned())).unwrap();
            assert_eq!(f.header, ["p", "n"]);
            let rows = f.next_rows(100);
            rows.into_iter().map(|r| (r.line, r.record.unwrap().iter().map(str::to_owned).collect())).collect()
        };
        let want = |pairs: &[(u64, &str)]| -> Vec<(u64, Vec<String>)> {
            pairs.iter().map(|(l, n)| (*l, vec![format!("{l}"), (*n).to_owned()])).collect()
        };
        // Each row's phone cell is its true line number.
        assert_eq!(
            lines("p,n\n2,a\n\n4,b\n\n\n7,c\n8,\"x\ny\"\n10,e"),
            want(&[(2, "a"), (4, "b"), (7, "c"), (8, "x\ny"), (10, "e")])
        );
        assert_eq!(lines("p,n\n2,a\n\n4,b\n"), want(&[(2, "a"), (4, "b")]));
        assert_eq!(
            lines("p,n\r\n2,a\r\n\r\n4,\"b\r\nq\"\r\n  \r\n7,c"),
            want(&[(2, "a"), (4, "b\r\nq"), (7, "c")]),
            "CRLF: the line end's \\r is not part of the last cell"
        );
        assert_eq!(lines("p,n\r\n2,a\r\n3,b\r\n"), want(&[(2, "a"), (3, "b")]));
    }
}
