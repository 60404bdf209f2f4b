//! The run history of the scheduled jobs: one row per run, scheduled or
//! started by an admin, with its duration and outcome.

use sea_orm_migration::prelude::*;

use crate::{pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    Trigger,
    StartedAt,
    FinishedAt,
    DurationMs,
    Ok,
    Summary,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use JobRuns as J;
        m.create_table(
            Table::create()
                .table(J::Table)
                .col(pk(J::Id))
                .col(ColumnDef::new(J::Job).string_len(64).not_null())
                .col(ColumnDef::new(J::Trigger).string_len(64).not_null())
                .col(ts(J::StartedAt))
                .col(ts(J::FinishedAt))
                .col(ColumnDef::new(J::DurationMs).big_integer().not_null())
                .col(ColumnDef::new(J::Ok).boolean().not_null())
                .col(ColumnDef::new(J::Summary).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_job_runs_job").table(J::Table).col(J::Job).col(J::Id).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(JobRuns::Table).to_owned()).await?;
        Ok(())
    }
}
