//! CSV export: customer lists (the same filter as the `customers` query,
//! through the same service, page by page with keyset pagination), wallet
//! ledgers, and an import's refused rows. Each is a stream of chunks of
//! about 1,000 rows, so memory stays flat whatever the size.
//!
//! Money is written as exact decimal strings ([`Money::format`]), never a
//! float. Cells go through [`guard`] against formula injection: a cell
//! starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'` so a spreadsheet shows it as text, unless it is a plain
//! number (`-5000`, `+84901234567`), which a spreadsheet reads as a number
//! anyway. The import drops that `'` again ([`unguard`]), so an export
//! imports back unchanged.

use std::borrow::Cow;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::customers::model::customer;
use crate::customers::service::{self as customers, CustomerCursor, CustomerListQuery};
use crate::error::AppResult;
use crate::money::Money;
use crate::wallets::model::{transaction, wallet};
use crate::wallets::service::LedgerFilter;

/// Rows per page read from the database (and per chunk written).
const PAGE: u64 = 1_000;

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The cell made harmless for spreadsheets (see the module docs).
pub fn guard(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(cell) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The cell without the `'` [`guard`] put in front.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// CSV rows as one chunk of bytes, every cell guarded.
pub fn chunk<I, R, S>(rows: I) -> Bytes
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::with_capacity(64 * 1024));
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|c| guard(c.as_ref()).into_owned()).collect();
        let _ = w.write_record(&cells);
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// A stream of chunks: the header, then `next(state)` until it gives `None`.
fn paged<S, F, Fut>(
    header: &'static [&'static str],
    state: S,
    next: F,
) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = AppResult<Option<(Bytes, S)>>> + Send + 'static,
{
    use futures::StreamExt;
    let head = futures::stream::once(async move { Ok(chunk([header.iter().copied()])) });
    let body = futures::stream::try_unfold(Some(state), move |state| {
        let fut = state.map(&next);
        async move {
            match fut {
                None => Ok(None),
                Some(f) => Ok(f.await?.map(|(bytes, s)| (bytes, Some(s)))),
            }
        }
    });
    head.chain(body)
}

/// The customer export's columns.
pub const CUSTOMER_COLUMNS: &[&str] = &[
    "member_code",
    "name",
    "phone",
    "email",
    "address",
    "city",
    "birthday",
    "anniversary",
    "tags",
    "tier",
    "customer_type",
    "lifecycle_stage",
    "temperature",
    "status",
    "total_spent",
    "order_count",
    "real_balance",
    "virtual_balance",
    "points",
    "created_at",
];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Every customer `actor` may see that `q` selects, in `q`'s order.
pub fn customers(
    ctx: AppCtx,
    actor: Principal,
    q: CustomerListQuery,
) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static {
    let d = ctx.config.currency_decimals;
    let state: Option<CustomerCursor> = None;
    paged(CUSTOMER_COLUMNS, (state, false), move |(after, done): (Option<CustomerCursor>, bool)| {
        let (ctx, actor, q) = (ctx.clone(), actor.clone(), q.clone());
        async move {
            if done {
                return Ok(None);
            }
            let (rows, more) = customers::search(&ctx, &actor, &q, PAGE, after).await?;
            let Some(last) = rows.last() else { return Ok(None) };
            let cursor = customers::cursor_of(last, q.sort);
            let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
            let wallets: std::collections::HashMap<i64, wallet::Model> =
                crate::wallets::service::of_customers(ctx.db.conn(), &ids)
                    .await?
                    .into_iter()
                    .map(|w| (w.customer_id, w))
                    .collect();
            let lines = rows.iter().map(|c: &customer::Model| {
                let w = wallets.get(&c.id);
                let money = |f: fn(&wallet::Model) -> i64| w.map(|w| Money(f(w)).format(d)).unwrap_or_default();
                vec![
                    c.member_code.clone(),
                    c.name.clone(),
                    c.phone.clone(),
                    c.email.clone().unwrap_or_default(),
                    c.address.clone().unwrap_or_default(),
                    c.city.clone().unwrap_or_default(),
                    c.birthday.map(|b| b.to_string()).unwrap_or_default(),
                    c.anniversary.map(|b| b.to_string()).unwrap_or_default(),
                    c.tag_list().join(";"),
                    enum_str(&c.tier),
                    enum_str(&c.customer_type),
                    enum_str(&c.lifecycle_stage),
                    enum_str(&c.temperature),
                    enum_str(&c.status),
                    Money(c.total_spent).format(d),
                    c.order_count.to_string(),
                    money(|w| w.real_balance),
                    money(|w| w.virtual_balance),
                    w.map(|w| w.points.to_string()).unwrap_or_default(),
                    ts(c.created_at),
                ]
            });
            Ok(Some((chunk(lines), (Some(cursor), !more))))
        }
    })
}

