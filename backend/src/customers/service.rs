//! Customer rules: validation, uniqueness of phones, member codes, the
//! timeline and audit of every change, visibility by role, search.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use super::model::{CustomerStatus, CustomerTier, CustomerType, LifecycleStage, Temperature, customer, note};
use super::phone;
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::{Principal, Role};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::{activities, wallets};

/// What a new customer is made of. Only `name` and `phone` are required.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
    pub tags: Vec<String>,
    pub assigned_agent_id: Option<i64>,
    pub external_ids: Option<Value>,
}

/// A change to a customer: `None` leaves a field alone, `Some(None)` clears
/// an optional one.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub anniversary: Option<Option<NaiveDate>>,
    pub tags: Option<Vec<String>>,
    pub status: Option<CustomerStatus>,
    pub assigned_agent_id: Option<Option<i64>>,
    pub external_ids: Option<Value>,
}

/// The prefix of field names in errors (`input` for `createCustomer(input:)`).
const INPUT: &str = "input";

fn field(name: &str) -> String {
    format!("{INPUT}.{name}")
}

/// Creates a customer with an empty wallet. A phone that already belongs to
/// a customer is `CONFLICT` on `input.phone`.
#[tracing::instrument(skip_all, fields(actor = %actor.actor()))]
pub async fn create(ctx: &AppCtx, actor: &Principal, input: NewCustomer) -> AppResult<customer::Model> {
    let phone = phone::normalize(&input.phone, ctx.phone_region, &field("phone"))?;
    let mut tx = ctx.begin().await?;
    if customer::Entity::find().filter(customer::Column::Phone.eq(&phone)).one(tx.db()).await?.is_some() {
        return Err(AppError::conflict(&field("phone"), "a customer with this phone number already exists"));
    }
    let created = insert(ctx, &mut tx, actor, input, phone).await.map_err(|e| match e {
        AppError::Db(db) if AppError::is_unique_violation(&db) => {
            AppError::conflict(&field("phone"), "a customer with this phone number already exists")
        }
        other => other,
    })?;
    tx.commit().await?;
    Ok(created)
}

/// Finds the customer with this phone (written any way), or creates one.
/// Safe under concurrency: any number of simultaneous calls with the same
/// number make exactly one customer. Returns the customer and whether it
/// was created by this call.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), phone = %phone::mask(raw_phone)))]
pub async fn get_or_create_by_phone(
    ctx: &AppCtx,
    actor: &Principal,
    raw_phone: &str,
    name: Option<String>,
) -> AppResult<(customer::Model, bool)> {
    let phone = phone::normalize(raw_phone, ctx.phone_region, "phone")?;
    if let Some(found) = find_by_phone_normalized(ctx.db.conn(), &phone).await? {
        ensure_visible(actor, &found)?;
        return Ok((found, false));
    }
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let input = NewCustomer {
        name: name.unwrap_or_else(|| format!("Customer {}", phone::national_digits(&phone))),
        phone: phone.clone(),
        ..Default::default()
    };
    let mut tx = ctx.begin().await?;
    // Re-check inside the write transaction: on SQLite writers are
    // serialised, so this sees any customer committed meanwhile.
    if let Some(found) = find_by_phone_normalized(tx.db(), &phone).await? {
        drop(tx);
        ensure_visible(actor, &found)?;
        return Ok((found, false));
    }
    match insert(ctx, &mut tx, actor, input, phone.clone()).await {
        Ok(created) => {
            tx.commit().await?;
            Ok((created, true))
        }
        // PostgreSQL: a concurrent call inserted the same phone and
        // committed first. Ours is void; the winner's customer is the one.
        Err(AppError::Db(e)) if AppError::is_unique_violation(&e) => {
            drop(tx);
            let found = find_by_phone_normalized(ctx.db.conn(), &phone)
                .await?
                .ok_or_else(|| anyhow::anyhow!("customer vanished after a unique violation"))?;
            ensure_visible(actor, &found)?;
            Ok((found, false))
        }
        Err(e) => Err(e),
    }
}

