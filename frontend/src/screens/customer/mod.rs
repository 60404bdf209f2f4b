//! `/customers/:id`: one customer, all in one place — profile (editable),
//! tier and status, the wallet with its dialogs, the ledger, tickets,
//! timeline and notes, interactions and family members, and the transfer
//! code as a QR code. Changes made by anyone else (a deposit through the
//! API, a bank transfer) appear live.

mod api;
mod family;
mod interactions;
mod orders;
mod panels;
mod profile;
mod qr;
mod wallet;

/// A calendar day (`2026-11-25`) as the pages write it (`25/11/2026`).
pub use family::calendar_day;
/// A fraud flag's evidence in words (the admin's flag list says it the same way).
pub use orders::evidence_text;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use api::Customer;

use crate::{
    api::{Api, ApiError, live},
    components::{
        badge::{StatusBadge, TierBadge},
        states::Loading,
    },
};

/// Versions the page's parts watch: bumping one refetches that part.
#[derive(Clone, Copy, Debug)]
pub struct Refresh {
    /// The customer and the wallet balances.
    pub customer: RwSignal<u32>,
    /// The ledger.
    pub ledger: RwSignal<u32>,
    /// Tickets, timeline and notes.
    pub activity: RwSignal<u32>,
    /// Set for a moment after a live wallet change, to highlight balances.
    pub flash: RwSignal<bool>,
    /// The wallet dialog being shown, if any (kept here so that a live
    /// refresh of the wallet card does not close it).
    pub movement: RwSignal<Option<api::Movement>>,
}

impl Refresh {
    fn new() -> Self {
        Refresh {
            customer: RwSignal::new(0),
            ledger: RwSignal::new(0),
            activity: RwSignal::new(0),
            flash: RwSignal::new(false),
            movement: RwSignal::new(None),
        }
    }

    /// Everything the wallet touches: balances, ledger, timeline.
    pub fn wallet_changed(self) {
        self.customer.update(|v| *v += 1);
        self.ledger.update(|v| *v += 1);
        self.activity.update(|v| *v += 1);
    }
}

/// The page: loads the customer named in the path.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    view! { {move || view! { <CustomerView id=id.get() /> }} }
}

/// One customer's page (rebuilt when the path names another).
#[component]
fn CustomerView(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = Refresh::new();
    provide_context(refresh);

    let customer = LocalResource::new({
        let id = id.clone();
        move || {
            refresh.customer.track();
            let id = id.clone();
            async move { api.customer_360(id).await }
        }
    });

    // Live: this wallet, and this customer's profile.
    live::use_subscription(
        api::WALLET_UPDATED,
        serde_json::json!({ "customerId": id }),
        move |_: serde_json::Value| {
            refresh.wallet_changed();
            refresh.flash.set(true);
            set_timeout(move || refresh.flash.set(false), std::time::Duration::from_millis(1500));
        },
    );
    let watched = id.clone();
    live::use_subscription(api::CUSTOMER_CHANGED, serde_json::json!({}), move |event: serde_json::Value| {
        if event["customerId"].as_str() == Some(watched.as_str()) {
            refresh.customer.update(|v| *v += 1);
            refresh.activity.update(|v| *v += 1);
        }
    });

    // The last customer loaded stays on screen while a refetch runs.
    let shown = RwSignal::new(None::<Customer>);
    let failure = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        if let Some(result) = customer.get() {
            match result {
                Ok(loaded) => {
                    shown.set(Some(loaded));
                    failure.set(None);
                }
                Err(error) => failure.set(Some(error)),
            }
        }
    });

    // The parts that show the customer follow `shown`; the tabs and the
    // wallet dialog stay put (a live refresh must not reset them).
    let name = Signal::derive(move || shown.with(|c| c.as_ref().map(|c| c.name.clone()).unwrap_or_default()));
    let state = move || {
        match (shown.with(Option::is_some), failure.get()) {
        (_, Some(error)) if error.is("NOT_FOUND") => Some(view! { <NoSuchCustomer /> }.into_any()),
        (false, Some(error)) => Some(
            view! {
                <div class="banner banner-error" role="alert">
                    <span>{error.to_string()}</span>
                    <button class="btn btn-small" type="button" on:click=move |_| customer.refetch()>"Try again"</button>
                </div>
            }
            .into_any(),
        ),
        (false, None) => Some(view! { <Loading label="Loading the customer…" /> }.into_any()),
        (true, _) => None,
    }
    };
    let ready = Memo::new(move |_| state().is_none());
    view! {
        {state}
        <Show when=move || ready.get()>
            {move || shown.get().map(|c| view! { <Header customer=c /> })}
            <div class="customer-layout">
                <div class="stack">
                    {move || shown.get().map(|c| view! {
                        <wallet::WalletCard customer=c.clone() />
                        <profile::ProfileCard customer=c.clone() />
                        <qr::TransferCode code=c.transfer_code.clone() />
                    })}
                </div>
                <panels::Panels id=id.clone() />
            </div>
            <wallet::WalletDialog customer_id=id.clone() name />
        </Show>
    }
}

/// Name, member code, tier and status.
#[component]
fn Header(customer: Customer) -> impl IntoView {
    view! {
        <div class="page-header customer-header">
            <div>
                <p class="muted"><A href="/customers">"← Customers"</A></p>
                <h1 id="customer-name">{customer.name.clone()}</h1>
                <div class="row">
                    <span class="mono muted">{customer.member_code.clone()}</span>
                    <TierBadge tier=customer.tier />
                    <StatusBadge status=customer.status />
                </div>
                {customer.merged_into.clone().map(|into| view! {
                    <p class="banner banner-info" id="merged-into" role="status">
                        "Merged into "
                        <A href=format!("/customers/{}", into.id)>{format!("{} ({})", into.name, into.member_code)}</A>
                        ": everything moved there."
                    </p>
                })}
            </div>
        </div>
    }
}

/// A path with an id nobody has.
#[component]
fn NoSuchCustomer() -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">"No such customer"</p>
            <p class="muted">"They may have been merged or the link is wrong."</p>
            <p><A href="/customers">"Back to the customers"</A></p>
        </div>
    }
}
