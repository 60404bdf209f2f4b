//! The link and unlink dialogs of the transfer list.

use leptos::prelude::*;

use super::api::{CustomerPreview, Transfer};
use crate::{
    api::{Api, ApiError},
    components::{
        badge::TierBadge,
        dialog::Dialog,
        form::{Field, FormState, SubmitButton},
        states::Loading,
    },
};

/// A failure of a link or unlink, said for the person at the desk.
pub fn explain(error: &ApiError) -> String {
    match error.code() {
        Some("CONFLICT") => "This transfer is already linked to a customer. Refresh the list.".to_owned(),
        Some("INVALID_TRANSITION") => "This transfer is not in a state that allows it any more.".to_owned(),
        Some("INSUFFICIENT_FUNDS") => {
            format!("The customer has already spent this money, so the deposit cannot be reversed. {error}")
        }
        Some("NOT_FOUND") => "This transfer or customer no longer exists.".to_owned(),
        Some("FORBIDDEN") => "You are not allowed to do this.".to_owned(),
        _ => error.to_string(),
    }
}

/// Whether `text` looks enough like a phone to ask the server about it.
pub fn phone_worth_checking(text: &str) -> bool {
    text.chars().filter(char::is_ascii_digit).count() >= 9
}

/// Opens while `transfer` holds one; closing empties it.
fn open_for(transfer: RwSignal<Option<Transfer>>) -> RwSignal<bool> {
    let open = RwSignal::new(false);
    Effect::new(move |_| open.set(transfer.with(Option::is_some)));
    Effect::new(move |_| {
        if !open.get() && transfer.with_untracked(Option::is_some) {
            transfer.set(None);
        }
    });
    open
}

/// The banner for a failure not tied to an input.
#[component]
fn Failure(form: FormState, field: &'static str) -> impl IntoView {
    move || {
        form.failure.get().filter(|e| !e.is_about(field)).map(|error| {
            view! { <div class="banner banner-error form-error" role="alert">{explain(&error)}</div> }
        })
    }
}

/// "Link" on a pending or unlinked transfer.
#[component]
pub fn LinkDialog(transfer: RwSignal<Option<Transfer>>, changed: Callback<()>) -> impl IntoView {
    let open = open_for(transfer);
    let title = Signal::derive(move || {
        transfer.with(|t| t.as_ref().map(|t| format!("Link {} to a customer", t.amount.display())).unwrap_or_default())
    });
    view! {
        <Dialog open title>
            {move || transfer.get().map(|t| view! { <LinkForm transfer=t open changed /> })}
        </Dialog>
    }
}