/// The ledger export's columns.
pub const LEDGER_COLUMNS: &[&str] = &[
    "code",
    "created_at",
    "customer_id",
    "type",
    "amount",
    "real_before",
    "real_after",
    "virtual_before",
    "virtual_after",
    "points_before",
    "points_after",
    "source",
    "reference",
    "note",
    "actor",
];

fn ledger_line(t: &transaction::Model, d: u32) -> Vec<String> {
    let points = enum_str(&t.kind).starts_with("POINTS");
    let amount = if points { t.amount.to_string() } else { Money(t.amount).format(d) };
    vec![
        t.code.clone(),
        ts(t.created_at),
        t.customer_id.to_string(),
        enum_str(&t.kind),
        amount,
        Money(t.real_before).format(d),
        Money(t.real_after).format(d),
        Money(t.virtual_before).format(d),
        Money(t.virtual_after).format(d),
        t.points_before.to_string(),
        t.points_after.to_string(),
        t.source.as_ref().map(enum_str).unwrap_or_default(),
        t.reference.clone().unwrap_or_default(),
        t.note.clone().unwrap_or_default(),
        t.actor.clone(),
    ]
}

/// The ledger of one wallet (newest first), narrowed by `filter`.
pub fn wallet_ledger(
    ctx: AppCtx,
    wallet_id: i64,
    filter: LedgerFilter,
) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static {
    let d = ctx.config.currency_decimals;
    paged(LEDGER_COLUMNS, (None::<i64>, false), move |(before, done): (Option<i64>, bool)| {
        let (ctx, filter) = (ctx.clone(), filter.clone());
        async move {
            if done {
                return Ok(None);
            }
            let (rows, more) = crate::wallets::service::ledger(ctx.db.conn(), wallet_id, &filter, PAGE, before).await?;
            let Some(last) = rows.last().map(|t| t.id) else { return Ok(None) };
            Ok(Some((chunk(rows.iter().map(|t| ledger_line(t, d))), (Some(last), !more))))
        }
    })
}

/// Every ledger row in `[from, to)`, oldest first.
pub fn all_ledgers(
    ctx: AppCtx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static {
    let d = ctx.config.currency_decimals;
    paged(LEDGER_COLUMNS, 0i64, move |after: i64| {
        let ctx = ctx.clone();
        async move {
            let rows = transaction::Entity::find()
                .filter(transaction::Column::Id.gt(after))
                .filter(transaction::Column::CreatedAt.gte(from))
                .filter(transaction::Column::CreatedAt.lt(to))
                .order_by_asc(transaction::Column::Id)
                .limit(PAGE)
                .all(ctx.db.conn())
                .await?;
            let Some(last) = rows.last().map(|t| t.id) else { return Ok(None) };
            Ok(Some((chunk(rows.iter().map(|t| ledger_line(t, d))), last)))
        }
    })
}

/// The refused rows of import job `id`: line, column, message, row.
pub fn import_errors(ctx: AppCtx, id: i64) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static {
    paged(&["line", "column", "message", "row"], 0i64, move |after: i64| {
        let ctx = ctx.clone();
        async move {
            let rows = super::jobs::errors(&ctx, id, PAGE, after).await?;
            let Some(last) = rows.last().map(|e| e.id) else { return Ok(None) };
            let lines = rows.iter().map(|e| {
                vec![e.line.to_string(), e.column.clone().unwrap_or_default(), e.message.clone(), e.raw.clone()]
            });
            Ok(Some((chunk(lines), last)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_guarded_and_unguarded_but_numbers_are_left_alone() {
        for (cell, out) in [
            ("=1+1", "'=1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-x", "'-x"),
            ("-5000", "-5000"),
            ("+84901234567", "+84901234567"),
            ("12.50", "12.50"),
            ("Nguyễn", "Nguyễn"),
            ("", ""),
        ] {
            assert_eq!(guard(cell), out, "{cell}");
            assert_eq!(unguard(&guard(cell)), cell, "{cell}");
        }
        assert_eq!(unguard("'hello"), "'hello", "a quote before anything else is the cell's own");
    }

    #[test]
    fn chunks_are_quoted_csv() {
        let b = chunk([vec!["a,b", "say \"hi\"", "=2"]]);
        assert_eq!(std::str::from_utf8(&b).unwrap(), "\"a,b\",\"say \"\"hi\"\"\",'=2\r\n");
    }
}