async fn insert(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    input: NewCustomer,
    phone: String,
) -> AppResult<customer::Model> {
    let name = valid_name(&input.name, &field("name"))?;
    let email = input.email.as_deref().map(|e| valid_email(e, &field("email"))).transpose()?.flatten();
    let tags = valid_tags(&input.tags, &field("tags"))?;
    let now = ctx.now();
    valid_dates(ctx, input.birthday, input.anniversary)?;
    let assigned = match (actor.only_assigned_to(), input.assigned_agent_id) {
        (Some(me), None) => Some(me),
        (Some(me), Some(other)) if other != me => {
            return Err(AppError::Forbidden("an agent can only assign customers to themselves".into()));
        }
        (_, agent) => agent,
    };
    if let Some(agent) = assigned {
        crate::auth::service::ensure_active_agent(tx.db(), agent, &field("assignedAgentId")).await?;
    }
    let member_code = next_member_code(ctx, tx.db()).await?;
    let external_ids = valid_external_ids(input.external_ids, &field("externalIds"))?;
    let model = customer::ActiveModel {
        search_text: Set(search_text(&name, email.as_deref(), &member_code, &phone)),
        member_code: Set(member_code),
        name: Set(name),
        phone: Set(phone),
        email: Set(email),
        address: Set(clean_opt(input.address)),
        city: Set(clean_opt(input.city)),
        birthday: Set(input.birthday),
        anniversary: Set(input.anniversary),
        tier: Set(CustomerTier::New),
        customer_type: Set(CustomerType::New),
        lifecycle_stage: Set(LifecycleStage::Prospect),
        temperature: Set(Temperature::Cold),
        status: Set(CustomerStatus::Active),
        tags: Set(json!(tags)),
        assigned_agent_id: Set(assigned),
        external_ids: Set(external_ids),
        ticket_count: Set(0),
        return_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    wallets::service::open(tx.db(), model.id, now).await?;
    activities::service::record(
        tx.db(),
        model.id,
        "customer.created",
        format!("Customer {} created", model.member_code),
        json!({ "memberCode": model.member_code }),
        actor,
        now,
    )
    .await?;
    audit::record(tx, actor, now, Change::on("customer.create", "customer", model.id).after(audit::snapshot(&model)?))
        .await?;
    tx.publish(customer_event("customer.created", &model, actor, now, Value::Null));
    Ok(model)
}

/// Changes a customer's profile, recording what changed in the timeline and
/// the audit log.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), customer = id))]
pub async fn update(ctx: &AppCtx, actor: &Principal, id: i64, patch: CustomerPatch) -> AppResult<customer::Model> {
    let mut tx = ctx.begin().await?;
    let before = customer::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {id}")))?;
    ensure_visible(actor, &before)?;
    ensure_live(&before, "id")?;
    let mut am = before.clone().into_active_model();
    let mut changed: Vec<&str> = Vec::new();
    // What search matches on, as it will be after the change.
    let (mut name_now, mut email_now, mut phone_now) =
        (before.name.clone(), before.email.clone(), before.phone.clone());

    if let Some(name) = patch.name {
        name_now = valid_name(&name, &field("name"))?;
        am.name = Set(name_now.clone());
        changed.push("name");
    }
    if let Some(raw) = patch.phone {
        let p = phone::normalize(&raw, ctx.phone_region, &field("phone"))?;
        if p != before.phone {
            let taken = customer::Entity::find()
                .filter(customer::Column::Phone.eq(&p))
                .filter(customer::Column::Id.ne(id))
                .one(tx.db())
                .await?;
            match taken {
                // The number of a duplicate merged into this customer: the
                // tombstone lets go of it (`~` and its id, which no phone
                // can be).
                Some(t) if t.merged_into_id == Some(id) => {
                    let mut released = t.into_active_model();
                    released.phone = Set(format!("~{}", released.id.as_ref()));
                    released.update(tx.db()).await?;
                }
                Some(_) => {
                    return Err(AppError::conflict(
                        &field("phone"),
                        "a customer with this phone number already exists",
                    ));
                }
                None => {}
            }
            am.phone = Set(p.clone());
            phone_now = p;
            changed.push("phone");
        }
    }
    if let Some(email) = patch.email {
        email_now = email.as_deref().map(|e| valid_email(e, &field("email"))).transpose()?.flatten();
        am.email = Set(email_now.clone());
        changed.push("email");
    }
    if let Some(v) = patch.address {
        am.address = Set(clean_opt(v));
        changed.push("address");
    }
    if let Some(v) = patch.city {
        am.city = Set(clean_opt(v));
        changed.push("city");
    }
    if let Some(v) = patch.birthday {
        valid_dates(ctx, v, None)?;
        am.birthday = Set(v);
        changed.push("birthday");
    }
    if let Some(v) = patch.anniversary {
        valid_dates(ctx, None, v)?;
        am.anniversary = Set(v);
        changed.push("anniversary");
    }
    if let Some(tags) = patch.tags {
        am.tags = Set(json!(valid_tags(&tags, &field("tags"))?));
        changed.push("tags");
    }
    if let Some(status) = patch.status {
        if actor.role < Role::Manager {
            return Err(AppError::Forbidden("only a manager can change a customer's status".into()));
        }
        am.status = Set(status);
        changed.push("status");
    }
    if let Some(agent) = patch.assigned_agent_id {
        if actor.role < Role::Manager {
            return Err(AppError::Forbidden("only a manager can reassign a customer".into()));
        }
        if let Some(agent) = agent {
            crate::auth::service::ensure_active_agent(tx.db(), agent, &field("assignedAgentId")).await?;
        }
        am.assigned_agent_id = Set(agent);
        changed.push("assignedAgentId");
    }
    if let Some(ext) = patch.external_ids {
        am.external_ids = Set(valid_external_ids(Some(ext), &field("externalIds"))?);
        changed.push("externalIds");
    }
    if changed.is_empty() {
        return Ok(before);
    }
    let now = ctx.now();
    am.updated_at = Set(now);
    am.search_text = Set(search_text(&name_now, email_now.as_deref(), &before.member_code, &phone_now));
    let after = am.update(tx.db()).await?;
    activities::service::record(
        tx.db(),
        id,
        "customer.updated",
        format!("Profile updated: {}", changed.join(", ")),
        json!({ "fields": changed }),
        actor,
        now,
    )
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("customer.update", "customer", id).before(audit::snapshot(&before)?).after(audit::snapshot(&after)?),
    )
    .await?;
    tx.publish(customer_event("customer.updated", &after, actor, now, json!({ "fields": changed })));
    if before.assigned_agent_id != after.assigned_agent_id && before.assigned_agent_id.is_some() {
        // The agent who lost the customer must hear about it too.
        let mut ev = customer_event("customer.updated", &after, actor, now, json!({ "fields": changed }));
        ev.assigned_agent_id = before.assigned_agent_id;
        tx.publish(ev);
    }
    tx.commit().await?;
    Ok(after)
}

