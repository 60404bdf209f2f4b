//! Engagement rules.
//!
//! - **Interactions** are logged by staff (AGENT and up; an AGENT for their
//!   own customers only) with a channel, a direction, a short outcome
//!   (1–200 characters), optional notes (up to 2,000) and an optional
//!   follow-up date, which is a business-local day and cannot be before
//!   today. `occurredAt` defaults to now (the application's clock) and
//!   cannot be in the future. The member of staff who logs it is its agent.
//! - **Family members** have a name (1–200 characters), a relationship and
//!   an optional birthday between 1900 and today.
//! - Every change writes a timeline entry and an audit row in its
//!   transaction; bad input is `BAD_USER_INPUT` on the field and writes
//!   nothing.
//! - **Upcoming dates**: the customers' and family members' birthdays and
//!   the customers' anniversaries whose next occurrence falls within the
//!   next `days` days (0 = today only, at most 366), from today in the
//!   business time zone. A 29 February date falls on 28 February in other
//!   years. The database selects the rows by month and day (the window's
//!   `MM-DD` values), already in calendar order from today, so only the
//!   entries shown are read.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use serde_json::json;

use super::model::{InteractionChannel, InteractionDirection, Relationship, family_member, interaction};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::customers::model::customer;
use crate::customers::service as customers;
use crate::db::Tx;
use crate::error::{AppError, AppResult};

/// Longest outcome.
pub const MAX_OUTCOME: usize = 200;
/// Longest notes.
pub const MAX_NOTES: usize = 2_000;
/// Longest family member name.
pub const MAX_NAME: usize = 200;
/// Widest window of `upcomingDates`, in days after today.
pub const MAX_DAYS: i64 = 366;
/// How far in the future an interaction's time may be (clock skew).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// Today in the business time zone.
pub fn today(ctx: &AppCtx) -> NaiveDate {
    ctx.now().with_timezone(&ctx.tz).date_naive()
}

/// `FORBIDDEN` for callers who only read (VIEWER, read-only API keys).
fn ensure_writer(actor: &Principal) -> AppResult<()> {
    if actor.role.can_write() { Ok(()) } else { Err(AppError::Forbidden("requires the AGENT role or higher".into())) }
}

/// `value` trimmed, or `None` when blank; `BAD_USER_INPUT` on `field`
/// beyond `max` characters.
fn trimmed(value: Option<&str>, max: usize, field: &str) -> AppResult<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max {
        return Err(AppError::bad_input(field, format!("at most {max} characters")));
    }
    Ok(Some(v.to_owned()))
}

/// `value` trimmed; required.
fn required(value: &str, max: usize, field: &str, what: &str) -> AppResult<String> {
    trimmed(Some(value), max, field)?.ok_or_else(|| AppError::bad_input(field, format!("{what} is required")))
}

/// A birthday between 1900-01-01 and today.
fn valid_birthday(ctx: &AppCtx, birthday: Option<NaiveDate>, field: &str) -> AppResult<()> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    match birthday {
        Some(b) if b > today(ctx) || b < earliest => {
            Err(AppError::bad_input(field, "a birthday must be between 1900 and today"))
        }
        _ => Ok(()),
    }
}

/// The customer, locked until the transaction ends, if `actor` may see it.
async fn visible_customer(tx: &Tx, actor: &Principal, id: i64) -> AppResult<customer::Model> {
    let c = customer::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {id}")))?;
    customers::ensure_visible(actor, &c)?;
    Ok(c)
}

// ---------------------------------------------------------- interactions

/// An interaction to log.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub customer_id: i64,
    pub channel: InteractionChannel,
    pub direction: InteractionDirection,
    pub outcome: String,
    pub notes: Option<String>,
    pub follow_up_date: Option<NaiveDate>,
    /// Defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// `Call (outbound): reached, follow up 2026-11-25`.
pub fn interaction_summary(i: &interaction::Model) -> String {
    let mut s = format!("{} ({}): {}", i.channel.label(), i.direction.label(), i.outcome);
    if let Some(day) = i.follow_up_date {
        s.push_str(&format!(", follow up {day}"));
    }
    s
}

