//! Who is signed in.
//!
//! The token lives in `localStorage` under [`TOKEN_KEY`], the user's profile
//! and the token's expiry under [`USER_KEY`], so a reload keeps the session.
//! [`Session`] is a reactive handle on that state, provided as context by
//! [`crate::app::App`]; pages react to it (signing out anywhere sends every
//! protected page to `/login`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{AuthPayload, User};

/// `localStorage` key of the bearer token.
const TOKEN_KEY: &str = "crm360.token";
/// `localStorage` key of the signed-in user's profile and the token's expiry.
const USER_KEY: &str = "crm360.user";

/// Shown on the sign-in page after the server rejected a stored token.
pub const SESSION_EXPIRED: &str = "Your session has expired, please sign in again";
/// Shown on the sign-in page after signing out on purpose.
const SIGNED_OUT: &str = "You have signed out.";

/// What is kept next to the token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredUser {
    user: User,
    expires_at: String,
}

/// A live session: the token and what we know about its owner.
#[derive(Clone, Debug, PartialEq)]
struct SignedIn {
    token: String,
    expires_at: String,
    user: User,
}

/// Reactive handle on the current session; cheap to copy into closures.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    current: RwSignal<Option<SignedIn>>,
    /// A one-line message for the sign-in page ("session expired", ...).
    notice: RwSignal<Option<String>>,
}

impl Session {
    /// Reads the session saved by a previous visit, dropping it if its token
    /// has already expired.
    pub fn restore() -> Self {
        let mut notice = None;
        let saved = load().filter(|saved| {
            let expired = has_passed(&saved.expires_at);
            if expired {
                clear_storage();
                notice = Some(SESSION_EXPIRED.to_owned());
            }
            !expired
        });
        Self { current: RwSignal::new(saved), notice: RwSignal::new(notice) }
    }

    /// The session provided by [`crate::app::App`].
    pub fn current() -> Self {
        expect_context()
    }

    /// The signed-in user (tracked).
    pub fn user(self) -> Option<User> {
        self.current.with(|current| current.as_ref().map(|s| s.user.clone()))
    }

    /// Whether someone is signed in (tracked).
    pub fn is_signed_in(self) -> bool {
        self.current.with(Option::is_some)
    }

    /// Whether someone is signed in, without subscribing to changes.
    pub fn is_signed_in_untracked(self) -> bool {
        self.current.with_untracked(Option::is_some)
    }

    /// Milliseconds until the token expires (tracked; `None` when signed
    /// out or unreadable).
    pub fn expires_in_ms(self) -> Option<f64> {
        self.current.with(|current| {
            let at = js_sys::Date::parse(&current.as_ref()?.expires_at);
            (!at.is_nan()).then(|| at - js_sys::Date::now())
        })
    }

    /// Replaces the token with a fresh one from `refreshToken`.
    pub fn renew(self, auth: AuthPayload) {
        if self.is_signed_in_untracked() {
            let session = SignedIn { token: auth.token, expires_at: auth.expires_at, user: auth.user };
            save(&session);
            self.current.set(Some(session));
        }
    }

    /// The bearer token for API calls, if signed in.
    pub fn token(self) -> Option<String> {
        self.current.try_with_untracked(|current| current.as_ref().map(|s| s.token.clone())).flatten()
    }

    /// Starts a session from a successful `login`.
    pub fn sign_in(self, auth: AuthPayload) {
        let session = SignedIn { token: auth.token, expires_at: auth.expires_at, user: auth.user };
        save(&session);
        self.notice.set(None);
        self.current.set(Some(session));
    }

    /// Replaces the stored profile with a fresher copy from the server.
    pub fn update_user(self, user: User) {
        self.current.update(|current| {
            if let Some(session) = current
                && session.user != user
            {
                session.user = user;
                save(session);
            }
        });
    }

    /// Ends the session at the user's request.
    pub fn sign_out(self) {
        self.end(SIGNED_OUT);
    }

    /// Ends the session because the server no longer accepts its token.
    pub fn expire(self) {
        if self.token().is_some() {
            self.end(SESSION_EXPIRED);
        }
    }

    /// The message for the sign-in page, if any (tracked).
    pub fn notice(self) -> Option<String> {
        self.notice.get()
    }

    /// Hides the sign-in page message.
    pub fn dismiss_notice(self) {
        self.notice.set(None);
    }

    fn end(self, notice: &str) {
        clear_storage();
        self.notice.set(Some(notice.to_owned()));
        self.current.set(None);
    }
}

fn storage() -> Option<web_sys::Storage> {
    // `localStorage` can be missing or throw (private browsing, disabled
    // storage); the session then only lasts until the tab is closed.
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Option<SignedIn> {
    let storage = storage()?;
    let token = storage.get_item(TOKEN_KEY).ok().flatten()?;
    let stored = storage.get_item(USER_KEY).ok().flatten()?;
    match serde_json::from_str::<StoredUser>(&stored) {
        Ok(StoredUser { user, expires_at }) => Some(SignedIn { token, expires_at, user }),
        Err(_) => {
            clear_storage();
            None
        }
    }
}

fn save(session: &SignedIn) {
    let Some(storage) = storage() else { return };
    let stored = StoredUser { user: session.user.clone(), expires_at: session.expires_at.clone() };
    if let Ok(json) = serde_json::to_string(&stored) {
        // Best effort: a full or disabled storage only costs the reload.
        let _ = storage.set_item(TOKEN_KEY, &session.token);
        let _ = storage.set_item(USER_KEY, &json);
    }
}

fn clear_storage() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TOKEN_KEY);
        let _ = storage.remove_item(USER_KEY);
    }
}

/// Whether an RFC 3339 timestamp lies in the past; unreadable ones do not
/// (the server has the last word on them).
fn has_passed(timestamp: &str) -> bool {
    let at = js_sys::Date::parse(timestamp);
    !at.is_nan() && at <= js_sys::Date::now()
}
