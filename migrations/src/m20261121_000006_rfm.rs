//! RFM and the fields derived from a customer's orders (DESIGN 4.8): the
//! thresholds in a config table, and per customer the R, F and M scores,
//! the segment and the drop-off risk (tier, type, lifecycle and
//! temperature already exist).

use sea_orm_migration::prelude::*;

use crate::ts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    RfmR,
    RfmF,
    RfmM,
    RfmSegment,
    DropOffRisk,
    RfmUpdatedAt,
}

#[derive(DeriveIden)]
enum RfmConfig {
    Table,
    Id,
    Recency,
    Frequency,
    Monetary,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Customers as C;
        // SQLite alters one column per statement.
        for col in [
            ColumnDef::new(C::RfmR).integer().null().to_owned(),
            ColumnDef::new(C::RfmF).integer().null().to_owned(),
            ColumnDef::new(C::RfmM).integer().null().to_owned(),
            ColumnDef::new(C::RfmSegment).string_len(24).null().to_owned(),
            ColumnDef::new(C::DropOffRisk).string_len(16).null().to_owned(),
            ColumnDef::new(C::RfmUpdatedAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(C::Table).add_column(col).to_owned()).await?;
        }
        m.create_index(Index::create().name("idx_customers_segment").table(C::Table).col(C::RfmSegment).to_owned())
            .await?;

        use RfmConfig as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(ColumnDef::new(R::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(R::Recency).json().not_null())
                .col(ColumnDef::new(R::Frequency).json().not_null())
                .col(ColumnDef::new(R::Monetary).json().not_null())
                .col(ColumnDef::new(R::UpdatedBy).string_len(64).not_null())
                .col(ts(R::UpdatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RfmConfig::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("idx_customers_segment").table(Customers::Table).to_owned()).await?;
        use Customers as C;
        for col in [C::RfmUpdatedAt, C::DropOffRisk, C::RfmSegment, C::RfmM, C::RfmF, C::RfmR] {
            m.alter_table(Table::alter().table(C::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
