//! The wallet card: balances, active virtual credits with their expiry,
//! points, and the deposit / withdraw / issue-credit dialogs. Each dialog
//! checks the amount, asks for confirmation, then sends the movement with
//! one idempotency key per opening (a double click cannot move money twice).

use leptos::{ev::SubmitEvent, prelude::*};

use super::{
    Refresh,
    api::{Customer, Movement},
};
use crate::{
    api::{Api, Role},
    components::{
        dialog::Dialog,
        export::ExportButton,
        form::{Field, FormError, FormState, SubmitButton},
    },
    format,
    session::Session,
};

/// Balances and the buttons that move money.
#[component]
pub fn WalletCard(customer: Customer) -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let session = Session::current();
    let can_move = move || session.user().is_some_and(|u| u.role.at_least(Role::Agent));
    let start = move |movement: Movement| refresh.movement.set(Some(movement));
    let wallet = customer.wallet.clone();
    let credits = wallet.virtual_credits.clone();
    let ledger_url =
        format!("/exports/ledger.csv?customerId={}", String::from(js_sys::encode_uri_component(&customer.id)));
    let ledger_file = format!("ledger-{}.csv", customer.member_code);

    view! {
        <section class="card card-body wallet-card" class:flash=move || refresh.flash.get()>
            <h2 class="card-title">"Wallet"</h2>
            <div class="balances">
                <div class="balance">
                    <span class="muted">"Real"</span>
                    <strong id="wallet-real">{wallet.real_balance.display()}</strong>
                </div>
                <div class="balance">
                    <span class="muted">"Virtual"</span>
                    <strong id="wallet-virtual">{wallet.virtual_balance.display()}</strong>
                </div>
                <div class="balance">
                    <span class="muted">"Points"</span>
                    <strong id="wallet-points">{format::count(wallet.points)}</strong>
                </div>
            </div>
            {(!credits.is_empty()).then(|| view! {
                <ul class="credits" aria-label="Active virtual credits">
                    {credits.into_iter().map(|credit| view! {
                        <li>
                            <span>{credit.remaining.display()}</span>
                            <span class="muted">{credit.reason}</span>
                            <span class="muted">"expires " {format::date(&credit.expires_at)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <p class="muted small">
                "Deposited " {wallet.total_deposited.display()} " · withdrawn " {wallet.total_withdrawn.display()}
            </p>
            <div class="row wallet-export">
                <ExportButton
                    id="export-ledger"
                    url=move |()| ledger_url.clone()
                    filename=move |()| ledger_file.clone()
                />
            </div>
            <Show when=can_move>
                <div class="row wallet-actions">
                    <button class="btn btn-primary" type="button" id="wallet-deposit"
                        on:click=move |_| start(Movement::Deposit)>"Deposit"</button>
                    <button class="btn" type="button" id="wallet-withdraw"
                        on:click=move |_| start(Movement::Withdraw)>"Withdraw"</button>
                    <button class="btn" type="button" id="wallet-credit"
                        on:click=move |_| start(Movement::Credit)>"Issue credit"</button>
                </div>
            </Show>
        </section>
    }
}

/// The deposit / withdraw / credit dialog, for the movement chosen on the
/// wallet card.
#[component]
pub fn WalletDialog(customer_id: String, name: Signal<String>) -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let open = RwSignal::new(false);
    // The card chooses a movement; closing the dialog forgets it.
    // (Each sets only on a real change: a set always notifies, and the two
    // would otherwise wake each other forever.)
    Effect::new(move |_| {
        let chosen = refresh.movement.with(Option::is_some);
        if open.get_untracked() != chosen {
            open.set(chosen);
        }
    });
    Effect::new(move |_| {
        if !open.get() && refresh.movement.with_untracked(Option::is_some) {
            refresh.movement.set(None);
        }
    });
    view! {
        <Dialog open title=Signal::derive(move || title(refresh.movement.get()).to_owned())>
            {
                let id = customer_id.clone();
                move || refresh.movement.get().map(|movement| view! {
                    <MoneyForm movement customer_id=id.clone() customer_name=name.get_untracked() open />
                })
            }
        </Dialog>
    }
}

fn title(movement: Option<Movement>) -> &'static str {
    match movement {
        Some(Movement::Deposit) | None => "Deposit",
        Some(Movement::Withdraw) => "Withdraw",
        Some(Movement::Credit) => "Issue a virtual credit",
    }
}

/// What the confirmation step says.
fn confirmation(movement: Movement, amount: &str, name: &str, days: i32) -> String {
    let amount = format::vnd(amount);
    match movement {
        Movement::Deposit => format!("Deposit {amount} into {name}'s wallet?"),
        Movement::Withdraw => format!("Withdraw {amount} from {name}'s wallet? Virtual credits are used first."),
        Movement::Credit => format!("Give {name} a virtual credit of {amount}, valid for {days} days?"),
    }
}

/// A fresh idempotency key: the time and a random number.
fn idempotency_key() -> String {
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("spa-{}-{random}", js_sys::Date::now() as u64)
}

/// Amount, note or reason, then a confirmation, then the call.
#[component]
fn MoneyForm(movement: Movement, customer_id: String, customer_name: String, open: RwSignal<bool>) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let form = FormState::new(&["amount", "note", "reason", "lifetimeDays"]);
    let amount = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let days = RwSignal::new("15".to_owned());
    // The checked amount, once the first step passed: the confirmation step.
    let confirmed = RwSignal::new(None::<(String, i32)>);
    let key = idempotency_key();
    let text_field = if movement == Movement::Credit { "reason" } else { "note" };

    let check = move |ev: SubmitEvent| {
        ev.prevent_default();
        form.clear();
        let parsed = match format::parse_amount(&amount.get_untracked()) {
            Ok(parsed) => parsed,
            Err(message) => return form.reject("amount", message),
        };
        if movement == Movement::Credit && text.get_untracked().trim().is_empty() {
            return form.reject("reason", "Say why the credit is given.");
        }
        let lifetime = match days.get_untracked().trim().parse::<i32>() {
            Ok(d) if (1..=3650).contains(&d) => d,
            _ if movement != Movement::Credit => 15,
            _ => return form.reject("lifetimeDays", "Between 1 and 3650 days."),
        };
        confirmed.set(Some((parsed, lifetime)));
    };
    let send = {
        let customer_id = customer_id.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let Some((parsed, lifetime)) = confirmed.get_untracked() else { return };
            let days = (movement == Movement::Credit).then_some(lifetime);
            let call = api.move_money(movement, customer_id.clone(), parsed, text.get_untracked(), days, key.clone());
            form.submit(call, move |_| {
                refresh.wallet_changed();
                open.set(false);
            });
        }
    };
    // A server error about the amount sends the form back to the first step.
    Effect::new(move |_| {
        if form.failure.with(|f| f.as_ref().is_some_and(|e| e.is_about("amount") || e.is("INSUFFICIENT_FUNDS"))) {
            confirmed.set(None);
        }
    });
    let amount_error = Signal::derive(move || {
        form.failure.with(|f| {
            f.as_ref().filter(|e| e.is_about("amount") || e.is("INSUFFICIENT_FUNDS")).map(ToString::to_string)
        })
    });
    let name = customer_name.clone();

    move || {
        match confirmed.get() {
        None => view! {
            <form class="form money-form" on:submit=check novalidate>
                <Field label="Amount (₫)" error=amount_error hint="Whole đồng, e.g. 150.000">
                    <input id="money-amount" inputmode="numeric" autocomplete="off" autofocus
                        prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                </Field>
                <Field label=if movement == Movement::Credit { "Reason" } else { "Note (optional)" }
                    error=form.error_for(text_field)>
                    <input id="money-note" prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev)) />
                </Field>
                {(movement == Movement::Credit).then(|| view! {
                    <Field label="Valid for (days)" error=form.error_for("lifetimeDays")>
                        <input id="money-days" type="number" min="1" max="3650" prop:value=move || days.get()
                            on:input=move |ev| days.set(event_target_value(&ev)) />
                    </Field>
                })}
                <FormError form />
                <div class="dialog-actions">
                    <button class="btn" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button class="btn btn-primary" type="submit" id="money-continue">"Continue"</button>
                </div>
            </form>
        }
        .into_any(),
        Some((parsed, lifetime)) => view! {
            <form class="form money-form" on:submit=send.clone()>
                <p class="confirm-summary" id="money-confirmation">{confirmation(movement, &parsed, &name, lifetime)}</p>
                <FormError form />
                <div class="dialog-actions">
                    <button class="btn" type="button" on:click=move |_| confirmed.set(None)>"Back"</button>
                    <SubmitButton form label="Confirm" busy_label="Sending…" />
                </div>
            </form>
        }
        .into_any(),
    }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_names_the_amount_and_the_customer() {
        assert_eq!(confirmation(Movement::Deposit, "150000", "An", 15), "Deposit 150.000 ₫ into An's wallet?");
        assert!(confirmation(Movement::Withdraw, "5000", "An", 15).starts_with("Withdraw 5.000 ₫ from An's"));
        assert_eq!(
            confirmation(Movement::Credit, "50000", "An", 30),
            "Give An a virtual credit of 50.000 ₫, valid for 30 days?"
        );
    }
}
