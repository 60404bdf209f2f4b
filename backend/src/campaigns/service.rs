//! Campaign rules: segments saved and previewed, campaigns created and
//! moved through their statuses, the audience snapshot, the counts, and
//! receipts settling messages until the last one completes the campaign.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::{Value, json};

use super::model::{CampaignStatus, Channel, MessageStatus, campaign, message, segment};
use super::segment::{self as rules, Env, RuleGroup};
use super::template;
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::customers::model::customer;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;

/// Largest sample a preview returns.
pub const MAX_SAMPLE: u64 = 50;

/// What compiling a segment needs from the application, now.
pub fn env(ctx: &AppCtx) -> Env {
    Env { backend: ctx.db.backend(), tz: ctx.tz, now: ctx.now(), decimals: ctx.config.currency_decimals }
}

/// The audience of `rules`: how many customers, and the first `sample` of
/// them (by id). One `COUNT` and one page, both from the compiled SQL.
pub async fn preview(ctx: &AppCtx, g: &RuleGroup, sample: u64) -> AppResult<(u64, Vec<customer::Model>)> {
    if sample > MAX_SAMPLE {
        return Err(AppError::bad_input("sample", format!("at most {MAX_SAMPLE}")));
    }
    let cond = rules::compile(g, &env(ctx), "rules")?;
    let db = ctx.db.conn();
    let count = customer::Entity::find().filter(cond.clone()).count(db).await?;
    let rows = customer::Entity::find().filter(cond).order_by_asc(customer::Column::Id).limit(sample).all(db).await?;
    Ok((count, rows))
}

/// A segment to save.
#[derive(Debug, Clone)]
pub struct SegmentInput {
    pub name: String,
    pub description: Option<String>,
    pub rules: RuleGroup,
}

fn clean_name(name: &str, field: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::bad_input(field, "a name of 1 to 120 characters"));
    }
    Ok(name.to_owned())
}

/// Saves a new segment (`id` none) or replaces one; names are unique.
pub async fn save_segment(
    ctx: &AppCtx,
    actor: &Principal,
    id: Option<i64>,
    input: SegmentInput,
) -> AppResult<segment::Model> {
    let name = clean_name(&input.name, "input.name")?;
    rules::compile(&input.rules, &env(ctx), "input.rules")?;
    let rules_json = serde_json::to_value(&input.rules).map_err(anyhow::Error::from)?;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let taken = segment::Entity::find()
        .filter(segment::Column::Name.eq(name.clone()))
        .apply_if(id, |q, id| q.filter(segment::Column::Id.ne(id)))
        .count(tx.db())
        .await?;
    if taken > 0 {
        return Err(AppError::conflict("input.name", format!("a segment named {name:?} exists")));
    }
    let description = input.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let (saved, before) = match id {
        None => {
            let am = segment::ActiveModel {
                name: Set(name),
                description: Set(description),
                rules: Set(rules_json),
                created_by: Set(actor.actor()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            (am.insert(tx.db()).await?, None)
        }
        Some(id) => {
            let before = segment::Entity::find_by_id(id)
                .one(tx.db())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("segment {id}")))?;
            let mut am = before.clone().into_active_model();
            am.name = Set(name);
            am.description = Set(description);
            am.rules = Set(rules_json);
            am.updated_at = Set(now);
            (am.update(tx.db()).await?, Some(before))
        }
    };
    let mut change = Change::on("segment.save", "segment", saved.id).after(audit::snapshot(&saved)?);
    if let Some(b) = &before {
        change = change.before(audit::snapshot(b)?);
    }
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes a segment no campaign uses.
pub async fn delete_segment(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<()> {
    let tx = ctx.begin().await?;
    let seg = segment::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("segment {id}")))?;
    let used = campaign::Entity::find().filter(campaign::Column::SegmentId.eq(id)).count(tx.db()).await?;
    if used > 0 {
        return Err(AppError::conflict("id", format!("{used} campaign(s) use this segment")));
    }
    segment::Entity::delete_by_id(id).exec(tx.db()).await?;
    audit::record(&tx, actor, ctx.now(), Change::on("segment.delete", "segment", id).before(audit::snapshot(&seg)?))
        .await?;
    tx.commit().await
}

