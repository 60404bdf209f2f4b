//! The profile card and its edit dialog.

use leptos::{ev::SubmitEvent, prelude::*};

use super::{
    Refresh,
    api::{Customer, ProfileChange},
};
use crate::{
    api::{Api, Role},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton, looks_like_email},
    },
    format,
    session::Session,
};

/// Contact details, segments and the "Edit" button.
#[component]
pub fn ProfileCard(customer: Customer) -> impl IntoView {
    let session = Session::current();
    let can_edit = move || session.user().is_some_and(|u| u.role.at_least(Role::Agent));
    let editing = RwSignal::new(false);
    let row = |label: &'static str, value: Option<String>| {
        view! {
            <div class="profile-row">
                <dt class="muted">{label}</dt>
                <dd>{value.filter(|v| !v.is_empty()).unwrap_or_else(|| "—".to_owned())}</dd>
            </div>
        }
    };
    let c = customer.clone();
    view! {
        <section class="card card-body profile-card">
            <h2 class="card-title">
                "Profile"
                <Show when=can_edit>
                    <button class="btn btn-small" type="button" id="profile-edit" on:click=move |_| editing.set(true)>
                        "Edit"
                    </button>
                </Show>
            </h2>
            <dl class="profile">
                {row("Phone", Some(c.phone.clone()))}
                {row("Email", c.email.clone())}
                {row("Address", c.address.clone())}
                {row("City", c.city.clone())}
                {row("Birthday", c.birthday.clone())}
                {row("Tags", Some(c.tags.join(", ")))}
                {row("Agent", c.assigned_agent.as_ref().map(|a| a.name.clone()))}
                {row("Type", Some(format::enum_label(&c.customer_type)))}
                {row("Lifecycle", Some(format::enum_label(&c.lifecycle_stage)))}
                {row("Temperature", Some(format::enum_label(&c.temperature)))}
                {row("Tickets / returns", Some(format!("{} / {}", c.ticket_count, c.return_count)))}
                {row("Customer since", Some(format::date(&c.created_at)))}
            </dl>
        </section>
        <Dialog open=editing title="Edit profile".to_owned() wide=true>
            {
                let customer = customer.clone();
                move || view! { <ProfileForm customer=customer.clone() open=editing /> }
            }
        </Dialog>
    }
}

/// Checks what can be checked here; the server has the last word.
fn check(change: &ProfileChange) -> Result<(), (&'static str, &'static str)> {
    if change.name.trim().is_empty() {
        return Err(("name", "Enter the customer's name."));
    }
    let email = change.email.trim();
    if !email.is_empty() && (!looks_like_email(email) || email.contains(' ')) {
        return Err(("email", "Enter a valid email address, like name@example.vn."));
    }
    let birthday = change.birthday.trim();
    if !birthday.is_empty() && (birthday.len() != 10 || birthday.as_bytes()[4] != b'-') {
        return Err(("birthday", "Use the date picker (YYYY-MM-DD)."));
    }
    Ok(())
}

/// Comma-separated tags, trimmed, without empties or repeats.
fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

#[component]
fn ProfileForm(customer: Customer, open: RwSignal<bool>) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let form = FormState::new(&["name", "email", "address", "city", "birthday", "tags"]);
    let name = RwSignal::new(customer.name.clone());
    let email = RwSignal::new(customer.email.clone().unwrap_or_default());
    let address = RwSignal::new(customer.address.clone().unwrap_or_default());
    let city = RwSignal::new(customer.city.clone().unwrap_or_default());
    let birthday = RwSignal::new(customer.birthday.clone().unwrap_or_default());
    let tags = RwSignal::new(customer.tags.join(", "));
    let id = customer.id.clone();

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let change = ProfileChange {
            name: name.get_untracked(),
            email: email.get_untracked(),
            address: address.get_untracked(),
            city: city.get_untracked(),
            birthday: birthday.get_untracked(),
            tags: parse_tags(&tags.get_untracked()),
        };
        if let Err((field, message)) = check(&change) {
            return form.reject(field, message);
        }
        form.submit(api.update_profile(id.clone(), change), move |()| {
            refresh.customer.update(|v| *v += 1);
            refresh.activity.update(|v| *v += 1);
            open.set(false);
        });
    };
    let input = |id: &'static str, value: RwSignal<String>, kind: &'static str| {
        view! {
            <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };

    view! {
        <form class="form" on:submit=save novalidate>
            <div class="grid-2">
                <Field label="Name" error=form.error_for("name")>{input("profile-name", name, "text")}</Field>
                <Field label="Email" error=form.error_for("email")>{input("profile-email", email, "email")}</Field>
                <Field label="Address" error=form.error_for("address")>{input("profile-address", address, "text")}</Field>
                <Field label="City" error=form.error_for("city")>{input("profile-city", city, "text")}</Field>
                <Field label="Birthday" error=form.error_for("birthday")>{input("profile-birthday", birthday, "date")}</Field>
                <Field label="Tags" error=form.error_for("tags") hint="Separated by commas">
                    {input("profile-tags", tags, "text")}
                </Field>
            </div>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Save" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_trimmed_and_unique() {
        assert_eq!(parse_tags(" vip, sỉ ,,vip, "), vec!["vip".to_owned(), "sỉ".to_owned()]);
        assert!(parse_tags("").is_empty());
    }

    #[test]
    fn the_name_is_required_and_the_email_must_look_like_one() {
        let ok = ProfileChange { name: "An".into(), ..ProfileChange::default() };
        assert!(check(&ok).is_ok());
        let nameless = ProfileChange::default();
        assert_eq!(check(&nameless).unwrap_err().0, "name");
        let bad = ProfileChange { name: "An".into(), email: "an at mail".into(), ..ProfileChange::default() };
        assert_eq!(check(&bad).unwrap_err().0, "email");
    }
}
