//! The frame around every signed-in page: the top bar, and the guard that
//! sends signed-out visitors to `/login`.

use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_router::components::{A, Redirect};

use crate::{
    api::{
        Api, Role, User,
        live::{self, LiveStatus},
    },
    app::replace,
    components::badge::RoleBadge,
    session::Session,
    theme::{Theme, ThemeChoice},
};

/// The main navigation: path, label, and the least role that sees it.
const NAVIGATION: &[(&str, &str, Role)] = &[
    ("/dashboard", "Dashboard", Role::Viewer),
    ("/customers", "Customers", Role::Viewer),
    ("/tickets", "Tickets", Role::Viewer),
    ("/transfers", "Bank transfers", Role::Viewer),
    ("/call-tasks", "Call tasks", Role::Agent),
    ("/analytics", "Analytics", Role::Manager),
    ("/campaigns", "Campaigns", Role::Manager),
    ("/admin", "Admin", Role::Admin),
];

/// Shows `children` under the top bar while someone is signed in, and
/// redirects to `/login` as soon as nobody is (signed out, or the server
/// rejected the token).
#[component]
pub fn AppShell(children: ChildrenFn) -> impl IntoView {
    let session = Session::current();
    // Tracks only the yes/no, so that a profile refresh does not rebuild
    // the page.
    let signed_in = Memo::new(move |_| session.is_signed_in());

    if session.is_signed_in_untracked() {
        // Confirms the stored token once per page load and picks up profile
        // changes; a rejected token ends the session (see `api`).
        let api = Api::current();
        spawn_local(async move {
            if let Ok(user) = api.me().await {
                session.update_user(user);
            }
        });
    }

    keep_token_fresh(session);

    // Signing out (or an expired token) also closes the live connection.
    Effect::new(move |_| {
        if !signed_in.get() {
            live::disconnect();
        }
    });

    move || {
        if signed_in.get() {
            Either::Left(view! {
                <TopBar />
                <main class="page">{children()}</main>
            })
        } else {
            Either::Right(view! { <Redirect path="/login" options=replace() /> })
        }
    }
}

/// Renews the token two minutes before it expires, for as long as the app is
/// open; when that fails (the account was disabled, the server is gone) the
/// session ends at the expiry and the sign-in page says so.
fn keep_token_fresh(session: Session) {
    const RENEW_BEFORE_MS: f64 = 120_000.0;
    let api = Api::current();
    Effect::new(move |_| {
        // Re-runs whenever a new token is stored.
        let Some(remaining) = session.expires_in_ms() else { return };
        let wait = (remaining - RENEW_BEFORE_MS).max(0.0);
        let timer = set_timeout_with_handle(
            move || {
                spawn_local(async move {
                    match api.refresh_token().await {
                        Ok(auth) => {
                            session.renew(auth);
                            live::reauthenticate();
                        }
                        Err(_) => {
                            let left = session.expires_in_ms().unwrap_or(0.0).max(0.0);
                            set_timeout(move || session.expire(), std::time::Duration::from_millis(left as u64));
                        }
                    }
                });
            },
            std::time::Duration::from_millis(wait as u64),
        );
        if let Ok(timer) = timer {
            on_cleanup(move || timer.clear());
        }
    });
}

/// Product name, navigation, the signed-in user and the sign-out button.
#[component]
fn TopBar() -> impl IntoView {
    let session = Session::current();

    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <A href="/dashboard" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"c"</span>
                    <span class="brand-name">"crm360"</span>
                </A>
                <nav class="topbar-nav" aria-label="Main">
                    {move || {
                        let role = session.user().map_or(Role::Unknown, |u| u.role);
                        NAVIGATION
                            .iter()
                            .filter(|(_, _, least)| role.at_least(*least))
                            .map(|(href, label, _)| view! { <A href=*href>{*label}</A> })
                            .collect_view()
                    }}
                </nav>
                <div class="topbar-user">
                    <LiveIndicator />
                    <ThemeToggle />
                    {move || session.user().map(user_chip)}
                    <button class="btn btn-ghost" type="button" on:click=move |_| session.sign_out()>
                        "Sign out"
                    </button>
                </div>
            </div>
        </header>
    }
}

/// Whether live updates are flowing (shown once a screen subscribes).
#[component]
fn LiveIndicator() -> impl IntoView {
    move || {
        let (class, label, title) = match live::status() {
            LiveStatus::Idle => return None,
            LiveStatus::Connecting => ("live live-connecting", "Connecting", "Connecting to live updates…"),
            LiveStatus::Live => ("live live-on", "Live", "Changes by others appear as they happen"),
            LiveStatus::Offline => ("live live-off", "Offline", "Live updates lost; reconnecting…"),
        };
        Some(view! { <span class=class title=title aria-live="polite">{label}</span> })
    }
}

/// Switches between the light and the dark theme.
#[component]
fn ThemeToggle() -> impl IntoView {
    let theme = ThemeChoice::current();
    let label = move || match theme.get() {
        Theme::Light => "Switch to the dark theme",
        Theme::Dark => "Switch to the light theme",
    };
    view! {
        <button class="btn btn-ghost btn-icon theme-toggle" type="button" title=label aria-label=label
            on:click=move |_| theme.toggle()>
            {move || match theme.get() { Theme::Light => "☾", Theme::Dark => "☀" }}
        </button>
    }
}

/// Avatar, name, email and role of the signed-in user.
fn user_chip(user: User) -> impl IntoView {
    let title = format!("{} <{}>", user.name, user.email);
    let initials = initials(&user.name);
    view! {
        <div class="user-chip" title=title>
            <span class="avatar" aria-hidden="true">{initials}</span>
            <span class="user-text">
                <span class="user-name">{user.name}</span>
                <span class="user-email">{user.email}</span>
            </span>
            <RoleBadge role=user.role />
        </div>
    }
}

/// Up to two initials for the avatar: "Nguyễn Văn An" → "NA".
fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().and_then(|w| w.chars().next());
    let last = words.next_back().and_then(|w| w.chars().next());
    first.into_iter().chain(last).flat_map(char::to_uppercase).collect()
}
