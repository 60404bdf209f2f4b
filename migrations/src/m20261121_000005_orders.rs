//! Orders and the product catalog (DESIGN 4.5): what customers bought, the
//! input of RFM, customer types and lifecycle. Customers gain the totals
//! their orders add up to.

use sea_orm_migration::prelude::*;

use crate::{money, pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    TotalSpent,
    OrderCount,
    LastOrderAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Kind,
    Price,
    Components,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Code,
    CustomerId,
    ExternalId,
    Channel,
    Status,
    Amount,
    ItemCount,
    Note,
    OrderedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    ProductId,
    Sku,
    Name,
    Quantity,
    UnitPrice,
    Amount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Products as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .col(pk(P::Id))
                .col(ColumnDef::new(P::Sku).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(P::Name).string_len(200).not_null())
                .col(ColumnDef::new(P::Kind).string_len(16).not_null())
                .col(money(P::Price))
                .col(ColumnDef::new(P::Components).json().not_null())
                .col(ColumnDef::new(P::Active).boolean().not_null().default(true))
                .col(ts(P::CreatedAt))
                .col(ts(P::UpdatedAt))
                .to_owned(),
        )
        .await?;

        use Orders as O;
        m.create_table(
            Table::create()
                .table(O::Table)
                .col(pk(O::Id))
                .col(ColumnDef::new(O::Code).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(O::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(O::ExternalId).string_len(100).null().unique_key())
                .col(ColumnDef::new(O::Channel).string_len(16).not_null())
                .col(ColumnDef::new(O::Status).string_len(16).not_null())
                .col(money(O::Amount))
                .col(ColumnDef::new(O::ItemCount).integer().not_null().default(0))
                .col(ColumnDef::new(O::Note).text().null())
                .col(ts(O::OrderedAt))
                .col(ColumnDef::new(O::CreatedBy).string_len(64).not_null())
                .col(ts(O::CreatedAt))
                .col(ts(O::UpdatedAt))
                .foreign_key(ForeignKey::create().from(O::Table, O::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_orders_customer", vec![O::CustomerId, O::OrderedAt]),
            ("idx_orders_ordered", vec![O::OrderedAt]),
            ("idx_orders_status", vec![O::Status, O::OrderedAt]),
        ] {
            let mut idx = Index::create().name(name).table(O::Table).to_owned();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }

        use OrderItems as I;
        m.create_table(
            Table::create()
                .table(I::Table)
                .col(pk(I::Id))
                .col(ColumnDef::new(I::OrderId).big_integer().not_null())
                .col(ColumnDef::new(I::ProductId).big_integer().null())
                .col(ColumnDef::new(I::Sku).string_len(64).null())
                .col(ColumnDef::new(I::Name).string_len(200).not_null())
                .col(ColumnDef::new(I::Quantity).integer().not_null())
                .col(money(I::UnitPrice))
                .col(money(I::Amount))
                .foreign_key(ForeignKey::create().from(I::Table, I::OrderId).to(O::Table, O::Id))
                .foreign_key(ForeignKey::create().from(I::Table, I::ProductId).to(P::Table, P::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_order_items_order").table(I::Table).col(I::OrderId).to_owned())
            .await?;

        // SQLite alters one column per statement.
        use Customers as C;
        for col in [
            money(C::TotalSpent),
            ColumnDef::new(C::OrderCount).integer().not_null().default(0).to_owned(),
            ColumnDef::new(C::LastOrderAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(C::Table).add_column(col).to_owned()).await?;
        }
        if m.get_database_backend() == sea_orm::DbBackend::Postgres {
            m.get_connection().execute_unprepared("CREATE SEQUENCE IF NOT EXISTS code_seq_ord").await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Customers as C;
        for col in [C::LastOrderAt, C::OrderCount, C::TotalSpent] {
            m.alter_table(Table::alter().table(C::Table).drop_column(col).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(OrderItems::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Orders::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Products::Table).to_owned()).await?;
        if m.get_database_backend() == sea_orm::DbBackend::Postgres {
            m.get_connection().execute_unprepared("DROP SEQUENCE IF EXISTS code_seq_ord").await?;
        }
        Ok(())
    }
}
