//! Wallets as a ledger: the immutable `wallet_transactions` ledger (one row
//! per movement, with balances before and after), virtual credits with
//! their expiry, and incoming bank transfers with their matching state.

use sea_orm_migration::prelude::*;

use crate::{money, pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Wallets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WalletTransactions {
    Table,
    Id,
    Code,
    WalletId,
    CustomerId,
    Kind,
    Amount,
    RealBefore,
    RealAfter,
    VirtualBefore,
    VirtualAfter,
    PointsBefore,
    PointsAfter,
    Source,
    Reference,
    Note,
    Credits,
    Actor,
    IdempotencyKey,
    RequestHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VirtualCredits {
    Table,
    Id,
    WalletId,
    CustomerId,
    Amount,
    Remaining,
    Status,
    Reason,
    Source,
    SourceRef,
    ExpiresAt,
    IssuedTransactionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BankTransfers {
    Table,
    Id,
    ProviderId,
    Gateway,
    AccountNumber,
    Direction,
    Amount,
    Content,
    ReferenceCode,
    TransferredAt,
    ReceivedAt,
    Status,
    MatchMethod,
    Candidates,
    CustomerId,
    DepositTransactionId,
    LinkedBy,
    LinkedAt,
    Raw,
    UpdatedAt,
}

fn balance(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use WalletTransactions as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .col(pk(T::Id))
                .col(ColumnDef::new(T::Code).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(T::WalletId).big_integer().not_null())
                .col(ColumnDef::new(T::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(T::Kind).string_len(24).not_null())
                .col(money(T::Amount))
                .col(balance(T::RealBefore))
                .col(balance(T::RealAfter))
                .col(balance(T::VirtualBefore))
                .col(balance(T::VirtualAfter))
                .col(balance(T::PointsBefore))
                .col(balance(T::PointsAfter))
                .col(ColumnDef::new(T::Source).string_len(24).null())
                .col(ColumnDef::new(T::Reference).string_len(200).null())
                .col(ColumnDef::new(T::Note).string_len(1000).null())
                .col(ColumnDef::new(T::Credits).json().null())
                .col(ColumnDef::new(T::Actor).string_len(64).not_null())
                .col(ColumnDef::new(T::IdempotencyKey).string_len(200).null().unique_key())
                .col(ColumnDef::new(T::RequestHash).string_len(64).null())
                .col(ts(T::CreatedAt))
                .check(Expr::col(T::RealAfter).gte(0))
                .check(Expr::col(T::VirtualAfter).gte(0))
                .check(Expr::col(T::PointsAfter).gte(0))
                .foreign_key(ForeignKey::create().from(T::Table, T::WalletId).to(Wallets::Table, Wallets::Id))
                .foreign_key(ForeignKey::create().from(T::Table, T::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_wallet_tx_wallet").table(T::Table).col(T::WalletId).col(T::Id).to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_wallet_tx_created").table(T::Table).col(T::CreatedAt).to_owned())
            .await?;

        use VirtualCredits as V;
        m.create_table(
            Table::create()
                .table(V::Table)
                .col(pk(V::Id))
                .col(ColumnDef::new(V::WalletId).big_integer().not_null())
                .col(ColumnDef::new(V::CustomerId).big_integer().not_null())
                .col(money(V::Amount))
                .col(money(V::Remaining))
                .col(ColumnDef::new(V::Status).string_len(16).not_null())
                .col(ColumnDef::new(V::Reason).string_len(500).not_null())
                .col(ColumnDef::new(V::Source).string_len(24).not_null())
                .col(ColumnDef::new(V::SourceRef).string_len(200).null())
                .col(ts(V::ExpiresAt))
                .col(ColumnDef::new(V::IssuedTransactionId).big_integer().null())
                .col(ts(V::CreatedAt))
                .col(ts(V::UpdatedAt))
                .check(Expr::col(V::Remaining).gte(0))
                .check(Expr::col(V::Remaining).lte(Expr::col(V::Amount)))
                .foreign_key(ForeignKey::create().from(V::Table, V::WalletId).to(Wallets::Table, Wallets::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_credits_wallet")
                .table(V::Table)
                .col(V::WalletId)
                .col(V::Status)
                .col(V::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_credits_due").table(V::Table).col(V::Status).col(V::ExpiresAt).to_owned(),
        )
        .await?;

        if m.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Numbers of the ledger codes on PostgreSQL (see Db::next_code_number).
            m.get_connection().execute_unprepared("CREATE SEQUENCE IF NOT EXISTS code_seq_trx").await?;
        }

        use BankTransfers as B;
        m.create_table(
            Table::create()
                .table(B::Table)
                .col(pk(B::Id))
                .col(ColumnDef::new(B::ProviderId).string_len(100).not_null().unique_key())
                .col(ColumnDef::new(B::Gateway).string_len(100).null())
                .col(ColumnDef::new(B::AccountNumber).string_len(50).null())
                .col(ColumnDef::new(B::Direction).string_len(8).not_null())
                .col(money(B::Amount))
                .col(ColumnDef::new(B::Content).string_len(1000).not_null())
                .col(ColumnDef::new(B::ReferenceCode).string_len(100).null())
                .col(ts(B::TransferredAt))
                .col(ts(B::ReceivedAt))
                .col(ColumnDef::new(B::Status).string_len(16).not_null())
                .col(ColumnDef::new(B::MatchMethod).string_len(16).null())
                .col(ColumnDef::new(B::Candidates).json().not_null())
                .col(ColumnDef::new(B::CustomerId).big_integer().null())
                .col(ColumnDef::new(B::DepositTransactionId).big_integer().null())
                .col(ColumnDef::new(B::LinkedBy).string_len(64).null())
                .col(ColumnDef::new(B::LinkedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(B::Raw).json().not_null())
                .col(ts(B::UpdatedAt))
                .foreign_key(ForeignKey::create().from(B::Table, B::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_bank_transfers_status")
                .table(B::Table)
                .col(B::Status)
                .col(B::TransferredAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_bank_transfers_date").table(B::Table).col(B::TransferredAt).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_bank_transfers_customer").table(B::Table).col(B::CustomerId).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BankTransfers::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(VirtualCredits::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WalletTransactions::Table).to_owned()).await?;
        if m.get_database_backend() == sea_orm::DbBackend::Postgres {
            m.get_connection().execute_unprepared("DROP SEQUENCE IF EXISTS code_seq_trx").await?;
        }
        Ok(())
    }
}
