//! GraphQL face of authentication: login, the caller, users, API keys.

use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use super::Role;
use super::model::{api_key, user};
use super::service::{self, NewUser, UserPatch};
use crate::graphql::guards::RoleGuard;
use crate::graphql::{app, parse_id, principal};

/// A member of staff.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role
    }
    /// False once the account is disabled.
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }
}

/// A successful login.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// After this instant the token is refused; call `refreshToken` before.
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

impl From<service::Session> for AuthPayload {
    fn from(s: service::Session) -> Self {
        Self { token: s.token, expires_at: s.expires_at, user: User(s.user) }
    }
}

/// An integrator's key (the key itself is only shown when created).
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The key's first characters, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// `read`, or `read` and `write`.
    async fn scopes(&self) -> Vec<String> {
        self.0.scopes.split(',').map(str::to_owned).collect()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A key just created: `key` is shown this once and never again.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub key: String,
    pub api_key: ApiKey,
}

/// Scope of an API key.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyScope {
    /// Read everything an API key may read (as a VIEWER).
    Read,
    /// Read and change customers and their data (as a MANAGER, never ADMIN).
    Write,
}

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for ("POS sync").
    pub name: String,
    pub scope: ApiKeyScope,
}

/// A new staff user.
#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
}

/// Changes to a staff user; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// 1 to 200 characters.
    pub name: Option<String>,
    /// An admin cannot give up their own ADMIN role, nor take it from the
    /// last active admin (`CONFLICT` on `input.role`).
    pub role: Option<Role>,
    /// False disables the account: no sign-in, and its tokens stop working.
    /// An admin cannot disable themselves nor the last active admin
    /// (`CONFLICT` on `input.active`).
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let p = principal(ctx)?;
        let id =
            p.user_id().ok_or_else(|| crate::error::AppError::Forbidden("an API key is not a user".into())).extend()?;
        service::find_user(app(ctx).db.conn(), id)
            .await
            .extend()?
            .map(User)
            .ok_or_else(|| crate::error::AppError::Unauthenticated("this account no longer exists".into()))
            .extend()
    }

    /// Every staff user (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        Ok(service::list_users(app(ctx)).await.extend()?.into_iter().map(User).collect())
    }

    /// Every API key, newest first (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        Ok(service::list_api_keys(app(ctx)).await.extend()?.into_iter().map(ApiKey).collect())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs a staff member in. Wrong email or password: `UNAUTHENTICATED`.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> async_graphql::Result<AuthPayload> {
        let ip = ctx.data_opt::<crate::ratelimit::ClientIp>().map(|c| c.0);
        Ok(service::login(app(ctx), &email, &password, ip).await.extend()?.into())
    }

    /// A new token for the signed-in staff member, before the old one expires.
    async fn refresh_token(&self, ctx: &Context<'_>) -> async_graphql::Result<AuthPayload> {
        Ok(service::refresh(app(ctx), principal(ctx)?).await.extend()?.into())
    }

    /// Creates a staff user (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<User> {
        let new = NewUser { email: input.email, name: input.name, role: input.role, password: input.password };
        Ok(User(service::create_user(app(ctx), principal(ctx)?, new).await.extend()?))
    }

    /// Renames a staff user, changes their role, or disables / enables their
    /// account (ADMIN).
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> async_graphql::Result<User> {
        let id = parse_id(&id, "id")?;
        let patch = UserPatch { name: input.name, role: input.role, active: input.active };
        Ok(User(service::update_user(app(ctx), principal(ctx)?, id, patch).await.extend()?))
    }

    /// Creates an API key (ADMIN). The key is in the answer, once.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreatedApiKey> {
        let created =
            service::create_api_key(app(ctx), principal(ctx)?, &input.name, input.scope == ApiKeyScope::Write)
                .await
                .extend()?;
        Ok(CreatedApiKey { key: created.key, api_key: ApiKey(created.record) })
    }

    /// Revokes an API key (ADMIN); it stops working at once.
    #[graphql(guard = "RoleGuard::at_least(Role::Admin)")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiKey> {
        let id = parse_id(&id, "id")?;
        Ok(ApiKey(service::revoke_api_key(app(ctx), principal(ctx)?, id).await.extend()?))
    }
}
