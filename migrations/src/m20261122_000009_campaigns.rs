//! Campaigns (DESIGN 4.6): saved segments, campaigns, the communication log
//! that is both the audience snapshot and the durable delivery queue, and
//! the built-in simulated vendor's own store of accepted messages.

use sea_orm_migration::prelude::*;

use crate::{pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    Name,
    Description,
    Rules,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    Channel,
    SegmentId,
    Rules,
    Template,
    DiscountCode,
    StartsAt,
    EndsAt,
    Status,
    Audience,
    Summary,
    CreatedBy,
    StartedAt,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommunicationLog {
    Table,
    Id,
    CampaignId,
    CustomerId,
    Channel,
    Recipient,
    Message,
    Status,
    IdempotencyKey,
    VendorMessageId,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    Error,
    QueuedAt,
    SentAt,
    ReceiptAt,
}

#[derive(DeriveIden)]
enum SimVendorMessages {
    Table,
    IdempotencyKey,
    VendorMessageId,
    Recipient,
    Accepted,
    Outcome,
    ReceiptPosted,
    AcceptedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Segments as S;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(pk(S::Id))
                .col(ColumnDef::new(S::Name).string_len(120).not_null().unique_key())
                .col(ColumnDef::new(S::Description).text().null())
                .col(ColumnDef::new(S::Rules).json().not_null())
                .col(ColumnDef::new(S::CreatedBy).string_len(64).not_null())
                .col(ts(S::CreatedAt))
                .col(ts(S::UpdatedAt))
                .to_owned(),
        )
        .await?;

        use Campaigns as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(pk(C::Id))
                .col(ColumnDef::new(C::Name).string_len(120).not_null())
                .col(ColumnDef::new(C::Channel).string_len(16).not_null())
                .col(ColumnDef::new(C::SegmentId).big_integer().not_null())
                .col(ColumnDef::new(C::Rules).json().null())
                .col(ColumnDef::new(C::Template).text().not_null())
                .col(ColumnDef::new(C::DiscountCode).string_len(64).null())
                .col(ColumnDef::new(C::StartsAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(C::EndsAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(C::Status).string_len(16).not_null())
                .col(ColumnDef::new(C::Audience).big_integer().not_null().default(0))
                .col(ColumnDef::new(C::Summary).json().null())
                .col(ColumnDef::new(C::CreatedBy).string_len(64).not_null())
                .col(ColumnDef::new(C::StartedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(C::CompletedAt).timestamp_with_time_zone().null())
                .col(ts(C::CreatedAt))
                .col(ts(C::UpdatedAt))
                .foreign_key(ForeignKey::create().from(C::Table, C::SegmentId).to(S::Table, S::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_campaigns_status").table(C::Table).col(C::Status).to_owned()).await?;

        use CommunicationLog as L;
        m.create_table(
            Table::create()
                .table(L::Table)
                .col(pk(L::Id))
                .col(ColumnDef::new(L::CampaignId).big_integer().not_null())
                .col(ColumnDef::new(L::CustomerId).big_integer().not_null())
                .col(ColumnDef::new(L::Channel).string_len(16).not_null())
                .col(ColumnDef::new(L::Recipient).string_len(200).not_null())
                .col(ColumnDef::new(L::Message).text().not_null())
                .col(ColumnDef::new(L::Status).string_len(16).not_null())
                .col(ColumnDef::new(L::IdempotencyKey).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(L::VendorMessageId).string_len(100).null())
                .col(ColumnDef::new(L::Attempts).integer().not_null().default(0))
                .col(ts(L::NextAttemptAt))
                .col(ColumnDef::new(L::LockedUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(L::Error).text().null())
                .col(ts(L::QueuedAt))
                .col(ColumnDef::new(L::SentAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(L::ReceiptAt).timestamp_with_time_zone().null())
                .foreign_key(ForeignKey::create().from(L::Table, L::CampaignId).to(C::Table, C::Id))
                .foreign_key(ForeignKey::create().from(L::Table, L::CustomerId).to(Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            // One message per customer per campaign: the snapshot is idempotent.
            ("idx_comlog_campaign_customer", vec![L::CampaignId, L::CustomerId], true),
            // Counts by status, and the queue's claim (status, then id order).
            ("idx_comlog_campaign_status", vec![L::CampaignId, L::Status, L::Id], false),
            ("idx_comlog_status", vec![L::Status, L::Id], false),
            ("idx_comlog_customer", vec![L::CustomerId, L::Id], false),
            // The dashboard's delivery figures for a period.
            ("idx_comlog_receipt", vec![L::ReceiptAt, L::Status], false),
        ] {
            let mut idx = Index::create().name(name).table(L::Table).to_owned();
            if unique {
                idx.unique();
            }
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }

        use SimVendorMessages as V;
        m.create_table(
            Table::create()
                .table(V::Table)
                .col(ColumnDef::new(V::IdempotencyKey).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(V::VendorMessageId).string_len(100).not_null())
                .col(ColumnDef::new(V::Recipient).string_len(200).not_null())
                .col(ColumnDef::new(V::Accepted).integer().not_null().default(1))
                .col(ColumnDef::new(V::Outcome).string_len(16).not_null())
                .col(ColumnDef::new(V::ReceiptPosted).boolean().not_null().default(false))
                .col(ts(V::AcceptedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sim_vendor_pending")
                .table(V::Table)
                .col(V::ReceiptPosted)
                .col(V::AcceptedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SimVendorMessages::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(CommunicationLog::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Campaigns::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Segments::Table).to_owned()).await?;
        Ok(())
    }
}
