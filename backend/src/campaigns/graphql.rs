//! GraphQL face of segments and campaigns: thin resolvers over
//! [`super::service`]. Campaigns are MANAGER work; VIEWERs may read them.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::model::{CampaignStatus, Channel, MessageStatus, campaign, message, segment};
use super::segment::{RuleGroup, SegmentField};
use super::service::{self, Action, CampaignInput as NewCampaign, Counts, SegmentInput as NewSegment};
use crate::auth::Role;
use crate::customers::graphql::Customer;
use crate::error::AppError;
use crate::events::DomainEvent;
use crate::graphql::connection::{self, IdCursor};
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, event_stream, opt_id, parse_id, principal};

/// A saved segment.
pub struct SavedSegment(pub segment::Model);

#[Object]
impl SavedSegment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The rule tree.
    async fn rules(&self) -> async_graphql::Result<RuleGroup> {
        super::segment::from_json(&self.0.rules).extend()
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A segment's audience before anything is sent.
#[derive(SimpleObject)]
pub struct SegmentPreview {
    /// Customers the rules select (blacklisted customers never count).
    pub count: i64,
    /// The first of them, by id.
    pub sample: Vec<Customer>,
}

/// A segment to save.
#[derive(InputObject)]
pub struct SegmentInput {
    pub name: String,
    pub description: Option<String>,
    pub rules: RuleGroup,
}

/// A campaign's messages by state; the numbers add up to `audience`.
#[derive(SimpleObject, Clone, Copy)]
pub struct CampaignCounts {
    /// Customers in the snapshot.
    pub audience: i64,
    /// Not settled yet: queued, being handed over, or waiting for the receipt.
    pub pending: i64,
    /// Of the pending: handed to the vendor, receipt not yet back.
    pub awaiting_receipt: i64,
    /// Confirmed delivered by a receipt.
    pub sent: i64,
    /// Failed (by receipt or after the last hand-over attempt).
    pub failed: i64,
    pub cancelled: i64,
    /// Not handed over before the window closed.
    pub expired: i64,
    /// Delivered out of delivered + failed, in basis points (9000 = 90%).
    pub delivery_rate_bp: i64,
}

impl From<Counts> for CampaignCounts {
    fn from(c: Counts) -> Self {
        let handed = c.delivered + c.failed;
        Self {
            audience: c.total(),
            pending: c.pending(),
            awaiting_receipt: c.sending + c.sent,
            sent: c.delivered,
            failed: c.failed,
            cancelled: c.cancelled,
            expired: c.expired,
            delivery_rate_bp: if handed == 0 { 0 } else { c.delivered * 10_000 / handed },
        }
    }
}

/// A campaign.
pub struct Campaign {
    pub model: campaign::Model,
    /// Counts already fetched with the list, if any.
    pub counts: Option<Counts>,
}

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    async fn channel(&self) -> Channel {
        self.model.channel
    }
    async fn status(&self) -> CampaignStatus {
        self.model.status
    }
    async fn segment(&self, ctx: &Context<'_>) -> async_graphql::Result<SavedSegment> {
        let id = self.model.segment_id;
        let found = loaders(ctx).segments.load_one(id).await.map_err(gql)?;
        Ok(SavedSegment(found.ok_or_else(|| AppError::NotFound(format!("segment {id}"))).extend()?))
    }
    /// The message with `{{placeholders}}`.
    async fn template(&self) -> &str {
        &self.model.template
    }
    async fn discount_code(&self) -> Option<&str> {
        self.model.discount_code.as_deref()
    }
    /// When sending starts (none: when started).
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.model.starts_at
    }
    /// Messages not handed over by then expire.
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.model.ends_at
    }
    async fn counts(&self, ctx: &Context<'_>) -> async_graphql::Result<CampaignCounts> {
        let c = match self.counts {
            Some(c) => c,
            None => service::counts_of(app(ctx).db.conn(), &[self.model.id])
                .await
                .extend()?
                .remove(&self.model.id)
                .unwrap_or_default(),
        };
        Ok(c.into())
    }
    /// The final counts, written when the campaign completed or was cancelled.
    async fn summary(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.model.summary.clone().map(async_graphql::Json)
    }
    async fn created_by(&self) -> &str {
        &self.model.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.model.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.model.completed_at
    }
}

