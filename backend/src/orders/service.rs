//! Order and catalog rules.
//!
//! - **Codes** `ORD-YYYYMMDD-NNN`: the day is the business time zone's, the
//!   number comes from [`crate::db::Db::next_code_number`] (per day on
//!   SQLite, a never-repeating sequence on PostgreSQL); at least 3 digits.
//! - **Amount**: the sum of the items (`quantity × unit price`; a known SKU
//!   gives its catalog price when none is sent), or the amount sent when
//!   there are no items. Both sent and different: `BAD_USER_INPUT`.
//! - **Idempotent by external id**: an order whose `externalId` is already
//!   known is not created again; the existing one is returned
//!   (`created: false`). Safe under concurrency (unique index).
//! - **Customer totals**: `totalSpent`, `orderCount` and `lastOrderAt` add
//!   up the customer's orders that count (all but CANCELLED and RETURNED).
//!   They are recomputed in the transaction that creates or changes an
//!   order, with the customer's row locked first, so concurrent orders of
//!   one customer cannot lose each other's totals.
//! - **RFM**: the customer's scores, segment, tier and the other derived
//!   fields are recomputed in the same transaction
//!   ([`crate::analytics::rfm::recalculate_in`]).
//! - **Access**: an AGENT orders for their own customers; importing and
//!   status changes are for MANAGERs (and WRITE API keys).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::model::{OrderChannel, OrderStatus, ProductKind, item, order, product};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::{Principal, Role};
use crate::customers::model::customer;
use crate::customers::service as customers;
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::money::{MAX_AMOUNT, Money};

/// Most lines on one order.
pub const MAX_ITEMS: usize = 200;
/// Most units on one line.
pub const MAX_QUANTITY: i32 = 100_000;
/// Most orders in one `importOrders` call.
pub const MAX_IMPORT: usize = 1_000;
/// How far in the future an order date may be (clock skew).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// `ORD-20261121-007`.
pub fn order_code(day: NaiveDate, n: i64) -> String {
    format!("ORD-{}-{n:03}", day.format("%Y%m%d"))
}

/// Who the order is for.
#[derive(Debug, Clone)]
pub enum OrderCustomer {
    Id(i64),
    /// Found, or created with this name.
    Phone {
        phone: String,
        name: Option<String>,
    },
}

/// One line of a new order.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: i32,
    pub unit_price: Option<Money>,
}

/// What a new order is made of.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub customer: OrderCustomer,
    pub external_id: Option<String>,
    pub channel: OrderChannel,
    pub status: OrderStatus,
    pub ordered_at: Option<DateTime<Utc>>,
    pub items: Vec<NewItem>,
    pub amount: Option<Money>,
    pub note: Option<String>,
}

/// The outcome of [`create`].
#[derive(Debug, Clone)]
pub struct Placed {
    pub order: order::Model,
    /// False when an order with the same external id already existed.
    pub created: bool,
}

fn field(prefix: &str, name: &str) -> String {
    format!("{prefix}.{name}")
}

fn trimmed(value: Option<String>, max: usize, field: &str) -> AppResult<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if value.chars().count() > max {
        return Err(AppError::bad_input(field, format!("at most {max} characters")));
    }
    Ok(Some(value))
}

/// A line checked and priced.
struct Line {
    product_id: Option<i64>,
    sku: Option<String>,
    name: String,
    quantity: i32,
    unit_price: i64,
    amount: i64,
}