/// A customer the caller may see. `NOT_FOUND` when there is none,
/// `FORBIDDEN` when it belongs to another agent.
pub async fn get(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<customer::Model> {
    let found = customer::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {id}")))?;
    ensure_visible(actor, &found)?;
    Ok(found)
}

/// [`get`], following a merge: records addressed to a merged duplicate
/// (an order, a ticket sent with its old id) go to the customer it was
/// merged into, as its wallet movements do.
pub async fn get_live(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<customer::Model> {
    let found = get(ctx, actor, id).await?;
    if found.merged_into_id.is_none() {
        return Ok(found);
    }
    let live = follow_merge(ctx.db.conn(), found).await?;
    ensure_visible(actor, &live)?;
    Ok(live)
}

/// The customer with this phone (written any way), if any.
pub async fn find_by_phone(ctx: &AppCtx, actor: &Principal, raw: &str) -> AppResult<Option<customer::Model>> {
    let phone = phone::normalize(raw, ctx.phone_region, "phone")?;
    let found = find_by_phone_normalized(ctx.db.conn(), &phone).await?;
    if let Some(c) = &found {
        ensure_visible(actor, c)?;
    }
    Ok(found)
}

/// The customer with this member code, if any.
pub async fn find_by_member_code(ctx: &AppCtx, actor: &Principal, code: &str) -> AppResult<Option<customer::Model>> {
    let found = customer::Entity::find()
        .filter(customer::Column::MemberCode.eq(code.trim().to_ascii_uppercase()))
        .one(ctx.db.conn())
        .await?;
    if let Some(c) = &found {
        ensure_visible(actor, c)?;
    }
    Ok(found)
}

/// The customer with this E.164 phone. A merged duplicate's phone leads
/// to the customer it was merged into: the duplicate's number works as an
/// extra number of the survivor (tombstones always point at a live
/// customer, see [`super::merge`]).
async fn find_by_phone_normalized<C: ConnectionTrait>(db: &C, phone: &str) -> AppResult<Option<customer::Model>> {
    let found = customer::Entity::find().filter(customer::Column::Phone.eq(phone)).one(db).await?;
    match found {
        Some(c) if c.merged_into_id.is_some() => follow_merge(db, c).await.map(Some),
        other => Ok(other),
    }
}

/// The live customer a tombstone was merged into (the customer itself when
/// it is live).
pub async fn follow_merge<C: ConnectionTrait>(db: &C, c: customer::Model) -> AppResult<customer::Model> {
    let Some(into) = c.merged_into_id else { return Ok(c) };
    customer::Entity::find_by_id(into)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("customer {} merged into a missing customer", c.id)))
}

