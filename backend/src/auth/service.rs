//! Passwords (argon2), login tokens (JWT, HS256), API keys, staff users.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{api_key, user};
use super::principal::{Credential, Principal, Role};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::error::{AppError, AppResult};

/// Every API key starts with this, which tells it apart from a JWT.
pub const API_KEY_PREFIX: &str = "crm_";

/// Claims of a staff login token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// User id.
    sub: String,
    role: Role,
    iat: i64,
    exp: i64,
}

/// A fresh login.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A password a person can type once: 20 random letters and digits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Checks email and password and returns a login token. Wrong email and
/// wrong password are the same error, so that accounts cannot be probed.
///
/// Failed attempts are throttled per email and per client IP
/// ([`crate::ratelimit`]): past a few failures each attempt must wait
/// longer, then the email (or IP) is locked out for a while. A throttled
/// attempt is `RATE_LIMITED` with `retryAfter`, before the password is
/// even checked, and says the same whether the account exists or not. A
/// lockout is logged, and audited on the account when there is one.
#[tracing::instrument(skip_all)]
pub async fn login(ctx: &AppCtx, email: &str, password: &str, ip: Option<IpAddr>) -> AppResult<Session> {
    let email = email.trim().to_lowercase();
    if let Err(retry_after) = ctx.limits.login_allowed(&email, ip, ctx.now()).await {
        return Err(AppError::RateLimited {
            retry_after,
            message: format!("too many failed sign-in attempts: try again in {retry_after} seconds"),
        });
    }
    let found = user::Entity::find().filter(user::Column::Email.eq(&email)).one(ctx.db.conn()).await?;
    // Hash even for an unknown email so both paths take the same time.
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let user = match found {
        Some(u) if ok && u.active => u,
        found => {
            tracing::warn!("failed login");
            let (email_locked, ip_locked) = ctx.limits.login_failed(&email, ip, ctx.now()).await;
            if email_locked || ip_locked {
                lockout(ctx, &email, ip, found.as_ref(), email_locked).await;
            }
            return Err(AppError::Unauthenticated("invalid email or password".into()));
        }
    };
    ctx.limits.login_succeeded(&email).await;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let mut am = user.clone().into_active_model();
    am.last_login_at = Set(Some(now));
    let user = am.update(tx.db()).await?;
    let principal = Principal { credential: Credential::User { user_id: user.id }, role: user.role, expires_at: None };
    audit::record(&tx, &principal, now, Change::on("auth.login", "user", user.id)).await?;
    tx.commit().await?;
    issue_token(ctx, user)
}

/// Logs a lockout, and audits it on the account when the email has one.
async fn lockout(ctx: &AppCtx, email: &str, ip: Option<IpAddr>, account: Option<&user::Model>, email_locked: bool) {
    let masked = crate::telemetry::mask_email(email);
    let ip_text = ip.map(|i| i.to_string()).unwrap_or_default();
    let locked = if email_locked { "email" } else { "ip" };
    tracing::warn!(email = %masked, ip = %ip_text, locked, "login locked out after repeated failures");
    metrics::counter!("crm360_login_lockouts_total", "locked" => locked).increment(1);
    let Some(account) = account else { return };
    let now = ctx.now();
    let audited = async {
        let tx = ctx.begin().await?;
        let change = Change::on("auth.lockout", "user", account.id).after(json!({
            "email": masked,
            "ip": ip_text,
            "locked": locked,
            "seconds": ctx.config.login_lockout_seconds,
        }));
        audit::record(&tx, &Principal::system(), now, change).await?;
        tx.commit().await
    };
    if let Err(e) = audited.await {
        tracing::error!(error = %e, "auditing a login lockout failed");
    }
}