/// Checks the lines and the amount; `prefix` names the input (`input`,
/// `orders.3`) in errors.
async fn price(ctx: &AppCtx, input: &NewOrder, prefix: &str) -> AppResult<(Vec<Line>, i64)> {
    if input.items.len() > MAX_ITEMS {
        return Err(AppError::bad_input(&field(prefix, "items"), format!("at most {MAX_ITEMS} items")));
    }
    let skus: Vec<String> = input.items.iter().filter_map(|i| i.sku.as_ref()).map(|s| s.trim().to_owned()).collect();
    let catalog = if skus.is_empty() {
        Vec::new()
    } else {
        product::Entity::find().filter(product::Column::Sku.is_in(skus)).all(ctx.db.conn()).await?
    };
    let mut lines = Vec::with_capacity(input.items.len());
    let mut total: i64 = 0;
    for (i, it) in input.items.iter().enumerate() {
        let at = |name: &str| format!("{prefix}.items.{i}.{name}");
        let sku = trimmed(it.sku.clone(), 64, &at("sku"))?;
        let known = sku.as_ref().and_then(|s| catalog.iter().find(|p| &p.sku == s));
        if !(1..=MAX_QUANTITY).contains(&it.quantity) {
            return Err(AppError::bad_input(&at("quantity"), format!("a quantity is 1 to {MAX_QUANTITY}")));
        }
        let name = match (trimmed(it.name.clone(), 200, &at("name"))?, known) {
            (Some(name), _) => name,
            (None, Some(p)) => p.name.clone(),
            (None, None) => {
                return Err(match &sku {
                    Some(s) => {
                        AppError::bad_input(&at("sku"), format!("no product {s}: give the item's name and unitPrice"))
                    }
                    None => AppError::bad_input(&at("name"), "an item needs a name or a known SKU"),
                });
            }
        };
        let unit_price = match (it.unit_price, known) {
            (Some(p), _) => p.0,
            (None, Some(p)) => p.price,
            (None, None) => return Err(AppError::bad_input(&at("unitPrice"), "no price given and the SKU is unknown")),
        };
        if !(0..=MAX_AMOUNT).contains(&unit_price) {
            return Err(AppError::bad_input(&at("unitPrice"), "a price is zero or more, within the money range"));
        }
        let amount = unit_price
            .checked_mul(i64::from(it.quantity))
            .filter(|a| *a <= MAX_AMOUNT)
            .ok_or_else(|| AppError::bad_input(&at("quantity"), "quantity × price is too large"))?;
        total = total
            .checked_add(amount)
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| AppError::bad_input(&field(prefix, "items"), "the order total is too large"))?;
        lines.push(Line { product_id: known.map(|p| p.id), sku, name, quantity: it.quantity, unit_price, amount });
    }
    let amount = match (input.amount, lines.is_empty()) {
        (None, true) => return Err(AppError::bad_input(&field(prefix, "items"), "an order needs items or an amount")),
        (None, false) => total,
        (Some(a), true) => a.0,
        (Some(a), false) if a.0 == total => total,
        (Some(a), false) => {
            return Err(AppError::bad_input(
                &field(prefix, "amount"),
                format!("the amount {} is not the sum of the items ({})", a.0, total),
            ));
        }
    };
    if !(0..=MAX_AMOUNT).contains(&amount) {
        return Err(AppError::bad_input(&field(prefix, "amount"), "an amount is zero or more, within the money range"));
    }
    Ok((lines, amount))
}

/// The order with this external id, if any.
async fn by_external_id(ctx: &AppCtx, external_id: &str) -> AppResult<Option<order::Model>> {
    Ok(order::Entity::find().filter(order::Column::ExternalId.eq(external_id)).one(ctx.db.conn()).await?)
}

