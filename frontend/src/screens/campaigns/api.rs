//! The campaign screens' calls: campaigns and their log, the editor's
//! fields, segments, audience preview and template rendering, and the
//! `campaignProgress` subscription.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::rules::{Rules, SegmentField};
use crate::api::{Api, ApiError, Connection, CustomerTier, Page};

const CAMPAIGNS: &str = include_str!("campaigns.graphql");
const SEGMENTS: &str = include_str!("segments.graphql");
const SETUP: &str = include_str!("setup.graphql");
/// The `campaignProgress` subscription.
pub const PROGRESS: &str = include_str!("progress.graphql");

/// Campaigns per page of the list.
const LIST_PAGE_SIZE: i32 = 25;
/// Log entries per page.
const LOG_PAGE_SIZE: i32 = 50;
/// Customers shown from a previewed audience.
const SAMPLE_SIZE: i32 = 5;

/// Where a campaign is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
    #[serde(other)]
    Unknown,
}

impl CampaignStatus {
    /// Every status, for the list's filter.
    pub const ALL: [CampaignStatus; 6] = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Running,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
    ];

    /// The GraphQL enum value.
    pub fn as_graphql(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "DRAFT",
            CampaignStatus::Scheduled => "SCHEDULED",
            CampaignStatus::Running => "RUNNING",
            CampaignStatus::Paused => "PAUSED",
            CampaignStatus::Completed => "COMPLETED",
            CampaignStatus::Cancelled | CampaignStatus::Unknown => "CANCELLED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "Draft",
            CampaignStatus::Scheduled => "Scheduled",
            CampaignStatus::Running => "Running",
            CampaignStatus::Paused => "Paused",
            CampaignStatus::Completed => "Completed",
            CampaignStatus::Cancelled => "Cancelled",
            CampaignStatus::Unknown => "Unknown",
        }
    }

    /// The badge colour.
    pub fn tone(self) -> &'static str {
        match self {
            CampaignStatus::Running => "info",
            CampaignStatus::Scheduled | CampaignStatus::Paused => "warning",
            CampaignStatus::Completed => "success",
            CampaignStatus::Cancelled => "danger",
            CampaignStatus::Draft | CampaignStatus::Unknown => "neutral",
        }
    }

    /// Whether the campaign can still be edited.
    pub fn editable(self) -> bool {
        matches!(self, CampaignStatus::Draft | CampaignStatus::Scheduled)
    }
}

/// The channel messages go out on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    #[default]
    Sms,
    Email,
    Whatsapp,
    Push,
    #[serde(other)]
    Unknown,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Sms, Channel::Email, Channel::Whatsapp, Channel::Push];

    pub fn as_graphql(self) -> &'static str {
        match self {
            Channel::Sms | Channel::Unknown => "SMS",
            Channel::Email => "EMAIL",
            Channel::Whatsapp => "WHATSAPP",
            Channel::Push => "PUSH",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Sms => "SMS",
            Channel::Email => "Email",
            Channel::Whatsapp => "WhatsApp",
            Channel::Push => "Push",
            Channel::Unknown => "Other",
        }
    }

    /// The channel named by a `<select>`'s value.
    pub fn from_graphql(value: &str) -> Channel {
        Channel::ALL.into_iter().find(|c| c.as_graphql() == value).unwrap_or_default()
    }
}

/// The state of one message of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Cancelled,
    Expired,
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 7] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Failed,
        MessageStatus::Cancelled,
        MessageStatus::Expired,
    ];

    pub fn as_graphql(self) -> &'static str {
        match self {
            MessageStatus::Queued | MessageStatus::Unknown => "QUEUED",
            MessageStatus::Sending => "SENDING",
            MessageStatus::Sent => "SENT",
            MessageStatus::Delivered => "DELIVERED",
            MessageStatus::Failed => "FAILED",
            MessageStatus::Cancelled => "CANCELLED",
            MessageStatus::Expired => "EXPIRED",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            MessageStatus::Delivered => "success",
            MessageStatus::Failed => "danger",
            MessageStatus::Sending | MessageStatus::Sent => "info",
            MessageStatus::Cancelled | MessageStatus::Expired => "warning",
            MessageStatus::Queued | MessageStatus::Unknown => "neutral",
        }
    }
}

/// A campaign's messages by state; they add up to `audience`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counts {
    pub audience: i64,
    pub pending: i64,
    pub awaiting_receipt: i64,
    /// Confirmed delivered.
    pub sent: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub expired: i64,
    /// Delivered out of delivered + failed, in basis points.
    pub delivery_rate_bp: i64,
}

impl Counts {
    /// Settled messages (delivered or failed) in percent of the audience.
    pub fn done_percent(&self) -> f64 {
        if self.audience == 0 { 0.0 } else { (self.sent + self.failed) as f64 * 100.0 / self.audience as f64 }
    }

    /// `90.5 %`, or a dash before any receipt.
    pub fn delivery_rate(&self) -> String {
        if self.sent + self.failed == 0 {
            "—".to_owned()
        } else {
            format!("{}.{} %", self.delivery_rate_bp / 100, self.delivery_rate_bp % 100 / 10)
        }
    }
}

/// A campaign as the list shows it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub channel: Channel,
    pub status: CampaignStatus,
    pub created_at: String,
    pub counts: Counts,
}

/// The segment a campaign sends to.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SegmentRef {
    pub id: String,
    pub name: String,
}

/// One campaign, in full.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub channel: Channel,
    pub status: CampaignStatus,
    pub segment: SegmentRef,
    pub template: String,
    pub discount_code: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub counts: Counts,
    /// The final counts, once completed or cancelled.
    pub summary: Option<Value>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// A campaign to create or edit (`CampaignInput`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignInput {
    pub name: String,
    pub channel: Channel,
    pub segment_id: String,
    pub template: String,
    pub discount_code: Option<String>,
    /// RFC 3339.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
}

