//! The "New customer" dialog: name, phone, email and city, checked before
//! sending; a phone already in use points to its customer.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate};

use super::api::{CustomerRef, NewCustomer};
use crate::{
    api::Api,
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton, looks_like_email},
    },
    phone::check_phone,
};

/// What the phone field says about a `CONFLICT`.
const PHONE_TAKEN: &str = "A customer with this phone already exists";

/// Why the typed customer cannot be sent: `(field, message)`.
pub fn check_new_customer(new: &NewCustomer) -> Result<(), (&'static str, &'static str)> {
    if new.name.trim().is_empty() {
        return Err(("name", "Enter the customer's name"));
    }
    check_phone(&new.phone).map_err(|message| ("phone", message))?;
    let email = new.email.trim();
    if !email.is_empty() && !looks_like_email(email) {
        return Err(("email", "Enter an email like name@example.com, or leave it empty"));
    }
    Ok(())
}

/// The dialog; on success, goes to the new customer's page.
#[component]
pub fn NewCustomerDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Dialog open title="New customer">
            <NewCustomerForm open />
        </Dialog>
    }
}

/// The form inside the dialog (built anew on each opening).
#[component]
fn NewCustomerForm(open: RwSignal<bool>) -> impl IntoView {
    let api = Api::current();
    let navigate = use_navigate();
    let form = FormState::new(&["name", "phone", "email", "city"]);
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    // The customer who already has the phone, after a CONFLICT.
    let existing = RwSignal::new(None::<CustomerRef>);
    let conflict =
        Memo::new(move |_| form.failure.with(|f| f.as_ref().is_some_and(|e| e.is("CONFLICT") && e.is_about("phone"))));
    Effect::new(move |_| {
        if !conflict.get() {
            existing.set(None);
            return;
        }
        let phone = phone.get_untracked();
        spawn_local(async move {
            if let Ok(found) = api.customer_by_phone(phone).await {
                let _ = existing.try_set(found);
            }
        });
    });
    let phone_error =
        Signal::derive(
            move || {
                if conflict.get() { Some(PHONE_TAKEN.to_owned()) } else { form.error_for("phone").get() }
            },
        );

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewCustomer { name: name.get(), phone: phone.get(), email: email.get(), city: city.get() };
        if let Err((field, message)) = check_new_customer(&new) {
            form.reject(field, message);
            return;
        }
        let navigate = navigate.clone();
        form.submit(api.create_customer(new), move |created| {
            open.set(false);
            navigate(&format!("/customers/{}", created.id), Default::default());
        });
    };

    view! {
        <form id="new-customer-form" class="stack" novalidate on:submit=submit>
            <Field label="Name" error=form.error_for("name")>
                <input id="new-customer-name" class="input" type="text" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </Field>
            <Field label="Phone" error=phone_error hint="Vietnamese mobile: 0901234567 or +84901234567">
                <input id="new-customer-phone" class="input mono" type="tel" inputmode="tel" autocomplete="off"
                    prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev)) />
            </Field>
            {move || existing.get().map(|customer| view! {
                <p class="existing-customer">
                    "Open "
                    <A href=format!("/customers/{}", customer.id) attr:id="existing-customer-link">{customer.name}</A>
                </p>
            })}
            <Field label="Email (optional)" error=form.error_for("email")>
                <input id="new-customer-email" class="input" type="email" autocomplete="off"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
            </Field>
            <Field label="City (optional)" error=form.error_for("city")>
                <input id="new-customer-city" class="input" type="text"
                    prop:value=move || city.get() on:input=move |ev| city.set(event_target_value(&ev)) />
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Create customer" busy_label="Creating…" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, phone: &str, email: &str) -> NewCustomer {
        NewCustomer { name: name.into(), phone: phone.into(), email: email.into(), city: String::new() }
    }

    #[test]
    fn the_form_checks_name_phone_and_email() {
        assert_eq!(check_new_customer(&new("An", "0901234567", "")), Ok(()));
        assert_eq!(check_new_customer(&new(" ", "0901234567", "")).unwrap_err().0, "name");
        assert_eq!(check_new_customer(&new("An", "12345", "")).unwrap_err().0, "phone");
        assert_eq!(check_new_customer(&new("An", "0901234567", "an.example.com")).unwrap_err().0, "email");
    }
}
