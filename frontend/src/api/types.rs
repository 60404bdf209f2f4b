//! Types that more than one screen reads: scalars, enums, the Relay page.
//! A type only one screen uses lives in that screen's `api.rs`.

use serde::{Deserialize, Serialize};

/// A staff member's role, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Manager,
    Agent,
    Viewer,
    /// A role this build of the app does not know yet (treated as the least).
    #[serde(other)]
    Unknown,
}

impl Role {
    /// Every role a user can be given, most powerful first.
    pub const ASSIGNABLE: [Role; 4] = [Role::Admin, Role::Manager, Role::Agent, Role::Viewer];

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Agent => "Agent",
            Role::Viewer => "Viewer",
            Role::Unknown => "Staff",
        }
    }

    /// The GraphQL enum value (`"MANAGER"`).
    pub fn as_graphql(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Manager => "MANAGER",
            Role::Agent => "AGENT",
            Role::Viewer | Role::Unknown => "VIEWER",
        }
    }

    /// Whether this role has at least the rights of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Role::Admin => 4,
            Role::Manager => 3,
            Role::Agent => 2,
            Role::Viewer => 1,
            Role::Unknown => 0,
        }
    }
}

/// A staff account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The answer to a successful `login`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthPayload {
    pub token: String,
    /// RFC 3339 timestamp.
    pub expires_at: String,
    pub user: User,
}

/// Loyalty tier of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerTier {
    New,
    Silver,
    Gold,
    Platinum,
    Blacklist,
    #[serde(other)]
    Unknown,
}

impl CustomerTier {
    /// Every tier, for filters.
    pub const ALL: [CustomerTier; 5] =
        [CustomerTier::New, CustomerTier::Silver, CustomerTier::Gold, CustomerTier::Platinum, CustomerTier::Blacklist];

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            CustomerTier::New => "New",
            CustomerTier::Silver => "Silver",
            CustomerTier::Gold => "Gold",
            CustomerTier::Platinum => "Platinum",
            CustomerTier::Blacklist => "Blacklist",
            CustomerTier::Unknown => "Unknown",
        }
    }
}

/// Account status of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    Active,
    Suspicious,
    Blacklisted,
    #[serde(other)]
    Unknown,
}

impl CustomerStatus {
    /// Every status, for filters.
    pub const ALL: [CustomerStatus; 3] =
        [CustomerStatus::Active, CustomerStatus::Suspicious, CustomerStatus::Blacklisted];

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Active => "Active",
            CustomerStatus::Suspicious => "Suspicious",
            CustomerStatus::Blacklisted => "Blacklisted",
            CustomerStatus::Unknown => "Unknown",
        }
    }
}

/// The `Money` scalar: a decimal string such as `"1250000"`, kept as text so
/// that no amount ever goes through a float. See [`crate::format::vnd`] to
/// show it and [`crate::format::parse_amount`] to read one typed by a person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub String);

impl Money {
    /// The decimal text as sent by the server.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Formatted as đồng (`1.250.000 ₫`).
    pub fn display(&self) -> String {
        crate::format::vnd(&self.0)
    }
}

/// Where a page sits in its list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A Relay connection as the operations ask for it: `totalCount` (where the
/// operation selects it), `pageInfo { hasNextPage endCursor }` and
/// `edges { node { … } }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub edges: Vec<Edge<T>>,
    #[serde(default)]
    pub page_info: PageInfo,
    #[serde(default)]
    pub total_count: Option<i64>,
}

/// One edge of a [`Connection`].
#[derive(Clone, Debug, Deserialize)]
pub struct Edge<T> {
    pub node: T,
}

/// One page of a list, flattened from a [`Connection`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items matching, across all pages (when the operation asks for it).
    pub total_count: Option<i64>,
    /// Pass as `after` to get the next page.
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

impl<T> From<Connection<T>> for Page<T> {
    fn from(connection: Connection<T>) -> Self {
        Page {
            items: connection.edges.into_iter().map(|e| e.node).collect(),
            total_count: connection.total_count,
            end_cursor: connection.page_info.end_cursor,
            has_next_page: connection.page_info.has_next_page,
        }
    }
}

impl<T> Page<T> {
    /// Whether another page can be asked for.
    pub fn has_more(&self) -> bool {
        self.has_next_page && self.end_cursor.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin.at_least(Role::Manager));
        assert!(Role::Manager.at_least(Role::Agent));
        assert!(!Role::Agent.at_least(Role::Manager));
        assert!(!Role::Unknown.at_least(Role::Viewer));
    }

    #[test]
    fn a_connection_flattens_into_a_page() {
        let body = r#"{"totalCount":41,"pageInfo":{"hasNextPage":true,"endCursor":"c25"},
            "edges":[{"cursor":"c1","node":{"id":"1","email":"a@b.vn","name":"An","role":"GOLDSMITH"}}]}"#;
        let page: Page<User> = serde_json::from_str::<Connection<User>>(body).unwrap().into();
        assert_eq!(page.total_count, Some(41));
        assert_eq!(page.end_cursor.as_deref(), Some("c25"));
        assert!(page.has_more());
        assert_eq!(page.items[0].role, Role::Unknown);
    }
}
