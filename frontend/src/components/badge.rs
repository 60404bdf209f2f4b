//! Small coloured labels for enums (tier, status, role).

use leptos::prelude::*;

use crate::api::{CustomerStatus, CustomerTier, Role};

/// A customer's loyalty tier.
#[component]
pub fn TierBadge(tier: CustomerTier) -> impl IntoView {
    let tone = match tier {
        CustomerTier::New | CustomerTier::Unknown => "neutral",
        CustomerTier::Silver => "silver",
        CustomerTier::Gold => "gold",
        CustomerTier::Platinum => "platinum",
        CustomerTier::Blacklist => "danger",
    };
    view! { <span class=format!("badge badge-{tone}")>{tier.label()}</span> }
}

/// A customer's account status, with a dot so it reads without colour too.
#[component]
pub fn StatusBadge(status: CustomerStatus) -> impl IntoView {
    let tone = match status {
        CustomerStatus::Active => "success",
        CustomerStatus::Suspicious => "warning",
        CustomerStatus::Blacklisted => "danger",
        CustomerStatus::Unknown => "neutral",
    };
    view! {
        <span class=format!("badge badge-dot badge-{tone}")>{status.label()}</span>
    }
}

/// A staff member's role.
#[component]
pub fn RoleBadge(role: Role) -> impl IntoView {
    view! { <span class="badge badge-role">{role.label()}</span> }
}