/// `CONFLICT` on `field` when `c` is a merged duplicate: it takes no more
/// changes, its survivor does.
pub fn ensure_live(c: &customer::Model, field: &str) -> AppResult<()> {
    match c.merged_into_id {
        Some(into) => Err(AppError::conflict(
            field,
            format!("customer {} was merged into customer {into}; use that one", c.member_code),
        )),
        None => Ok(()),
    }
}

/// `FORBIDDEN` unless the caller may see this customer.
pub fn ensure_visible(actor: &Principal, c: &customer::Model) -> AppResult<()> {
    ensure_visible_owner(actor, c.assigned_agent_id)
}

/// [`ensure_visible`] for a customer of whom only the owning agent is known.
pub fn ensure_visible_owner(actor: &Principal, assigned_agent_id: Option<i64>) -> AppResult<()> {
    match actor.only_assigned_to() {
        Some(agent) if assigned_agent_id != Some(agent) => {
            Err(AppError::Forbidden("this customer is assigned to another agent".into()))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- search

/// Order of a customer list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, async_graphql::Enum)]
pub enum CustomerSort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

/// What a customer list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct CustomerListQuery {
    /// Words that must all appear in the name, phone, email or member code.
    pub search: Option<String>,
    pub tiers: Vec<CustomerTier>,
    pub statuses: Vec<CustomerStatus>,
    /// Customers carrying any of these tags.
    pub tags: Vec<String>,
    pub assigned_agent_id: Option<i64>,
    /// Only customers with no agent.
    pub unassigned: bool,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub sort: CustomerSort,
}

/// Where a page starts: after this row in the list's order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerCursor {
    pub id: i64,
    /// The name of that row, for name orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn filtered(actor: &Principal, q: &CustomerListQuery) -> sea_orm::Select<customer::Entity> {
    let mut s = customer::Entity::find_visible_to(actor);
    if let Some(text) = &q.search {
        for token in search_tokens(text) {
            s = s.filter(customer::Column::SearchText.like(crate::db::contains_pattern(&token)));
        }
    }
    if !q.tiers.is_empty() {
        s = s.filter(customer::Column::Tier.is_in(q.tiers.iter().copied()));
    }
    if !q.statuses.is_empty() {
        s = s.filter(customer::Column::Status.is_in(q.statuses.iter().copied()));
    }
    if !q.tags.is_empty() {
        let mut any = Condition::any();
        for tag in &q.tags {
            any = any.add(customer::has_tag(tag));
        }
        s = s.filter(any);
    }
    if let Some(agent) = q.assigned_agent_id {
        s = s.filter(customer::Column::AssignedAgentId.eq(agent));
    }
    if q.unassigned {
        s = s.filter(customer::Column::AssignedAgentId.is_null());
    }
    if let Some(from) = q.created_from {
        s = s.filter(customer::Column::CreatedAt.gte(from));
    }
    if let Some(to) = q.created_to {
        s = s.filter(customer::Column::CreatedAt.lt(to));
    }
    s
}

/// One page of customers in the query's order, after `after`, plus whether
/// more follow. Keyset pagination (no OFFSET), so deep pages stay fast.
pub async fn search(
    ctx: &AppCtx,
    actor: &Principal,
    q: &CustomerListQuery,
    first: u64,
    after: Option<CustomerCursor>,
) -> AppResult<(Vec<customer::Model>, bool)> {
    use customer::Column as C;
    let mut s = filtered(actor, q);
    if let Some(cur) = &after {
        let by_name = |gt: bool| {
            let name = cur.name.clone().unwrap_or_default();
            let (name_cmp, id_cmp) = if gt {
                (C::Name.gt(name.clone()), C::Id.gt(cur.id))
            } else {
                (C::Name.lt(name.clone()), C::Id.lt(cur.id))
            };
            Condition::any().add(name_cmp).add(Condition::all().add(C::Name.eq(name)).add(id_cmp))
        };
        s = match q.sort {
            CustomerSort::CreatedDesc => s.filter(C::Id.lt(cur.id)),
            CustomerSort::CreatedAsc => s.filter(C::Id.gt(cur.id)),
            CustomerSort::NameAsc => s.filter(by_name(true)),
            CustomerSort::NameDesc => s.filter(by_name(false)),
        };
    }
    s = match q.sort {
        CustomerSort::CreatedDesc => s.order_by_desc(C::Id),
        CustomerSort::CreatedAsc => s.order_by_asc(C::Id),
        CustomerSort::NameAsc => s.order_by_asc(C::Name).order_by_asc(C::Id),
        CustomerSort::NameDesc => s.order_by_desc(C::Name).order_by_desc(C::Id),
    };
    let mut rows = s.limit(first + 1).all(ctx.db.conn()).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}

/// The cursor pointing at `c` in the order `sort`.
pub fn cursor_of(c: &customer::Model, sort: CustomerSort) -> CustomerCursor {
    match sort {
        CustomerSort::NameAsc | CustomerSort::NameDesc => CustomerCursor { id: c.id, name: Some(c.name.clone()) },
        _ => CustomerCursor { id: c.id, name: None },
    }
}

/// How many customers match (computed only when a client asks).
pub async fn count(ctx: &AppCtx, actor: &Principal, q: &CustomerListQuery) -> AppResult<u64> {
    Ok(filtered(actor, q).count(ctx.db.conn()).await?)
}

/// Lower-case, accent-free words of a search (`Nguyễn 0901` → `nguyen`, `0901`).
pub fn search_tokens(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split_whitespace()
        .map(|t| t.trim_start_matches('+').to_owned())
        .filter(|t| !t.is_empty())
        .take(8)
        .collect()
}

/// What search matches a customer against.
pub fn search_text(name: &str, email: Option<&str>, member_code: &str, phone_e164: &str) -> String {
    let digits: String = phone_e164.chars().filter(char::is_ascii_digit).collect();
    let mut s = format!(
        "{} {} {} {} {}",
        deunicode::deunicode(name).to_lowercase(),
        email.unwrap_or_default().to_lowercase(),
        member_code.to_lowercase(),
        digits,
        phone::national_digits(phone_e164)
    );
    s.truncate(1000);
    s
}

// ----------------------------------------------------------------- notes

/// Adds a note to a customer, optionally pinned.
pub async fn add_note(
    ctx: &AppCtx,
    actor: &Principal,
    customer_id: i64,
    body: &str,
    pinned: bool,
) -> AppResult<note::Model> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::bad_input("body", "a note cannot be empty"));
    }
    if body.chars().count() > 5000 {
        return Err(AppError::bad_input("body", "a note is at most 5000 characters"));
    }
    let owner = get(ctx, actor, customer_id).await?;
    ensure_live(&owner, "customerId")?;
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let created = note::ActiveModel {
        customer_id: Set(customer_id),
        author_id: Set(actor.user_id()),
        body: Set(body.to_owned()),
        pinned: Set(pinned),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    let preview: String = body.chars().take(80).collect();
    activities::service::record(
        tx.db(),
        customer_id,
        "note.added",
        format!("Note: {preview}"),
        json!({ "noteId": created.id }),
        actor,
        now,
    )
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("note.add", "customer_note", created.id).after(audit::snapshot(&created)?),
    )
    .await?;
    tx.publish(customer_event("customer.note_added", &owner, actor, now, json!({ "noteId": created.id })));
    tx.commit().await?;
    Ok(created)
}

