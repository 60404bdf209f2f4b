//! The router: which screen answers which path. A screen is a folder under
//! `screens/`; adding one is adding its routes here and, if it belongs in
//! the main navigation, a line in `components::shell::NAVIGATION`.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::{Redirect, Route, Router, Routes},
    path,
};

use crate::{components::shell::AppShell, screens, session::Session, theme::ThemeChoice};

/// The whole application: restores the session and the theme, then routes.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Session::restore());
    provide_context(ThemeChoice::restore());

    view! {
        <Router>
            <Routes fallback=|| view! { <screens::not_found::NotFound /> }>
                <Route path=path!("/") view=Home />
                <Route path=path!("/login") view=screens::login::LoginPage />
                <Route path=path!("/dashboard") view=|| signed_in(screens::dashboard::DashboardPage) />
                <Route path=path!("/customers") view=|| signed_in(screens::customers::CustomersPage) />
                <Route path=path!("/customers/duplicates") view=|| signed_in(screens::customers::DuplicatesPage) />
                <Route path=path!("/customers/:id") view=|| signed_in(screens::customer::CustomerPage) />
                <Route path=path!("/tickets") view=|| signed_in(screens::tickets::TicketsPage) />
                <Route path=path!("/tickets/:id") view=|| signed_in(screens::tickets::TicketPage) />
                <Route path=path!("/transfers") view=|| signed_in(screens::transfers::TransfersPage) />
                <Route path=path!("/call-tasks") view=|| signed_in(screens::call_tasks::CallTasksPage) />
                <Route path=path!("/analytics") view=|| signed_in(screens::analytics::AnalyticsPage) />
                <Route path=path!("/campaigns") view=|| signed_in(screens::campaigns::CampaignsPage) />
                <Route path=path!("/campaigns/new") view=|| signed_in(screens::campaigns::NewCampaignPage) />
                <Route path=path!("/campaigns/:id") view=|| signed_in(screens::campaigns::CampaignPage) />
                <Route path=path!("/campaigns/:id/edit") view=|| signed_in(screens::campaigns::EditCampaignPage) />
                <Route path=path!("/admin") view=|| signed_in(screens::admin::AdminPage) />
                <Route path=path!("/admin/:tab") view=|| signed_in(screens::admin::AdminPage) />
            </Routes>
        </Router>
    }
}

/// A screen inside the signed-in frame (top bar, session guard).
fn signed_in<V: IntoView + 'static>(screen: fn() -> V) -> impl IntoView {
    view! { <AppShell>{move || screen()}</AppShell> }
}

/// `/` has no page of its own: it sends signed-in users to the dashboard
/// and everyone else to the sign-in form.
#[component]
fn Home() -> impl IntoView {
    let target = if Session::current().is_signed_in_untracked() { "/dashboard" } else { "/login" };
    view! { <Redirect path=target options=replace() /> }
}

/// Navigation options for redirects, which should not leave a history entry
/// that the back button would bounce off.
pub fn replace() -> NavigateOptions {
    NavigateOptions { replace: true, ..NavigateOptions::default() }
}