/// Every saved segment, by name.
pub async fn segments(ctx: &AppCtx) -> AppResult<Vec<segment::Model>> {
    Ok(segment::Entity::find().order_by_asc(segment::Column::Name).all(ctx.db.conn()).await?)
}

/// One segment.
pub async fn get_segment(ctx: &AppCtx, id: i64) -> AppResult<segment::Model> {
    segment::Entity::find_by_id(id).one(ctx.db.conn()).await?.ok_or_else(|| AppError::NotFound(format!("segment {id}")))
}

/// The segments with these ids (for a page of campaigns).
pub async fn segments_by_ids(db: &impl sea_orm::ConnectionTrait, ids: &[i64]) -> AppResult<Vec<segment::Model>> {
    Ok(segment::Entity::find().filter(segment::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// A campaign's editable parts.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub name: String,
    pub channel: Channel,
    pub segment_id: i64,
    pub template: String,
    pub discount_code: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Checks a campaign's input: the template parses (an unknown placeholder
/// is refused here, not at send), a `{{discount_code}}` has a code, the
/// window is a window, the segment exists.
async fn checked(ctx: &AppCtx, input: &mut CampaignInput) -> AppResult<()> {
    input.name = clean_name(&input.name, "input.name")?;
    let parts = template::parse(&input.template, "input.template")?;
    input.discount_code = input.discount_code.as_ref().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if let Some(code) = &input.discount_code
        && (code.len() > 64 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(AppError::bad_input("input.discountCode", "up to 64 letters, digits, - or _"));
    }
    if template::uses(&parts, template::Placeholder::DiscountCode) && input.discount_code.is_none() {
        return Err(AppError::bad_input("input.discountCode", "the message uses {{discount_code}}: give the code"));
    }
    if let (Some(s), Some(e)) = (input.starts_at, input.ends_at)
        && e <= s
    {
        return Err(AppError::bad_input("input.endsAt", "the window ends before it starts"));
    }
    if let Some(e) = input.ends_at
        && e <= ctx.now()
    {
        return Err(AppError::bad_input("input.endsAt", "the window has already closed"));
    }
    get_segment(ctx, input.segment_id)
        .await
        .map_err(|_| AppError::bad_input("input.segmentId", format!("there is no segment {}", input.segment_id)))?;
    Ok(())
}

/// Creates a DRAFT campaign.
pub async fn create(ctx: &AppCtx, actor: &Principal, mut input: CampaignInput) -> AppResult<campaign::Model> {
    checked(ctx, &mut input).await?;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let c = campaign::ActiveModel {
        name: Set(input.name),
        channel: Set(input.channel),
        segment_id: Set(input.segment_id),
        template: Set(input.template),
        discount_code: Set(input.discount_code),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        status: Set(CampaignStatus::Draft),
        audience: Set(0),
        created_by: Set(actor.actor()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    audit::record(&tx, actor, now, Change::on("campaign.create", "campaign", c.id).after(audit::snapshot(&c)?)).await?;
    tx.publish(event("campaign.created", &c, actor, now, Value::Null));
    tx.commit().await?;
    Ok(c)
}

/// Replaces a campaign's content; only before it starts sending.
pub async fn update(ctx: &AppCtx, actor: &Principal, id: i64, mut input: CampaignInput) -> AppResult<campaign::Model> {
    checked(ctx, &mut input).await?;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let before = locked(&tx, id).await?;
    if !matches!(before.status, CampaignStatus::Draft | CampaignStatus::Scheduled) {
        return Err(AppError::conflict("id", format!("a {} campaign can no longer be edited", before.status.as_str())));
    }
    let mut am = before.clone().into_active_model();
    am.name = Set(input.name);
    am.channel = Set(input.channel);
    am.segment_id = Set(input.segment_id);
    am.template = Set(input.template);
    am.discount_code = Set(input.discount_code);
    am.starts_at = Set(input.starts_at);
    am.ends_at = Set(input.ends_at);
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("campaign.update", "campaign", id).before(audit::snapshot(&before)?).after(audit::snapshot(&after)?),
    )
    .await?;
    tx.publish(event("campaign.updated", &after, actor, now, Value::Null));
    tx.commit().await?;
    Ok(after)
}

/// The campaign, locked for the transaction (PostgreSQL).
async fn locked(tx: &crate::db::Tx, id: i64) -> AppResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("campaign {id}")))
}

/// A status change a staff member asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Cancel,
}

