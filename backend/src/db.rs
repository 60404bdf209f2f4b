//! Database access shared by every domain: connecting (SQLite or
//! PostgreSQL), migrations, write transactions, and human-readable codes.
//!
//! Writes go through [`Db::begin`]: on SQLite a process-wide async mutex
//! queues writers fairly and the transaction starts `IMMEDIATE`, so writers
//! never deadlock on a lock upgrade; on PostgreSQL transactions run in
//! parallel and services lock the rows they change (`FOR UPDATE`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::AppResult;
use crate::events::{DomainEvent, EventBus};
use crate::webhooks::outbox::Outbox;

/// The connection pool plus what every write needs.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    sqlite_writer: Option<Arc<Mutex<()>>>,
    queries: Arc<AtomicU64>,
    /// Where committed events wait for the webhook dispatcher.
    outbox: Outbox,
}

impl Db {
    /// Connects, creating the SQLite file and its folder when needed.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            ensure_sqlite_dir(url)?;
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        let mut conn = Database::connect(opts)
            .await
            .with_context(|| format!("connecting to the database ({})", redact_url(url)))?;
        let queries = Arc::new(AtomicU64::new(0));
        let counter = queries.clone();
        conn.set_metric_callback(move |_info| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Self {
            conn,
            sqlite_writer: is_sqlite.then(|| Arc::new(Mutex::new(()))),
            queries,
            outbox: Outbox::default(),
        })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None).await.context("running database migrations")
    }

    /// The pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Refreshes PostgreSQL's statistics of `table` after a bulk write
    /// (SQLite plans without them). A bulk load outruns autovacuum, and
    /// plans made while the table looked empty (cached by every pooled
    /// connection) keep scanning it whole: lookups by phone during a
    /// 1,000,000-row import fell from thousands of rows/s to 400.
    /// A failure is logged, not returned: the write it follows is done.
    pub async fn analyze(&self, table: &str) {
        if self.backend() != DbBackend::Postgres {
            return;
        }
        if let Err(e) = self.conn.execute_unprepared(&format!("ANALYZE {table}")).await {
            tracing::warn!(table, error = %e, "ANALYZE failed");
        }
    }

    /// The webhook outbox every write transaction writes its events to.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// SQL statements run so far on this pool (for tests and `/metrics`).
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// The next number for a busy code family (`TRX`) whose codes are
    /// per day (`name` = `TRX-20261121`), for a write running in `tx`.
    ///
    /// On SQLite writers are serialised anyway: the number comes from the
    /// day's row in `code_sequences` inside `tx`, so each day starts at 1.
    /// On PostgreSQL a counter row would make every transaction of the
    /// cluster queue on it until it commits; the number comes instead from
    /// the family's database sequence (`code_seq_trx`), which never blocks
    /// and never repeats (it does not restart each day, and a rolled-back
    /// transaction leaves a gap, which codes tolerate).
    pub async fn next_code_number(&self, tx: &Tx, family: &str, name: &str) -> AppResult<i64> {
        if self.sqlite_writer.is_some() {
            return next_in_sequence(tx.db(), name, 1).await;
        }
        let sql = format!("SELECT nextval('code_seq_{}') AS n", family.to_ascii_lowercase());
        let row = tx
            .db()
            .query_one_raw(sea_orm::Statement::from_string(DbBackend::Postgres, sql))
            .await?
            .ok_or_else(|| anyhow::anyhow!("nextval returned no row"))?;
        Ok(row.try_get::<i64>("", "n")?)
    }

    /// `count` code numbers at once (bulk loads), as [`Db::next_code_number`]
    /// gives them one by one: from the family's sequence on PostgreSQL, a
    /// contiguous block of the named counter on SQLite.
    pub async fn reserve_code_numbers(&self, tx: &Tx, family: &str, name: &str, count: i64) -> AppResult<Vec<i64>> {
        if self.sqlite_writer.is_some() {
            let first = next_in_sequence(tx.db(), name, count).await?;
            return Ok((first..first + count).collect());
        }
        let sql =
            format!("SELECT nextval('code_seq_{}') AS n FROM generate_series(1, $1)", family.to_ascii_lowercase());
        let rows = tx
            .db()
            .query_all_raw(sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, [count.into()]))
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<i64>("", "n")?)).collect()
    }

    /// Starts a write transaction whose events are published on commit.
    pub async fn begin(&self, bus: &EventBus) -> AppResult<Tx> {
        let guard = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: guard.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.conn.begin_with_options(options).await?;
        Ok(Tx {
            txn,
            _writer: guard,
            events: Vec::new(),
            bus: bus.clone(),
            outbox: self.outbox.clone(),
            audit_chain: AtomicI32::new(0),
        })
    }
}

/// A write transaction. Domain events queued with [`Tx::publish`] reach the
/// bus only after [`Tx::commit`] succeeds; dropping it rolls back.
pub struct Tx {
    txn: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
    events: Vec<DomainEvent>,
    bus: EventBus,
    outbox: Outbox,
    /// The audit chain this transaction appends to (0 until it audits).
    audit_chain: AtomicI32,
}

