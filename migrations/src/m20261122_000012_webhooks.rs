//! Outgoing webhooks (issue 9): the endpoints admins register, the outbox
//! of domain events written in the same transaction as the change that
//! raised them, one delivery per endpoint and event (unique), and every
//! attempt to send one.

use sea_orm_migration::prelude::*;

use crate::{pk, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Secret,
    Active,
    DisabledReason,
    DisabledAt,
    ConsecutiveFailures,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    EventId,
    Kind,
    CustomerId,
    OccurredAt,
    Payload,
    FannedOut,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventRowId,
    Status,
    Attempts,
    Replays,
    NextAttemptAt,
    LockedUntil,
    LastStatusCode,
    LastError,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    LatencyMs,
    Error,
    Success,
    Replay,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use WebhookEndpoints as E;
        m.create_table(
            Table::create()
                .table(E::Table)
                .col(pk(E::Id))
                .col(ColumnDef::new(E::Url).string_len(2048).not_null())
                .col(ColumnDef::new(E::Description).string_len(200).null())
                // JSON array of patterns: `["wallet.*", "ticket.status_changed"]`.
                .col(ColumnDef::new(E::EventTypes).text().not_null())
                .col(ColumnDef::new(E::Secret).string_len(128).not_null())
                .col(ColumnDef::new(E::Active).boolean().not_null().default(true))
                .col(ColumnDef::new(E::DisabledReason).text().null())
                .col(ColumnDef::new(E::DisabledAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(E::ConsecutiveFailures).integer().not_null().default(0))
                .col(ColumnDef::new(E::CreatedBy).string_len(64).not_null())
                .col(ts(E::CreatedAt))
                .col(ts(E::UpdatedAt))
                .to_owned(),
        )
        .await?;

        use WebhookEvents as V;
        m.create_table(
            Table::create()
                .table(V::Table)
                .col(pk(V::Id))
                .col(ColumnDef::new(V::EventId).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(V::Kind).string_len(64).not_null())
                .col(ColumnDef::new(V::CustomerId).big_integer().null())
                .col(ts(V::OccurredAt))
                // The exact body every endpoint receives.
                .col(ColumnDef::new(V::Payload).text().not_null())
                .col(ColumnDef::new(V::FannedOut).boolean().not_null().default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_webhook_events_fan_out").table(V::Table).col(V::FannedOut).col(V::Id).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_webhook_events_occurred").table(V::Table).col(V::OccurredAt).to_owned(),
        )
        .await?;

        use WebhookDeliveries as D;
        m.create_table(
            Table::create()
                .table(D::Table)
                .col(pk(D::Id))
                .col(ColumnDef::new(D::EndpointId).big_integer().not_null())
                .col(ColumnDef::new(D::EventRowId).big_integer().not_null())
                .col(ColumnDef::new(D::Status).string_len(16).not_null())
                .col(ColumnDef::new(D::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(D::Replays).integer().not_null().default(0))
                .col(ts(D::NextAttemptAt))
                .col(ColumnDef::new(D::LockedUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(D::LastStatusCode).integer().null())
                .col(ColumnDef::new(D::LastError).text().null())
                .col(ts(D::CreatedAt))
                .col(ts(D::UpdatedAt))
                .col(ColumnDef::new(D::DeliveredAt).timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(D::Table, D::EndpointId)
                        .to(E::Table, E::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(ForeignKey::create().from(D::Table, D::EventRowId).to(V::Table, V::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_webhook_deliveries_endpoint_event")
                .table(D::Table)
                .col(D::EndpointId)
                .col(D::EventRowId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table(D::Table)
                .col(D::Status)
                .col(D::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        use WebhookAttempts as A;
        m.create_table(
            Table::create()
                .table(A::Table)
                .col(pk(A::Id))
                .col(ColumnDef::new(A::DeliveryId).big_integer().not_null())
                .col(ts(A::AttemptedAt))
                .col(ColumnDef::new(A::StatusCode).integer().null())
                .col(ColumnDef::new(A::LatencyMs).big_integer().not_null())
                .col(ColumnDef::new(A::Error).text().null())
                .col(ColumnDef::new(A::Success).boolean().not_null())
                .col(ColumnDef::new(A::Replay).boolean().not_null().default(false))
                .foreign_key(
                    ForeignKey::create()
                        .from(A::Table, A::DeliveryId)
                        .to(D::Table, D::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_attempts_delivery")
                .table(A::Table)
                .col(A::DeliveryId)
                .col(A::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookAttempts::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WebhookEvents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned()).await?;
        Ok(())
    }
}