/// One customer's message of a campaign.
pub struct CommunicationLogEntry(pub message::Model);

#[Object]
impl CommunicationLogEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn channel(&self) -> Channel {
        self.0.channel
    }
    /// The phone or email it went to.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    /// The message as rendered for this customer.
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn status(&self) -> MessageStatus {
        self.0.status
    }
    /// Sent to the vendor with the message; a retry carries the same key.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }
    /// Hand-over attempts.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn queued_at(&self) -> DateTime<Utc> {
        self.0.queued_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn receipt_at(&self) -> Option<DateTime<Utc>> {
        self.0.receipt_at
    }
}

crate::graphql::connection::connection!(CampaignConnection, CampaignEdge, Campaign);
crate::graphql::connection::connection!(CommunicationLogConnection, CommunicationLogEdge, CommunicationLogEntry);

/// A campaign to create or edit.
#[derive(InputObject)]
pub struct CampaignInput {
    pub name: String,
    pub channel: Channel,
    pub segment_id: ID,
    /// Text with `{{name}}`, `{{member_code}}`, `{{tier}}`, `{{city}}`,
    /// `{{discount_code}}`; any other placeholder is refused.
    pub template: String,
    pub discount_code: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl CampaignInput {
    fn into_new(self) -> async_graphql::Result<NewCampaign> {
        Ok(NewCampaign {
            segment_id: parse_id(&self.segment_id, "input.segmentId")?,
            name: self.name,
            channel: self.channel,
            template: self.template,
            discount_code: self.discount_code,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        })
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// The fields segments can test, with their operators and values.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn segment_fields(&self) -> Vec<SegmentField> {
        super::segment::fields()
    }

    /// The placeholders a message template may use.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn template_placeholders(&self) -> Vec<String> {
        super::template::PLACEHOLDERS.iter().map(|(n, _)| format!("{{{{{n}}}}}")).collect()
    }

    /// Saved segments, by name.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn segments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SavedSegment>> {
        Ok(service::segments(app(ctx)).await.extend()?.into_iter().map(SavedSegment).collect())
    }

    /// The audience of a rule tree: its size and a sample (at most 50).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn preview_segment(
        &self,
        ctx: &Context<'_>,
        rules: RuleGroup,
        #[graphql(default = 10)] sample: i32,
    ) -> async_graphql::Result<SegmentPreview> {
        let (count, rows) = service::preview(app(ctx), &rules, sample.max(0) as u64).await.extend()?;
        Ok(SegmentPreview { count: count as i64, sample: rows.into_iter().map(Customer).collect() })
    }

    /// Campaigns, newest first.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Viewer)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        statuses: Option<Vec<CampaignStatus>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CampaignConnection> {
        let app = app(ctx).clone();
        let first = connection::page_size(first).extend()?;
        let cursor: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let statuses = statuses.unwrap_or_default();
        let (rows, more) = service::list(&app, &statuses, first, cursor.map(|c| c.id)).await.extend()?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let mut counts: HashMap<i64, Counts> = service::counts_of(app.db.conn(), &ids).await.extend()?;
        let items = rows
            .into_iter()
            .map(|c| {
                let counts = Some(counts.remove(&c.id).unwrap_or_default());
                (connection::encode_cursor(&IdCursor { id: c.id }), Campaign { model: c, counts })
            })
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, statuses) = (app.clone(), statuses.clone());
            Box::pin(async move { service::count(&app, &statuses).await })
        });
        Ok(CampaignConnection::new(items, more, cursor.is_some(), counter))
    }

    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        let id = parse_id(&id, "id")?;
        Ok(Campaign { model: service::get(app(ctx), id).await.extend()?, counts: None })
    }

    /// A campaign's communication log, in snapshot order.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Manager)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn campaign_log(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        status: Option<MessageStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommunicationLogConnection> {
        let app = app(ctx).clone();
        let id = parse_id(&campaign_id, "campaignId")?;
        let first = connection::page_size(first).extend()?;
        let cursor: Option<IdCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let (rows, more) = service::log(&app, id, status, first, cursor.map(|c| c.id)).await.extend()?;
        let items = rows
            .into_iter()
            .map(|m| (connection::encode_cursor(&IdCursor { id: m.id }), CommunicationLogEntry(m)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let app = app.clone();
            Box::pin(async move { service::log_count(&app, id, status).await })
        });
        Ok(CommunicationLogConnection::new(items, more, cursor.is_some(), counter))
    }

    /// The message `customerId` would get from `template`.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn render_template(
        &self,
        ctx: &Context<'_>,
        template: String,
        discount_code: Option<String>,
        customer_id: ID,
    ) -> async_graphql::Result<String> {
        let customer = parse_id(&customer_id, "customerId")?;
        service::render_for(app(ctx), principal(ctx)?, &template, discount_code.as_deref(), customer).await.extend()
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Saves a new segment, or replaces segment `id`.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn save_segment(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        input: SegmentInput,
    ) -> async_graphql::Result<SavedSegment> {
        let id = opt_id(id.as_ref(), "id")?;
        let input = NewSegment { name: input.name, description: input.description, rules: input.rules };
        Ok(SavedSegment(service::save_segment(app(ctx), principal(ctx)?, id, input).await.extend()?))
    }

    /// Deletes a segment no campaign uses.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn delete_segment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        service::delete_segment(app(ctx), principal(ctx)?, parse_id(&id, "id")?).await.extend()?;
        Ok(true)
    }

    /// Creates a DRAFT campaign.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn create_campaign(&self, ctx: &Context<'_>, input: CampaignInput) -> async_graphql::Result<Campaign> {
        let c = service::create(app(ctx), principal(ctx)?, input.into_new()?).await.extend()?;
        Ok(Campaign { model: c, counts: None })
    }

    /// Edits a campaign that has not started sending.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&id, "id")?;
        let c = service::update(app(ctx), principal(ctx)?, id, input.into_new()?).await.extend()?;
        Ok(Campaign { model: c, counts: None })
    }

    /// DRAFT → RUNNING (the audience is taken now), or SCHEDULED when the
    /// window opens later.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn start_campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        act(ctx, id, Action::Start).await
    }

    /// RUNNING → PAUSED: no more messages are handed over.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn pause_campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        act(ctx, id, Action::Pause).await
    }

    /// PAUSED → RUNNING.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn resume_campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        act(ctx, id, Action::Resume).await
    }

    /// Cancels; messages not yet handed over are cancelled.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn cancel_campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        act(ctx, id, Action::Cancel).await
    }
}

