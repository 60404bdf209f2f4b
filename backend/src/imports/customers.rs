//! Customers from CSV (`crm360 import customers --file customers.csv`,
//! `importCsv(kind: CUSTOMERS)`).
//!
//! Columns (header names, any order, any case): `phone` (required), `name`,
//! `email`, `city`, `address`, `birthday` (`YYYY-MM-DD`), `tags`
//! (separated by `;`). A phone that already belongs to a customer counts
//! as existing and changes nothing.

use chrono::NaiveDate;

use super::{Outcome, Refusal, Row, refusal, refuse};
use crate::app::AppCtx;
use crate::auth::Principal;
use crate::customers::phone;
use crate::customers::service::{self as customers, NewCustomer};
use crate::error::{AppError, AppResult};

/// The service's input names → the CSV's columns.
fn column_of(field: &str) -> String {
    field.to_owned()
}

/// The columns the header must have.
pub const REQUIRED: &[&str] = &["phone"];

/// Imports one row as `actor`.
pub async fn row(ctx: &AppCtx, actor: &Principal, row: Row) -> AppResult<Result<Outcome, Refusal>> {
    let Some(raw) = row.get("phone") else { return Ok(Err(refuse("phone", "a phone is required"))) };
    let phone = match phone::normalize(&raw, ctx.phone_region, "phone") {
        Ok(p) => p,
        Err(e) => return refusal(e, column_of).map(Err),
    };
    if customers::find_by_phone(ctx, actor, &phone).await?.is_some() {
        return Ok(Ok(Outcome::Existing));
    }
    let birthday = match row.get("birthday").map(|b| NaiveDate::parse_from_str(&b, "%Y-%m-%d")) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return Ok(Err(refuse("birthday", "a date like 1990-05-31"))),
    };
    let tags = row
        .get("tags")
        .map(|t| t.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let input = NewCustomer {
        name: row.get("name").unwrap_or_else(|| format!("Customer {}", phone::national_digits(&phone))),
        phone,
        email: row.get("email"),
        address: row.get("address"),
        city: row.get("city"),
        birthday,
        tags,
        ..Default::default()
    };
    match customers::create(ctx, actor, input).await {
        Ok(_) => Ok(Ok(Outcome::Created)),
        // Created by someone else since the lookup above.
        Err(AppError::Conflict { field: Some(f), .. }) if f.ends_with("phone") => Ok(Ok(Outcome::Existing)),
        Err(e) => refusal(e, column_of).map(Err),
    }
}