/// Logs an interaction with a customer (fields named `input.…` in errors).
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), customer = input.customer_id))]
pub async fn log_interaction(ctx: &AppCtx, actor: &Principal, input: NewInteraction) -> AppResult<interaction::Model> {
    ensure_writer(actor)?;
    let outcome = required(&input.outcome, MAX_OUTCOME, "input.outcome", "an outcome")?;
    let notes = trimmed(input.notes.as_deref(), MAX_NOTES, "input.notes")?;
    if let Some(day) = input.follow_up_date
        && day < today(ctx)
    {
        return Err(AppError::bad_input("input.followUpDate", "a follow-up date cannot be in the past"));
    }
    let now = ctx.now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(AppError::bad_input("input.occurredAt", "an interaction cannot be in the future"));
    }
    let tx = ctx.begin().await?;
    visible_customer(&tx, actor, input.customer_id).await?;
    let logged = interaction::ActiveModel {
        customer_id: Set(input.customer_id),
        agent_id: Set(actor.user_id()),
        channel: Set(input.channel),
        direction: Set(input.direction),
        outcome: Set(outcome),
        notes: Set(notes),
        follow_up_date: Set(input.follow_up_date),
        occurred_at: Set(occurred_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let data = json!({ "interactionId": logged.id, "channel": logged.channel, "direction": logged.direction,
        "outcome": logged.outcome, "followUpDate": logged.follow_up_date });
    crate::activities::service::record(
        tx.db(),
        logged.customer_id,
        "interaction.logged",
        interaction_summary(&logged),
        data,
        actor,
        now,
    )
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("interaction.log", "interaction", logged.id).after(audit::snapshot(&logged)?),
    )
    .await?;
    tx.commit().await?;
    Ok(logged)
}

/// Narrows an interaction list.
#[derive(Debug, Clone, Default)]
pub struct InteractionFilter {
    pub customer_id: Option<i64>,
    pub channel: Option<InteractionChannel>,
}

fn condition(actor: &Principal, f: &InteractionFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(id) = f.customer_id {
        c = c.add(interaction::Column::CustomerId.eq(id));
    }
    if let Some(ch) = f.channel {
        c = c.add(interaction::Column::Channel.eq(ch));
    }
    if let Some(agent) = actor.only_assigned_to() {
        c = c.add(interaction::Column::CustomerId.in_subquery(mine(agent)));
    }
    c
}

/// The ids of the customers assigned to `agent`.
fn mine(agent: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::AssignedAgentId.eq(agent))
        .to_owned()
}

/// `FORBIDDEN` or `NOT_FOUND` when the list is about one customer the
/// caller may not see, or that does not exist.
async fn check_customer(ctx: &AppCtx, actor: &Principal, customer_id: Option<i64>) -> AppResult<()> {
    if let Some(id) = customer_id {
        customers::get(ctx, actor, id).await?;
    }
    Ok(())
}

/// A page of interactions, newest first (by time, then id), after the
/// cursor `(occurred_at, id)`.
pub async fn list_interactions(
    ctx: &AppCtx,
    actor: &Principal,
    f: &InteractionFilter,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<interaction::Model>> {
    check_customer(ctx, actor, f.customer_id).await?;
    let mut q = interaction::Entity::find().filter(condition(actor, f));
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any()
                .add(interaction::Column::OccurredAt.lt(at))
                .add(Condition::all().add(interaction::Column::OccurredAt.eq(at)).add(interaction::Column::Id.lt(id))),
        );
    }
    Ok(newest_first(q).limit(limit).all(ctx.db.conn()).await?)
}

fn newest_first(q: Select<interaction::Entity>) -> Select<interaction::Entity> {
    q.order_by_desc(interaction::Column::OccurredAt).order_by_desc(interaction::Column::Id)
}

/// How many interactions match.
pub async fn count_interactions(ctx: &AppCtx, actor: &Principal, f: &InteractionFilter) -> AppResult<u64> {
    Ok(interaction::Entity::find().filter(condition(actor, f)).count(ctx.db.conn()).await?)
}