/// Starts, pauses, resumes or cancels. Starting a campaign whose window
/// opens later schedules it; otherwise the audience is taken now and
/// sending begins. Cancelling cancels the messages not yet handed over.
pub async fn act(ctx: &AppCtx, actor: &Principal, id: i64, action: Action) -> AppResult<campaign::Model> {
    use CampaignStatus as S;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let before = locked(&tx, id).await?;
    let to = match (action, before.status) {
        (Action::Start, S::Draft) if before.starts_at.is_some_and(|s| s > now) => S::Scheduled,
        (Action::Start, S::Draft) => S::Running,
        (Action::Pause, S::Running) => S::Paused,
        (Action::Resume, S::Paused) => S::Running,
        (Action::Cancel, S::Draft | S::Scheduled | S::Running | S::Paused) => S::Cancelled,
        (_, from) => {
            let to = match action {
                Action::Start => "RUNNING",
                Action::Pause => "PAUSED",
                Action::Resume => "RUNNING",
                Action::Cancel => "CANCELLED",
            };
            return Err(AppError::InvalidTransition { from: from.as_str().into(), to: to.into() });
        }
    };
    let mut am = before.clone().into_active_model();
    am.status = Set(to);
    am.updated_at = Set(now);
    if to == S::Running && before.status == S::Draft {
        let audience = snapshot(ctx, &tx, &before).await?;
        am.audience = Set(audience);
        am.rules = Set(Some(get_segment(ctx, before.segment_id).await?.rules));
        am.started_at = Set(Some(now));
    }
    if to == S::Cancelled {
        message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::val(MessageStatus::Cancelled.as_str()))
            .col_expr(message::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .filter(message::Column::CampaignId.eq(id))
            .filter(message::Column::Status.eq(MessageStatus::Queued))
            .exec(tx.db())
            .await?;
        am.completed_at = Set(Some(now));
    }
    let mut after = am.update(tx.db()).await?;
    if to == S::Cancelled {
        let counts = counts_of(tx.db(), &[id]).await?.remove(&id).unwrap_or_default();
        let mut am = after.into_active_model();
        am.summary = Set(Some(counts.summary(now)));
        after = am.update(tx.db()).await?;
    }
    let action_name = match action {
        Action::Start => "campaign.start",
        Action::Pause => "campaign.pause",
        Action::Resume => "campaign.resume",
        Action::Cancel => "campaign.cancel",
    };
    audit::record(
        &tx,
        actor,
        now,
        Change::on(action_name, "campaign", id)
            .before(json!({"status": before.status}))
            .after(json!({"status": after.status, "audience": after.audience})),
    )
    .await?;
    let counts = counts_of(tx.db(), &[id]).await?.remove(&id).unwrap_or_default();
    tx.publish(event("campaign.progress", &after, actor, now, counts.json()));
    tx.commit().await?;
    if to == S::Running && before.status == S::Draft {
        analyze_after_snapshot(ctx, after.audience).await;
    }
    Ok(after)
}