impl Tx {
    /// The transaction, to run statements on.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The audit chain of this transaction: the first audited change picks
    /// it (`pick`), later ones reuse it, so a transaction locks one chain
    /// head only and two transactions can never wait for each other's heads.
    pub fn audit_chain(&self, pick: impl FnOnce() -> i32) -> i32 {
        match self.audit_chain.load(Ordering::Relaxed) {
            0 => {
                let chain = pick();
                self.audit_chain.store(chain, Ordering::Relaxed);
                chain
            }
            chain => chain,
        }
    }

    /// Queues an event for after the commit.
    pub fn publish(&mut self, event: DomainEvent) {
        self.events.push(event);
    }

    /// Writes the queued events to the webhook outbox, commits (the change
    /// and its webhooks together), then publishes the events.
    pub async fn commit(self) -> AppResult<()> {
        let Tx { txn, _writer, events, bus, outbox, .. } = self;
        outbox.record(&txn, &events).await?;
        txn.commit().await?;
        drop(_writer);
        for event in events {
            bus.publish(event).await;
        }
        Ok(())
    }
}

/// Takes the next number of the named sequence (`MEM-2026`, `TV-2026`, …)
/// inside the caller's transaction, reserving `count` numbers and returning
/// the first. The increment commits or rolls back with the caller, and
/// concurrent callers queue on the sequence row, so numbers are unique.
pub async fn next_in_sequence<C: ConnectionTrait>(db: &C, name: &str, count: i64) -> AppResult<i64> {
    let table = Alias::new("code_sequences");
    let value = Alias::new("value");
    let stmt = Query::insert()
        .into_table(table.clone())
        .columns([Alias::new("name"), value.clone()])
        .values_panic([name.into(), count.into()])
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .value(value.clone(), Expr::col((table, value.clone())).add(count))
                .to_owned(),
        )
        .returning_col(value)
        .to_owned();
    let row = db.query_one(&stmt).await?.ok_or_else(|| anyhow::anyhow!("sequence upsert returned no row"))?;
    let last: i64 = row.try_get("", "value")?;
    Ok(last - count + 1)
}

/// A `LIKE` pattern matching text that contains `token` (with the LIKE
/// wildcards in the token made harmless).
pub fn contains_pattern(token: &str) -> String {
    format!("%{}%", token.replace(['\\', '%'], "").replace('_', " "))
}

/// A `LIKE` matching text that contains `token` literally: `%`, `_` and
/// the escape character in the token match only themselves.
pub fn like_literal(token: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = token.replace('!', "!!").replace('%', "!%").replace('_', "!_");
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('!')
}

/// SQL written with `?` for its parameters, in the backend's own style
/// (`$1, $2, …` on PostgreSQL). The SQL must hold no other `?`.
pub fn placeholders(backend: sea_orm::DbBackend, sql: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => {
            let mut n = 0;
            sql.split('?')
                .enumerate()
                .map(|(i, piece)| {
                    if i == 0 {
                        piece.to_owned()
                    } else {
                        n += 1;
                        format!("${n}{piece}")
                    }
                })
                .collect()
        }
        _ => sql.to_owned(),
    }
}

/// A custom SQL expression written with `?` for its operands.
pub fn custom_sql(
    backend: sea_orm::DbBackend,
    sql: &str,
    exprs: Vec<sea_orm::sea_query::SimpleExpr>,
) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust_with_exprs(placeholders(backend, sql), exprs)
}

/// Rows of a queue claimed with a lease (`status = 'SENDING'`, `locked_until`)
/// whose holder died before finishing: their lease ran out by `now`, so they
/// go back to `back_to` for any instance to claim again. Used by the
/// campaign messages and the outgoing webhook deliveries; `table` and
/// `back_to` are names from the code, never input.
pub async fn release_expired_leases(
    db: &Db,
    table: &str,
    back_to: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<u64> {
    let sql = format!(
        "UPDATE {table} SET status = '{back_to}', locked_until = NULL WHERE status = 'SENDING' AND locked_until < ?"
    );
    let res = db.conn().execute_raw(statement(db.backend(), &sql, vec![now.into()])).await?;
    Ok(res.rows_affected())
}

/// A raw statement written with `?` for its bound values.
pub fn statement(backend: sea_orm::DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(backend, placeholders(backend, sql), values)
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// One page of `select`, newest first by the `id` column, strictly older
/// than `before_id`, plus whether more rows follow. Keyset pagination: a
/// page stays correct while rows are being added.
pub async fn page_newest_first<E, C>(
    db: &C,
    select: sea_orm::Select<E>,
    id: E::Column,
    first: u64,
    before_id: Option<i64>,
) -> AppResult<(Vec<E::Model>, bool)>
where
    E: sea_orm::EntityTrait,
    C: ConnectionTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut q = select.order_by_desc(id).limit(first + 1);
    if let Some(before) = before_id {
        q = q.filter(id.lt(before));
    }
    let mut rows = q.all(db).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}