/// The `first` newest interactions of each of these customers, in one
/// query (a window over `idx_interactions_customer`), for the DataLoader.
pub async fn recent_interactions_of<C: ConnectionTrait>(
    db: &C,
    customer_ids: &[i64],
    first: u64,
) -> AppResult<Vec<interaction::Model>> {
    use sea_orm::sea_query::Alias;
    let mut inner = Query::select();
    inner
        .columns([
            interaction::Column::Id,
            interaction::Column::CustomerId,
            interaction::Column::AgentId,
            interaction::Column::Channel,
            interaction::Column::Direction,
            interaction::Column::Outcome,
            interaction::Column::Notes,
            interaction::Column::FollowUpDate,
            interaction::Column::OccurredAt,
            interaction::Column::CreatedAt,
        ])
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY occurred_at DESC, id DESC)"),
            Alias::new("rn"),
        )
        .from(interaction::Entity)
        .and_where(interaction::Column::CustomerId.is_in(customer_ids.iter().copied()));
    let outer = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rn")).lte(first as i64))
        .order_by(Alias::new("customer_id"), Order::Asc)
        .order_by(Alias::new("rn"), Order::Asc)
        .to_owned();
    let stmt = db.get_database_backend().build(&outer);
    Ok(interaction::Entity::find().from_raw_sql(stmt).all(db).await?)
}

// ---------------------------------------------------------- family

/// A family member to add.
#[derive(Debug, Clone)]
pub struct NewFamilyMember {
    pub customer_id: i64,
    pub name: String,
    pub relationship: Relationship,
    pub birthday: Option<NaiveDate>,
}

/// A change to a family member: `None` leaves a field alone, `Some(None)`
/// clears the birthday.
#[derive(Debug, Clone, Default)]
pub struct FamilyMemberPatch {
    pub name: Option<String>,
    pub relationship: Option<Relationship>,
    pub birthday: Option<Option<NaiveDate>>,
}

fn member_label(m: &family_member::Model) -> String {
    format!("{} ({})", m.name, m.relationship.label())
}

/// Adds a family member to a customer (fields named `input.…` in errors).
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), customer = input.customer_id))]
pub async fn add_family_member(
    ctx: &AppCtx,
    actor: &Principal,
    input: NewFamilyMember,
) -> AppResult<family_member::Model> {
    ensure_writer(actor)?;
    let name = required(&input.name, MAX_NAME, "input.name", "a name")?;
    valid_birthday(ctx, input.birthday, "input.birthday")?;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    visible_customer(&tx, actor, input.customer_id).await?;
    let added = family_member::ActiveModel {
        customer_id: Set(input.customer_id),
        name: Set(name),
        relationship: Set(input.relationship),
        birthday: Set(input.birthday),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let summary = format!("Family member added: {}", member_label(&added));
    family_timeline(&tx, actor, &added, "family.added", summary, now).await?;
    audit::record(&tx, actor, now, Change::on("family.add", "family_member", added.id).after(audit::snapshot(&added)?))
        .await?;
    tx.commit().await?;
    Ok(added)
}

/// The family member, with its customer locked, if `actor` may see it.
async fn visible_member(tx: &Tx, actor: &Principal, id: i64) -> AppResult<family_member::Model> {
    let m = family_member::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("family member {id}")))?;
    visible_customer(tx, actor, m.customer_id).await?;
    Ok(m)
}

/// Changes a family member.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), member = id))]
pub async fn update_family_member(
    ctx: &AppCtx,
    actor: &Principal,
    id: i64,
    patch: FamilyMemberPatch,
) -> AppResult<family_member::Model> {
    ensure_writer(actor)?;
    let name = patch.name.as_deref().map(|n| required(n, MAX_NAME, "input.name", "a name")).transpose()?;
    if let Some(b) = patch.birthday {
        valid_birthday(ctx, b, "input.birthday")?;
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let before = visible_member(&tx, actor, id).await?;
    let mut am = before.clone().into_active_model();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(name) = name.filter(|n| *n != before.name) {
        am.name = Set(name);
        changed.push("name");
    }
    if let Some(r) = patch.relationship.filter(|r| *r != before.relationship) {
        am.relationship = Set(r);
        changed.push("relationship");
    }
    if let Some(b) = patch.birthday.filter(|b| *b != before.birthday) {
        am.birthday = Set(b);
        changed.push("birthday");
    }
    if changed.is_empty() {
        return Ok(before);
    }
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    let summary = format!("Family member updated: {} ({})", member_label(&after), changed.join(", "));
    family_timeline(&tx, actor, &after, "family.updated", summary, now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("family.update", "family_member", id)
            .before(audit::snapshot(&before)?)
            .after(audit::snapshot(&after)?),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a family member and returns it as it was.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), member = id))]
