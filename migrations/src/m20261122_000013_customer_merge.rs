//! Customer merge (issue 9): a merged duplicate stays as a tombstone that
//! points at the customer it was merged into (`merged_into_id`, set once,
//! with `merged_at`). Lists, search, segments and call tasks skip rows that
//! have one; fetching one by id still works so integrators can follow it.
//!
//! The duplicate's wallet is marked too (`wallets.merged_into_id`): a
//! wallet movement locks the wallet row, so a movement that waited for the
//! merge's lock sees the mark and goes to the survivor's wallet instead.
//!
//! No foreign key on the new columns: SQLite cannot add one to an existing
//! table. The merge service only ever writes the id of a live customer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    MergedIntoId,
    MergedAt,
}

#[derive(DeriveIden)]
enum Wallets {
    Table,
    MergedIntoId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Customers as C;
        // SQLite alters one column per statement.
        for col in [
            ColumnDef::new(C::MergedIntoId).big_integer().null().to_owned(),
            ColumnDef::new(C::MergedAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(C::Table).add_column(col).to_owned()).await?;
        }
        // The tombstones of a customer (to follow them back, and to list them).
        m.create_index(
            Index::create().name("idx_customers_merged_into").table(C::Table).col(C::MergedIntoId).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Wallets::Table)
                .add_column(ColumnDef::new(Wallets::MergedIntoId).big_integer().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Customers as C;
        m.alter_table(Table::alter().table(Wallets::Table).drop_column(Wallets::MergedIntoId).to_owned()).await?;
        m.drop_index(Index::drop().name("idx_customers_merged_into").table(C::Table).to_owned()).await?;
        for col in [C::MergedAt, C::MergedIntoId] {
            m.alter_table(Table::alter().table(C::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