async fn act(ctx: &Context<'_>, id: ID, action: Action) -> async_graphql::Result<Campaign> {
    let id = parse_id(&id, "id")?;
    let c = service::act(app(ctx), principal(ctx)?, id, action).await.extend()?;
    Ok(Campaign { model: c, counts: None })
}

/// A campaign's state and counts after a change.
pub struct CampaignProgress(DomainEvent);

#[Object]
impl CampaignProgress {
    /// The event's id, to resume after.
    async fn event_id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn campaign_id(&self) -> ID {
        ID(self.0.entity_id.to_string())
    }
    async fn status(&self) -> Option<CampaignStatus> {
        serde_json::from_value(self.0.data["status"].clone()).ok()
    }
    async fn counts(&self) -> Option<CampaignCounts> {
        let c = &self.0.data["counts"];
        let n = |k: &str| c[k].as_i64().unwrap_or_default();
        let (delivered, failed) = (n("delivered"), n("failed"));
        c.is_object().then(|| CampaignCounts {
            audience: n("audience"),
            pending: n("pending"),
            awaiting_receipt: n("awaitingReceipt"),
            sent: delivered,
            failed,
            cancelled: n("cancelled"),
            expired: n("expired"),
            delivery_rate_bp: if delivered + failed == 0 { 0 } else { delivered * 10_000 / (delivered + failed) },
        })
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

#[derive(Default)]
pub struct CampaignSubscription;

#[Subscription]
impl CampaignSubscription {
    /// Progress of one campaign (or of all): status changes and the counts
    /// as messages are handed over and receipts come back.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn campaign_progress(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
        after_event_id: Option<ID>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<CampaignProgress>>> {
        let only = opt_id(campaign_id.as_ref(), "campaignId")?;
        event_stream(
            ctx,
            after_event_id,
            move |e| e.entity_type == "campaign" && only.is_none_or(|id| e.entity_id == id),
            CampaignProgress,
        )
    }
}