pub async fn remove_family_member(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<family_member::Model> {
    ensure_writer(actor)?;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let removed = visible_member(&tx, actor, id).await?;
    family_member::Entity::delete_by_id(id).exec(tx.db()).await?;
    let summary = format!("Family member removed: {}", member_label(&removed));
    family_timeline(&tx, actor, &removed, "family.removed", summary, now).await?;
    audit::record(&tx, actor, now, Change::on("family.remove", "family_member", id).before(audit::snapshot(&removed)?))
        .await?;
    tx.commit().await?;
    Ok(removed)
}

async fn family_timeline(
    tx: &Tx,
    actor: &Principal,
    m: &family_member::Model,
    kind: &str,
    summary: String,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let data =
        json!({ "familyMemberId": m.id, "name": m.name, "relationship": m.relationship, "birthday": m.birthday });
    crate::activities::service::record(tx.db(), m.customer_id, kind, summary, data, actor, now).await?;
    Ok(())
}

/// The family members of these customers (oldest entry first), in one
/// query, for the DataLoader.
pub async fn family_of<C: ConnectionTrait>(db: &C, customer_ids: &[i64]) -> AppResult<Vec<family_member::Model>> {
    Ok(family_member::Entity::find()
        .filter(family_member::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .order_by_asc(family_member::Column::Id)
        .all(db)
        .await?)
}

/// A customer's family members, if `actor` may see the customer.
pub async fn family_members(ctx: &AppCtx, actor: &Principal, customer_id: i64) -> AppResult<Vec<family_member::Model>> {
    customers::get(ctx, actor, customer_id).await?;
    family_of(ctx.db.conn(), &[customer_id]).await
}

// ---------------------------------------------------------- upcoming dates

/// A birthday or a wedding anniversary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum DateKind {
    Birthday,
    Anniversary,
}

/// One date coming up.
#[derive(Debug, Clone)]
pub struct Upcoming {
    pub kind: DateKind,
    /// The day it falls on, within the window.
    pub date: NaiveDate,
    /// The date itself (of birth, of the wedding).
    pub original: NaiveDate,
    pub customer_id: i64,
    /// Set when it is a family member's birthday.
    pub family_member: Option<family_member::Model>,
}

impl Upcoming {
    /// The age turned, or the years married, on [`Upcoming::date`].
    pub fn years(&self) -> i32 {
        self.date.year() - self.original.year()
    }
}

/// The day in `year` on which a date of `month`/`day` falls: 29 February
/// is 28 February in years without one.
pub fn occurrence_in(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| (month == 2 && day == 29).then(|| NaiveDate::from_ymd_opt(year, 2, 28)).flatten())
}

/// The first day on or after `from` on which `date` comes round again.
pub fn next_occurrence(date: NaiveDate, from: NaiveDate) -> Option<NaiveDate> {
    (from.year()..=from.year() + 1).filter_map(|y| occurrence_in(y, date.month(), date.day())).find(|d| *d >= from)
}

/// The `MM-DD` values whose dates fall within `from..=from + days`
/// (with `02-29` on 28 February of a year without a 29th).
pub fn month_days(from: NaiveDate, days: i64) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in (0..=days).filter_map(|i| from.checked_add_signed(Duration::days(i))) {
        out.insert(d.format("%m-%d").to_string());
        if d.month() == 2 && d.day() == 28 && NaiveDate::from_ymd_opt(d.year(), 2, 29).is_none() {
            out.insert("02-29".to_owned());
        }
    }
    out
}

/// `MM-DD` of a date column, in the database's dialect.
fn month_day_sql(backend: DbBackend, table: &str, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char(\"{table}\".\"{column}\", 'MM-DD')"),
        _ => format!("strftime('%m-%d', \"{table}\".\"{column}\")"),
    }
}

/// The days `upcoming_dates` looks at, as the database compares them.
struct Window {
    backend: DbBackend,
    /// `MM-DD` of every day in it (see [`month_days`]).
    mds: BTreeSet<String>,
    /// `MM-DD` of its first day.
    from_md: String,
    limit: u64,
}

impl Window {
    /// Rows of `q` whose date `table.column` falls in the window, in
    /// calendar order from its first day (later this year first, then from
    /// January), at most `limit`.
    fn select<E: EntityTrait>(&self, q: Select<E>, table: &str, column: &str, id: E::Column) -> Select<E> {
        let md = month_day_sql(self.backend, table, column);
        // `from_md` is made of digits and a dash (formatted from a date).
        let wraps = format!("CASE WHEN {md} >= '{}' THEN 0 ELSE 1 END", self.from_md);
        q.filter(Expr::cust(md.clone()).is_in(self.mds.iter().cloned()))
            .order_by(Expr::cust(wraps), Order::Asc)
            .order_by(Expr::cust(md), Order::Asc)
            .order_by_asc(id)
            .limit(self.limit)
    }
}

