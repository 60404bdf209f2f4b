//! The API keys tab: keys integrators call the API with. A new key is
//! shown once, in the dialog that created it; the list only ever shows a
//! key's first characters. Revoking is for good.

use leptos::prelude::*;

use super::api::{ApiKey, KeyScope};
use crate::{
    api::Api,
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
        states::{Empty, ErrorNotice, Loading},
    },
    format,
};

/// The longest key name the server accepts.
const MAX_NAME: usize = 200;

/// Why a key name cannot be sent.
pub fn check_key_name(name: &str) -> Result<(), &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Say what the key is for, like \"POS sync\"");
    }
    if name.chars().count() > MAX_NAME {
        return Err("At most 200 characters");
    }
    Ok(())
}

/// The list of keys with the "New API key" and "Revoke" dialogs.
#[component]
pub fn ApiKeys() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        version.track();
        api.admin_api_keys()
    });
    let creating = RwSignal::new(false);
    let revoking = RwSignal::new(None::<ApiKey>);
    let revoke_open = RwSignal::new(false);
    Effect::new(move |_| {
        if revoking.with(Option::is_some) && !revoke_open.get_untracked() {
            revoke_open.set(true);
        }
    });
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let retry = changed;
    let title = Signal::derive(move || {
        revoking.with(|k| k.as_ref().map(|k| format!("Revoke “{}”?", k.name))).unwrap_or_default()
    });

    view! {
        <div class="toolbar admin-toolbar">
            <p class="muted">"Integrations call the API with a key in the Authorization header. A key reads, or reads and writes as a manager would; never more."</p>
            <button id="new-api-key" class="btn btn-primary" type="button" on:click=move |_| creating.set(true)>
                "New API key"
            </button>
        </div>
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <Empty title="No API keys yet" hint="Create one for each system that calls the API." />
                        }.into_any(),
                        Ok(list) => view! { <KeyTable list revoking /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Dialog open=creating title="New API key">
            <NewKeyForm open=creating changed />
        </Dialog>
        <Dialog open=revoke_open title>
            {move || revoking.get().map(|key| view! { <RevokeForm key open=revoke_open revoking changed /> })}
        </Dialog>
    }
}

#[component]
fn KeyTable(list: Vec<ApiKey>, revoking: RwSignal<Option<ApiKey>>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table keys-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Access"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|key| {
                        let row = key.clone();
                        view! {
                            <tr class="key-row" class:inactive=key.revoked_at.is_some() data-name=key.name.clone()>
                                <td data-label="Name" class="cell-name">{key.name.clone()}</td>
                                <td data-label="Key" class="mono">{format!("{}…", key.prefix)}</td>
                                <td data-label="Access">{key.access()}</td>
                                <td data-label="Created">{format::date(&key.created_at)}</td>
                                <td data-label="Status">
                                    {match &key.revoked_at {
                                        Some(at) => view! {
                                            <span class="badge badge-dot key-status">{format!("Revoked {}", format::date(at))}</span>
                                        }.into_any(),
                                        None => view! { <span class="badge badge-dot badge-success key-status">"Active"</span> }.into_any(),
                                    }}
                                </td>
                                <td class="row-actions">
                                    {key.revoked_at.is_none().then(|| view! {
                                        <button class="btn btn-small btn-ghost key-revoke" type="button"
                                            on:click=move |_| revoking.set(Some(row.clone()))>"Revoke"</button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Name and scope; then the key, once, with a copy button.
#[component]
fn NewKeyForm(open: RwSignal<bool>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["name", "scope"]);
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(KeyScope::Read);
    let created = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = name.get();
        if let Err(message) = check_key_name(&typed) {
            form.reject("name", message);
            return;
        }
        form.submit(api.admin_create_api_key(typed.trim().to_owned(), scope.get()), move |key| {
            created.set(Some(key.key));
            changed.run(());
        });
    };
    let copy = move |_| {
        if let Some(key) = created.get_untracked() {
            let _ = window().navigator().clipboard().write_text(&key);
            copied.set(true);
        }
    };
    let scope_option = move |value: KeyScope, label: &'static str, hint: &'static str| {
        view! {
            <label class="choice">
                <input type="radio" name="key-scope" id=format!("key-scope-{}", label.to_lowercase().replace(' ', "-"))
                    prop:checked=move || scope.get() == value on:change=move |_| scope.set(value) />
                <span><strong>{label}</strong><br /><span class="muted small">{hint}</span></span>
            </label>
        }
    };

    view! {
        <Show when=move || created.with(Option::is_none) fallback=move || view! {
            <div class="stack created-key">
                <div class="banner banner-info" role="status">
                    "Copy this key now and keep it secret: it will not be shown again."
                </div>
                <input id="created-key" class="input mono" type="text" readonly prop:value=move || created.get().unwrap_or_default()
                    on:focus=|ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); } />
                <div class="dialog-actions">
                    <button class="btn" type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                    <button id="created-key-done" class="btn btn-primary" type="button" on:click=move |_| open.set(false)>"Done"</button>
                </div>
            </div>
        }>
            <form id="new-key-form" class="stack" novalidate on:submit=submit>
                <Field label="Name" error=form.error_for("name") hint="What calls the API with it: \"POS sync\", \"Data warehouse\".">
                    <input id="new-key-name" class="input" type="text" autocomplete="off"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </Field>
                <fieldset class="field choices">
                    <legend class="field-label">"Access"</legend>
                    {scope_option(KeyScope::Read, "Read only", "Reads customers, wallets, tickets and reports, as a viewer.")}
                    {scope_option(KeyScope::Write, "Read and write", "Also changes customers and their data, as a manager. Never admin.")}
                </fieldset>
                <FormError form />
                <div class="dialog-actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <SubmitButton form label="Create key" busy_label="Creating…" />
                </div>
            </form>
        </Show>
    }
}

/// Confirms revoking `key`.
#[component]
fn RevokeForm(
    key: ApiKey,
    open: RwSignal<bool>,
    revoking: RwSignal<Option<ApiKey>>,
    changed: Callback<()>,
) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&[]);
    let id = key.id.clone();
    // Closing the dialog, however it happens, forgets the key.
    Effect::new(move |_| {
        if !open.get() {
            revoking.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.submit(api.admin_revoke_api_key(id.clone()), move |()| {
            open.set(false);
            changed.run(());
        });
    };
    view! {
        <form id="revoke-key-form" class="stack" novalidate on:submit=submit>
            <p class="confirm-summary">
                "Calls made with " <span class="mono">{format!("{}…", key.prefix)}</span>
                " will be refused from now on. This cannot be undone: the integration needs a new key."
            </p>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Revoke key" busy_label="Revoking…" class="btn-danger" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_needs_a_name_of_at_most_200_characters() {
        assert_eq!(check_key_name("POS sync"), Ok(()));
        assert!(check_key_name("   ").is_err());
        assert!(check_key_name(&"x".repeat(201)).is_err());
        assert_eq!(check_key_name(&"x".repeat(200)), Ok(()));
    }
}
