//! Customers from CSV: a row is parsed and checked on its own
//! ([`parse`]: the same checks as `createCustomer`), then a batch is
//! written set-based ([`batch`]).
//!
//! Fields (mapped from the header, see [`super::mapping`]): `phone`
//! (required), `name` (default `Customer <phone digits>`), `email`, `city`,
//! `address`, `birthday` (`YYYY-MM-DD`, also `DD/MM/YYYY`), `tags`
//! (separated by `;` or `,`).
//!
//! Duplicates: a row whose normalised phone belongs to a customer, or
//! else whose email does, is that customer: left alone (`SKIP`, counted as
//! existing) or filled from the row's non-empty cells (`UPDATE`; the phone
//! never changes). Within one batch a phone or email seen on an earlier
//! row counts as existing too (the first row wins); across batches the
//! earlier row is in the database by then and is matched there.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TryInsertResult};
use serde_json::json;

use super::{OnDuplicate, Outcome, Refusal, Row, refuse};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::customers::model::{CustomerStatus, CustomerTier, CustomerType, LifecycleStage, Temperature, customer};
use crate::customers::phone;
use crate::customers::service::{member_code, search_text, valid_email};
use crate::db::Tx;
use crate::error::AppResult;
use crate::{activities, wallets};

/// A row, checked.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// E.164.
    pub phone: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub tags: Option<Vec<String>>,
}

/// A date as people write it: `1990-05-31`, `31/05/1990`, `31-05-1990`.
pub fn date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"].iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

fn clean(v: Option<String>, max: usize) -> Option<String> {
    v.map(|s| s.chars().take(max).collect::<String>().trim().to_owned()).filter(|s| !s.is_empty())
}

/// Reads and checks one row.
pub fn parse(ctx: &AppCtx, row: &Row) -> Result<Parsed, Refusal> {
    let Some(raw) = row.get("phone") else { return Err(refuse("phone", "a phone is required")) };
    let phone = phone::normalize(&raw, ctx.phone_region, "phone").map_err(|e| refuse("phone", e.to_string()))?;
    let name = row.get("name").map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(refuse("name", "a name is at most 200 characters"));
    }
    let email = match row.get("email") {
        None => None,
        Some(e) => {
            valid_email(&e, "email").map_err(|_| refuse("email", format!("{e:?} is not a valid email address")))?
        }
    };
    let birthday = match row.get("birthday") {
        None => None,
        Some(text) => {
            let d = date(&text).ok_or_else(|| refuse("birthday", format!("{text:?} is not a date like 1990-05-31")))?;
            let today = ctx.now().with_timezone(&ctx.tz).date_naive();
            if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
                return Err(refuse("birthday", "a birthday must be between 1900 and today"));
            }
            Some(d)
        }
    };
    let tags = match row.get("tags") {
        None => None,
        Some(t) => {
            let mut out: Vec<String> = Vec::new();
            for tag in t.split([';', ',']).map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()) {
                if tag.chars().count() > 50 {
                    return Err(refuse("tags", "a tag is 1 to 50 characters"));
                }
                if !out.contains(&tag) {
                    out.push(tag);
                }
            }
            if out.len() > 30 {
                return Err(refuse("tags", "at most 30 tags"));
            }
            Some(out)
        }
    };
    Ok(Parsed {
        phone,
        name,
        email,
        address: clean(row.get("address"), 500),
        city: clean(row.get("city"), 500),
        birthday,
        tags,
    })
}

/// A customer already there, as far as a batch needs it.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    phone: String,
    email: Option<String>,
    name: String,
    member_code: String,
}

/// Rows written per INSERT (about 25 parameters each: SQLite takes at most 32,766).
const ROWS_PER_INSERT: usize = 500;

