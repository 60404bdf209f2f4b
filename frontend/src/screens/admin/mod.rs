//! `/admin` and `/admin/:tab`: staff users and their roles, API keys for
//! integrators, the audit log with its hash-chain check, the scheduled
//! jobs (run now), the open fraud flags (clear with a reason) and the RFM
//! thresholds. Only an ADMIN
//! sees the screen; anyone else is told so (the server refuses them too).

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

mod api;
mod audit;
mod flags;
mod jobs;
mod keys;
mod rfm;
mod users;
mod webhooks;

use crate::{api::Role, session::Session};

/// The tabs: path segment and label. The first is the default.
const TABS: [(&str, &str); 7] = [
    ("users", "Users"),
    ("keys", "API keys"),
    ("audit", "Audit log"),
    ("jobs", "Jobs"),
    ("flags", "Fraud flags"),
    ("rfm", "RFM thresholds"),
    ("webhooks", "Webhooks"),
];

/// The tab shown for the path segment `segment` (the first when unknown).
fn tab_of(segment: Option<&str>) -> &'static str {
    TABS.iter().map(|(tab, _)| *tab).find(|tab| Some(*tab) == segment).unwrap_or(TABS[0].0)
}

/// The admin screen: tabs over users, keys and the audit log.
#[component]
pub fn AdminPage() -> impl IntoView {
    let session = Session::current();
    let params = use_params_map();
    let tab = Memo::new(move |_| params.with(|p| tab_of(p.get_str("tab"))));
    let is_admin = Memo::new(move |_| session.user().is_some_and(|user| user.role == Role::Admin));

    view! {
        <div class="page-header">
            <div>
                <h1>"Admin"</h1>
                <p class="muted">"Staff accounts, API keys for integrations, the audit log, scheduled jobs, fraud flags and RFM thresholds."</p>
            </div>
        </div>
        <Show when=move || is_admin.get() fallback=|| view! { <NotAllowed /> }>
            <nav class="tabs admin-tabs">
                {TABS.iter().map(|(segment, label)| view! {
                    <A href=format!("/admin/{segment}") attr:id=format!("admin-tab-{segment}")
                        attr:aria-selected=move || (tab.get() == *segment).to_string()>{*label}</A>
                }).collect_view()}
            </nav>
            {move || match tab.get() {
                "keys" => view! { <keys::ApiKeys /> }.into_any(),
                "audit" => view! { <audit::AuditLog /> }.into_any(),
                "jobs" => view! { <jobs::Jobs /> }.into_any(),
                "flags" => view! { <flags::Flags /> }.into_any(),
                "rfm" => view! { <rfm::Rfm /> }.into_any(),
                "webhooks" => view! { <webhooks::Webhooks /> }.into_any(),
                _ => view! { <users::Users /> }.into_any(),
            }}
        </Show>
    }
}

/// What a signed-in user who is not an admin sees instead.
#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <section class="card">
            <div class="empty admin-forbidden">
                <p class="empty-title">"Only admins can open this page"</p>
                <p class="muted">"Ask an admin if you need an account changed or an API key."</p>
                <p><A href="/dashboard">"Back to the dashboard"</A></p>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_or_missing_tab_is_the_user_list() {
        assert_eq!(tab_of(Some("keys")), "keys");
        assert_eq!(tab_of(Some("audit")), "audit");
        assert_eq!(tab_of(Some("nope")), "users");
        assert_eq!(tab_of(None), "users");
    }
}
