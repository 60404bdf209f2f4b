//! Foundation: staff users, API keys, customers with notes and timeline,
//! empty wallets, the hash-chained audit log and human-code sequences.

use sea_orm_migration::prelude::*;

use crate::{money, pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Prefix,
    KeyHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    MemberCode,
    Name,
    Phone,
    Email,
    Address,
    City,
    Birthday,
    Anniversary,
    Tier,
    CustomerType,
    LifecycleStage,
    Temperature,
    Status,
    Tags,
    AssignedAgentId,
    ExternalIds,
    TicketCount,
    ReturnCount,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Wallets {
    Table,
    Id,
    CustomerId,
    RealBalance,
    VirtualBalance,
    Points,
    TotalDeposited,
    TotalWithdrawn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerNotes {
    Table,
    Id,
    CustomerId,
    AuthorId,
    Body,
    Pinned,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    CustomerId,
    Kind,
    Summary,
    Data,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Actor,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
    CreatedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}

#[derive(DeriveIden)]
enum CodeSequences {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk(Users::Id))
                .col(ColumnDef::new(Users::Email).string_len(320).not_null().unique_key())
                .col(ColumnDef::new(Users::Name).string_len(200).not_null())
                .col(ColumnDef::new(Users::Role).string_len(16).not_null())
                .col(ColumnDef::new(Users::PasswordHash).string().not_null())
                .col(ColumnDef::new(Users::Active).boolean().not_null().default(true))
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .col(ColumnDef::new(Users::LastLoginAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(pk(ApiKeys::Id))
                .col(ColumnDef::new(ApiKeys::Name).string_len(200).not_null())
                .col(ColumnDef::new(ApiKeys::Prefix).string_len(32).not_null())
                .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ApiKeys::Scopes).string_len(64).not_null())
                .col(ColumnDef::new(ApiKeys::CreatedBy).big_integer().not_null())
                .col(ts(ApiKeys::CreatedAt))
                .col(ColumnDef::new(ApiKeys::RevokedAt).timestamp_with_time_zone().null())
                .foreign_key(ForeignKey::create().from(ApiKeys::Table, ApiKeys::CreatedBy).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(pk(Customers::Id))
                .col(ColumnDef::new(Customers::MemberCode).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(Customers::Name).string_len(200).not_null())
                .col(ColumnDef::new(Customers::Phone).string_len(20).not_null().unique_key())
                .col(ColumnDef::new(Customers::Email).string_len(320).null())
                .col(ColumnDef::new(Customers::Address).string_len(500).null())
                .col(ColumnDef::new(Customers::City).string_len(100).null())
                .col(ColumnDef::new(Customers::Birthday).date().null())
                .col(ColumnDef::new(Customers::Anniversary).date().null())
                .col(ColumnDef::new(Customers::Tier).string_len(16).not_null().default("NEW"))
                .col(ColumnDef::new(Customers::CustomerType).string_len(16).not_null().default("NEW"))
                .col(ColumnDef::new(Customers::LifecycleStage).string_len(16).not_null().default("PROSPECT"))
                .col(ColumnDef::new(Customers::Temperature).string_len(8).not_null().default("COLD"))
                .col(ColumnDef::new(Customers::Status).string_len(16).not_null().default("ACTIVE"))
                .col(ColumnDef::new(Customers::Tags).json().not_null())
                .col(ColumnDef::new(Customers::AssignedAgentId).big_integer().null())
                .col(ColumnDef::new(Customers::ExternalIds).json().not_null())
                .col(ColumnDef::new(Customers::TicketCount).integer().not_null().default(0))
                .col(ColumnDef::new(Customers::ReturnCount).integer().not_null().default(0))
                .col(ColumnDef::new(Customers::SearchText).string_len(1000).not_null())
                .col(ts(Customers::CreatedAt))
                .col(ts(Customers::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(Customers::Table, Customers::AssignedAgentId).to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_customers_tier", Customers::Tier),
            ("idx_customers_status", Customers::Status),
            ("idx_customers_agent", Customers::AssignedAgentId),
            ("idx_customers_created", Customers::CreatedAt),
            ("idx_customers_name", Customers::Name),
            ("idx_customers_email", Customers::Email),
        ] {
            m.create_index(Index::create().name(name).table(Customers::Table).col(col).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(Wallets::Table)
                .col(pk(Wallets::Id))
                .col(ColumnDef::new(Wallets::CustomerId).big_integer().not_null().unique_key())
                .col(money(Wallets::RealBalance))
                .col(money(Wallets::VirtualBalance))
                .col(ColumnDef::new(Wallets::Points).big_integer().not_null().default(0))
                .col(money(Wallets::TotalDeposited))
                .col(money(Wallets::TotalWithdrawn))
                .col(ts(Wallets::CreatedAt))
                .col(ts(Wallets::UpdatedAt))
                .check(Expr::col(Wallets::RealBalance).gte(0))
                .check(Expr::col(Wallets::VirtualBalance).gte(0))
                .check(Expr::col(Wallets::Points).gte(0))
                .foreign_key(
                    ForeignKey::create().from(Wallets::Table, Wallets::CustomerId).to(Customers::Table, Customers::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CustomerNotes::Table)
                .col(pk(CustomerNotes::Id))
                .col(ColumnDef::new(CustomerNotes::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(CustomerNotes::AuthorId).big_integer().null())
                .col(ColumnDef::new(CustomerNotes::Body).text().not_null())
                .col(ColumnDef::new(CustomerNotes::Pinned).boolean().not_null().default(false))
                .col(ts(CustomerNotes::CreatedAt))
                .col(ts(CustomerNotes::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CustomerNotes::Table, CustomerNotes::CustomerId)
                        .to(Customers::Table, Customers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notes_customer")
                .table(CustomerNotes::Table)
                .col(CustomerNotes::CustomerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Activities::Table)
                .col(pk(Activities::Id))
                .col(ColumnDef::new(Activities::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(Activities::Kind).string_len(48).not_null())
                .col(ColumnDef::new(Activities::Summary).string_len(500).not_null())
                .col(ColumnDef::new(Activities::Data).json().not_null())
                .col(ColumnDef::new(Activities::Actor).string_len(64).not_null())
                .col(ts(Activities::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Activities::Table, Activities::CustomerId)
                        .to(Customers::Table, Customers::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_activities_customer")
                .table(Activities::Table)
                .col(Activities::CustomerId)
                .col(Activities::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk(AuditLog::Id))
                .col(ColumnDef::new(AuditLog::Actor).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::EntityType).string_len(32).not_null())
                .col(ColumnDef::new(AuditLog::EntityId).string_len(64).null())
                .col(ColumnDef::new(AuditLog::Before).json().null())
                .col(ColumnDef::new(AuditLog::After).json().null())
                .col(ts(AuditLog::CreatedAt))
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null().unique_key())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_entity")
                .table(AuditLog::Table)
                .col(AuditLog::EntityType)
                .col(AuditLog::EntityId)
                .to_owned(),
        )
        .await?;

        // One row that every audit write locks: it serialises the chain.
        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(ColumnDef::new(AuditHead::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(AuditHead::LastId).big_integer().not_null())
                .col(ColumnDef::new(AuditHead::LastHash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::LastId, AuditHead::LastHash])
                .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CodeSequences::Table)
                .col(ColumnDef::new(CodeSequences::Name).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(CodeSequences::Value).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CodeSequences::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Activities::Table.into_iden(),
            CustomerNotes::Table.into_iden(),
            Wallets::Table.into_iden(),
            Customers::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
