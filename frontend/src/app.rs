//! The router: which page answers which path, and the redirects between them.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::{Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::shell::AppShell,
    pages::{customers::CustomersPage, login::LoginPage, not_found::NotFound},
    session::Session,
};

/// The whole application: restores the session, then routes.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Session::restore());

    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=Home />
                <Route path=path!("/login") view=LoginPage />
                <Route
                    path=path!("/customers")
                    view=|| view! { <AppShell><CustomersPage /></AppShell> }
                />
            </Routes>
        </Router>
    }
}

/// `/` has no page of its own: it sends signed-in users to their work and
/// everyone else to the sign-in form.
#[component]
fn Home() -> impl IntoView {
    let target = if Session::current().is_signed_in_untracked() { "/customers" } else { "/login" };
    view! { <Redirect path=target options=replace() /> }
}

/// Navigation options for redirects, which should not leave a history entry
/// that the back button would bounce off.
pub fn replace() -> NavigateOptions {
    NavigateOptions { replace: true, ..NavigateOptions::default() }
}
