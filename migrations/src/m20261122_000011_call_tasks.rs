//! CRM automation (DESIGN 4.7): the daily call tasks of the agents and the
//! product recommendation rules shown with them.
//!
//! `call_tasks` is unique per business day, customer and kind, so that the
//! daily generation can run again (or on two instances at once) and insert
//! nothing twice.

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
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CallTasks {
    Table,
    Id,
    DueDate,
    CustomerId,
    Kind,
    Priority,
    AgentId,
    Status,
    Outcome,
    Notes,
    CompletedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecommendationRules {
    Table,
    Id,
    CustomerType,
    Category,
    ProductSku,
    DiscountPercent,
    Active,
    Priority,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CallTasks as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .col(pk(T::Id))
                .col(ColumnDef::new(T::DueDate).date().not_null())
                .col(ColumnDef::new(T::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(T::Kind).string_len(16).not_null())
                .col(ColumnDef::new(T::Priority).string_len(8).not_null())
                .col(ColumnDef::new(T::AgentId).big_integer().null())
                .col(ColumnDef::new(T::Status).string_len(16).not_null())
                .col(ColumnDef::new(T::Outcome).string_len(16).null())
                .col(ColumnDef::new(T::Notes).text().null())
                .col(ColumnDef::new(T::CompletedAt).timestamp_with_time_zone().null())
                .col(ts(T::CreatedAt))
                .foreign_key(ForeignKey::create().from(T::Table, T::CustomerId).to(Customers::Table, Customers::Id))
                .foreign_key(ForeignKey::create().from(T::Table, T::AgentId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_call_tasks_day_customer_kind")
                .table(T::Table)
                .col(T::DueDate)
                .col(T::CustomerId)
                .col(T::Kind)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_call_tasks_agent_day").table(T::Table).col(T::AgentId).col(T::DueDate).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_call_tasks_customer_kind")
                .table(T::Table)
                .col(T::CustomerId)
                .col(T::Kind)
                .col(T::DueDate)
                .to_owned(),
        )
        .await?;

        use RecommendationRules as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(pk(R::Id))
                .col(ColumnDef::new(R::CustomerType).string_len(16).null())
                .col(ColumnDef::new(R::Category).string_len(100).not_null())
                .col(ColumnDef::new(R::ProductSku).string_len(64).not_null())
                .col(ColumnDef::new(R::DiscountPercent).integer().not_null().default(0))
                .col(ColumnDef::new(R::Active).boolean().not_null().default(true))
                .col(ColumnDef::new(R::Priority).integer().not_null().default(0))
                .col(ts(R::CreatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RecommendationRules::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(CallTasks::Table).to_owned()).await?;
        Ok(())
    }
}
