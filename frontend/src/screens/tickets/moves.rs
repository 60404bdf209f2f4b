//! Moving tickets through the workflow, shared by the board, the list and
//! the detail page: the buttons for exactly the moves the server allows,
//! the cancel dialog (with a note), and the resolve dialog (compensation
//! legal for the ticket type, amount, credit lifetime, resolution text, a
//! confirmation step and one idempotency key per opening).

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use super::{
    api::{Resolution, TicketCard},
    logic::{Compensation, Kind, Status, explain, explain_resolve, legal_compensations, optional},
};
use crate::{
    api::{Api, Role},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
    },
    format,
    session::Session,
};

/// The ticket a move is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    pub code: String,
    pub kind: Kind,
    pub customer: String,
}

impl Target {
    /// The target for a board card or list row.
    pub fn of(card: &TicketCard) -> Target {
        Target { id: card.id.clone(), code: card.code.clone(), kind: card.kind, customer: card.customer.name.clone() }
    }
}

/// The moves in progress on a screen (provided as context).
#[derive(Clone, Copy)]
pub struct Moves {
    api: Api,
    /// The ticket whose resolve dialog is open.
    pub resolving: RwSignal<Option<Target>>,
    /// The ticket whose cancel dialog is open.
    pub cancelling: RwSignal<Option<Target>>,
    /// The ticket being moved (its buttons are disabled).
    pub busy: RwSignal<Option<String>>,
    /// The last failed move, explained.
    pub error: RwSignal<Option<String>>,
    /// Runs after a successful move, with the ticket as it is now when the
    /// answer has it.
    changed: Callback<Option<TicketCard>>,
}

impl Moves {
    /// Provides the moves for this screen; `changed` runs after each one.
    pub fn provide(changed: Callback<Option<TicketCard>>) -> Moves {
        let moves = Moves {
            api: Api::current(),
            resolving: RwSignal::new(None),
            cancelling: RwSignal::new(None),
            busy: RwSignal::new(None),
            error: RwSignal::new(None),
            changed,
        };
        provide_context(moves);
        moves
    }

    /// Starts the move of `target` to `to`: completing opens the resolve
    /// dialog, cancelling asks for a note, anything else is sent now.
    pub fn start(self, target: Target, to: Status, note: Option<String>) {
        self.error.set(None);
        match to {
            Status::Completed => self.resolving.set(Some(target)),
            Status::Cancelled => self.cancelling.set(Some(target)),
            _ => self.transition(target.id, to, note),
        }
    }

    /// Sends `transitionTicket`.
    fn transition(self, id: String, to: Status, note: Option<String>) {
        if self.busy.get_untracked().is_some() {
            return;
        }
        self.busy.set(Some(id.clone()));
        let Moves { api, busy, error, changed, .. } = self;
        spawn_local(async move {
            let result = api.transition_ticket(id, to, note).await;
            let _ = busy.try_set(None);
            match result {
                Ok(card) => changed.run(Some(card)),
                Err(failure) => {
                    let _ = error.try_set(Some(explain(&failure)));
                }
            }
        });
    }
}

/// One button per move the server allows (`allowedTransitions`).
#[component]
pub fn MoveButtons(target: Target, from: Status, allowed: Vec<Status>) -> impl IntoView {
    let moves = expect_context::<Moves>();
    let id = target.id.clone();
    let busy = Memo::new(move |_| moves.busy.with(|b| b.as_deref() == Some(id.as_str())));
    allowed
        .into_iter()
        .map(|to| {
            let target = target.clone();
            let class = match to {
                Status::Completed => "btn btn-small btn-primary move-btn",
                Status::Cancelled => "btn btn-small btn-ghost move-btn",
                _ => "btn btn-small move-btn",
            };
            view! {
                <button type="button" class=class data-to=to.as_str() disabled=move || busy.get()
                    title=format!("Move to {}", to.label())
                    on:click=move |ev| {
                        ev.stop_propagation();
                        ev.prevent_default();
                        moves.start(target.clone(), to, None);
                    }>
                    {to.move_label(from)}
                </button>
            }
        })
        .collect_view()
}

