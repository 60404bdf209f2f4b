//! Who is calling, and what they may do.

use sea_orm::entity::prelude::StringLen;
use serde::{Deserialize, Serialize};

/// Staff roles, from least to most powerful. An API key acts as VIEWER
/// (scope `read`) or MANAGER (scope `write`), never ADMIN.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// Reads everything, changes nothing.
    #[sea_orm(string_value = "VIEWER")]
    Viewer,
    /// Works on the customers assigned to them: deposits, tickets, notes.
    #[sea_orm(string_value = "AGENT")]
    Agent,
    /// All customers; approves compensation, adjusts wallets, runs campaigns.
    #[sea_orm(string_value = "MANAGER")]
    Manager,
    /// Everything, including users, API keys and configuration.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

impl Role {
    /// Upper-case name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "VIEWER",
            Role::Agent => "AGENT",
            Role::Manager => "MANAGER",
            Role::Admin => "ADMIN",
        }
    }

    /// Parses `admin`, `MANAGER`, …
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "VIEWER" => Some(Role::Viewer),
            "AGENT" => Some(Role::Agent),
            "MANAGER" => Some(Role::Manager),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }

    /// True when this role may change data (VIEWER may not).
    pub fn can_write(self) -> bool {
        self >= Role::Agent
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A staff member's login token.
    User { user_id: i64 },
    /// An integrator's API key.
    ApiKey { key_id: i64 },
    /// The server itself (jobs, seeding, CLI).
    System,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub credential: Credential,
    pub role: Role,
    /// Token expiry, for WebSocket streams that must end with their token.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Principal {
    /// The server acting on its own behalf (jobs, seeding, CLI).
    pub fn system() -> Self {
        Self { credential: Credential::System, role: Role::Admin, expires_at: None }
    }

    /// The staff user id, when a person is calling.
    pub fn user_id(&self) -> Option<i64> {
        match self.credential {
            Credential::User { user_id } => Some(user_id),
            _ => None,
        }
    }

    /// `user:1`, `apikey:3` or `system`: what audit rows and the timeline
    /// record as the actor.
    pub fn actor(&self) -> String {
        match self.credential {
            Credential::User { user_id } => format!("user:{user_id}"),
            Credential::ApiKey { key_id } => format!("apikey:{key_id}"),
            Credential::System => "system".into(),
        }
    }

    /// The agent whose customers are the only ones this caller may see, or
    /// `None` when the caller sees every customer.
    pub fn only_assigned_to(&self) -> Option<i64> {
        match (self.role, &self.credential) {
            (Role::Agent, Credential::User { user_id }) => Some(*user_id),
            _ => None,
        }
    }
}
