//! The "New ticket" dialog: the phone first, looked up as it is typed
//! (`ticketPhoneCheck`: the known customer with tier and balance, or a
//! warning that a new customer will be created, with a name field), then
//! type, priority, order, carrier, carrier deadline and description,
//! checked before sending; on success, the new ticket's page.

use std::time::Duration;

use leptos::{ev::SubmitEvent, leptos_dom::helpers::debounce, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;

use super::{
    api::{NewTicket, PhoneCheck},
    logic::{Kind, Priority, deadline_input, optional},
};
use crate::{
    api::{Api, ApiError},
    components::{
        badge::TierBadge,
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
    },
    phone::check_phone,
};

/// How long the phone lookup waits for the typing to pause.
const PHONE_DELAY: Duration = Duration::from_millis(300);

/// The inputs, named as the server names them.
const FIELDS: &[&str] =
    &["phone", "customerName", "type", "priority", "orderReference", "carrier", "carrierDeadline", "description"];

/// What the phone lookup says.
#[derive(Clone, Debug, PartialEq)]
enum Lookup {
    /// Nothing typed, or not a phone yet.
    Idle,
    Checking,
    Found(PhoneCheck),
    Failed(ApiError),
}

/// The typed form, before its checks.
struct Typed {
    phone: String,
    name: String,
    kind: Kind,
    priority: Priority,
    order: String,
    carrier: String,
    deadline: String,
    description: String,
}

/// Checks the typed form; `known` says whether the phone is a customer's.
fn check(typed: Typed, known: Option<bool>) -> Result<NewTicket, (&'static str, String)> {
    check_phone(&typed.phone).map_err(|m| ("phone", m.to_owned()))?;
    let new_customer = known == Some(false);
    if new_customer && typed.name.trim().is_empty() {
        return Err(("customerName", "Enter the new customer's name".to_owned()));
    }
    if typed.description.trim().is_empty() {
        return Err(("description", "Describe the problem".to_owned()));
    }
    for (field, text) in [("orderReference", &typed.order), ("carrier", &typed.carrier)] {
        if text.trim().chars().count() > 100 {
            return Err((field, "At most 100 characters".to_owned()));
        }
    }
    let carrier_deadline = deadline_input(&typed.deadline, true).map_err(|m| ("carrierDeadline", m.to_owned()))?;
    Ok(NewTicket {
        phone: typed.phone,
        customer_name: if new_customer { optional(&typed.name) } else { None },
        kind: typed.kind,
        priority: typed.priority,
        order_reference: optional(&typed.order),
        carrier: optional(&typed.carrier),
        carrier_deadline,
        description: typed.description,
    })
}

/// The dialog; on success, goes to the new ticket's page.
#[component]
pub fn NewTicketDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Dialog open title="New ticket" wide=true>
            <NewTicketForm open />
        </Dialog>
    }
}