/// Pins or unpins a note.
pub async fn pin_note(ctx: &AppCtx, actor: &Principal, note_id: i64, pinned: bool) -> AppResult<note::Model> {
    let existing = note::Entity::find_by_id(note_id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("note {note_id}")))?;
    get(ctx, actor, existing.customer_id).await?;
    if existing.pinned == pinned {
        return Ok(existing);
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let mut am = existing.clone().into_active_model();
    am.pinned = Set(pinned);
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    let verb = if pinned { "pinned" } else { "unpinned" };
    activities::service::record(
        tx.db(),
        existing.customer_id,
        "note.pinned",
        format!("Note {verb}"),
        json!({ "noteId": note_id, "pinned": pinned }),
        actor,
        now,
    )
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("note.pin", "customer_note", note_id)
            .before(audit::snapshot(&existing)?)
            .after(audit::snapshot(&after)?),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The notes of several customers (pinned first, then newest first), in one
/// query, for the DataLoader.
pub async fn notes_of<C: ConnectionTrait>(db: &C, customer_ids: &[i64]) -> AppResult<Vec<note::Model>> {
    Ok(note::Entity::find()
        .filter(note::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .order_by_desc(note::Column::Pinned)
        .order_by_desc(note::Column::Id)
        .all(db)
        .await?)
}

/// The customers with these ids, in one query, for the DataLoader.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<customer::Model>> {
    Ok(customer::Entity::find().filter(customer::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

// ------------------------------------------------------------ validation

fn valid_name(raw: &str, field: &str) -> AppResult<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err(AppError::bad_input(field, "a name is required")),
        n if n > 200 => Err(AppError::bad_input(field, "a name is at most 200 characters")),
        _ => Ok(name),
    }
}

/// A lower-case email, `None` for an empty string, or `BAD_USER_INPUT`.
pub fn valid_email(raw: &str, field: &str) -> AppResult<Option<String>> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Ok(None);
    }
    let ok = email.len() <= 320
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((user, host)) if !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !host.contains('@'));
    if ok { Ok(Some(email)) } else { Err(AppError::bad_input(field, "not a valid email address")) }
}

