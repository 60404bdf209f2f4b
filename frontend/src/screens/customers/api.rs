//! The customer list's calls: `customers` (search, filters, page),
//! `createCustomer`, `customerByPhone`; and the list's filters as they sit in
//! the URL query.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, ApiError, Connection, CustomerStatus, CustomerTier, Money, Page};

const CUSTOMERS: &str = include_str!("customers.graphql");
const CREATE: &str = include_str!("create.graphql");
const BY_PHONE: &str = include_str!("by_phone.graphql");

/// How many customers one page of the list asks for.
pub const PAGE_SIZE: i32 = 25;

/// The wallet fields shown in the customer list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletSummary {
    pub real_balance: Money,
}

/// One row of the customer list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub member_code: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub tier: CustomerTier,
    pub status: CustomerStatus,
    pub wallet: WalletSummary,
}

/// A customer by id and name (what `createCustomer` and `customerByPhone` answer).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CustomerRef {
    pub id: String,
    pub name: String,
}

/// Whose customers the list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Owner {
    /// Everyone's.
    #[default]
    Anyone,
    /// The signed-in staff member's.
    Mine,
    /// Nobody's.
    Unassigned,
}

impl Owner {
    /// Every choice, in menu order.
    pub const ALL: [Owner; 3] = [Owner::Anyone, Owner::Mine, Owner::Unassigned];

    /// Its name in the URL (`""` for the default).
    pub fn key(self) -> &'static str {
        match self {
            Owner::Anyone => "",
            Owner::Mine => "mine",
            Owner::Unassigned => "unassigned",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Owner::Anyone => "Any agent",
            Owner::Mine => "Mine",
            Owner::Unassigned => "Unassigned",
        }
    }

    /// The choice named `key` in the URL.
    pub fn from_key(key: &str) -> Owner {
        Owner::ALL.into_iter().find(|o| o.key() == key).unwrap_or_default()
    }
}

/// What the list is narrowed to; kept in the URL query
/// (`?q=an&tier=GOLD&status=ACTIVE&tag=vip&agent=mine`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub search: String,
    pub tier: Option<CustomerTier>,
    pub status: Option<CustomerStatus>,
    pub tag: String,
    pub owner: Owner,
}

/// An enum's GraphQL name (`"GOLD"`).
pub fn enum_key<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn enum_from<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(Value::String(key.to_owned())).ok()
}

impl Filters {
    /// The filters a URL query holds (`get` reads one parameter).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Filters {
        let text = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Filters {
            search: text("q"),
            tier: enum_from::<CustomerTier>(&text("tier")).filter(|t| *t != CustomerTier::Unknown),
            status: enum_from::<CustomerStatus>(&text("status")).filter(|s| *s != CustomerStatus::Unknown),
            tag: text("tag"),
            owner: Owner::from_key(&text("agent")),
        }
    }

    /// The URL query for these filters (`""` when none), without the `?`.
    pub fn to_query(&self) -> String {
        let pairs = [
            ("q", self.search.clone()),
            ("tier", self.tier.map(enum_key).unwrap_or_default()),
            ("status", self.status.map(enum_key).unwrap_or_default()),
            ("tag", self.tag.clone()),
            ("agent", self.owner.key().to_owned()),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", js_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether anything narrows the list.
    pub fn is_narrowed(&self) -> bool {
        *self != Filters::default()
    }

    /// The `CustomerFilter` input; `me` is the signed-in user's id.
    pub fn input(&self, me: Option<&str>) -> Value {
        let mut filter = serde_json::Map::new();
        if let Some(tier) = self.tier {
            filter.insert("tiers".into(), json!([tier]));
        }
        if let Some(status) = self.status {
            filter.insert("statuses".into(), json!([status]));
        }
        if !self.tag.is_empty() {
            filter.insert("tags".into(), json!([self.tag]));
        }
        match (self.owner, me) {
            (Owner::Mine, Some(me)) => {
                filter.insert("assignedAgentId".into(), json!(me));
            }
            (Owner::Unassigned, _) => {
                filter.insert("unassigned".into(), json!(true));
            }
            _ => {}
        }
        Value::Object(filter)
    }
}

/// Percent-encodes a query value (letters, digits and `-_.~` stay).
fn js_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The new customer as the dialog sends it.
#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub city: String,
}

impl Api {
    /// A page of customers matching `filters`, starting after the cursor
    /// `after`; `me` is the signed-in user's id (for "Mine").
    pub async fn customers(
        self,
        filters: Filters,
        me: Option<String>,
        after: Option<String>,
    ) -> Result<Page<Customer>, ApiError> {
        let search = Some(filters.search.clone()).filter(|s| !s.is_empty());
        let variables = json!({
            "first": PAGE_SIZE, "after": after, "search": search, "filter": filters.input(me.as_deref()),
        });
        let connection: Connection<Customer> = self.field(CUSTOMERS, variables).await?;
        Ok(connection.into())
    }

    /// Creates a customer; empty optional fields are left out.
    pub async fn create_customer(self, new: NewCustomer) -> Result<CustomerRef, ApiError> {
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let input = json!({
            "name": new.name.trim(), "phone": new.phone.trim(),
            "email": optional(&new.email), "city": optional(&new.city),
        });
        self.field(CREATE, json!({ "input": input })).await
    }

    /// The customer with this phone, if any.
    pub async fn customer_by_phone(self, phone: String) -> Result<Option<CustomerRef>, ApiError> {
        self.field(BY_PHONE, json!({ "phone": phone })).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_url() {
        let filters = Filters {
            search: "Lê An".into(),
            tier: Some(CustomerTier::Gold),
            status: Some(CustomerStatus::Active),
            tag: "vip".into(),
            owner: Owner::Mine,
        };
        let query = filters.to_query();
        assert_eq!(query, "q=L%C3%AA%20An&tier=GOLD&status=ACTIVE&tag=vip&agent=mine");
        let decoded = |key: &str| match key {
            "q" => Some("Lê An".to_owned()),
            "tier" => Some("GOLD".to_owned()),
            "status" => Some("ACTIVE".to_owned()),
            "tag" => Some("vip".to_owned()),
            "agent" => Some("mine".to_owned()),
            _ => None,
        };
        assert_eq!(Filters::from_query(decoded), filters);
        assert_eq!(Filters::default().to_query(), "");
    }

    #[test]
    fn unknown_url_values_are_ignored() {
        let filters = Filters::from_query(|key| (key == "tier" || key == "agent").then(|| "BRONZE".to_owned()));
        assert_eq!(filters, Filters::default());
    }

    #[test]
    fn the_filter_input_names_the_server_fields() {
        let filters = Filters { tier: Some(CustomerTier::Gold), owner: Owner::Unassigned, ..Filters::default() };
        assert_eq!(filters.input(Some("7")), json!({ "tiers": ["GOLD"], "unassigned": true }));
        let mine = Filters { owner: Owner::Mine, ..Filters::default() };
        assert_eq!(mine.input(Some("7")), json!({ "assignedAgentId": "7" }));
    }
}