#[component]
fn NewTicketForm(open: RwSignal<bool>) -> impl IntoView {
    let api = Api::current();
    let navigate = use_navigate();
    let form = FormState::new(FIELDS);
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(Kind::Boom);
    let priority = RwSignal::new(Priority::Normal);
    let order = RwSignal::new(String::new());
    let carrier = RwSignal::new(String::new());
    let deadline = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let lookup = RwSignal::new(Lookup::Idle);
    // Answers to older lookups are dropped.
    let asked = StoredValue::new(String::new());

    let mut look_up = debounce(PHONE_DELAY, move |typed: String| {
        if check_phone(&typed).is_err() {
            lookup.set(Lookup::Idle);
            return;
        }
        asked.set_value(typed.clone());
        lookup.set(Lookup::Checking);
        spawn_local(async move {
            let result = api.ticket_phone_check(typed.clone()).await;
            if asked.try_get_value().as_deref() != Some(typed.as_str()) {
                return;
            }
            let _ = lookup.try_set(match result {
                Ok(found) => Lookup::Found(found),
                Err(error) => Lookup::Failed(error),
            });
        });
    });
    let known = Memo::new(move |_| match lookup.get() {
        Lookup::Found(found) => Some(found.known),
        _ => None,
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = Typed {
            phone: phone.get_untracked(),
            name: name.get_untracked(),
            kind: kind.get_untracked(),
            priority: priority.get_untracked(),
            order: order.get_untracked(),
            carrier: carrier.get_untracked(),
            deadline: deadline.get_untracked(),
            description: description.get_untracked(),
        };
        let new = match check(typed, known.get_untracked()) {
            Ok(new) => new,
            Err((field, message)) => return form.reject(field, message),
        };
        let navigate = navigate.clone();
        form.submit(api.create_ticket(new), move |created| {
            open.set(false);
            navigate(&format!("/tickets/{}", created.ticket.id), Default::default());
        });
    };

    view! {
        <form id="new-ticket-form" class="stack" novalidate on:submit=submit>
            <Field label="Customer phone" error=form.error_for("phone") hint="0901234567 or +84901234567">
                <input id="ticket-phone" class="input mono" type="tel" inputmode="tel" autocomplete="off" autofocus
                    prop:value=move || phone.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        look_up(value.trim().to_owned());
                        phone.set(value);
                    } />
            </Field>
            <div id="phone-check" aria-live="polite">{move || lookup_view(lookup.get())}</div>
            <Show when=move || known.get() == Some(false)>
                <Field label="New customer's name" error=form.error_for("customerName")>
                    <input id="ticket-customer-name" class="input" type="text" autocomplete="off"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </Field>
            </Show>
            <div class="grid-2">
                <Field label="Type" error=form.error_for("type")>
                    <select id="ticket-type" class="select" prop:value=move || kind.get().as_str()
                        on:change=move |ev| kind.set(Kind::from_key(&event_target_value(&ev)).unwrap_or_default())>
                        {Kind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Priority" error=form.error_for("priority")>
                    <select id="ticket-priority" class="select" prop:value=move || priority.get().as_str()
                        on:change=move |ev| {
                            priority.set(Priority::from_key(&event_target_value(&ev)).unwrap_or_default());
                        }>
                        {Priority::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Order reference (optional)" error=form.error_for("orderReference")>
                    <input id="ticket-order" class="input" type="text" autocomplete="off"
                        prop:value=move || order.get() on:input=move |ev| order.set(event_target_value(&ev)) />
                </Field>
                <Field label="Carrier (optional)" error=form.error_for("carrier")>
                    <input id="ticket-carrier" class="input" type="text" placeholder="GHN, GHTK, Viettel Post…"
                        prop:value=move || carrier.get() on:input=move |ev| carrier.set(event_target_value(&ev)) />
                </Field>
            </div>
            <Field label="Carrier deadline (optional)" error=form.error_for("carrierDeadline")
                hint="When the carrier must have acted; in the future">
                <input id="ticket-deadline" class="input" type="datetime-local"
                    prop:value=move || deadline.get() on:input=move |ev| deadline.set(event_target_value(&ev)) />
            </Field>
            <Field label="Description" error=form.error_for("description")>
                <textarea id="ticket-description" class="input" rows="4"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Create ticket" busy_label="Creating…" />
            </div>
        </form>
    }
}

/// The known customer, the new-customer warning, or the lookup's state.
fn lookup_view(lookup: Lookup) -> AnyView {
    match lookup {
        Lookup::Idle => ().into_any(),
        Lookup::Checking => view! {
            <p class="muted phone-checking">
                <span class="spinner spinner-muted" aria-hidden="true"></span>
                "Looking up the phone…"
            </p>
        }
        .into_any(),
        Lookup::Failed(error) => view! { <p class="field-error phone-check-error">{error.to_string()}</p> }.into_any(),
        Lookup::Found(PhoneCheck { known: true, customer: Some(customer), wallet, phone }) => {
            let balance = wallet.map(|w| (w.real_balance.display(), w.virtual_balance.display()));
            view! {
                <div class="known-customer" id="known-customer">
                    <div class="row">
                        <strong class="known-name">{customer.name}</strong>
                        <TierBadge tier=customer.tier />
                        <span class="muted mono">{phone}</span>
                    </div>
                    {balance.map(|(real, virtual_)| view! {
                        <p class="muted known-balance">"Balance " <strong>{real}</strong> " · virtual " {virtual_}</p>
                    })}
                </div>
            }
            .into_any()
        }
        Lookup::Found(found) => view! {
            <div class="banner banner-info new-customer-warning" id="new-customer-warning" role="status">
                {format!("No customer with this phone ({}) — a new customer will be created.", found.phone)}
            </div>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(phone: &str, name: &str, description: &str) -> Typed {
        Typed {
            phone: phone.into(),
            name: name.into(),
            kind: Kind::Boom,
            priority: Priority::High,
            order: " DH-1 ".into(),
            carrier: String::new(),
            deadline: String::new(),
            description: description.into(),
        }
    }

    #[test]
    fn the_form_is_checked_before_sending() {
        let ok = check(typed("0901234567", "", "refused"), Some(true)).unwrap();
        assert_eq!(ok.order_reference.as_deref(), Some("DH-1"));
        assert_eq!(ok.carrier, None);
        assert_eq!(ok.customer_name, None, "a known customer keeps their name");
        assert_eq!(check(typed("12", "", "x"), None).unwrap_err().0, "phone");
        assert_eq!(check(typed("0901234567", " ", "x"), Some(false)).unwrap_err().0, "customerName");
        assert_eq!(check(typed("0901234567", "An", " "), Some(false)).unwrap_err().0, "description");
        let new = check(typed("0901234567", "An", "x"), Some(false)).unwrap();
        assert_eq!(new.customer_name.as_deref(), Some("An"));
        let mut late = typed("0901234567", "", "x");
        late.deadline = "22/11".into();
        assert_eq!(check(late, Some(true)).unwrap_err().0, "carrierDeadline");
    }
}