#[component]
fn LinkForm(transfer: Transfer, open: RwSignal<bool>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["phone"]);
    let by_phone = RwSignal::new(true);
    let phone = RwSignal::new(transfer.candidates.first().cloned().unwrap_or_default());
    let search = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<CustomerPreview>);
    let deposit = RwSignal::new(true);
    let preview = LocalResource::new(move || {
        let phone = phone.get();
        async move {
            if !phone_worth_checking(&phone) {
                return None;
            }
            Some(api.transfer_phone_lookup(phone).await)
        }
    });
    let results = LocalResource::new(move || {
        let search = search.get().trim().to_owned();
        async move {
            if search.chars().count() < 2 {
                return None;
            }
            Some(api.transfer_customer_search(search).await)
        }
    });
    let id = transfer.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = id.clone();
        let done = move |()| {
            open.set(false);
            changed.run(());
        };
        let keep = deposit.get();
        if by_phone.get() {
            let phone = phone.get().trim().to_owned();
            if !phone_worth_checking(&phone) {
                form.reject("phone", "Enter the customer's phone, like 0901234567");
                return;
            }
            form.submit(api.link_transfer(id, phone, keep), done);
        } else {
            let Some(customer) = chosen.get() else {
                form.reject("customer", "Choose a customer from the search");
                return;
            };
            if keep {
                form.submit(api.resolve_transfer(id, customer.id), done);
            } else {
                form.submit(api.link_transfer(id, customer.phone, false), done);
            }
        }
    };
    view! {
        <form id="link-form" class="stack" novalidate on:submit=submit>
            <p class="confirm-summary">
                {transfer.amount.display()} " — " <span class="mono">{transfer.content.clone()}</span>
            </p>
            <div class="tabs" role="tablist">
                <button type="button" id="link-by-phone" class="tab" class:active=move || by_phone.get()
                    on:click=move |_| { by_phone.set(true); form.clear(); }>"By phone"</button>
                <button type="button" id="link-by-search" class="tab" class:active=move || !by_phone.get()
                    on:click=move |_| { by_phone.set(false); form.clear(); }>"Find a customer"</button>
            </div>
            <Show when=move || by_phone.get() fallback=move || view! {
                <Field label="Search by name, phone or member code" error=form.error_for("customer")>
                    <input id="link-search" class="input" type="search" autocomplete="off"
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                </Field>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match results.await {
                            None => ().into_any(),
                            Some(Err(error)) => view! { <p class="field-error">{error.to_string()}</p> }.into_any(),
                            Some(Ok(found)) if found.is_empty() => view! { <p class="muted">"No customer matches."</p> }.into_any(),
                            Some(Ok(found)) => view! {
                                <ul class="link-results">
                                    {found.into_iter().map(|c| {
                                        let pick = c.clone();
                                        let id = c.id.clone();
                                        view! {
                                            <li>
                                                <button type="button" class="btn btn-ghost link-result"
                                                    class:active=move || chosen.with(|x| x.as_ref().is_some_and(|x| x.id == id))
                                                    on:click=move |_| chosen.set(Some(pick.clone()))>
                                                    <CustomerLine customer=c />
                                                </button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            }>
                <Field label="Customer's phone" error=form.error_for("phone") hint="Written any way: 0901234567, +84…">
                    <input id="link-phone" class="input mono" type="tel" autocomplete="off"
                        prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev)) />
                </Field>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => ().into_any(),
                            Some(Ok(Some(c))) => view! { <div id="link-preview" class="banner banner-info"><CustomerLine customer=c /></div> }.into_any(),
                            Some(Ok(None)) => view! {
                                <div id="link-preview" class="banner banner-info">"No customer has this phone: a new customer will be created."</div>
                            }.into_any(),
                            Some(Err(error)) => view! { <p class="field-error">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </Show>
            <label class="checkbox">
                <input id="link-deposit" type="checkbox" prop:checked=move || deposit.get()
                    on:change=move |ev| deposit.set(event_target_checked(&ev)) />
                " Deposit the amount into their wallet"
            </label>
            <Failure form field="phone" />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Link transfer" busy_label="Linking…" />
            </div>
        </form>
    }
}

/// A customer in one line: name, phone, tier, balance.
#[component]
fn CustomerLine(customer: CustomerPreview) -> impl IntoView {
    view! {
        <span class="customer-line">
            <strong>{customer.name}</strong> " " <span class="mono muted">{customer.phone}</span> " "
            <TierBadge tier=customer.tier /> " " <span class="muted">{customer.wallet.real_balance.display()}</span>
        </span>
    }
}

/// "Unlink" on a linked transfer: a reason is required.
#[component]
pub fn UnlinkDialog(transfer: RwSignal<Option<Transfer>>, changed: Callback<()>) -> impl IntoView {
    let open = open_for(transfer);
    view! {
        <Dialog open title="Unlink transfer">
            {move || transfer.get().map(|t| view! { <UnlinkForm transfer=t open changed /> })}
        </Dialog>
    }
}

#[component]
fn UnlinkForm(transfer: Transfer, open: RwSignal<bool>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["reason"]);
    let reason = RwSignal::new(String::new());
    let who = transfer.customer.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| "its customer".to_owned());
    let id = transfer.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = reason.get().trim().to_owned();
        if text.is_empty() {
            form.reject("reason", "Say why the transfer is taken back");
            return;
        }
        form.submit(api.unlink_transfer(id.clone(), text), move |()| {
            open.set(false);
            changed.run(());
        });
    };
    view! {
        <form id="unlink-form" class="stack" novalidate on:submit=submit>
            <p class="confirm-summary">
                "Take " {transfer.amount.display()} " back from " {who}
                "? Its deposit, if one was made, is reversed."
            </p>
            <Field label="Reason" error=form.error_for("reason")>
                <input id="unlink-reason" class="input" type="text" autocomplete="off"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
            </Field>
            <Failure form field="reason" />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Unlink" busy_label="Unlinking…" class="btn-danger" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_explained_by_code() {
        let conflict = ApiError::Graphql {
            code: Some("CONFLICT".into()),
            message: "x".into(),
            field: None,
            extensions: Default::default(),
        };
        assert!(explain(&conflict).contains("already linked"));
        assert!(phone_worth_checking("090 123 4567"));
        assert!(!phone_worth_checking("0901"));
    }
}
