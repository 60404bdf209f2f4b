//! `crm360 backup` / `crm360 restore` (the functions behind them): an
//! online copy taken while deposits keep committing is consistent (every
//! wallet equals the sum of its ledger in the copy), a restore refuses to
//! replace a database with data unless confirmed, keeps the replaced
//! SQLite database, and brings back exactly what was copied.

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;

use crate::helpers::{Backend, TestApp, count_of, spawn_app};
use crate::wallets::wallet_op;

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Wallets in `db` whose balance is not the sum of their ledger rows.
async fn broken_wallets(db: &DatabaseConnection) -> i64 {
    scalar(
        db,
        "SELECT COUNT(*) FROM wallets w LEFT JOIN (SELECT wallet_id, SUM(real_after - real_before) AS r \
         FROM wallet_transactions GROUP BY wallet_id) t ON t.wallet_id = w.id WHERE w.real_balance <> COALESCE(t.r, 0)",
    )
    .await
}

/// Ten customers, then deposits committing while `backup` copies the
/// database; returns the ledger sizes before and after.
async fn backup_under_writes(app: &TestApp, out: &std::path::Path) -> (i64, i64) {
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            app.customer(&format!("Backup {i}"), &format!("09120000{i:02}")).await["id"].as_str().unwrap().to_owned(),
        );
    }
    let before = count_of(app, "SELECT COUNT(*) FROM wallet_transactions").await;
    let token = app.token();
    let writes = join_all(
        ids.iter()
            .cycle()
            .take(60)
            .map(|c| wallet_op(app, &token, "deposit", json!({ "customerId": c, "amount": "1000" }))),
    );
    let url = app.ctx.config.database_url.clone();
    let copy = async { crm360::backup::backup(&url, out, false).await.expect("backup while writing") };
    let (results, report) = tokio::join!(writes, copy);
    assert!(results.iter().all(|r| r["errors"].is_null()), "deposits failed during the backup");
    assert!(report.bytes > 0);
    let after = count_of(app, "SELECT COUNT(*) FROM wallet_transactions").await;
    assert_eq!(after, before + 60);
    (before, after)
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn online_backup_is_consistent_and_restore_asks_first() {
        let app = spawn_app(Backend::Sqlite).await.unwrap();
        let dir = std::env::temp_dir().join(format!("crm360-backup-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("copy.db");
        let (before, after) = backup_under_writes(&app, &out).await;

        // The copy is a whole, consistent database as of one moment.
        let copy = Database::connect(format!("sqlite://{}?mode=ro", out.display())).await.unwrap();
        let copied = scalar(&copy, "SELECT COUNT(*) FROM wallet_transactions").await;
        assert!((before..=after).contains(&copied), "{copied} ledger rows, expected {before}..={after}");
        assert_eq!(broken_wallets(&copy).await, 0, "the copy caught a transaction half-written");
        assert_eq!(scalar(&copy, "SELECT COUNT(*) FROM customers").await, 10);
        copy.close().await.unwrap();

        // An existing file is not overwritten.
        let again = crm360::backup::backup(&app.ctx.config.database_url, &out, false).await;
        assert!(again.unwrap_err().to_string().contains("already exists"));

        // Into an empty place a restore needs no confirmation.
        let target = dir.join("restored.db");
        let url = format!("sqlite://{}?mode=rwc", target.display());
        let r = crm360::backup::restore(&url, &out, false).await.unwrap();
        assert_eq!(r.customers, Some(10));
        assert!(r.previous.is_none());

        // Now it holds data: refused unless confirmed, and left as it was.
        let db = Database::connect(url.as_str()).await.unwrap();
        db.execute_unprepared("CREATE TABLE marker (x INTEGER)").await.unwrap();
        db.close().await.unwrap();
        let refused = crm360::backup::restore(&url, &out, false).await.unwrap_err();
        assert!(refused.to_string().contains("refusing to overwrite"), "{refused}");
        let tables = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'marker'";
        let db = Database::connect(url.as_str()).await.unwrap();
        assert_eq!(scalar(&db, tables).await, 1);
        db.close().await.unwrap();

        // Confirmed: replaced by the copy, with the replaced database kept.
        let r = crm360::backup::restore(&url, &out, true).await.unwrap();
        let kept = r.previous.expect("the replaced database is kept");
        let old = Database::connect(format!("sqlite://{}?mode=ro", kept.display())).await.unwrap();
        assert_eq!(scalar(&old, tables).await, 1, "the kept database is the one replaced");
        old.close().await.unwrap();
        let db = Database::connect(url.as_str()).await.unwrap();
        assert_eq!(scalar(&db, tables).await, 0);
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM wallet_transactions").await, copied);
        db.close().await.unwrap();

        // Something that is not a crm360 database is refused; nothing changes.
        let junk = dir.join("junk.db");
        std::fs::write(&junk, b"not a database").unwrap();
        assert!(crm360::backup::restore(&url, &junk, true).await.is_err());
        let db = Database::connect(url.as_str()).await.unwrap();
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM customers").await, 10);
        db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pg_dump_backup_is_consistent_and_restore_asks_first() {
        let Some(app) = spawn_app(Backend::Postgres).await else { return };
        let dir = std::env::temp_dir().join(format!("crm360-backup-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("copy.dump");
        let (before, after) = backup_under_writes(&app, &out).await;

        // Restore into an empty database: no confirmation needed.
        let admin_url = crate::helpers::pg_admin_url();
        let admin = Database::connect(admin_url.as_str()).await.unwrap();
        let name = format!("crm360_restore_{}", uuid::Uuid::new_v4().simple());
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
        let fresh_url = format!("{base}/{name}");
        let r = crm360::backup::restore(&fresh_url, &out, false).await.unwrap();
        assert_eq!(r.customers, Some(10));
        let restored = Database::connect(fresh_url.as_str()).await.unwrap();
        let copied = scalar(&restored, "SELECT COUNT(*) FROM wallet_transactions").await;
        assert!((before..=after).contains(&copied), "{copied} ledger rows, expected {before}..={after}");
        assert_eq!(broken_wallets(&restored).await, 0, "the dump caught a transaction half-written");
        restored.close().await.unwrap();

        // Over the live database (it holds data): refused without confirmation.
        let refused = crm360::backup::restore(&app.ctx.config.database_url, &out, false).await.unwrap_err();
        assert!(refused.to_string().contains("refusing to overwrite"), "{refused}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM wallet_transactions").await, after);

        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
