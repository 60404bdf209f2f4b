//! Asynchronous CSV imports (issue 9): one `import_jobs` row per uploaded
//! file (its preview sample, mapping, progress and where to resume), and
//! the rows it refused in `import_errors` (line, column, message and the
//! raw row), read back in id order for the error report.

use sea_orm_migration::prelude::*;

use crate::{pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    Kind,
    Status,
    FileName,
    FilePath,
    Bytes,
    Actor,
    Sample,
    Mapping,
    OnDuplicate,
    RowsRead,
    Created,
    Existing,
    Updated,
    Failed,
    ResumeByte,
    ResumeLine,
    LeaseUntil,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ImportErrors {
    Table,
    Id,
    JobId,
    Line,
    Column,
    Message,
    Raw,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ImportJobs as J;
        let count = |c: J| ColumnDef::new(c).big_integer().not_null().default(0).to_owned();
        m.create_table(
            Table::create()
                .table(J::Table)
                .col(pk(J::Id))
                .col(ColumnDef::new(J::Kind).string_len(16).not_null())
                .col(ColumnDef::new(J::Status).string_len(16).not_null())
                .col(ColumnDef::new(J::FileName).string_len(255).not_null())
                .col(ColumnDef::new(J::FilePath).text().not_null())
                .col(count(J::Bytes))
                .col(ColumnDef::new(J::Actor).string_len(64).not_null())
                .col(ColumnDef::new(J::Sample).json().not_null())
                .col(ColumnDef::new(J::Mapping).json().null())
                .col(ColumnDef::new(J::OnDuplicate).string_len(8).not_null())
                .col(count(J::RowsRead))
                .col(count(J::Created))
                .col(count(J::Existing))
                .col(count(J::Updated))
                .col(count(J::Failed))
                .col(count(J::ResumeByte))
                .col(count(J::ResumeLine))
                .col(ColumnDef::new(J::LeaseUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(J::Error).text().null())
                .col(ts(J::CreatedAt))
                .col(ColumnDef::new(J::StartedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(J::FinishedAt).timestamp_with_time_zone().null())
                .col(ts(J::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_import_jobs_status").table(J::Table).col(J::Status).to_owned())
            .await?;
        use ImportErrors as E;
        m.create_table(
            Table::create()
                .table(E::Table)
                .col(pk(E::Id))
                .col(ColumnDef::new(E::JobId).big_integer().not_null())
                .col(ColumnDef::new(E::Line).big_integer().not_null())
                .col(ColumnDef::new(E::Column).string_len(255).null())
                .col(ColumnDef::new(E::Message).text().not_null())
                .col(ColumnDef::new(E::Raw).text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(E::Table, E::JobId)
                        .to(J::Table, J::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_import_errors_job").table(E::Table).col(E::JobId).col(E::Id).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ImportErrors::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ImportJobs::Table).to_owned()).await
    }
}