fn valid_tags(tags: &[String], field: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > 50 {
            return Err(AppError::bad_input(field, "a tag is 1 to 50 characters"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 30 {
        return Err(AppError::bad_input(field, "at most 30 tags"));
    }
    Ok(out)
}

fn valid_dates(ctx: &AppCtx, birthday: Option<NaiveDate>, anniversary: Option<NaiveDate>) -> AppResult<()> {
    let today = ctx.now().with_timezone(&ctx.tz).date_naive();
    if let Some(b) = birthday
        && (b > today || b < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN))
    {
        return Err(AppError::bad_input(&field("birthday"), "a birthday must be between 1900 and today"));
    }
    if let Some(a) = anniversary
        && a > today
    {
        return Err(AppError::bad_input(&field("anniversary"), "an anniversary cannot be in the future"));
    }
    Ok(())
}

fn valid_external_ids(v: Option<Value>, field: &str) -> AppResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::Object(map)) => {
            if map.len() > 20 || map.iter().any(|(k, v)| k.len() > 50 || !v.is_string()) {
                return Err(AppError::bad_input(field, "external ids are an object of up to 20 source: id strings"));
            }
            Ok(Value::Object(map))
        }
        Some(_) => Err(AppError::bad_input(field, "external ids are an object of source: id strings")),
    }
}

fn clean_opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().chars().take(500).collect::<String>()).filter(|s| !s.is_empty())
}

async fn next_member_code<C: ConnectionTrait>(ctx: &AppCtx, db: &C) -> AppResult<String> {
    let year = ctx.business_year();
    let n = crate::db::next_in_sequence(db, &format!("MEM-{year}"), 1).await?;
    Ok(member_code(year, n))
}

/// `MEM-2026-0001`: at least four digits, more when the year needs them.
pub fn member_code(year: i32, n: i64) -> String {
    format!("MEM-{year}-{n:04}")
}

pub(crate) fn customer_event(
    kind: &str,
    c: &customer::Model,
    actor: &Principal,
    at: DateTime<Utc>,
    data: Value,
) -> DomainEvent {
    let mut ev = DomainEvent::new(kind, "customer", c.id, &actor.actor(), at);
    ev.customer_id = Some(c.id);
    ev.assigned_agent_id = c.assigned_agent_id;
    ev.data = data;
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_codes_have_four_digits_at_least() {
        assert_eq!(member_code(2026, 1), "MEM-2026-0001");
        assert_eq!(member_code(2026, 123456), "MEM-2026-123456");
    }

    #[test]
    fn search_ignores_accents_and_case() {
        let text = search_text("Nguyễn Văn Ánh", Some("Anh@X.vn"), "MEM-2026-0001", "+84901234567");
        for token in search_tokens("NGUYEN ánh 0901234 mem-2026 anh@x") {
            assert!(text.contains(&token), "{token} in {text}");
        }
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(valid_email(" A@B.vn ", "e").unwrap(), Some("a@b.vn".into()));
        assert_eq!(valid_email("", "e").unwrap(), None);
        for bad in ["a", "a@b", "@b.vn", "a b@c.vn", "a@.vn"] {
            assert!(valid_email(bad, "e").is_err(), "{bad}");
        }
    }
}