/// A status change or new counts of a campaign (`campaignProgress`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub campaign_id: String,
    pub status: Option<CampaignStatus>,
    pub counts: Option<Counts>,
}

/// One message of the communication log.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub id: String,
    pub customer_id: String,
    pub recipient: String,
    pub message: String,
    pub status: MessageStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub queued_at: String,
    pub sent_at: Option<String>,
    pub receipt_at: Option<String>,
}

/// A saved segment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Segment {
    pub id: String,
    pub name: String,
    pub rules: Rules,
}

/// What the editor loads first.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorSetup {
    pub segment_fields: Vec<SegmentField>,
    pub template_placeholders: Vec<String>,
    pub segments: Vec<Segment>,
}

/// A customer of a previewed audience.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SampleCustomer {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub tier: CustomerTier,
}

/// An audience before anything is sent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Preview {
    pub count: i64,
    pub sample: Vec<SampleCustomer>,
}

#[derive(Deserialize)]
struct Changed {
    id: String,
    status: CampaignStatus,
}

/// The four buttons of a campaign's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Cancel,
}

impl Action {
    fn operation(self) -> &'static str {
        match self {
            Action::Start => "StartCampaign",
            Action::Pause => "PauseCampaign",
            Action::Resume => "ResumeCampaign",
            Action::Cancel => "CancelCampaign",
        }
    }
}

impl Api {
    /// A page of campaigns, newest first (every status when none is given).
    pub async fn campaigns(
        self,
        status: Option<CampaignStatus>,
        after: Option<String>,
    ) -> Result<Page<CampaignRow>, ApiError> {
        let statuses = status.map(|s| vec![s.as_graphql()]);
        let variables = json!({ "statuses": statuses, "first": LIST_PAGE_SIZE, "after": after });
        let connection: Connection<CampaignRow> = self.operation(CAMPAIGNS, "CampaignList", variables).await?;
        Ok(connection.into())
    }

    pub async fn campaign(self, id: String) -> Result<Campaign, ApiError> {
        self.operation(CAMPAIGNS, "CampaignDetail", json!({ "id": id })).await
    }

    /// A page of a campaign's communication log.
    pub async fn campaign_log(
        self,
        campaign_id: String,
        status: Option<MessageStatus>,
        after: Option<String>,
    ) -> Result<Page<LogEntry>, ApiError> {
        let variables = json!({ "campaignId": campaign_id, "status": status.map(MessageStatus::as_graphql),
            "first": LOG_PAGE_SIZE, "after": after });
        let connection: Connection<LogEntry> = self.operation(CAMPAIGNS, "CampaignLog", variables).await?;
        Ok(connection.into())
    }

    /// Creates a DRAFT campaign (no `id`) or edits one; returns its id.
    pub async fn save_campaign(self, id: Option<String>, input: CampaignInput) -> Result<String, ApiError> {
        let changed: Changed = match id {
            Some(id) => self.operation(CAMPAIGNS, "UpdateCampaign", json!({ "id": id, "input": input })).await?,
            None => self.operation(CAMPAIGNS, "CreateCampaign", json!({ "input": input })).await?,
        };
        Ok(changed.id)
    }

    /// Starts, pauses, resumes or cancels; returns the new status.
    pub async fn campaign_action(self, id: String, action: Action) -> Result<CampaignStatus, ApiError> {
        let changed: Changed = self.operation(CAMPAIGNS, action.operation(), json!({ "id": id })).await?;
        Ok(changed.status)
    }

    /// Segment fields, placeholders and saved segments.
    pub async fn campaign_editor_setup(self) -> Result<EditorSetup, ApiError> {
        self.run(SETUP, json!({})).await
    }

    /// The audience of `rules`.
    pub async fn preview_segment(self, rules: Rules) -> Result<Preview, ApiError> {
        self.operation(SEGMENTS, "PreviewSegment", json!({ "rules": rules, "sample": SAMPLE_SIZE })).await
    }

    /// Saves `rules` as a new segment called `name`; returns its id.
    pub async fn save_segment(self, name: String, rules: Rules) -> Result<SegmentRef, ApiError> {
        let input = json!({ "name": name, "rules": rules });
        self.operation(SEGMENTS, "SaveSegment", json!({ "input": input })).await
    }

    /// The message `customer_id` would get.
    pub async fn render_template(
        self,
        template: String,
        discount_code: Option<String>,
        customer_id: String,
    ) -> Result<String, ApiError> {
        let variables = json!({ "template": template, "discountCode": discount_code, "customerId": customer_id });
        self.operation(SEGMENTS, "RenderTemplate", variables).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_progress_read_from_the_counts() {
        let c = Counts { audience: 8, sent: 5, failed: 1, delivery_rate_bp: 8333, ..Counts::default() };
        assert_eq!(c.delivery_rate(), "83.3 %");
        assert_eq!(c.done_percent(), 75.0);
        assert_eq!(Counts::default().delivery_rate(), "—");
        assert_eq!(Counts::default().done_percent(), 0.0);
    }

    #[test]
    fn progress_without_counts_still_decodes() {
        let p: Progress =
            serde_json::from_str(r#"{"eventId":"1-0","campaignId":"4","status":"PAUSED","counts":null}"#).unwrap();
        assert_eq!((p.status, p.counts), (Some(CampaignStatus::Paused), None));
        assert_eq!(serde_json::to_value(Channel::Whatsapp).unwrap(), "WHATSAPP");
    }
}
