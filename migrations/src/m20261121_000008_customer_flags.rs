//! Fraud flags (DESIGN 4.8): which rule flagged a customer, on what
//! evidence, when, and who cleared it and why.

use sea_orm_migration::prelude::*;

use crate::{pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomerFlags {
    Table,
    Id,
    CustomerId,
    Rule,
    Evidence,
    RaisedAt,
    ClearedAt,
    ClearedBy,
    ClearReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CustomerFlags as F;
        m.create_table(
            Table::create()
                .table(F::Table)
                .col(pk(F::Id))
                .col(ColumnDef::new(F::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(F::Rule).string_len(32).not_null())
                .col(ColumnDef::new(F::Evidence).json().not_null())
                .col(ts(F::RaisedAt))
                .col(ColumnDef::new(F::ClearedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(F::ClearedBy).string_len(64).null())
                .col(ColumnDef::new(F::ClearReason).text().null())
                .foreign_key(ForeignKey::create().from(F::Table, F::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customer_flags_customer")
                .table(F::Table)
                .col(F::CustomerId)
                .col(F::Rule)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CustomerFlags::Table).to_owned()).await?;
        Ok(())
    }
}
