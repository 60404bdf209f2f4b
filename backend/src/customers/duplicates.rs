//! Likely duplicate customers, for a person to review and merge.
//!
//! Two live customers (not merged) are likely the same person when:
//!
//! - **PHONE**: their phones are the same number once normalised with
//!   [`super::phone::normalize`] (`0901234567`, `+84 90 123 4567` and
//!   `+840901234567` are one number). Phones are unique as stored, so this
//!   finds rows stored before normalisation or loaded around it. SQL picks
//!   the candidates (same last 8 digits once spaces, dashes, dots,
//!   brackets and `+` are removed); Rust confirms them with the phone
//!   library.
//! - **EMAIL**: the same email, trimmed and case-insensitive (in SQL).
//! - **NAME_CITY** / **NAME_BIRTHDAY**: the same name once accents,
//!   punctuation, case and extra spaces are removed (`Nguyễn  Văn Ánh` =
//!   `nguyen van anh`, with `deunicode`), **and** the same city (compared
//!   the same way) or the same birthday. A name alone is too common to
//!   mean anything.
//!
//! Groups with the same members are reported once with all their reasons.
//! Everything is a handful of statements whatever the number of customers
//! (never a query per customer): two grouped SQL queries for phones and
//! emails, one scan of (id, name, city, birthday) for names, grouped in
//! memory (a few MB at 100,000 customers). A group lists at most
//! [`MAX_MEMBERS`] customers (the oldest first) and says how many it has.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend};

use super::phone;
use crate::app::AppCtx;
use crate::auth::{Principal, Role};
use crate::db::statement;
use crate::error::{AppError, AppResult};

/// Most customers listed in one group.
pub const MAX_MEMBERS: usize = 20;

/// Why customers look like the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DuplicateReason {
    /// The same phone number, however it was written.
    Phone,
    /// The same email (case and spaces ignored).
    Email,
    /// The same name (accents, case, punctuation ignored) and city.
    NameCity,
    /// The same name (accents, case, punctuation ignored) and birthday.
    NameBirthday,
}

/// Customers that look like one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// Why, strongest first.
    pub reasons: Vec<DuplicateReason>,
    /// What they share, one per reason (`+84901234567`, `an@x.vn`,
    /// `nguyen van an · ha noi`).
    pub keys: Vec<String>,
    /// The members, oldest first, at most [`MAX_MEMBERS`].
    pub customer_ids: Vec<i64>,
    /// How many members the group has.
    pub size: usize,
}