/// Creates an order (or returns the one with the same external id) and
/// updates the customer's totals; `prefix` names the input in errors.
#[tracing::instrument(skip_all, fields(actor = %actor.actor()))]
pub async fn create(ctx: &AppCtx, actor: &Principal, input: NewOrder, prefix: &str) -> AppResult<Placed> {
    let external_id = trimmed(input.external_id.clone(), 100, &field(prefix, "externalId"))?;
    if let Some(ext) = &external_id
        && let Some(existing) = by_external_id(ctx, ext).await?
    {
        customers::get(ctx, actor, existing.customer_id).await?;
        return Ok(Placed { order: existing, created: false });
    }
    let note = trimmed(input.note.clone(), 2_000, &field(prefix, "note"))?;
    let now = ctx.now();
    let ordered_at = input.ordered_at.unwrap_or(now);
    if ordered_at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(AppError::bad_input(&field(prefix, "orderedAt"), "an order date cannot be in the future"));
    }
    let (lines, amount) = price(ctx, &input, prefix).await?;
    let customer = match input.customer {
        OrderCustomer::Id(id) => customers::get_live(ctx, actor, id).await?,
        OrderCustomer::Phone { phone, name } => {
            let phone = crate::customers::phone::normalize(&phone, ctx.phone_region, &field(prefix, "phone"))?;
            customers::get_or_create_by_phone(ctx, actor, &phone, name).await?.0
        }
    };
    let mut tx = ctx.begin().await?;
    lock_customer(&tx, customer.id).await?;
    let day = ordered_at.with_timezone(&ctx.tz).date_naive();
    let family = format!("ORD-{}", day.format("%Y%m%d"));
    let n = ctx.db.next_code_number(&tx, "ORD", &family).await?;
    let inserted = order::ActiveModel {
        code: Set(order_code(day, n)),
        customer_id: Set(customer.id),
        external_id: Set(external_id.clone()),
        channel: Set(input.channel),
        status: Set(input.status),
        amount: Set(amount),
        item_count: Set(lines.iter().map(|l| l.quantity).sum()),
        note: Set(note),
        ordered_at: Set(ordered_at),
        created_by: Set(actor.actor()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx.db())
    .await;
    let o = match (inserted, &external_id) {
        (Ok(o), _) => o,
        // PostgreSQL: the same external id was committed meanwhile.
        (Err(e), Some(ext)) if AppError::is_unique_violation(&e) => {
            drop(tx);
            let existing = by_external_id(ctx, ext)
                .await?
                .ok_or_else(|| anyhow::anyhow!("order vanished after a unique violation"))?;
            return Ok(Placed { order: existing, created: false });
        }
        (Err(e), _) => return Err(e.into()),
    };
    if !lines.is_empty() {
        let rows = lines.into_iter().map(|l| item::ActiveModel {
            order_id: Set(o.id),
            product_id: Set(l.product_id),
            sku: Set(l.sku),
            name: Set(l.name),
            quantity: Set(l.quantity),
            unit_price: Set(l.unit_price),
            amount: Set(l.amount),
            ..Default::default()
        });
        item::Entity::insert_many(rows).exec(tx.db()).await?;
    }
    refresh_totals(&tx, customer.id, now).await?;
    crate::analytics::rfm::recalculate_in(ctx, &mut tx, actor, Some(customer.id)).await?;
    let decimals = ctx.config.currency_decimals;
    let summary = format!("Order {} placed: {} {}", o.code, Money(o.amount).format(decimals), ctx.config.currency);
    let data = json!({ "orderId": o.id, "code": o.code, "amount": Money(o.amount).format(decimals), "amountMinor": o.amount,
        "status": o.status.to_value() });
    record(&mut tx, actor, &o, customer.assigned_agent_id, "order.created", summary, data, now).await?;
    audit::record(&tx, actor, now, Change::on("order.create", "order", o.id).after(audit::snapshot(&o)?)).await?;
    tx.commit().await?;
    Ok(Placed { order: o, created: true })
}

/// What one call of [`import`] did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: Vec<order::Model>,
    /// Orders whose external id was already known (not created again).
    pub existing: Vec<order::Model>,
    /// `(index in the input, the error)`: those rows were skipped.
    pub failed: Vec<(usize, AppError)>,
}