/// Starts the SCHEDULED campaigns whose window has opened: the audience is
/// taken then. Called by the delivery workers; each campaign is locked and
/// re-checked, so two instances start it once.
pub async fn start_due(ctx: &AppCtx) -> AppResult<usize> {
    let now = ctx.now();
    let due: Vec<i64> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(campaign::Column::Status.eq(CampaignStatus::Scheduled))
        .filter(campaign::Column::StartsAt.lte(now))
        .into_tuple()
        .all(ctx.db.conn())
        .await?;
    let system = Principal::system();
    let mut started = 0;
    for id in due {
        let mut tx = ctx.begin().await?;
        let c = locked(&tx, id).await?;
        if c.status != CampaignStatus::Scheduled {
            continue;
        }
        let audience = snapshot(ctx, &tx, &c).await?;
        let rules = get_segment(ctx, c.segment_id).await?.rules;
        let mut am = c.clone().into_active_model();
        am.status = Set(CampaignStatus::Running);
        am.audience = Set(audience);
        am.rules = Set(Some(rules));
        am.started_at = Set(Some(now));
        am.updated_at = Set(now);
        let after = am.update(tx.db()).await?;
        audit::record(
            &tx,
            &system,
            now,
            Change::on("campaign.start", "campaign", id)
                .before(json!({"status": c.status}))
                .after(json!({"status": after.status, "audience": audience})),
        )
        .await?;
        let counts = counts_of(tx.db(), &[id]).await?.remove(&id).unwrap_or_default();
        tx.publish(event("campaign.progress", &after, &system, now, counts.json()));
        tx.commit().await?;
        analyze_after_snapshot(ctx, audience).await;
        started += 1;
    }
    Ok(started)
}

/// Takes the audience: one `INSERT … SELECT` from the compiled segment
/// into the communication log, each row with its rendered message and its
/// idempotency key. Returns how many customers it holds.
async fn snapshot(ctx: &AppCtx, tx: &crate::db::Tx, c: &campaign::Model) -> AppResult<i64> {
    use customer::Column as C;
    use message::Column as M;
    let seg = get_segment(ctx, c.segment_id).await?;
    let g = rules::from_json(&seg.rules)?;
    let backend = ctx.db.backend();
    let mut cond = rules::compile(&g, &env(ctx), "rules")?;
    let recipient = match c.channel {
        Channel::Email => {
            cond = cond.add(customer::Column::Email.is_not_null()).add(customer::Column::Email.ne(""));
            Expr::col((customer::Entity, C::Email))
        }
        _ => Expr::col((customer::Entity, C::Phone)),
    };
    let parts = template::parse(&c.template, "template")?;
    let now = ctx.now();
    let key_prefix = format!("c{}-", c.id);
    let key = crate::db::custom_sql(
        backend,
        "(? || CAST(? AS TEXT))",
        vec![Expr::val(key_prefix), Expr::col((customer::Entity, C::Id))],
    );
    let select = Query::select()
        .expr(Expr::val(c.id))
        .expr(Expr::col((customer::Entity, C::Id)))
        .expr(Expr::val(c.channel.as_str()))
        .expr(recipient)
        .expr(template::sql(&parts, c.discount_code.as_deref(), backend))
        .expr(Expr::val(MessageStatus::Queued.as_str()))
        .expr(key)
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(customer::Entity)
        .cond_where(cond)
        .order_by((customer::Entity, C::Id), sea_orm::Order::Asc)
        .to_owned();
    let insert = Query::insert()
        .into_table(message::Entity)
        .columns([
            M::CampaignId,
            M::CustomerId,
            M::Channel,
            M::Recipient,
            M::Message,
            M::Status,
            M::IdempotencyKey,
            M::Attempts,
            M::NextAttemptAt,
            M::QueuedAt,
        ])
        .select_from(select)
        .map_err(|e| anyhow::anyhow!("snapshot statement: {e}"))?
        .to_owned();
    let res = tx.db().execute(&insert).await?;
    Ok(res.rows_affected() as i64)
}

