//! The audit log as 16 hash chains instead of one: each row belongs to the
//! chain of its entity, and each chain has its own head row. Writers of
//! different entities no longer queue on a single head row until they
//! commit (that one row made every audited transaction of the cluster run
//! one after another). Existing rows are chain 1, whose head is the old one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Number of chains (and head rows).
const CHAINS: i32 = 16;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Chain,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .add_column(ColumnDef::new(AuditLog::Chain).integer().not_null().default(1))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_chain")
                .table(AuditLog::Table)
                .col(AuditLog::Chain)
                .col(AuditLog::Id)
                .to_owned(),
        )
        .await?;
        let mut insert = Query::insert()
            .into_table(AuditHead::Table)
            .columns([AuditHead::Id, AuditHead::LastId, AuditHead::LastHash])
            .to_owned();
        for chain in 2..=CHAINS {
            insert.values_panic([chain.into(), 0i64.into(), "0".repeat(64).into()]);
        }
        m.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.exec_stmt(Query::delete().from_table(AuditHead::Table).and_where(Expr::col(AuditHead::Id).gt(1)).to_owned())
            .await?;
        m.drop_index(Index::drop().name("idx_audit_chain").table(AuditLog::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(AuditLog::Table).drop_column(AuditLog::Chain).to_owned()).await?;
        Ok(())
    }
}
