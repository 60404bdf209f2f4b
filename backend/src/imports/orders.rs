//! Orders from CSV (`crm360 import orders --file orders.csv`, or an
//! import job of kind `ORDERS`).
//!
//! One row is one order. Columns (header names, any order, any case):
//! `external_id` and `phone` (required), `customer_name` (for a phone not
//! known yet: the customer is created), `ordered_at` (RFC 3339, or
//! `YYYY-MM-DD` for midnight in the business time zone; default now),
//! `status` (default `DELIVERED`), `channel` (default `OTHER`), and either
//! `amount`, or one item: `sku`, `item_name`, `quantity` (default 1),
//! `unit_price` (default: the catalog price of `sku`). `note`.
//! An `external_id` already imported counts as existing and changes
//! nothing.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveEnum;

use super::{Outcome, Refusal, Row, refusal, refuse};
use crate::app::AppCtx;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::money::Money;
use crate::orders::service::{self as orders, NewItem, NewOrder, OrderCustomer};
use crate::orders::{OrderChannel, OrderStatus};

/// The service's input names → the CSV's columns.
fn column_of(field: &str) -> String {
    match field {
        "externalId" => "external_id",
        "orderedAt" => "ordered_at",
        "unitPrice" => "unit_price",
        "name" => "item_name",
        "items" => "amount",
        other => other,
    }
    .to_owned()
}

fn date_time(ctx: &AppCtx, text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    day.and_hms_opt(0, 0, 0)?.and_local_timezone(ctx.tz).earliest().map(|t| t.with_timezone(&Utc))
}

/// The order a row describes.
pub fn parse(ctx: &AppCtx, row: &Row) -> Result<NewOrder, Refusal> {
    let decimals = ctx.config.currency_decimals;
    let money = |column: &str| match row.get(column) {
        None => Ok(None),
        Some(t) => Money::parse(&t, decimals).map(Some).map_err(|e| refuse(column, e)),
    };
    let Some(external_id) = row.get("external_id") else {
        return Err(refuse("external_id", "an external id is required"));
    };
    let Some(phone) = row.get("phone") else { return Err(refuse("phone", "a phone is required")) };
    let ordered_at = match row.get("ordered_at") {
        None => None,
        Some(t) => Some(date_time(ctx, &t).ok_or_else(|| refuse("ordered_at", "a date like 2026-11-21"))?),
    };
    let status = match row.get("status") {
        None => OrderStatus::Delivered,
        Some(s) => OrderStatus::try_from_value(&s.to_uppercase())
            .map_err(|_| refuse("status", format!("unknown status {s}")))?,
    };
    let channel = match row.get("channel") {
        None => OrderChannel::Other,
        Some(s) => OrderChannel::try_from_value(&s.to_uppercase())
            .map_err(|_| refuse("channel", format!("unknown channel {s}")))?,
    };
    let amount = money("amount")?;
    let has_item = ["sku", "item_name", "quantity", "unit_price"].iter().any(|c| row.get(c).is_some());
    let items = if has_item {
        let quantity = match row.get("quantity") {
            None => 1,
            Some(q) => q.parse::<i32>().map_err(|_| refuse("quantity", "a whole number"))?,
        };
        vec![NewItem { sku: row.get("sku"), name: row.get("item_name"), quantity, unit_price: money("unit_price")? }]
    } else {
        Vec::new()
    };
    Ok(NewOrder {
        customer: OrderCustomer::Phone { phone, name: row.get("customer_name") },
        external_id: Some(external_id),
        channel,
        status,
        ordered_at,
        items,
        amount,
        note: row.get("note"),
    })
}

/// Imports one row (one order) as `actor`.
pub async fn row(ctx: &AppCtx, actor: &Principal, row: Row) -> AppResult<Result<Outcome, Refusal>> {
    let input = match parse(ctx, &row) {
        Ok(input) => input,
        Err(r) => return Ok(Err(r)),
    };
    match orders::create(ctx, actor, input, "row").await {
        Ok(placed) if placed.created => Ok(Ok(Outcome::Created)),
        Ok(_) => Ok(Ok(Outcome::Existing)),
        Err(e) => refusal(e, column_of).map(Err),
    }
}
