//! The fraud flags tab: open flags with the rule and its evidence, each
//! cleared with a reason (the customer's status goes back to ACTIVE with
//! the last one).

use leptos::prelude::*;
use leptos_router::components::A;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    api::{Api, ApiError},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
        states::{Empty, ErrorNotice, Loading},
    },
    format,
    screens::customer::evidence_text,
};

const QUERIES: &str = include_str!("flags.graphql");

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenFlag {
    pub id: String,
    pub rule: String,
    pub evidence: Value,
    pub raised_at: String,
    pub customer: FlagCustomer,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FlagCustomer {
    pub id: String,
    pub name: String,
    pub phone: String,
}

#[derive(Deserialize)]
struct Cleared {
    #[allow(dead_code)]
    id: String,
}

impl Api {
    /// Open fraud flags.
    pub async fn admin_fraud_flags(self) -> Result<Vec<OpenFlag>, ApiError> {
        self.operation(QUERIES, "AdminFraudFlags", json!({})).await
    }

    /// Clears a flag with a reason.
    pub async fn admin_clear_flag(self, id: String, reason: String) -> Result<(), ApiError> {
        let _: Cleared = self.operation(QUERIES, "AdminClearFraudFlag", json!({ "id": id, "reason": reason })).await?;
        Ok(())
    }
}

#[component]
pub fn Flags() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let flags = LocalResource::new(move || {
        version.track();
        api.admin_fraud_flags()
    });
    let clearing = RwSignal::new(None::<OpenFlag>);
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        if clearing.with(Option::is_some) && !open.get_untracked() {
            open.set(true);
        }
    });
    let retry = Callback::new(move |()| version.update(|v| *v += 1));
    let title = Signal::derive(move || {
        clearing.with(|f| f.as_ref().map(|f| format!("Clear the flag on {}", f.customer.name))).unwrap_or_default()
    });
    view! {
        <p class="muted">"The fraud rules run daily at 2 AM. Clear a flag once you have checked the evidence; say why."</p>
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match flags.await {
                        Ok(list) if list.is_empty() => view! { <Empty title="No open flags" hint="Customers flagged by the fraud rules appear here." /> }.into_any(),
                        Ok(list) => view! {
                            <ul class="flag-list admin-flags">
                                {list.into_iter().map(|f| {
                                    let row = f.clone();
                                    view! {
                                        <li class="flag open" data-rule=f.rule.clone()>
                                            <span class="badge badge-danger">{format::enum_label(&f.rule)}</span>
                                            <A href=format!("/customers/{}", f.customer.id)>{f.customer.name.clone()}</A>
                                            <span>{evidence_text(&f.rule, &f.evidence)}</span>
                                            <span class="muted">{format::date(&f.raised_at)}</span>
                                            <button class="btn btn-small flag-clear" type="button" on:click=move |_| clearing.set(Some(row.clone()))>"Clear…"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Dialog open title>
            {move || clearing.get().map(|f| view! { <ClearForm flag=f open clearing changed=retry /> })}
        </Dialog>
    }
}

#[component]
fn ClearForm(
    flag: OpenFlag,
    open: RwSignal<bool>,
    clearing: RwSignal<Option<OpenFlag>>,
    changed: Callback<()>,
) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["reason"]);
    let reason = RwSignal::new(String::new());
    Effect::new(move |_| {
        if !open.get() {
            clearing.set(None);
        }
    });
    let id = flag.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = reason.get().trim().to_owned();
        if typed.is_empty() {
            form.reject("reason", "Say why the flag is cleared");
            return;
        }
        form.submit(api.admin_clear_flag(id.clone(), typed), move |()| {
            open.set(false);
            changed.run(());
        });
    };
    view! {
        <form id="clear-flag-form" class="stack" novalidate on:submit=submit>
            <p class="confirm-summary">{format!("{} — {}", format::enum_label(&flag.rule), evidence_text(&flag.rule, &flag.evidence))}</p>
            <Field label="Reason" error=form.error_for("reason")>
                <input id="clear-flag-reason" class="input" type="text" autocomplete="off"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Clear flag" busy_label="Clearing…" />
            </div>
        </form>
    }
}
