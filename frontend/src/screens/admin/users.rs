//! The staff users tab: who can sign in and with which role; a new account;
//! a role change or a disabled account takes effect on the user's next
//! request. The server refuses to leave the system without an active admin
//! and an admin demoting or disabling themselves; its message is shown.

use leptos::prelude::*;

use super::api::{NewUser, StaffUser, UserChange};
use crate::{
    api::{Api, Role},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton, looks_like_email},
        states::{ErrorNotice, Loading},
    },
    format,
    session::Session,
};

/// The shortest password the server accepts.
const MIN_PASSWORD: usize = 10;

/// Why the typed account cannot be sent: `(field, message)`.
pub fn check_new_user(user: &NewUser) -> Result<(), (&'static str, &'static str)> {
    if !looks_like_email(&user.email) {
        return Err(("email", "Enter the work email, like lan@crm360.vn"));
    }
    if user.name.trim().is_empty() {
        return Err(("name", "Enter the person's name"));
    }
    if user.role.is_none() {
        return Err(("role", "Choose a role"));
    }
    if user.password.chars().count() < MIN_PASSWORD {
        return Err(("password", "At least 10 characters"));
    }
    Ok(())
}

/// The list of staff users with the "New user" dialog.
#[component]
pub fn Users() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        version.track();
        api.admin_users()
    });
    let creating = RwSignal::new(false);
    // The failure of the last change made from the list.
    let action = FormState::new(&[]);
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let retry = Callback::new(move |()| version.update(|v| *v += 1));
    // A refused change reloads the list, so a select shows the real role
    // again.
    Effect::new(move |previous: Option<bool>| {
        let failed = action.failure.with(Option::is_some);
        if failed && previous == Some(false) {
            changed.run(());
        }
        failed
    });

    view! {
        <div class="toolbar admin-toolbar">
            <p class="muted">"A role change or a disabled account applies to the person's next request."</p>
            <button id="new-user" class="btn btn-primary" type="button" on:click=move |_| creating.set(true)>
                "New user"
            </button>
        </div>
        <FormError form=action />
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! { <UserTable list action changed /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Dialog open=creating title="New user">
            <NewUserForm open=creating changed />
        </Dialog>
    }
}

#[component]
fn UserTable(list: Vec<StaffUser>, action: FormState, changed: Callback<()>) -> impl IntoView {
    let me = Session::current().user().map(|user| user.id);
    view! {
        <div class="table-wrap">
            <table class="table users-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|user| {
                        let myself = me.as_deref() == Some(user.id.as_str());
                        view! { <UserRow user myself action changed /> }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One user: the role is a select (a badge for oneself), and a button
/// disables or enables the account.
#[component]
fn UserRow(user: StaffUser, myself: bool, action: FormState, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let id = StoredValue::new(user.id.clone());
    let change = move |change: UserChange| {
        action.submit(api.admin_update_user(id.get_value(), change), move |()| changed.run(()))
    };
    let role = user.role;
    let active = user.active;
    view! {
        <tr class="user-row" class:inactive=!active data-email=user.email.clone()>
            <td data-label="Name">
                <div class="cell-name">{user.name.clone()} {myself.then_some(view! { <span class="muted">" (you)"</span> })}</div>
                <div class="muted small cell-email">{user.email.clone()}</div>
            </td>
            <td data-label="Role">
                {if myself {
                    view! { <span class="badge badge-role">{role.label()}</span> }.into_any()
                } else {
                    view! {
                        <select class="select user-role" aria-label=format!("Role of {}", user.name)
                            disabled=move || action.busy.get()
                            on:change=move |ev| {
                                let chosen = Role::ASSIGNABLE.into_iter().find(|r| r.as_graphql() == event_target_value(&ev));
                                if let Some(chosen) = chosen.filter(|r| *r != role) {
                                    change(UserChange { role: Some(chosen), active: None });
                                }
                            }>
                            {Role::ASSIGNABLE.into_iter().map(|r| view! {
                                <option value=r.as_graphql() selected=r == role>{r.label()}</option>
                            }).collect_view()}
                        </select>
                    }.into_any()
                }}
            </td>
            <td data-label="Status">
                {if active {
                    view! { <span class="badge badge-dot badge-success user-status">"Active"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-dot user-status">"Disabled"</span> }.into_any()
                }}
            </td>
            <td data-label="Last sign-in" class="muted">
                {user.last_login_at.as_deref().map(format::ago).unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td class="row-actions">
                {(!myself).then(|| if active {
                    view! {
                        <button class="btn btn-small btn-ghost user-disable" type="button" disabled=move || action.busy.get()
                            on:click=move |_| change(UserChange { role: None, active: Some(false) })>"Disable"</button>
                    }.into_any()
                } else {
                    view! {
                        <button class="btn btn-small user-enable" type="button" disabled=move || action.busy.get()
                            on:click=move |_| change(UserChange { role: None, active: Some(true) })>"Enable"</button>
                    }.into_any()
                })}
            </td>
        </tr>
    }
}

/// The form of the "New user" dialog.
#[component]
fn NewUserForm(open: RwSignal<bool>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["email", "name", "role", "password"]);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Some(Role::Agent));
    let password = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = NewUser { email: email.get(), name: name.get(), role: role.get(), password: password.get() };
        if let Err((field, message)) = check_new_user(&user) {
            form.reject(field, message);
            return;
        }
        let user = NewUser { email: user.email.trim().to_owned(), name: user.name.trim().to_owned(), ..user };
        form.submit(api.admin_create_user(user), move |()| {
            open.set(false);
            changed.run(());
        });
    };
    view! {
        <form id="new-user-form" class="stack" novalidate on:submit=submit>
            <Field label="Email" error=form.error_for("email") hint="They sign in with it.">
                <input id="new-user-email" class="input" type="email" autocomplete="off"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            </Field>
            <Field label="Name" error=form.error_for("name")>
                <input id="new-user-name" class="input" type="text" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </Field>
            <Field label="Role" error=form.error_for("role")>
                <select id="new-user-role" class="select"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        role.set(Role::ASSIGNABLE.into_iter().find(|r| r.as_graphql() == value));
                    }>
                    {Role::ASSIGNABLE.into_iter().map(|r| view! {
                        <option value=r.as_graphql() selected=r == Role::Agent>{r.label()}</option>
                    }).collect_view()}
                </select>
            </Field>
            <Field label="Initial password" error=form.error_for("password")
                hint="At least 10 characters. Give it to them in person; they can change it later.">
                <input id="new-user-password" class="input" type="password" autocomplete="new-password"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Create user" busy_label="Creating…" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(email: &str, name: &str, role: Option<Role>, password: &str) -> NewUser {
        NewUser { email: email.into(), name: name.into(), role, password: password.into() }
    }

    #[test]
    fn a_new_user_needs_an_email_a_name_a_role_and_a_long_password() {
        let agent = Some(Role::Agent);
        assert_eq!(check_new_user(&new("lan@crm360.vn", "Lan", agent, "0123456789")), Ok(()));
        assert_eq!(check_new_user(&new("lan", "Lan", agent, "0123456789")).unwrap_err().0, "email");
        assert_eq!(check_new_user(&new("lan@crm360.vn", " ", agent, "0123456789")).unwrap_err().0, "name");
        assert_eq!(check_new_user(&new("lan@crm360.vn", "Lan", None, "0123456789")).unwrap_err().0, "role");
        assert_eq!(check_new_user(&new("lan@crm360.vn", "Lan", agent, "012345678")).unwrap_err().0, "password");
    }
}