/// A campaign's messages by state. They always add up to the audience.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub expired: i64,
}

impl Counts {
    /// Not settled yet: waiting for a worker, the vendor or the receipt.
    pub fn pending(&self) -> i64 {
        self.queued + self.sending + self.sent
    }

    pub fn total(&self) -> i64 {
        self.pending() + self.delivered + self.failed + self.cancelled + self.expired
    }

    pub fn json(&self) -> Value {
        json!({
            "audience": self.total(),
            "pending": self.pending(),
            "queued": self.queued,
            "awaitingReceipt": self.sending + self.sent,
            "delivered": self.delivered,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "expired": self.expired,
        })
    }

    /// The summary written when the campaign ends.
    pub fn summary(&self, at: DateTime<Utc>) -> Value {
        let mut v = self.json();
        let handed = self.delivered + self.failed;
        // Delivery rate in basis points of the messages that got a receipt.
        v["deliveryRateBp"] = json!(if handed == 0 { 0 } else { self.delivered * 10_000 / handed });
        v["at"] = json!(at);
        v
    }
}

/// Counts of each campaign in `ids`, one grouped query.
pub async fn counts_of<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<HashMap<i64, Counts>> {
    let rows: Vec<(i64, MessageStatus, i64)> = message::Entity::find()
        .select_only()
        .column(message::Column::CampaignId)
        .column(message::Column::Status)
        .column_as(Expr::col(message::Column::Id).count().cast_as("BIGINT"), "n")
        .filter(message::Column::CampaignId.is_in(ids.iter().copied()))
        .group_by(message::Column::CampaignId)
        .group_by(message::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, Counts> = HashMap::new();
    for (id, status, n) in rows {
        let c = out.entry(id).or_default();
        match status {
            MessageStatus::Queued => c.queued = n,
            MessageStatus::Sending => c.sending = n,
            MessageStatus::Sent => c.sent = n,
            MessageStatus::Delivered => c.delivered = n,
            MessageStatus::Failed => c.failed = n,
            MessageStatus::Cancelled => c.cancelled = n,
            MessageStatus::Expired => c.expired = n,
        }
    }
    Ok(out)
}

/// One receipt from a vendor.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub idempotency_key: String,
    /// `DELIVERED` or `FAILED`.
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
}

/// What applying receipts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptReport {
    /// Messages settled by these receipts.
    pub applied: u64,
    /// Receipts for messages already settled or unknown (a vendor's retry).
    pub ignored: u64,
}

/// Most receipts in one call.
pub const MAX_RECEIPTS: usize = 5_000;

