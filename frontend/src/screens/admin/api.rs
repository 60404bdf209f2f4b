//! The admin screen's calls: staff users, API keys, the audit log and its
//! chain check. Every one of them is ADMIN-only on the server.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, ApiError, Connection, Page, Role};

const USERS: &str = include_str!("users.graphql");
const KEYS: &str = include_str!("keys.graphql");
const AUDIT: &str = include_str!("audit.graphql");

/// How many audit entries one page asks for.
pub const AUDIT_PAGE_SIZE: i32 = 30;

/// A staff account as the admin sees it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// A new staff account.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Option<Role>,
    pub password: String,
}

/// What an admin changes on a user; `None` leaves it as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// An API key (never the key itself, only its prefix).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl ApiKey {
    /// `Read and write` / `Read only`.
    pub fn access(&self) -> &'static str {
        if self.scopes.iter().any(|s| s == "write") { "Read and write" } else { "Read only" }
    }
}

/// The scope chosen for a new key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScope {
    Read,
    Write,
}

impl KeyScope {
    fn as_graphql(self) -> &'static str {
        match self {
            KeyScope::Read => "READ",
            KeyScope::Write => "WRITE",
        }
    }
}

/// One audit log entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: String,
    pub chain: i64,
    pub hash: String,
}

/// Narrows the audit log; empty texts are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub actor: String,
}

impl AuditFilter {
    /// The `AuditLogFilter` input, with only the texts given.
    pub fn to_input(&self) -> Value {
        let mut input = serde_json::Map::new();
        for (key, value) in [
            ("action", &self.action),
            ("entityType", &self.entity_type),
            ("entityId", &self.entity_id),
            ("actor", &self.actor),
        ] {
            let value = value.trim();
            if !value.is_empty() {
                input.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        Value::Object(input)
    }
}

/// The outcome of `verifyAuditChain`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    pub valid: bool,
    pub checked: i64,
    pub first_broken_id: Option<String>,
    pub message: String,
}

/// A key just created: `key` is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CreatedKey {
    pub key: String,
}

#[derive(Deserialize)]
struct Changed {
    #[allow(dead_code)]
    id: String,
}

impl Api {
    /// Every staff account.
    pub async fn admin_users(self) -> Result<Vec<StaffUser>, ApiError> {
        self.operation(USERS, "AdminUsers", json!({})).await
    }

    /// Creates a staff account.
    pub async fn admin_create_user(self, user: NewUser) -> Result<(), ApiError> {
        let role = user.role.unwrap_or(Role::Agent).as_graphql();
        let input = json!({ "email": user.email, "name": user.name, "role": role, "password": user.password });
        let _: Changed = self.operation(USERS, "AdminCreateUser", json!({ "input": input })).await?;
        Ok(())
    }

    /// Changes a user's role or disables / enables them.
    pub async fn admin_update_user(self, id: String, change: UserChange) -> Result<(), ApiError> {
        let mut input = serde_json::Map::new();
        if let Some(role) = change.role {
            input.insert("role".into(), role.as_graphql().into());
        }
        if let Some(active) = change.active {
            input.insert("active".into(), active.into());
        }
        let _: Changed = self.operation(USERS, "AdminUpdateUser", json!({ "id": id, "input": input })).await?;
        Ok(())
    }

    /// Every API key, newest first.
    pub async fn admin_api_keys(self) -> Result<Vec<ApiKey>, ApiError> {
        self.operation(KEYS, "AdminApiKeys", json!({})).await
    }

    /// Creates an API key and returns it (the only time it is shown).
    pub async fn admin_create_api_key(self, name: String, scope: KeyScope) -> Result<CreatedKey, ApiError> {
        let input = json!({ "name": name, "scope": scope.as_graphql() });
        self.operation(KEYS, "AdminCreateApiKey", json!({ "input": input })).await
    }

    /// Revokes an API key.
    pub async fn admin_revoke_api_key(self, id: String) -> Result<(), ApiError> {
        let _: Changed = self.operation(KEYS, "AdminRevokeApiKey", json!({ "id": id })).await?;
        Ok(())
    }

    /// A page of the audit log.
    pub async fn admin_audit_log(
        self,
        filter: AuditFilter,
        after: Option<String>,
    ) -> Result<Page<AuditEntry>, ApiError> {
        let variables = json!({ "first": AUDIT_PAGE_SIZE, "after": after, "filter": filter.to_input() });
        let connection: Connection<AuditEntry> = self.operation(AUDIT, "AdminAuditLog", variables).await?;
        Ok(connection.into())
    }

    /// Checks every hash of the audit chains.
    pub async fn admin_verify_audit_chain(self) -> Result<ChainReport, ApiError> {
        self.operation(AUDIT, "AdminVerifyAuditChain", json!({})).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_filter_sends_only_what_was_typed() {
        let filter = AuditFilter { action: " user.update ".into(), actor: "   ".into(), ..AuditFilter::default() };
        assert_eq!(filter.to_input(), json!({ "action": "user.update" }));
        assert_eq!(AuditFilter::default().to_input(), json!({}));
    }

    #[test]
    fn a_key_with_the_write_scope_reads_and_writes() {
        let key = |scopes: &[&str]| ApiKey {
            id: "1".into(),
            name: "POS".into(),
            prefix: "crm_ab".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            created_at: String::new(),
            revoked_at: None,
        };
        assert_eq!(key(&["read", "write"]).access(), "Read and write");
        assert_eq!(key(&["read"]).access(), "Read only");
    }
}