/// The failed move, above the board / list / detail.
#[component]
pub fn MoveError() -> impl IntoView {
    let moves = expect_context::<Moves>();
    move || {
        moves.error.get().map(|message| {
            view! {
                <div class="banner banner-error move-error" id="move-error" role="alert">
                    <span>{message}</span>
                    <button class="btn btn-small btn-ghost" type="button" on:click=move |_| moves.error.set(None)>
                        "Dismiss"
                    </button>
                </div>
            }
        })
    }
}

/// Keeps a dialog's `open` and the chosen ticket in step (each set only on
/// a real change, so the two effects do not wake each other forever).
fn dialog_for(chosen: RwSignal<Option<Target>>) -> RwSignal<bool> {
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let wanted = chosen.with(Option::is_some);
        if open.get_untracked() != wanted {
            open.set(wanted);
        }
    });
    Effect::new(move |_| {
        if !open.get() && chosen.with_untracked(Option::is_some) {
            chosen.set(None);
        }
    });
    open
}

/// The cancel dialog: an optional note, then `transitionTicket(CANCELLED)`.
#[component]
pub fn CancelDialog() -> impl IntoView {
    let moves = expect_context::<Moves>();
    let open = dialog_for(moves.cancelling);
    view! {
        <Dialog open title="Cancel ticket">
            {move || moves.cancelling.get().map(|target| view! { <CancelForm target open /> })}
        </Dialog>
    }
}

#[component]
fn CancelForm(target: Target, open: RwSignal<bool>) -> impl IntoView {
    let moves = expect_context::<Moves>();
    let form = FormState::new(&["note"]);
    let note = RwSignal::new(String::new());
    let id = target.id.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let call = moves.api.transition_ticket(id.clone(), Status::Cancelled, optional(&note.get_untracked()));
        form.submit(call, move |card| {
            moves.changed.run(Some(card));
            open.set(false);
        });
    };
    view! {
        <form class="stack" id="cancel-form" novalidate on:submit=submit>
            <p class="confirm-summary">
                "Cancel " <strong>{target.code.clone()}</strong> " for " {target.customer.clone()}
                "? Only a manager can reopen it."
            </p>
            <Field label="Why (optional)" error=form.error_for("note")>
                <textarea id="cancel-note" class="input" rows="3"
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Keep it open"</button>
                <SubmitButton form label="Cancel ticket" busy_label="Cancelling…" class="btn-danger" />
            </div>
        </form>
    }
}

/// The resolve dialog for the ticket in [`Moves::resolving`].
#[component]
pub fn ResolveDialog() -> impl IntoView {
    let moves = expect_context::<Moves>();
    let open = dialog_for(moves.resolving);
    let title = Signal::derive(move || {
        moves.resolving.with(|t| t.as_ref().map_or("Resolve".to_owned(), |t| format!("Resolve {}", t.code)))
    });
    view! {
        <Dialog open title>
            {move || moves.resolving.get().map(|target| view! { <ResolveForm target open /> })}
        </Dialog>
    }
}

/// A fresh idempotency key: the time and a random number.
fn idempotency_key() -> String {
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("spa-ticket-{}-{random}", js_sys::Date::now() as u64)
}