/// Settles messages from receipts, set-based (one UPDATE per outcome),
/// then completes every campaign that has nothing left open. A receipt
/// for a settled message changes nothing (vendors retry).
pub async fn apply_receipts(ctx: &AppCtx, receipts: &[Receipt]) -> AppResult<ReceiptReport> {
    if receipts.len() > MAX_RECEIPTS {
        return Err(AppError::bad_input("receipts", format!("at most {MAX_RECEIPTS} receipts per call")));
    }
    let mut delivered = Vec::new();
    let mut failed: HashMap<String, Vec<String>> = HashMap::new();
    for (i, r) in receipts.iter().enumerate() {
        match r.status.as_str() {
            "DELIVERED" => delivered.push(r.idempotency_key.clone()),
            "FAILED" => failed
                .entry(
                    r.error
                        .clone()
                        .unwrap_or_else(|| "the vendor reported a failure".into())
                        .chars()
                        .take(500)
                        .collect(),
                )
                .or_default()
                .push(r.idempotency_key.clone()),
            other => {
                return Err(AppError::bad_input(
                    &format!("receipts.{i}.status"),
                    format!("{other:?}: DELIVERED or FAILED"),
                ));
            }
        }
    }
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let open = [MessageStatus::Sending, MessageStatus::Sent];
    let settle = |status: MessageStatus, keys: Vec<String>, error: Option<String>| {
        message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::val(status.as_str()))
            .col_expr(message::Column::ReceiptAt, Expr::val(now))
            .col_expr(message::Column::LockedUntil, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(message::Column::Error, Expr::val(error))
            .filter(message::Column::IdempotencyKey.is_in(keys))
            .filter(message::Column::Status.is_in(open))
    };
    let mut settled = Vec::new();
    if !delivered.is_empty() {
        settled.extend(settle(MessageStatus::Delivered, delivered, None).exec_with_returning(tx.db()).await?);
    }
    for (error, keys) in failed {
        settled.extend(settle(MessageStatus::Failed, keys, Some(error)).exec_with_returning(tx.db()).await?);
    }
    let applied = settled.len() as u64;
    timeline(&tx, &settled, now).await?;
    let mut campaigns: Vec<i64> = settled.iter().map(|m| m.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    settle_campaigns(&mut tx, &campaigns, now).await?;
    tx.commit().await?;
    Ok(ReceiptReport { applied, ignored: receipts.len() as u64 - applied })
}

/// Every settled message goes to its customer's timeline, once: the
/// receipt settles a message only from an open state.
async fn timeline(tx: &crate::db::Tx, settled: &[message::Model], now: DateTime<Utc>) -> AppResult<()> {
    let mut names: HashMap<i64, String> = HashMap::new();
    let ids: Vec<i64> = settled.iter().map(|m| m.campaign_id).collect();
    for c in campaign::Entity::find().filter(campaign::Column::Id.is_in(ids)).all(tx.db()).await? {
        names.insert(c.id, c.name);
    }
    let entries = settled
        .iter()
        .map(|m| {
            let campaign = names.get(&m.campaign_id).map(String::as_str).unwrap_or("a campaign");
            let summary = match m.status {
                MessageStatus::Delivered => {
                    format!("{} from \"{campaign}\" delivered: {}", m.channel.label(), clip(&m.message))
                }
                _ => format!(
                    "{} from \"{campaign}\" not delivered ({}): {}",
                    m.channel.label(),
                    m.error.as_deref().unwrap_or("failed"),
                    clip(&m.message)
                ),
            };
            let data =
                json!({"campaignId": m.campaign_id, "messageId": m.id, "channel": m.channel, "status": m.status});
            (m.customer_id, summary, data)
        })
        .collect();
    crate::activities::service::record_many(tx.db(), "campaign.message", entries, &Principal::system(), now).await
}

fn clip(text: &str) -> String {
    if text.chars().count() > 120 { text.chars().take(117).collect::<String>() + "..." } else { text.to_owned() }
}

/// Completes the campaigns of `ids` that have nothing open left (the last
/// receipt, or the last expiry, completes a campaign and writes its
/// summary) and publishes their progress. Part of the caller's
/// transaction. Whether anything is open is one index probe; the full
/// counts (a scan of the campaign's log) are taken at most once a second
/// per campaign, and always at completion.
pub async fn settle_campaigns(tx: &mut crate::db::Tx, ids: &[i64], now: DateTime<Utc>) -> AppResult<()> {
    let system = Principal::system();
    for &id in ids {
        let open = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .filter(message::Column::CampaignId.eq(id))
            .filter(message::Column::Status.is_in(MessageStatus::OPEN))
            .limit(1)
            .into_tuple::<i64>()
            .one(tx.db())
            .await?
            .is_some();
        let Some(mut camp) = campaign::Entity::find_by_id(id).one(tx.db()).await? else { continue };
        if !open && camp.status == CampaignStatus::Running {
            let c = counts_of(tx.db(), &[id]).await?.remove(&id).unwrap_or_default();
            let done = campaign::Entity::update_many()
                .col_expr(campaign::Column::Status, Expr::val(CampaignStatus::Completed.as_str()))
                .col_expr(campaign::Column::Summary, Expr::val(c.summary(now)))
                .col_expr(campaign::Column::CompletedAt, Expr::val(now))
                .col_expr(campaign::Column::UpdatedAt, Expr::val(now))
                .filter(campaign::Column::Id.eq(id))
                .filter(campaign::Column::Status.eq(CampaignStatus::Running))
                .exec(tx.db())
                .await?;
            if done.rows_affected == 1 {
                audit::record(tx, &system, now, Change::on("campaign.complete", "campaign", id).after(c.summary(now)))
                    .await?;
                camp.status = CampaignStatus::Completed;
            }
            tx.publish(event("campaign.progress", &camp, &system, now, c.json()));
        } else if progress_due(id) {
            let c = counts_of(tx.db(), &[id]).await?.remove(&id).unwrap_or_default();
            tx.publish(event("campaign.progress", &camp, &system, now, c.json()));
        }
    }
    Ok(())
}

/// True at most once a second per campaign (in this process).
fn progress_due(id: i64) -> bool {
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    static LAST: OnceLock<Mutex<HashMap<i64, Instant>>> = OnceLock::new();
    let mut last = LAST.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    match last.get(&id) {
        Some(at) if now.duration_since(*at) < Duration::from_secs(1) => false,
        _ => {
            last.insert(id, now);
            true
        }
    }
}

/// A campaign event; `data` carries the counts for progress.
fn event(kind: &str, c: &campaign::Model, actor: &Principal, at: DateTime<Utc>, counts: Value) -> DomainEvent {
    let mut ev = DomainEvent::new(kind, "campaign", c.id, &actor.actor(), at);
    ev.data = json!({"status": c.status, "name": c.name, "counts": counts});
    ev
}

/// One campaign.
pub async fn get(ctx: &AppCtx, id: i64) -> AppResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("campaign {id}")))
}