/// Every group of likely duplicates among live customers, newest first
/// (by the newest member: that is usually the one to merge away).
pub async fn find(ctx: &AppCtx, actor: &Principal) -> AppResult<Vec<DuplicateGroup>> {
    if actor.role < Role::Manager {
        return Err(AppError::Forbidden("only a manager can review duplicates".into()));
    }
    let db = ctx.db.conn();
    let backend = db.get_database_backend();
    let mut found: Vec<(DuplicateReason, String, Vec<i64>)> = Vec::new();

    // Phones: candidates in SQL, confirmed with the phone library.
    let digits = "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', \
                  ''), '+', '')";
    let tail = match backend {
        DbBackend::Postgres => format!("RIGHT({digits}, 8)"),
        _ => format!("SUBSTR({digits}, -8)"),
    };
    let sql = format!(
        "SELECT id, phone FROM customers WHERE merged_into_id IS NULL AND {tail} IN \
         (SELECT {tail} FROM customers WHERE merged_into_id IS NULL GROUP BY {tail} HAVING COUNT(*) > 1) ORDER BY id"
    );
    let mut by_phone: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in db.query_all_raw(statement(backend, &sql, vec![])).await? {
        let (id, raw): (i64, String) = (row.try_get("", "id")?, row.try_get("", "phone")?);
        let key = phone::normalize(&raw, ctx.phone_region, "phone")
            .unwrap_or_else(|_| raw.chars().filter(char::is_ascii_digit).collect());
        by_phone.entry(key).or_default().push(id);
    }
    found
        .extend(by_phone.into_iter().filter(|(_, ids)| ids.len() > 1).map(|(k, ids)| (DuplicateReason::Phone, k, ids)));

    // Emails: entirely in SQL.
    let email = "LOWER(TRIM(email))";
    let sql = format!(
        "SELECT id, {email} AS k FROM customers WHERE merged_into_id IS NULL AND email IS NOT NULL AND {email} IN \
         (SELECT {email} FROM customers WHERE merged_into_id IS NULL AND email IS NOT NULL AND TRIM(email) <> '' \
         GROUP BY {email} HAVING COUNT(*) > 1) ORDER BY id"
    );
    let mut by_email: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in db.query_all_raw(statement(backend, &sql, vec![])).await? {
        by_email.entry(row.try_get("", "k")?).or_default().push(row.try_get("", "id")?);
    }
    found.extend(by_email.into_iter().map(|(k, ids)| (DuplicateReason::Email, k, ids)));

    // Names, with a city or a birthday: one scan, grouped here (accents
    // cannot be removed in portable SQL).
    let sql = "SELECT id, name, city, birthday FROM customers WHERE merged_into_id IS NULL \
               AND (city IS NOT NULL OR birthday IS NOT NULL) ORDER BY id";
    let mut by_city: HashMap<(String, String), Vec<i64>> = HashMap::new();
    let mut by_birthday: HashMap<(String, NaiveDate), Vec<i64>> = HashMap::new();
    for row in db.query_all_raw(statement(backend, sql, vec![])).await? {
        let id: i64 = row.try_get("", "id")?;
        let name = fold(&row.try_get::<String>("", "name")?);
        if name.is_empty() {
            continue;
        }
        if let Some(city) = row.try_get::<Option<String>>("", "city")?.map(|c| fold(&c)).filter(|c| !c.is_empty()) {
            by_city.entry((name.clone(), city)).or_default().push(id);
        }
        if let Some(b) = row.try_get::<Option<NaiveDate>>("", "birthday")? {
            by_birthday.entry((name, b)).or_default().push(id);
        }
    }
    found.extend(
        by_city
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((n, c), ids)| (DuplicateReason::NameCity, format!("{n} · {c}"), ids)),
    );
    found.extend(
        by_birthday
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((n, b), ids)| (DuplicateReason::NameBirthday, format!("{n} · {b}"), ids)),
    );
    Ok(group(found))
}

/// Folds groups with the same members into one with every reason, newest
/// first.
fn group(found: Vec<(DuplicateReason, String, Vec<i64>)>) -> Vec<DuplicateGroup> {
    let mut by_members: HashMap<Vec<i64>, Vec<(DuplicateReason, String)>> = HashMap::new();
    for (reason, key, mut ids) in found {
        ids.sort_unstable();
        ids.dedup();
        by_members.entry(ids).or_default().push((reason, key));
    }
    let mut out: Vec<DuplicateGroup> = by_members
        .into_iter()
        .map(|(ids, mut why)| {
            why.sort();
            DuplicateGroup {
                reasons: why.iter().map(|(r, _)| *r).collect(),
                keys: why.into_iter().map(|(_, k)| k).collect(),
                size: ids.len(),
                customer_ids: ids.into_iter().take(MAX_MEMBERS).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let newest = |g: &DuplicateGroup| g.customer_ids.last().copied().unwrap_or_default();
        newest(b).cmp(&newest(a)).then_with(|| a.customer_ids.cmp(&b.customer_ids))
    });
    out
}

/// `Nguyễn  Văn-Ánh` → `nguyen van anh`: accents, case, punctuation and
/// extra spaces removed.
pub fn fold(text: &str) -> String {
    let plain = deunicode::deunicode(text).to_lowercase();
    plain.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_plain_lower_case_words() {
        assert_eq!(fold("  Nguyễn  Văn-Ánh "), "nguyen van anh");
        assert_eq!(fold("NGUYEN VAN ANH"), "nguyen van anh");
        assert_eq!(fold("Hà Nội"), fold("ha noi"));
    }

    #[test]
    fn groups_with_the_same_members_are_reported_once_with_every_reason() {
        let g = group(vec![
            (DuplicateReason::Email, "a@x.vn".into(), vec![2, 1]),
            (DuplicateReason::Phone, "+84901234567".into(), vec![1, 2]),
            (DuplicateReason::NameCity, "an · hue".into(), vec![3, 4, 5]),
        ]);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].customer_ids, vec![3, 4, 5], "newest member first");
        assert_eq!(g[1].reasons, vec![DuplicateReason::Phone, DuplicateReason::Email]);
        assert_eq!(g[1].keys, vec!["+84901234567".to_owned(), "a@x.vn".to_owned()]);
        assert_eq!(g[1].size, 2);
    }
}