/// A new token for a user (login and refresh).
pub fn issue_token(ctx: &AppCtx, user: user::Model) -> AppResult<Session> {
    let now = ctx.now();
    let expires_at = now + Duration::minutes(ctx.config.jwt_ttl_minutes);
    let claims =
        Claims { sub: user.id.to_string(), role: user.role, iat: now.timestamp(), exp: expires_at.timestamp() };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &ctx.jwt.encoding)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Session { token, expires_at, user })
}

/// A new token for the caller, if they are a staff user still active.
pub async fn refresh(ctx: &AppCtx, p: &Principal) -> AppResult<Session> {
    let id = p.user_id().ok_or_else(|| AppError::Forbidden("only staff logins can be refreshed".into()))?;
    match find_user(ctx.db.conn(), id).await? {
        Some(u) if u.active => issue_token(ctx, u),
        _ => Err(AppError::Unauthenticated("this account is no longer active".into())),
    }
}

/// Turns a bearer credential (JWT or API key) into a caller. Expiry is
/// checked against the application's clock.
pub async fn authenticate(ctx: &AppCtx, bearer: &str) -> AppResult<Principal> {
    let bearer = bearer.trim();
    if bearer.starts_with(API_KEY_PREFIX) {
        let hash = sha256_hex(bearer);
        let key = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hash))
            .one(ctx.db.conn())
            .await?
            .ok_or_else(|| AppError::Unauthenticated("invalid API key".into()))?;
        if key.revoked_at.is_some() {
            return Err(AppError::Unauthenticated("this API key was revoked".into()));
        }
        let role = if key.can_write() { Role::Manager } else { Role::Viewer };
        return Ok(Principal { credential: Credential::ApiKey { key_id: key.id }, role, expires_at: None });
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false; // checked below with the app's clock
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(bearer, &ctx.jwt.decoding, &validation)
        .map_err(|_| AppError::Unauthenticated("invalid token".into()))?;
    let expires_at = DateTime::from_timestamp(data.claims.exp, 0)
        .ok_or_else(|| AppError::Unauthenticated("invalid token".into()))?;
    if expires_at <= ctx.now() {
        return Err(AppError::Unauthenticated("token expired, please sign in again".into()));
    }
    let user_id = data.claims.sub.parse().map_err(|_| AppError::Unauthenticated("invalid token".into()))?;
    // One lookup by primary key: a deactivated account's tokens stop
    // working at once, and a role change applies to the next request.
    let role = match find_user(ctx.db.conn(), user_id).await? {
        Some(u) if u.active => u.role,
        Some(_) => return Err(AppError::Unauthenticated("this account is disabled".into())),
        None => return Err(AppError::Unauthenticated("this account no longer exists".into())),
    };
    Ok(Principal { credential: Credential::User { user_id }, role, expires_at: Some(expires_at) })
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A staff user by id.
pub async fn find_user<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Staff users with these ids (for the DataLoader).
/// `BAD_USER_INPUT` on `field` unless `user_id` is an active staff member
/// who can own customers and tickets (AGENT and above).
pub async fn ensure_active_agent<C: ConnectionTrait>(db: &C, user_id: i64, field: &str) -> AppResult<()> {
    match find_user(db, user_id).await? {
        Some(u) if u.active && u.role >= Role::Agent => Ok(()),
        _ => Err(AppError::bad_input(field, "no active staff member (AGENT or above) has this id")),
    }
}

pub async fn users_by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// Every staff user, by name.
pub async fn list_users(ctx: &AppCtx) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find().order_by_asc(user::Column::Name).all(ctx.db.conn()).await?)
}