/// Writes one batch of parsed rows (with their lines) in `tx` as `actor`
/// and returns each row's outcome.
pub async fn batch(
    ctx: &AppCtx,
    tx: &Tx,
    actor: &Principal,
    rows: Vec<(u64, Parsed)>,
    on_duplicate: OnDuplicate,
) -> AppResult<Vec<Outcome>> {
    use customer::Column as C;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let db = tx.db();
    let now = ctx.now();
    let known = |select: sea_orm::Select<customer::Entity>| {
        select.select_only().columns([C::Id, C::Phone, C::Email, C::Name, C::MemberCode]).into_tuple::<(
            i64,
            String,
            Option<String>,
            String,
            String,
        )>()
    };
    let as_known = |(id, phone, email, name, member_code)| Known { id, phone, email, name, member_code };
    let phones: HashSet<&str> = rows.iter().map(|(_, r)| r.phone.as_str()).collect();
    let by_phone: HashMap<String, Known> = known(customer::Entity::find().filter(C::Phone.is_in(phones)))
        .all(db)
        .await?
        .into_iter()
        .map(as_known)
        .map(|k| (k.phone.clone(), k))
        .collect();
    let emails: HashSet<&str> =
        rows.iter().filter(|(_, r)| !by_phone.contains_key(&r.phone)).filter_map(|(_, r)| r.email.as_deref()).collect();
    let mut by_email: HashMap<String, Known> = HashMap::new();
    if !emails.is_empty() {
        // The oldest customer with the email is the one.
        for k in known(customer::Entity::find().filter(C::Email.is_in(emails)).order_by_desc(C::Id)).all(db).await? {
            let k = as_known(k);
            if let Some(e) = k.email.clone() {
                by_email.insert(e, k);
            }
        }
    }

    let mut outcomes = vec![Outcome::Existing; rows.len()];
    let (mut seen_phones, mut seen_emails) = (HashSet::new(), HashSet::new());
    let mut fresh: Vec<(usize, &Parsed)> = Vec::new();
    let mut updates: Vec<(usize, &Known, &Parsed)> = Vec::new();
    for (i, (_, r)) in rows.iter().enumerate() {
        let repeated =
            !seen_phones.insert(r.phone.as_str()) | r.email.as_deref().is_some_and(|e| !seen_emails.insert(e));
        if repeated {
            continue;
        }
        match by_phone.get(&r.phone).or_else(|| r.email.as_ref().and_then(|e| by_email.get(e))) {
            Some(k) if on_duplicate == OnDuplicate::Update => updates.push((i, k, r)),
            Some(_) => {}
            None => fresh.push((i, r)),
        }
    }

    let year = ctx.business_year();
    let mut created: Vec<(i64, String)> = Vec::new();
    for part in fresh.chunks(ROWS_PER_INSERT) {
        let first = crate::db::next_in_sequence(db, &format!("MEM-{year}"), part.len() as i64).await?;
        let mine: HashMap<String, usize> =
            part.iter().enumerate().map(|(k, (i, _))| (member_code(year, first + k as i64), *i)).collect();
        let models = part.iter().enumerate().map(|(k, (_, r))| {
            let code = member_code(year, first + k as i64);
            let name = r.name.clone().unwrap_or_else(|| format!("Customer {}", phone::national_digits(&r.phone)));
            customer::ActiveModel {
                search_text: Set(search_text(&name, r.email.as_deref(), &code, &r.phone)),
                member_code: Set(code),
                name: Set(name),
                phone: Set(r.phone.clone()),
                email: Set(r.email.clone()),
                address: Set(r.address.clone()),
                city: Set(r.city.clone()),
                birthday: Set(r.birthday),
                anniversary: Set(None),
                tier: Set(CustomerTier::New),
                customer_type: Set(CustomerType::New),
                lifecycle_stage: Set(LifecycleStage::Prospect),
                temperature: Set(Temperature::Cold),
                status: Set(CustomerStatus::Active),
                tags: Set(json!(r.tags.clone().unwrap_or_default())),
                assigned_agent_id: Set(actor.only_assigned_to()),
                external_ids: Set(json!({})),
                ticket_count: Set(0),
                return_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        // A phone created meanwhile by someone else is skipped by the
        // database (and counted as existing) instead of failing the batch.
        let inserted = match customer::Entity::insert_many(models)
            .on_conflict_do_nothing_on([C::Phone])
            .exec_with_returning_many(db)
            .await?
        {
            TryInsertResult::Inserted(v) => v,
            TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
        };
        for m in inserted {
            if let Some(i) = mine.get(&m.member_code) {
                outcomes[*i] = Outcome::Created;
                created.push((m.id, m.member_code));
            }
        }
    }
    if !created.is_empty() {
        wallets::model::wallet::Entity::insert_many(
            created.iter().map(|(id, _)| wallets::service::empty_wallet(*id, now)),
        )
        .exec_without_returning(db)
        .await?;
        let entries = created
            .iter()
            .map(|(id, code)| {
                (
                    *id,
                    format!("Customer {code} created (CSV import)"),
                    json!({ "memberCode": code, "source": "import" }),
                )
            })
            .collect();
        activities::service::record_many(db, "customer.created", entries, actor, now).await?;
    }

    let mut updated_ids = Vec::new();
    for (i, k, r) in &updates {
        let name = r.name.clone().unwrap_or_else(|| k.name.clone());
        let email = r.email.clone().or_else(|| k.email.clone());
        let mut m = customer::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(k.id),
            name: Set(name.clone()),
            email: Set(email.clone()),
            search_text: Set(search_text(&name, email.as_deref(), &k.member_code, &k.phone)),
            updated_at: Set(now),
            ..Default::default()
        };
        if r.address.is_some() {
            m.address = Set(r.address.clone());
        }
        if r.city.is_some() {
            m.city = Set(r.city.clone());
        }
        if r.birthday.is_some() {
            m.birthday = Set(r.birthday);
        }
        if let Some(tags) = &r.tags {
            m.tags = Set(json!(tags));
        }
        customer::Entity::update(m).exec(db).await?;
        outcomes[*i] = Outcome::Updated;
        updated_ids.push(k.id);
    }
    if !updated_ids.is_empty() {
        let entries = updated_ids
            .iter()
            .map(|id| (*id, "Profile updated from a CSV import".to_owned(), json!({ "source": "import" })))
            .collect();
        activities::service::record_many(db, "customer.updated", entries, actor, now).await?;
    }
    if !created.is_empty() || !updated_ids.is_empty() {
        let lines = (rows.first().map(|r| r.0), rows.last().map(|r| r.0));
        let after = json!({
            "created": created.len(),
            "updated": updated_ids.len(),
            "firstCustomerId": created.iter().map(|c| c.0).min(),
            "lastCustomerId": created.iter().map(|c| c.0).max(),
            "updatedIds": updated_ids,
            "lines": [lines.0, lines.1],
        });
        let change = Change {
            action: "import.customers",
            entity_type: "customer",
            entity_id: None,
            before: None,
            after: Some(after),
        };
        audit::record(tx, actor, now, change).await?;
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_usual_writings() {
        let d = NaiveDate::from_ymd_opt(1990, 5, 31);
        assert_eq!(date("1990-05-31"), d);
        assert_eq!(date("31/05/1990"), d);
        assert_eq!(date("31-05-1990"), d);
        assert_eq!(date("1990-31-05"), None);
    }
}
