//! Backups: `crm360 backup --out FILE` and `crm360 restore --from FILE`.
//!
//! - **SQLite**: the backup is `VACUUM INTO`, which copies the database
//!   inside one read transaction. It runs while the server runs (WAL mode:
//!   writers carry on) and the copy is consistent: it holds every
//!   transaction committed before the copy began and nothing after. The
//!   copy is written next to its destination and renamed into place only
//!   once `PRAGMA integrity_check` passes, so a failed backup leaves no
//!   half-written file under the name.
//! - **PostgreSQL**: `pg_dump --format=custom` (itself a consistent
//!   snapshot of a running database) and `pg_restore --clean`. The client
//!   tools must be installed (`postgresql-client`) and should be the
//!   server's major version or newer.
//!
//! A restore replaces the whole database. It refuses to touch a database
//! that holds data unless it is confirmed (`--yes`, or typing the word
//! `restore` at the prompt), and on SQLite it first keeps the current
//! database as `<db>.before-restore-<time>` so that nothing is lost even
//! then. Stop the server before restoring: a server holding the old file
//! open keeps serving it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Where a `DATABASE_URL` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    /// The database of `url`; an in-memory SQLite database has no file to copy.
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
            bail!("DATABASE_URL must start with sqlite: or postgres://");
        };
        let path = rest.split('?').next().unwrap_or_default();
        ensure!(!path.is_empty() && !path.contains(":memory:"), "an in-memory database cannot be backed up");
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub file: PathBuf,
    pub bytes: u64,
    pub customers: Option<i64>,
}

/// What a restore replaced.
#[derive(Debug)]
pub struct Restore {
    /// Customers in the restored database.
    pub customers: Option<i64>,
    /// Where the database it replaced was kept (SQLite).
    pub previous: Option<PathBuf>,
}

/// Copies the database at `database_url` into `out`, which must not exist
/// unless `overwrite`.
pub async fn backup(database_url: &str, out: &Path, overwrite: bool) -> anyhow::Result<Backup> {
    ensure!(overwrite || !out.exists(), "{} already exists: choose another file or pass --force", out.display());
    match Target::of(database_url)? {
        Target::Sqlite(db) => {
            ensure!(db.exists(), "no SQLite database at {}", db.display());
            let tmp = sibling(out, "partial");
            let _ = std::fs::remove_file(&tmp);
            let conn = open_sqlite(&db, "ro").await?;
            conn.execute_unprepared(&format!("VACUUM INTO {}", sql_string(&tmp)))
                .await
                .with_context(|| format!("copying {} into {}", db.display(), tmp.display()))?;
            conn.close().await.ok();
            let customers = match check_sqlite(&tmp).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            std::fs::rename(&tmp, out).with_context(|| format!("moving the copy to {}", out.display()))?;
            let bytes = std::fs::metadata(out)?.len();
            Ok(Backup { file: out.to_owned(), bytes, customers })
        }
        Target::Postgres(url) => {
            let tmp = sibling(out, "partial");
            run_tool(
                Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                    .arg(&tmp)
                    .arg(&url),
                "pg_dump",
            )?;
            std::fs::rename(&tmp, out).with_context(|| format!("moving the dump to {}", out.display()))?;
            let bytes = std::fs::metadata(out)?.len();
            Ok(Backup { file: out.to_owned(), bytes, customers: None })
        }
    }
}

/// Whether restoring over `database_url` needs confirmation: it holds data.
pub async fn holds_data(database_url: &str) -> anyhow::Result<bool> {
    match Target::of(database_url)? {
        Target::Sqlite(db) => {
            if !db.exists() || std::fs::metadata(&db)?.len() == 0 {
                return Ok(false);
            }
            let conn = open_sqlite(&db, "ro").await?;
            let n = tables(&conn).await?;
            conn.close().await.ok();
            Ok(n > 0)
        }
        Target::Postgres(url) => {
            let conn = Database::connect(url.as_str()).await.context("connecting to PostgreSQL")?;
            let n = tables(&conn).await?;
            conn.close().await.ok();
            Ok(n > 0)
        }
    }
}