/// Campaigns, newest first, optionally of some statuses.
pub async fn list(
    ctx: &AppCtx,
    statuses: &[CampaignStatus],
    first: u64,
    after: Option<i64>,
) -> AppResult<(Vec<campaign::Model>, bool)> {
    let mut q = campaign::Entity::find().order_by_desc(campaign::Column::Id);
    if !statuses.is_empty() {
        q = q.filter(campaign::Column::Status.is_in(statuses.iter().copied()));
    }
    if let Some(after) = after {
        q = q.filter(campaign::Column::Id.lt(after));
    }
    let mut rows = q.limit(first + 1).all(ctx.db.conn()).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}

/// A page of a campaign's communication log, by customer order of the
/// snapshot, optionally of one status.
pub async fn log(
    ctx: &AppCtx,
    campaign_id: i64,
    status: Option<MessageStatus>,
    first: u64,
    after: Option<i64>,
) -> AppResult<(Vec<message::Model>, bool)> {
    let mut q =
        message::Entity::find().filter(message::Column::CampaignId.eq(campaign_id)).order_by_asc(message::Column::Id);
    if let Some(s) = status {
        q = q.filter(message::Column::Status.eq(s));
    }
    if let Some(after) = after {
        q = q.filter(message::Column::Id.gt(after));
    }
    let mut rows = q.limit(first + 1).all(ctx.db.conn()).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}

/// The message a sample customer would get, for the template editor.
pub async fn render_for(
    ctx: &AppCtx,
    actor: &Principal,
    template_text: &str,
    discount_code: Option<&str>,
    customer_id: i64,
) -> AppResult<String> {
    let parts = template::parse(template_text, "template")?;
    let c = customer::Entity::find_visible_to(actor)
        .filter(customer::Column::Id.eq(customer_id))
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {customer_id}")))?;
    Ok(template::render(&parts, &c, discount_code))
}

