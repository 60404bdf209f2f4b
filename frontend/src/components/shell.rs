//! The frame around every signed-in page: the top bar, and the guard that
//! sends signed-out visitors to `/login`.

use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_router::components::{A, Redirect};

use crate::{
    api::{Api, User},
    app::replace,
    components::badge::RoleBadge,
    session::Session,
};

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

/// Product name, navigation, the signed-in user and the sign-out button.
#[component]
fn TopBar() -> impl IntoView {
    let session = Session::current();

    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <A href="/customers" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"c"</span>
                    <span class="brand-name">"crm360"</span>
                </A>
                <nav class="topbar-nav" aria-label="Main">
                    <A href="/customers">"Customers"</A>
                </nav>
                <div class="topbar-user">
                    {move || session.user().map(user_chip)}
                    <button class="btn btn-ghost" type="button" on:click=move |_| session.sign_out()>
                        "Sign out"
                    </button>
                </div>
            </div>
        </header>
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