/// Creates many orders, each in its own transaction: a bad row is reported
/// with its index and skipped, the others are kept. Every row needs an
/// external id, which makes running the same import again harmless.
/// `orders` pairs each order with its position in the caller's list, which
/// names it in errors (`orders.3.amount`).
pub async fn import(ctx: &AppCtx, actor: &Principal, orders: Vec<(usize, NewOrder)>) -> AppResult<ImportReport> {
    if orders.len() > MAX_IMPORT {
        return Err(AppError::bad_input("orders", format!("at most {MAX_IMPORT} orders per call")));
    }
    let mut report = ImportReport::default();
    for (i, input) in orders {
        let prefix = format!("orders.{i}");
        if input.external_id.as_deref().is_none_or(|e| e.trim().is_empty()) {
            report.failed.push((
                i,
                AppError::bad_input(&field(&prefix, "externalId"), "an imported order needs an external id"),
            ));
            continue;
        }
        match create(ctx, actor, input, &prefix).await {
            Ok(Placed { order, created: true }) => report.created.push(order),
            Ok(Placed { order, created: false }) => report.existing.push(order),
            Err(
                e @ (AppError::BadInput { .. }
                | AppError::NotFound(_)
                | AppError::Forbidden(_)
                | AppError::Conflict { .. }),
            ) => report.failed.push((i, e)),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// Moves an order to `to` (see [`OrderStatus::can_become`]) and updates
/// the customer's totals.
#[tracing::instrument(skip_all, fields(actor = %actor.actor(), order = id))]
pub async fn set_status(ctx: &AppCtx, actor: &Principal, id: i64, to: OrderStatus) -> AppResult<order::Model> {
    let now = ctx.now();
    let mut tx = ctx.begin().await?;
    let customer_id = order::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("order {id}")))?
        .customer_id;
    let agent = lock_customer(&tx, customer_id).await?;
    customers::ensure_visible_owner(actor, agent)?;
    let before =
        order::Entity::find_by_id(id).one(tx.db()).await?.ok_or_else(|| AppError::NotFound(format!("order {id}")))?;
    if before.status == to {
        return Ok(before);
    }
    if !before.status.can_become(to) {
        return Err(AppError::InvalidTransition { from: before.status.to_value(), to: to.to_value() });
    }
    let mut am = before.clone().into_active_model();
    am.status = Set(to);
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    refresh_totals(&tx, customer_id, now).await?;
    crate::analytics::rfm::recalculate_in(ctx, &mut tx, actor, Some(customer_id)).await?;
    let summary = format!("Order {}: {} → {}", after.code, before.status.to_value(), to.to_value());
    let data = json!({ "orderId": after.id, "code": after.code, "amountMinor": after.amount, "from": before.status.to_value(),
            "to": to.to_value() });
    record(&mut tx, actor, &after, agent, "order.status_changed", summary, data, now).await?;
    let view = |o: &order::Model| json!({ "status": o.status.to_value() });
    audit::record(&tx, actor, now, Change::on("order.status", "order", id).before(view(&before)).after(view(&after)))
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Locks the customer's row until the transaction ends (orders of one
/// customer are then written one after the other) and returns its agent.
async fn lock_customer(tx: &Tx, customer_id: i64) -> AppResult<Option<i64>> {
    let c = customer::Entity::find_by_id(customer_id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer {customer_id}")))?;
    Ok(c.assigned_agent_id)
}

/// Recomputes the customer's totals from their orders that count.
async fn refresh_totals(tx: &Tx, customer_id: i64, now: DateTime<Utc>) -> AppResult<()> {
    refresh_totals_between(tx.db(), customer_id, customer_id, now).await
}

/// Recomputes `total_spent`, `order_count` and `last_order_at` of the
/// customers with ids `from..=to` from their orders that count, in one
/// statement (correlated subqueries on `idx_orders_customer`).
pub async fn refresh_totals_between<C: sea_orm::ConnectionTrait>(
    db: &C,
    from: i64,
    to: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use sea_orm::sea_query::{Alias, Query, SubQueryStatement};
    let of_customer = |aggregate: Expr| {
        let mut q = Query::select();
        q.expr(aggregate)
            .from(order::Entity)
            .and_where(
                Expr::col((order::Entity, order::Column::CustomerId)).equals((customer::Entity, customer::Column::Id)),
            )
            .and_where(
                Expr::col((order::Entity, order::Column::Status)).is_in(OrderStatus::COUNTED.map(|s| s.to_value())),
            );
        Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
    };
    let spent = Expr::col((order::Entity, order::Column::Amount)).sum().cast_as(Alias::new("BIGINT"));
    customer::Entity::update_many()
        .col_expr(customer::Column::TotalSpent, Expr::expr(of_customer(spent)).if_null(0))
        .col_expr(customer::Column::OrderCount, of_customer(Expr::col((order::Entity, order::Column::Id)).count()))
        .col_expr(
            customer::Column::LastOrderAt,
            of_customer(Expr::col((order::Entity, order::Column::OrderedAt)).max()),
        )
        .col_expr(customer::Column::UpdatedAt, Expr::value(now))
        .filter(customer::Column::Id.between(from, to))
        .exec(db)
        .await?;
    Ok(())
}

/// Timeline entry and event for an order change.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut Tx,
    actor: &Principal,
    o: &order::Model,
    agent: Option<i64>,
    kind: &str,
    summary: String,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    crate::activities::service::record(tx.db(), o.customer_id, kind, summary, data.clone(), actor, now).await?;
    let mut ev = DomainEvent::new(kind, "order", o.id, &actor.actor(), now);
    ev.customer_id = Some(o.customer_id);
    ev.assigned_agent_id = agent;
    ev.data = data;
    tx.publish(ev);
    Ok(())
}

// ---------------------------------------------------------------- reads

/// One order, if `actor` may see its customer.
pub async fn get(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<order::Model> {
    let o = order::Entity::find_by_id(id)
        .one(ctx.db.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("order {id}")))?;
    customers::get(ctx, actor, o.customer_id).await?;
    Ok(o)
}

/// The lines of these orders.
pub async fn items_of(ctx: &AppCtx, order_ids: &[i64]) -> AppResult<Vec<item::Model>> {
    Ok(item::Entity::find()
        .filter(item::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(item::Column::Id)
        .all(ctx.db.conn())
        .await?)
}

/// Narrows an order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub customer_id: Option<i64>,
    pub statuses: Vec<OrderStatus>,
    pub channels: Vec<OrderChannel>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn condition(actor: &Principal, f: &OrderFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(id) = f.customer_id {
        c = c.add(order::Column::CustomerId.eq(id));
    }
    if !f.statuses.is_empty() {
        c = c.add(order::Column::Status.is_in(f.statuses.iter().copied()));
    }
    if !f.channels.is_empty() {
        c = c.add(order::Column::Channel.is_in(f.channels.iter().copied()));
    }
    if let Some(from) = f.from {
        c = c.add(order::Column::OrderedAt.gte(from));
    }
    if let Some(to) = f.to {
        c = c.add(order::Column::OrderedAt.lt(to));
    }
    if let Some(agent) = actor.only_assigned_to() {
        let mine = sea_orm::sea_query::Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(customer::Column::AssignedAgentId.eq(agent))
            .to_owned();
        c = c.add(order::Column::CustomerId.in_subquery(mine));
    }
    c
}

/// A page of orders, newest first (by date, then id), after the cursor
/// `(ordered_at, id)`.
pub async fn list(
    ctx: &AppCtx,
    actor: &Principal,
    f: &OrderFilter,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<order::Model>> {
    let mut q = order::Entity::find().filter(condition(actor, f));
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any()
                .add(order::Column::OrderedAt.lt(at))
                .add(Condition::all().add(order::Column::OrderedAt.eq(at)).add(order::Column::Id.lt(id))),
        );
    }
    Ok(q.order_by_desc(order::Column::OrderedAt)
        .order_by_desc(order::Column::Id)
        .limit(limit)
        .all(ctx.db.conn())
        .await?)
}

/// How many orders match.
pub async fn count(ctx: &AppCtx, actor: &Principal, f: &OrderFilter) -> AppResult<u64> {
    Ok(order::Entity::find().filter(condition(actor, f)).count(ctx.db.conn()).await?)
}

// ---------------------------------------------------------------- catalog

/// A catalog entry to create or replace.
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
    pub kind: ProductKind,
    pub price: Money,
    /// For a package: `(sku, quantity)` of each product in it.
    pub components: Vec<(String, i32)>,
    pub active: bool,
}

/// Creates the product with this SKU, or replaces it (MANAGER).
pub async fn save_product(ctx: &AppCtx, actor: &Principal, input: ProductInput) -> AppResult<product::Model> {
    if actor.role < Role::Manager {
        return Err(AppError::Forbidden("the catalog is changed by a MANAGER".into()));
    }
    let sku = trimmed(Some(input.sku), 64, "input.sku")?
        .ok_or_else(|| AppError::bad_input("input.sku", "a SKU is required"))?;
    let name = trimmed(Some(input.name), 200, "input.name")?
        .ok_or_else(|| AppError::bad_input("input.name", "a name is required"))?;
    if !(0..=MAX_AMOUNT).contains(&input.price.0) {
        return Err(AppError::bad_input("input.price", "a price is zero or more, within the money range"));
    }
    let components = match input.kind {
        ProductKind::Product if !input.components.is_empty() => {
            return Err(AppError::bad_input("input.components", "only a PACKAGE has components"));
        }
        ProductKind::Product => Vec::new(),
        ProductKind::Package => {
            if input.components.is_empty() {
                return Err(AppError::bad_input("input.components", "a package lists the products in it"));
            }
            let skus: Vec<String> = input.components.iter().map(|(s, _)| s.trim().to_owned()).collect();
            let known = product::Entity::find()
                .filter(product::Column::Sku.is_in(skus.clone()))
                .filter(product::Column::Kind.eq(ProductKind::Product))
                .all(ctx.db.conn())
                .await?;
            for (i, (s, q)) in skus.iter().zip(input.components.iter().map(|(_, q)| *q)).enumerate() {
                if !known.iter().any(|p| &p.sku == s) {
                    return Err(AppError::bad_input(&format!("input.components.{i}.sku"), format!("no product {s}")));
                }
                if !(1..=MAX_QUANTITY).contains(&q) {
                    return Err(AppError::bad_input(&format!("input.components.{i}.quantity"), "1 or more"));
                }
            }
            skus.into_iter().zip(input.components.iter().map(|(_, q)| *q)).collect()
        }
    };
    let components = json!(components.iter().map(|(s, q)| json!({ "sku": s, "quantity": q })).collect::<Vec<_>>());
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let existing = product::Entity::find().filter(product::Column::Sku.eq(&sku)).one(tx.db()).await?;
    let saved = match existing.clone() {
        Some(p) => {
            let mut am = p.into_active_model();
            am.name = Set(name);
            am.kind = Set(input.kind);
            am.price = Set(input.price.0);
            am.components = Set(components);
            am.active = Set(input.active);
            am.updated_at = Set(now);
            am.update(tx.db()).await?
        }
        None => {
            product::ActiveModel {
                sku: Set(sku),
                name: Set(name),
                kind: Set(input.kind),
                price: Set(input.price.0),
                components: Set(components),
                active: Set(input.active),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(tx.db())
            .await?
        }
    };
    let mut change = Change::on("product.save", "product", saved.id).after(audit::snapshot(&saved)?);
    if let Some(before) = &existing {
        change = change.before(audit::snapshot(before)?);
    }
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The catalog, by SKU; `search` matches SKU or name.
pub async fn products(ctx: &AppCtx, search: Option<&str>, active_only: bool) -> AppResult<Vec<product::Model>> {
    let mut q = product::Entity::find();
    if active_only {
        q = q.filter(product::Column::Active.eq(true));
    }
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(Condition::any().add(product::Column::Sku.contains(s)).add(product::Column::Name.contains(s)));
    }
    Ok(q.order_by_asc(product::Column::Sku).limit(500).all(ctx.db.conn()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_the_day_and_three_digits_at_least() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(order_code(day, 7), "ORD-20261121-007");
        assert_eq!(order_code(day, 1234), "ORD-20261121-1234");
    }
}