/// `(amount, lifetime days)`, or the field and what is wrong with it.
pub type CheckedResolution = Result<(Option<String>, Option<i32>), (&'static str, String)>;

/// The checked resolve form.
pub fn check_resolution(kind: Compensation, amount: &str, days: &str) -> CheckedResolution {
    if !kind.needs_amount() {
        return Ok((None, None));
    }
    let amount = format::parse_amount(amount).map_err(|m| ("amount", m.to_owned()))?;
    if kind != Compensation::VirtualCredit {
        return Ok((Some(amount), None));
    }
    match days.trim().parse::<i32>() {
        Ok(d) if (1..=3650).contains(&d) => Ok((Some(amount), Some(d))),
        _ => Err(("lifetimeDays", "Between 1 and 3650 days.".to_owned())),
    }
}

/// What the confirmation step asks.
pub fn resolve_summary(target: &Target, kind: Compensation, amount: Option<&str>, days: Option<i32>) -> String {
    let (code, name) = (&target.code, &target.customer);
    let amount = amount.map(format::vnd).unwrap_or_default();
    match kind {
        Compensation::VirtualCredit => {
            format!(
                "Complete {code} and give {name} a virtual credit of {amount}, valid for {} days?",
                days.unwrap_or(15)
            )
        }
        Compensation::Refund => format!("Complete {code} and refund {amount} to {name}'s real balance?"),
        Compensation::Exchange => format!("Complete {code} as exchanged (no money moves)?"),
        Compensation::None | Compensation::Unknown => format!("Complete {code} without compensation?"),
    }
}

#[component]
fn ResolveForm(target: Target, open: RwSignal<bool>) -> impl IntoView {
    let moves = expect_context::<Moves>();
    let session = Session::current();
    let manager = session.user().is_some_and(|u| u.role.at_least(Role::Manager));
    let kinds = legal_compensations(target.kind, manager);
    let form = FormState::new(&["compensation", "amount", "lifetimeDays", "resolution"]);
    let kind = RwSignal::new(kinds[0]);
    let amount = RwSignal::new(String::new());
    let days = RwSignal::new("15".to_owned());
    let resolution = RwSignal::new(String::new());
    // Set once the first step passed: the confirmation step.
    let confirmed = RwSignal::new(None::<(Option<String>, Option<i32>)>);
    let key = idempotency_key();

    let check = move |ev: SubmitEvent| {
        ev.prevent_default();
        form.clear();
        match check_resolution(kind.get_untracked(), &amount.get_untracked(), &days.get_untracked()) {
            Ok(checked) => confirmed.set(Some(checked)),
            Err((field, message)) => form.reject(field, message),
        }
    };
    let send = {
        let id = target.id.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let Some((parsed, lifetime)) = confirmed.get_untracked() else { return };
            let call = moves.api.resolve_ticket(Resolution {
                ticket_id: id.clone(),
                compensation: kind.get_untracked(),
                amount: parsed,
                lifetime_days: lifetime,
                resolution: optional(&resolution.get_untracked()),
                idempotency_key: key.clone(),
            });
            form.submit(call, move |_| {
                moves.changed.run(None);
                open.set(false);
            });
        }
    };
    // A refusal about an input (or a manager's approval) goes back to the first step.
    Effect::new(move |_| {
        if form.failure.with(|f| f.as_ref().is_some_and(|e| e.field().is_some() || e.is("FORBIDDEN"))) {
            confirmed.set(None);
        }
    });
    let amount_error = Signal::derive(move || {
        form.failure.with(|f| f.as_ref().filter(|e| e.is_about("amount") || e.is("FORBIDDEN")).map(explain_resolve))
    });
    let general = move || {
        form.failure.with(|f| {
            f.as_ref()
                .filter(|e| e.field().is_none() && !e.is("FORBIDDEN") && !e.is_about("amount"))
                .map(explain_resolve)
        })
    };
    let multiple = kinds.len() > 1;
    let kinds = StoredValue::new(kinds);
    let shown = target.clone();
    let hint = if target.kind == Kind::Boom || !manager {
        None
    } else {
        Some("A virtual credit on this type needs a manager's approval: yours is recorded.")
    };

    move || match confirmed.get() {
        None => view! {
            <form class="stack resolve-form" id="resolve-form" on:submit=check novalidate>
                <p class="muted">{format!("{} · {}", shown.code, shown.customer)}</p>
                <Field label="Compensation" error=form.error_for("compensation")>
                    <select id="resolve-kind" class="select" disabled=!multiple
                        prop:value=move || kind.get().as_str()
                        on:change=move |ev| {
                            if let Some(k) = Compensation::from_key(&event_target_value(&ev)) {
                                kind.set(k);
                            }
                        }>
                        {kinds.get_value().into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </Field>
                {hint.map(|hint| view! { <p class="muted small">{hint}</p> })}
                <Show when=move || kind.get().needs_amount()>
                    <Field label="Amount (₫)" error=amount_error hint="Whole đồng, e.g. 50.000">
                        <input id="resolve-amount" class="input" inputmode="numeric" autocomplete="off"
                            prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                    </Field>
                </Show>
                <Show when=move || kind.get() == Compensation::VirtualCredit>
                    <Field label="Credit valid for (days)" error=form.error_for("lifetimeDays")>
                        <input id="resolve-days" class="input" type="number" min="1" max="3650"
                            prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev)) />
                    </Field>
                </Show>
                <Show when=move || !kind.get().needs_amount()>
                    {move || amount_error.get().map(|m| view! { <div class="banner banner-error">{m}</div> })}
                </Show>
                <Field label="Resolution (what was done)" error=form.error_for("resolution")>
                    <textarea id="resolve-resolution" class="input" rows="3"
                        prop:value=move || resolution.get()
                        on:input=move |ev| resolution.set(event_target_value(&ev))></textarea>
                </Field>
                {move || general().map(|m| view! {
                    <div class="banner banner-error form-error" role="alert">{m}</div>
                })}
                <div class="dialog-actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button class="btn btn-primary" type="submit" id="resolve-continue">"Continue"</button>
                </div>
            </form>
        }
        .into_any(),
        Some((parsed, lifetime)) => view! {
            <form class="stack resolve-form" on:submit=send.clone()>
                <p class="confirm-summary" id="resolve-confirmation">
                    {resolve_summary(&target, kind.get_untracked(), parsed.as_deref(), lifetime)}
                </p>
                {move || general().map(|m| view! {
                    <div class="banner banner-error form-error" role="alert">{m}</div>
                })}
                <div class="dialog-actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| confirmed.set(None)>"Back"</button>
                    <SubmitButton form label="Confirm" busy_label="Resolving…" />
                </div>
            </form>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target { id: "1".into(), code: "TV-2026-00001".into(), kind: Kind::Boom, customer: "An".into() }
    }

    #[test]
    fn the_resolve_form_is_checked_before_sending() {
        assert_eq!(check_resolution(Compensation::None, "", ""), Ok((None, None)));
        assert_eq!(check_resolution(Compensation::Exchange, "abc", ""), Ok((None, None)));
        assert_eq!(check_resolution(Compensation::VirtualCredit, "50.000", "30"), Ok((Some("50000".into()), Some(30))));
        assert_eq!(check_resolution(Compensation::Refund, "120000", "x"), Ok((Some("120000".into()), None)));
        assert_eq!(check_resolution(Compensation::Refund, "", "").unwrap_err().0, "amount");
        assert_eq!(check_resolution(Compensation::VirtualCredit, "5000", "0").unwrap_err().0, "lifetimeDays");
    }

    #[test]
    fn the_confirmation_names_the_compensation() {
        assert_eq!(
            resolve_summary(&target(), Compensation::VirtualCredit, Some("50000"), Some(15)),
            "Complete TV-2026-00001 and give An a virtual credit of 50.000 ₫, valid for 15 days?"
        );
        assert_eq!(
            resolve_summary(&target(), Compensation::Refund, Some("120000"), None),
            "Complete TV-2026-00001 and refund 120.000 ₫ to An's real balance?"
        );
        assert_eq!(
            resolve_summary(&target(), Compensation::None, None, None),
            "Complete TV-2026-00001 without compensation?"
        );
    }
}
