//! Database migrations of crm360. Written with sea-query's schema builder so
//! that one migration runs unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_wallets;
mod m20261121_000003_audit_chains;
mod m20261121_000004_tickets;
mod m20261121_000005_orders;
mod m20261121_000006_rfm;
mod m20261121_000007_job_runs;
mod m20261121_000008_customer_flags;
mod m20261122_000009_campaigns;
mod m20261122_000010_engagement;
mod m20261122_000011_call_tasks;
mod m20261122_000012_webhooks;
mod m20261122_000013_customer_merge;
mod m20261122_000014_import_jobs;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_wallets::Migration),
            Box::new(m20261121_000003_audit_chains::Migration),
            Box::new(m20261121_000004_tickets::Migration),
            Box::new(m20261121_000005_orders::Migration),
            Box::new(m20261121_000006_rfm::Migration),
            Box::new(m20261121_000007_job_runs::Migration),
            Box::new(m20261121_000008_customer_flags::Migration),
            Box::new(m20261122_000009_campaigns::Migration),
            Box::new(m20261122_000010_engagement::Migration),
            Box::new(m20261122_000011_call_tasks::Migration),
            Box::new(m20261122_000012_webhooks::Migration),
            Box::new(m20261122_000013_customer_merge::Migration),
            Box::new(m20261122_000014_import_jobs::Migration),
        ]
    }
}

/// An auto-increment `BIGINT` primary key.
pub(crate) fn pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().auto_increment().primary_key().to_owned()
}

/// A timestamp with time zone, required.
pub(crate) fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

/// An amount of money in minor units, default 0.
pub(crate) fn money(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().default(0).to_owned()
}