/// Replaces the database at `database_url` with the backup `from`.
/// `confirmed` must be true when the database holds data.
pub async fn restore(database_url: &str, from: &Path, confirmed: bool) -> anyhow::Result<Restore> {
    ensure!(from.is_file(), "no backup at {}", from.display());
    if holds_data(database_url).await? && !confirmed {
        bail!(
            "refusing to overwrite the database at {}: it holds data. Stop the server, then run again with --yes \
             to replace it",
            crate::db::redact_url(database_url)
        );
    }
    match Target::of(database_url)? {
        Target::Sqlite(db) => {
            let customers = check_sqlite(from).await.context("the backup is not a usable crm360 database")?;
            let previous = if db.exists() {
                let keep = sibling(&db, &format!("before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
                let conn = open_sqlite(&db, "ro").await?;
                conn.execute_unprepared(&format!("VACUUM INTO {}", sql_string(&keep)))
                    .await
                    .with_context(|| format!("keeping the current database as {}", keep.display()))?;
                conn.close().await.ok();
                Some(keep)
            } else {
                None
            };
            let incoming = sibling(&db, "restoring");
            let _ = std::fs::remove_file(&incoming);
            let conn = open_sqlite(from, "ro").await?;
            conn.execute_unprepared(&format!("VACUUM INTO {}", sql_string(&incoming))).await?;
            conn.close().await.ok();
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            std::fs::rename(&incoming, &db).with_context(|| format!("moving the backup into {}", db.display()))?;
            Ok(Restore { customers, previous })
        }
        Target::Postgres(url) => {
            run_tool(
                Command::new("pg_restore")
                    .args(["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"])
                    .arg("--dbname")
                    .arg(&url)
                    .arg(from),
                "pg_restore",
            )?;
            let conn = Database::connect(url.as_str()).await.context("connecting to PostgreSQL")?;
            let customers = count_customers(&conn).await;
            conn.close().await.ok();
            Ok(Restore { customers, previous: None })
        }
    }
}

/// `path` with `.suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// A path as an SQL string literal.
fn sql_string(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

async fn open_sqlite(path: &Path, mode: &str) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode={mode}", path.display());
    let mut opts = sea_orm::ConnectOptions::new(url);
    opts.max_connections(1).sqlx_logging(false);
    Database::connect(opts).await.with_context(|| format!("opening {}", path.display()))
}

/// Opens a SQLite copy and checks it: intact, and a crm360 database (it
/// has the migrations table). Returns its customer count.
async fn check_sqlite(path: &Path) -> anyhow::Result<Option<i64>> {
    let conn = open_sqlite(path, "ro").await?;
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await?
        .context("integrity_check returned nothing")?;
    let verdict: String = row.try_get_by_index(0)?;
    ensure!(verdict == "ok", "{} failed its integrity check: {verdict}", path.display());
    let migrations = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    ensure!(migrations == 1, "{} is not a crm360 database (no migrations table)", path.display());
    let customers = count_customers(&conn).await;
    conn.close().await.ok();
    Ok(customers)
}

async fn count_customers(conn: &DatabaseConnection) -> Option<i64> {
    let backend = conn.get_database_backend();
    conn.query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) FROM customers"))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
}

/// How many tables the database has (0: empty, safe to restore into).
async fn tables(conn: &DatabaseConnection) -> anyhow::Result<i64> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        _ => "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    };
    let row = conn.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

fn run_tool(cmd: &mut Command, name: &str) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| {
        format!("running {name}: is the PostgreSQL client installed (apt-get install postgresql-client)?")
    })?;
    if !out.status.success() {
        bail!("{name} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_urls() {
        assert_eq!(Target::of("sqlite://data/crm.db?mode=rwc").unwrap(), Target::Sqlite("data/crm.db".into()));
        assert_eq!(Target::of("sqlite:/tmp/x.db").unwrap(), Target::Sqlite("/tmp/x.db".into()));
        assert!(Target::of("sqlite::memory:").is_err());
        assert!(matches!(Target::of("postgres://u@h/db").unwrap(), Target::Postgres(_)));
        assert!(Target::of("mysql://x").is_err());
    }

    #[test]
    fn paths_are_quoted_for_sql() {
        assert_eq!(sql_string(Path::new("/tmp/o'brien.db")), "'/tmp/o''brien.db'");
        assert_eq!(sibling(Path::new("/a/b.db"), "partial"), PathBuf::from("/a/b.db.partial"));
    }
}
