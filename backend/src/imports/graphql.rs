//! GraphQL face of CSV import: `importCsv` takes one chunk of a file (the
//! SPA splits files at record boundaries and shows progress per chunk).

use async_graphql::{Context, Object, ResultExt, SimpleObject};

use super::ImportKind;
use crate::auth::Role;
use crate::error::AppError;
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, principal};

/// The most data rows one `importCsv` call takes.
pub const MAX_ROWS: usize = 2_000;

/// A row that was skipped.
#[derive(SimpleObject)]
pub struct ImportRowError {
    /// Line in the whole file (the header is line 1).
    pub line: u64,
    /// The CSV column at fault, when one is.
    pub column: Option<String>,
    pub message: String,
}

/// What one chunk did.
#[derive(SimpleObject)]
pub struct ImportResult {
    pub rows: u64,
    pub created: u64,
    /// Already there (same phone; same external id): left as they are.
    pub existing: u64,
    pub errors: Vec<ImportRowError>,
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports CSV text: a header line, then at most 2,000 rows (MANAGER).
    /// Columns are those of `crm360 import` (see the README). Each row is
    /// created in its own transaction; a bad row is reported with its line
    /// and column and skipped, and a rerun adds nothing. `firstLine` is the
    /// file line of the first data row, for chunks of a larger file (2
    /// when left out).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_csv(
        &self,
        ctx: &Context<'_>,
        kind: ImportKind,
        csv: String,
        first_line: Option<u64>,
    ) -> async_graphql::Result<ImportResult> {
        if csv.lines().count() > MAX_ROWS + 1 {
            return Err(AppError::bad_input(
                "csv",
                format!("at most {MAX_ROWS} rows per call: send the file in chunks"),
            ))
            .extend();
        }
        let s = super::text(app(ctx), principal(ctx)?, kind, &csv, first_line.unwrap_or(2)).await.extend()?;
        Ok(ImportResult {
            rows: s.rows,
            created: s.created,
            existing: s.existing,
            errors: s
                .errors
                .into_iter()
                .map(|e| ImportRowError { line: e.line, column: e.column, message: e.message })
                .collect(),
        })
    }
}