/// What a new staff user is made of.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Creates a staff user. Emails are unique (`CONFLICT`); passwords have at
/// least 10 characters.
pub async fn create_user(ctx: &AppCtx, actor: &Principal, input: NewUser) -> AppResult<user::Model> {
    let email = crate::customers::service::valid_email(&input.email, "input.email")?
        .ok_or_else(|| AppError::bad_input("input.email", "an email is required"))?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("input.name", "a name is 1 to 200 characters"));
    }
    if input.password.chars().count() < 10 {
        return Err(AppError::bad_input("input.password", "a password has at least 10 characters"));
    }
    let password = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    if user::Entity::find().filter(user::Column::Email.eq(&email)).one(tx.db()).await?.is_some() {
        return Err(AppError::conflict("input.email", "a user with this email already exists"));
    }
    let created = user::ActiveModel {
        email: Set(email),
        name: Set(name),
        role: Set(input.role),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("user.create", "user", created.id)
            .after(json!({ "email": created.email, "name": created.name, "role": created.role })),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes to a staff user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Refuses a change that would leave nobody to administer the system: an
/// admin demoting or deactivating themselves, or the last active admin
/// losing the role or the account. `other_admins` counts the active admins
/// other than `target`.
fn check_user_change(actor: Option<i64>, target: &user::Model, patch: &UserPatch, other_admins: u64) -> AppResult<()> {
    let demoted = patch.role.is_some_and(|r| r != Role::Admin) && target.role == Role::Admin;
    let deactivated = patch.active == Some(false) && target.active;
    let myself = actor == Some(target.id);
    if myself && demoted {
        return Err(AppError::conflict("input.role", "you cannot take the ADMIN role from yourself"));
    }
    if myself && deactivated {
        return Err(AppError::conflict("input.active", "you cannot deactivate your own account"));
    }
    let admin_now = target.role == Role::Admin && target.active;
    if admin_now && other_admins == 0 {
        if demoted {
            return Err(AppError::conflict(
                "input.role",
                "this is the last active admin: make someone else ADMIN first",
            ));
        }
        if deactivated {
            return Err(AppError::conflict("input.active", "this is the last active admin: it cannot be deactivated"));
        }
    }
    Ok(())
}

/// Renames, changes the role of, deactivates or reactivates a staff user
/// (see [`check_user_change`] for what is refused). A deactivated user can
/// no longer sign in and their tokens stop working.
pub async fn update_user(ctx: &AppCtx, actor: &Principal, id: i64, patch: UserPatch) -> AppResult<user::Model> {
    let name = match &patch.name {
        Some(n) => {
            let n = n.trim();
            if n.is_empty() || n.chars().count() > 200 {
                return Err(AppError::bad_input("input.name", "a name is 1 to 200 characters"));
            }
            Some(n.to_owned())
        }
        None => None,
    };
    let now = ctx.now();
    let tx = ctx.begin().await?;
    // Locking the active admins first serialises two admins demoting each
    // other at the same time (PostgreSQL; SQLite runs one writer).
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Active.eq(true))
        .lock_exclusive()
        .all(tx.db())
        .await?;
    let before = user::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    let other_admins = admins.iter().filter(|a| a.id != id).count() as u64;
    check_user_change(actor.user_id(), &before, &patch, other_admins)?;
    let mut am = before.clone().into_active_model();
    if let Some(name) = name {
        am.name = Set(name);
    }
    if let Some(role) = patch.role {
        am.role = Set(role);
    }
    if let Some(active) = patch.active {
        am.active = Set(active);
    }
    am.updated_at = Set(now);
    let after = am.update(tx.db()).await?;
    let view = |u: &user::Model| json!({ "name": u.name, "role": u.role, "active": u.active });
    audit::record(&tx, actor, now, Change::on("user.update", "user", id).before(view(&before)).after(view(&after)))
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Creates the first admin when there are no users. Returns the generated
/// password when none was configured, to be printed once.
pub async fn ensure_first_admin(ctx: &AppCtx) -> AppResult<Option<String>> {
    if user::Entity::find().count(ctx.db.conn()).await? > 0 {
        return Ok(None);
    }
    use secrecy::ExposeSecret;
    let (password, generated) = match &ctx.config.admin_password {
        Some(p) => (p.expose_secret().to_owned(), false),
        None => (generate_password(), true),
    };
    create_user(
        ctx,
        &Principal::system(),
        NewUser {
            email: ctx.config.admin_email.clone(),
            name: "Administrator".into(),
            role: Role::Admin,
            password: password.clone(),
        },
    )
    .await?;
    Ok(generated.then_some(password))
}

/// A new API key: the key itself (shown once) and its stored record.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: String,
    pub record: api_key::Model,
}

