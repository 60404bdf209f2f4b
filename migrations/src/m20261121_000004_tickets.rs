//! Tickets (DESIGN 4.4): the after-sales cases, their history (every
//! change, note and status move, with who and when) and the compensations
//! they paid out (each one pointing at the ledger row it wrote).

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
enum WalletTransactions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    Code,
    CustomerId,
    Kind,
    Status,
    Priority,
    OrderRef,
    Carrier,
    CarrierDeadline,
    AssigneeId,
    Description,
    Attachments,
    Resolution,
    SearchText,
    FirstResponseAt,
    FirstResponseSeconds,
    CompletedAt,
    ResolutionSeconds,
    CancelledAt,
    OverdueFlaggedAt,
    StatsCounted,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    TicketId,
    Kind,
    FromStatus,
    ToStatus,
    Changes,
    Body,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TicketCompensations {
    Table,
    Id,
    TicketId,
    Kind,
    Amount,
    TransactionId,
    ApprovedBy,
    Note,
    IdempotencyKey,
    Actor,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Tickets as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .col(pk(T::Id))
                .col(ColumnDef::new(T::Code).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(T::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(T::Kind).string_len(16).not_null())
                .col(ColumnDef::new(T::Status).string_len(16).not_null())
                .col(ColumnDef::new(T::Priority).string_len(8).not_null())
                .col(ColumnDef::new(T::OrderRef).string_len(100).null())
                .col(ColumnDef::new(T::Carrier).string_len(100).null())
                .col(ColumnDef::new(T::CarrierDeadline).timestamp_with_time_zone().null())
                .col(ColumnDef::new(T::AssigneeId).big_integer().null())
                .col(ColumnDef::new(T::Description).text().not_null())
                .col(ColumnDef::new(T::Attachments).json().not_null())
                .col(ColumnDef::new(T::Resolution).text().null())
                .col(ColumnDef::new(T::SearchText).text().not_null())
                .col(ColumnDef::new(T::FirstResponseAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(T::FirstResponseSeconds).big_integer().null())
                .col(ColumnDef::new(T::CompletedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(T::ResolutionSeconds).big_integer().null())
                .col(ColumnDef::new(T::CancelledAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(T::OverdueFlaggedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(T::StatsCounted).boolean().not_null().default(false))
                .col(ColumnDef::new(T::CreatedBy).string_len(64).not_null())
                .col(ts(T::CreatedAt))
                .col(ts(T::UpdatedAt))
                .foreign_key(ForeignKey::create().from(T::Table, T::CustomerId).to(Customers::Table, Customers::Id))
                .foreign_key(ForeignKey::create().from(T::Table, T::AssigneeId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_tickets_status", vec![T::Status, T::Id]),
            ("idx_tickets_customer", vec![T::CustomerId, T::Id]),
            ("idx_tickets_assignee", vec![T::AssigneeId, T::Id]),
            ("idx_tickets_deadline", vec![T::CarrierDeadline]),
            ("idx_tickets_created", vec![T::CreatedAt]),
        ] {
            let mut idx = Index::create().name(name).table(T::Table).to_owned();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }

        use TicketEvents as E;
        m.create_table(
            Table::create()
                .table(E::Table)
                .col(pk(E::Id))
                .col(ColumnDef::new(E::TicketId).big_integer().not_null())
                .col(ColumnDef::new(E::Kind).string_len(24).not_null())
                .col(ColumnDef::new(E::FromStatus).string_len(16).null())
                .col(ColumnDef::new(E::ToStatus).string_len(16).null())
                .col(ColumnDef::new(E::Changes).json().null())
                .col(ColumnDef::new(E::Body).text().null())
                .col(ColumnDef::new(E::Actor).string_len(64).not_null())
                .col(ts(E::CreatedAt))
                .foreign_key(ForeignKey::create().from(E::Table, E::TicketId).to(T::Table, T::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_ticket_events_ticket").table(E::Table).col(E::TicketId).col(E::Id).to_owned(),
        )
        .await?;

        use TicketCompensations as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(pk(C::Id))
                .col(ColumnDef::new(C::TicketId).big_integer().not_null())
                .col(ColumnDef::new(C::Kind).string_len(16).not_null())
                .col(ColumnDef::new(C::Amount).big_integer().not_null().default(0))
                .col(ColumnDef::new(C::TransactionId).big_integer().null())
                .col(ColumnDef::new(C::ApprovedBy).string_len(64).null())
                .col(ColumnDef::new(C::Note).string_len(1000).null())
                .col(ColumnDef::new(C::IdempotencyKey).string_len(200).null().unique_key())
                .col(ColumnDef::new(C::Actor).string_len(64).not_null())
                .col(ts(C::CreatedAt))
                .foreign_key(ForeignKey::create().from(C::Table, C::TicketId).to(T::Table, T::Id))
                .foreign_key(
                    ForeignKey::create()
                        .from(C::Table, C::TransactionId)
                        .to(WalletTransactions::Table, WalletTransactions::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_ticket_comp_ticket").table(C::Table).col(C::TicketId).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TicketCompensations::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(TicketEvents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Tickets::Table).to_owned()).await?;
        Ok(())
    }
}