/// How many campaigns `list` would page through.
pub async fn count(ctx: &AppCtx, statuses: &[CampaignStatus]) -> AppResult<u64> {
    let mut q = campaign::Entity::find();
    if !statuses.is_empty() {
        q = q.filter(campaign::Column::Status.is_in(statuses.iter().copied()));
    }
    Ok(q.count(ctx.db.conn()).await?)
}

/// How many log entries `log` would page through.
pub async fn log_count(ctx: &AppCtx, campaign_id: i64, status: Option<MessageStatus>) -> AppResult<u64> {
    let mut q = message::Entity::find().filter(message::Column::CampaignId.eq(campaign_id));
    if let Some(s) = status {
        q = q.filter(message::Column::Status.eq(s));
    }
    Ok(q.count(ctx.db.conn()).await?)
}

/// Campaign figures for the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Campaigns by status now.
    pub running: i64,
    pub scheduled: i64,
    pub paused: i64,
    /// Completed in the period.
    pub completed: i64,
    /// Messages whose receipt came in the period, by outcome.
    pub delivered: i64,
    pub failed: i64,
}

impl Figures {
    /// Delivered out of the receipts of the period, in basis points.
    pub fn delivery_rate_bp(&self) -> i64 {
        let all = self.delivered + self.failed;
        if all == 0 { 0 } else { self.delivered * 10_000 / all }
    }
}

/// Campaigns now and deliveries settled in `[start, end)`: two grouped
/// queries (the log's by an index on the receipt time).
pub async fn figures<C: ConnectionTrait>(db: &C, start: DateTime<Utc>, end: DateTime<Utc>) -> AppResult<Figures> {
    let n = || Expr::col(campaign::Column::Id).count().cast_as("BIGINT");
    let by_status: Vec<(CampaignStatus, i64)> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Status)
        .column_as(n(), "n")
        .filter(campaign::Column::Status.is_in([
            CampaignStatus::Running,
            CampaignStatus::Scheduled,
            CampaignStatus::Paused,
        ]))
        .group_by(campaign::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let completed = campaign::Entity::find()
        .filter(campaign::Column::Status.eq(CampaignStatus::Completed))
        .filter(campaign::Column::CompletedAt.gte(start))
        .filter(campaign::Column::CompletedAt.lt(end))
        .count(db)
        .await? as i64;
    let receipts: Vec<(MessageStatus, i64)> = message::Entity::find()
        .select_only()
        .column(message::Column::Status)
        .column_as(Expr::col(message::Column::Id).count().cast_as("BIGINT"), "n")
        .filter(message::Column::ReceiptAt.gte(start))
        .filter(message::Column::ReceiptAt.lt(end))
        .group_by(message::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut f = Figures { completed, ..Default::default() };
    for (status, n) in by_status {
        match status {
            CampaignStatus::Running => f.running = n,
            CampaignStatus::Scheduled => f.scheduled = n,
            CampaignStatus::Paused => f.paused = n,
            _ => {}
        }
    }
    for (status, n) in receipts {
        match status {
            MessageStatus::Delivered => f.delivered = n,
            MessageStatus::Failed => f.failed = n,
            _ => {}
        }
    }
    Ok(f)
}

/// The campaigns sending now, oldest first, with their channels.
pub async fn running(ctx: &AppCtx) -> AppResult<Vec<(i64, Channel)>> {
    Ok(campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::Channel)
        .filter(campaign::Column::Status.eq(CampaignStatus::Running))
        .order_by_asc(campaign::Column::Id)
        .into_tuple()
        .all(ctx.db.conn())
        .await?)
}

/// After a large snapshot PostgreSQL's statistics of the log are stale
/// (they saw it empty); refresh them so the workers' queries plan well.
async fn analyze_after_snapshot(ctx: &AppCtx, audience: i64) {
    if audience >= 10_000 {
        ctx.db.analyze("communication_log").await;
    }
}