/// Creates an API key with scopes `read` or `read,write`.
pub async fn create_api_key(ctx: &AppCtx, actor: &Principal, name: &str, write: bool) -> AppResult<CreatedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("input.name", "a key name is 1 to 200 characters"));
    }
    let created_by = actor.user_id().ok_or_else(|| AppError::Forbidden("API keys are created by staff".into()))?;
    let secret: [u8; 24] = rand::random();
    let key = format!("{API_KEY_PREFIX}{}", hex::encode(secret));
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let record = api_key::ActiveModel {
        name: Set(name.to_owned()),
        prefix: Set(key[..API_KEY_PREFIX.len() + 8].to_owned()),
        key_hash: Set(sha256_hex(&key)),
        scopes: Set(if write { "read,write" } else { "read" }.into()),
        created_by: Set(created_by),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(tx.db())
    .await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("api_key.create", "api_key", record.id)
            .after(json!({ "name": record.name, "prefix": record.prefix, "scopes": record.scopes })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey { key, record })
}

/// Revokes an API key; it stops working at once.
pub async fn revoke_api_key(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<api_key::Model> {
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let key = api_key::Entity::find_by_id(id)
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("API key {id}")))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut am = key.into_active_model();
    am.revoked_at = Set(Some(now));
    let key = am.update(tx.db()).await?;
    audit::record(&tx, actor, now, Change::on("api_key.revoke", "api_key", id).after(json!({ "revokedAt": now })))
        .await?;
    tx.commit().await?;
    Ok(key)
}

/// Every API key, newest first.
pub async fn list_api_keys(ctx: &AppCtx) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find().order_by_desc(api_key::Column::Id).all(ctx.db.conn()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: i64, role: Role, active: bool) -> user::Model {
        let at = Utc::now();
        user::Model {
            id,
            email: format!("u{id}@x.vn"),
            name: format!("U{id}"),
            role,
            password_hash: String::new(),
            active,
            created_at: at,
            updated_at: at,
            last_login_at: None,
        }
    }

    fn field(r: AppResult<()>) -> Option<String> {
        match r {
            Err(AppError::Conflict { field, .. }) => field,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn an_admin_keeps_their_own_role_and_account() {
        let me = staff(1, Role::Admin, true);
        let demote = UserPatch { role: Some(Role::Manager), ..Default::default() };
        assert_eq!(field(check_user_change(Some(1), &me, &demote, 3)).as_deref(), Some("input.role"));
        let off = UserPatch { active: Some(false), ..Default::default() };
        assert_eq!(field(check_user_change(Some(1), &me, &off, 3)).as_deref(), Some("input.active"));
        let rename = UserPatch { name: Some("Me".into()), role: Some(Role::Admin), active: Some(true) };
        assert!(check_user_change(Some(1), &me, &rename, 0).is_ok());
    }

    #[test]
    fn the_last_active_admin_stays() {
        let other = staff(2, Role::Admin, true);
        let demote = UserPatch { role: Some(Role::Viewer), ..Default::default() };
        assert_eq!(field(check_user_change(Some(1), &other, &demote, 0)).as_deref(), Some("input.role"));
        assert!(check_user_change(Some(1), &other, &demote, 1).is_ok());
        let off = UserPatch { active: Some(false), ..Default::default() };
        assert_eq!(field(check_user_change(None, &other, &off, 0)).as_deref(), Some("input.active"));
        // Not an admin, or already inactive: nothing to protect.
        assert!(check_user_change(Some(1), &staff(3, Role::Agent, true), &off, 0).is_ok());
        assert!(check_user_change(Some(1), &staff(4, Role::Admin, false), &demote, 0).is_ok());
    }
}