/// The birthdays and anniversaries falling within the next `days` days
/// (0..=366) that `actor` may see, by date, at most `limit`.
pub async fn upcoming_dates(ctx: &AppCtx, actor: &Principal, days: i32, limit: u64) -> AppResult<Vec<Upcoming>> {
    if !(0..=MAX_DAYS).contains(&i64::from(days)) {
        return Err(AppError::bad_input("days", format!("days is 0 to {MAX_DAYS}")));
    }
    let from = today(ctx);
    let to = from + Duration::days(i64::from(days));
    let db = ctx.db.conn();
    let window = Window {
        backend: db.get_database_backend(),
        mds: month_days(from, i64::from(days)),
        from_md: from.format("%m-%d").to_string(),
        limit,
    };
    let mut out: Vec<Upcoming> = Vec::new();

    for (kind, col, name) in [
        (DateKind::Birthday, customer::Column::Birthday, "birthday"),
        (DateKind::Anniversary, customer::Column::Anniversary, "anniversary"),
    ] {
        let q = customer::Entity::find_visible_to(actor).filter(col.is_not_null());
        let rows = window.select(q, "customers", name, customer::Column::Id).all(db).await?;
        for c in rows {
            let original = if kind == DateKind::Birthday { c.birthday } else { c.anniversary };
            if let Some(original) = original
                && let Some(date) = next_occurrence(original, from).filter(|d| *d <= to)
            {
                out.push(Upcoming { kind, date, original, customer_id: c.id, family_member: None });
            }
        }
    }

    let mut q = family_member::Entity::find().filter(family_member::Column::Birthday.is_not_null());
    if let Some(agent) = actor.only_assigned_to() {
        q = q.filter(family_member::Column::CustomerId.in_subquery(mine(agent)));
    }
    let rows = window.select(q, "family_members", "birthday", family_member::Column::Id).all(db).await?;
    for m in rows {
        if let Some(original) = m.birthday
            && let Some(date) = next_occurrence(original, from).filter(|d| *d <= to)
        {
            out.push(Upcoming {
                kind: DateKind::Birthday,
                date,
                original,
                customer_id: m.customer_id,
                family_member: Some(m),
            });
        }
    }

    out.sort_by_key(|u| {
        (u.date, u.customer_id, u.family_member.as_ref().map(|m| m.id), u.kind == DateKind::Anniversary)
    });
    out.truncate(limit as usize);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_29th_of_february_falls_on_the_28th_in_other_years() {
        assert_eq!(next_occurrence(d(2000, 2, 29), d(2027, 2, 1)), Some(d(2027, 2, 28)));
        assert_eq!(next_occurrence(d(2000, 2, 29), d(2028, 2, 1)), Some(d(2028, 2, 29)));
        assert!(month_days(d(2027, 2, 27), 1).contains("02-29"));
        assert!(!month_days(d(2028, 2, 27), 1).contains("02-29"));
    }

    #[test]
    fn a_window_crosses_the_new_year() {
        let mds = month_days(d(2026, 12, 28), 7);
        assert_eq!(mds.len(), 8);
        assert!(mds.contains("12-28") && mds.contains("01-04") && !mds.contains("01-05"));
        assert_eq!(next_occurrence(d(1990, 1, 2), d(2026, 12, 28)), Some(d(2027, 1, 2)));
        assert_eq!(next_occurrence(d(1990, 12, 28), d(2026, 12, 28)), Some(d(2026, 12, 28)));
    }

    #[test]
    fn summaries_name_the_channel_direction_outcome_and_follow_up() {
        let i = interaction::Model {
            id: 1,
            customer_id: 1,
            agent_id: None,
            channel: InteractionChannel::Call,
            direction: InteractionDirection::Outbound,
            outcome: "reached".into(),
            notes: None,
            follow_up_date: Some(d(2026, 11, 25)),
            occurred_at: Utc::now(),
            created_at: Utc::now(),
        };
        assert_eq!(interaction_summary(&i), "Call (outbound): reached, follow up 2026-11-25");
    }
}
