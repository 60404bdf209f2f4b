//! What an import would do, judged on the stored sample (the first 1,000
//! rows): every row read as the import will read it, plus what only a
//! look across rows or at the database shows: required fields without a
//! column, the same phone or email twice in the file, and rows that match
//! customers already there.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::jobs::Sample;
use super::{Columns, ImportKind, Row};
use crate::app::AppCtx;
use crate::customers::model::customer;
use crate::error::AppResult;

/// Most problems listed.
pub const MAX_PROBLEMS: usize = 200;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ProblemKind {
    /// A required field has no column.
    MissingColumn,
    /// A cell the import will refuse (bad phone, bad date, …): the row is skipped.
    BadValue,
    /// A row that cannot be read as CSV.
    UnreadableRow,
    /// The same phone or email as an earlier row of the file.
    DuplicateInFile,
    /// Matches a customer already there (by phone or email): skipped or updated.
    Existing,
}

/// One problem found.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Line in the file (the header is line 1), for row problems.
    pub line: Option<u64>,
    /// The CSV column (or, for a missing column, the field).
    pub column: Option<String>,
    pub message: String,
}

/// The problems of `sample` read through `columns`, and how many there
/// were in all (the list stops at [`MAX_PROBLEMS`]).
pub async fn problems(
    ctx: &AppCtx,
    kind: ImportKind,
    sample: &Sample,
    columns: &Columns,
) -> AppResult<(Vec<Problem>, u64)> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut push = |p: Problem| {
        total += 1;
        if out.len() < MAX_PROBLEMS {
            out.push(p);
        }
    };
    for field in columns.missing(kind) {
        push(Problem {
            kind: ProblemKind::MissingColumn,
            line: None,
            column: Some(field.to_owned()),
            message: format!("no column is mapped to the required field {field}"),
        });
    }
    let columns = Arc::new(columns.clone());
    let (mut first_phone, mut first_email): (HashMap<String, u64>, HashMap<String, u64>) = Default::default();
    let mut phones: Vec<(u64, String)> = Vec::new();
    let mut emails: Vec<(u64, String)> = Vec::new();
    for r in &sample.rows {
        if let Some(why) = &r.unreadable {
            push(Problem { kind: ProblemKind::UnreadableRow, line: Some(r.line), column: None, message: why.clone() });
            continue;
        }
        let row = Row::new(columns.clone(), csv::StringRecord::from(r.cells.clone()));
        let phone = match kind {
            ImportKind::Customers => match super::customers::parse(ctx, &row) {
                Ok(c) => {
                    if let Some(e) = &c.email {
                        emails.push((r.line, e.clone()));
                    }
                    Some(c.phone)
                }
                Err((field, message)) => {
                    let column = field.map(|f| columns.column_name(&f));
                    push(Problem { kind: ProblemKind::BadValue, line: Some(r.line), column, message });
                    None
                }
            },
            ImportKind::Orders => match super::orders::parse(ctx, &row) {
                Ok(_) => {
                    // The orders service checks the phone: check it here too.
                    let raw = row.get("phone").unwrap_or_default();
                    match crate::customers::phone::normalize(&raw, ctx.phone_region, "phone") {
                        Ok(_) => None,
                        Err(e) => {
                            let column = Some(columns.column_name("phone"));
                            push(Problem {
                                kind: ProblemKind::BadValue,
                                line: Some(r.line),
                                column,
                                message: e.to_string(),
                            });
                            None
                        }
                    }
                }
                Err((field, message)) => {
                    let column = field.map(|f| columns.column_name(&f));
                    push(Problem { kind: ProblemKind::BadValue, line: Some(r.line), column, message });
                    None
                }
            },
        };
        if let Some(p) = phone {
            phones.push((r.line, p));
        }
    }
    if kind == ImportKind::Customers {
        for (line, p) in &phones {
            if let Some(first) = first_phone.get(p) {
                push(Problem {
                    kind: ProblemKind::DuplicateInFile,
                    line: Some(*line),
                    column: Some(columns.column_name("phone")),
                    message: format!("the same phone as line {first}: only the first row counts"),
                });
            } else {
                first_phone.insert(p.clone(), *line);
            }
        }
        for (line, e) in &emails {
            if let Some(first) = first_email.get(e) {
                push(Problem {
                    kind: ProblemKind::DuplicateInFile,
                    line: Some(*line),
                    column: Some(columns.column_name("email")),
                    message: format!("the same email as line {first}: only the first row counts"),
                });
            } else {
                first_email.insert(e.clone(), *line);
            }
        }
        let db = ctx.db.conn();
        let known_phones: HashSet<String> = customer::Entity::find()
            .filter(customer::Column::Phone.is_in(first_phone.keys().cloned()))
            .select_only()
            .column(customer::Column::Phone)
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let known_emails: HashSet<String> = customer::Entity::find()
            .filter(customer::Column::Email.is_in(first_email.keys().cloned()))
            .select_only()
            .column(customer::Column::Email)
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut matches: Vec<(u64, String, &str)> = Vec::new();
        for (p, line) in &first_phone {
            if known_phones.contains(p) {
                matches.push((*line, columns.column_name("phone"), "a customer with this phone exists"));
            }
        }
        for (e, line) in &first_email {
            if known_emails.contains(e) && !matches.iter().any(|m| m.0 == *line) {
                matches.push((*line, columns.column_name("email"), "a customer with this email exists"));
            }
        }
        matches.sort();
        for (line, column, message) in matches {
            push(Problem {
                kind: ProblemKind::Existing,
                line: Some(line),
                column: Some(column),
                message: message.into(),
            });
        }
    }
    Ok((out, total))
}
