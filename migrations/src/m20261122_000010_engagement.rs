//! Engagement (DESIGN 4.1, CDM extras): the interactions staff log with a
//! customer (calls, messages, visits) with their follow-up dates, and the
//! customer's family members with their birthdays.

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
enum Interactions {
    Table,
    Id,
    CustomerId,
    AgentId,
    Channel,
    Direction,
    Outcome,
    Notes,
    FollowUpDate,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FamilyMembers {
    Table,
    Id,
    CustomerId,
    Name,
    Relationship,
    Birthday,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Interactions as I;
        m.create_table(
            Table::create()
                .table(I::Table)
                .col(pk(I::Id))
                .col(ColumnDef::new(I::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(I::AgentId).big_integer().null())
                .col(ColumnDef::new(I::Channel).string_len(16).not_null())
                .col(ColumnDef::new(I::Direction).string_len(16).not_null())
                .col(ColumnDef::new(I::Outcome).string_len(200).not_null())
                .col(ColumnDef::new(I::Notes).text().null())
                .col(ColumnDef::new(I::FollowUpDate).date().null())
                .col(ts(I::OccurredAt))
                .col(ts(I::CreatedAt))
                .foreign_key(ForeignKey::create().from(I::Table, I::CustomerId).to(Customers::Table, Customers::Id))
                .foreign_key(ForeignKey::create().from(I::Table, I::AgentId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_interactions_customer")
                .table(I::Table)
                .col(I::CustomerId)
                .col(I::OccurredAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_interactions_follow_up").table(I::Table).col(I::FollowUpDate).to_owned(),
        )
        .await?;

        use FamilyMembers as F;
        m.create_table(
            Table::create()
                .table(F::Table)
                .col(pk(F::Id))
                .col(ColumnDef::new(F::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(F::Name).string_len(200).not_null())
                .col(ColumnDef::new(F::Relationship).string_len(16).not_null())
                .col(ColumnDef::new(F::Birthday).date().null())
                .col(ts(F::CreatedAt))
                .col(ts(F::UpdatedAt))
                .foreign_key(ForeignKey::create().from(F::Table, F::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_family_members_customer").table(F::Table).col(F::CustomerId).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FamilyMembers::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Interactions::Table).to_owned()).await?;
        Ok(())
    }
}
