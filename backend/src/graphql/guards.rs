//! Declared authorisation: `#[graphql(guard = "RoleGuard::at_least(Role::Manager)")]`.

use async_graphql::{Context, ErrorExtensions, Guard};

use crate::auth::Role;
use crate::error::AppError;

/// Lets through callers whose role is at least `min`.
pub struct RoleGuard {
    min: Role,
}

impl RoleGuard {
    /// Requires `min` or a more powerful role.
    pub fn at_least(min: Role) -> Self {
        Self { min }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let p = super::principal(ctx)?;
        if p.role >= self.min {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("requires the {} role or higher", self.min.as_str())).extend())
        }
    }
}
