//! `/tickets/:id`: one ticket — header (code, status, type, priority,
//! overdue), its moves, the customer, the details (edited in a dialog), the
//! assignee, the compensation once resolved, notes and the full history.
//! Reloads whenever `ticketUpdated` reports a change.

use leptos::{either::Either, ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use serde_json::{Map, Value, json};

use super::{
    api::{HistoryEntry, TicketDetail},
    logic::{Kind, Priority, actor_label, deadline_input, describe_changes, explain, local_input, show_value},
    moves::{CancelDialog, MoveButtons, MoveError, Moves, ResolveDialog, Target},
};
use crate::{
    api::{Api, ApiError, Role, live},
    components::{
        badge::TierBadge,
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
        states::{ErrorNotice, Loading},
    },
    format,
    session::Session,
};

/// The page for the ticket in the URL.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || {
        let id = id.get();
        view! { <TicketView id /> }
    }
}

/// Loads and shows one ticket; `version` moves to reload it.
#[component]
fn TicketView(id: String) -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let ticket = RwSignal::new(None::<TicketDetail>);
    let failure = RwSignal::new(None::<ApiError>);
    let bump = move || version.update(|v| *v += 1);
    Moves::provide(Callback::new(move |_| bump()));

    let load_id = id.clone();
    Effect::new(move |_| {
        version.track();
        let id = load_id.clone();
        spawn_local(async move {
            match api.ticket(id).await {
                Ok(loaded) => {
                    let _ = ticket.try_set(Some(loaded));
                    let _ = failure.try_set(None);
                }
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
        });
    });
    live::use_subscription(super::api::UPDATED, json!({ "ticketId": id }), move |_: Value| bump());

    let retry = Callback::new(move |()| bump());
    view! {
        <p class="back-link"><A href="/tickets">"← Tickets"</A></p>
        {move || match (ticket.get(), failure.get()) {
            (Some(t), failure) => Either::Left(view! {
                {failure.map(|error| view! { <ErrorNotice error retry /> })}
                <Ticket t version />
            }),
            (None, Some(error)) => Either::Right(view! { <ErrorNotice error retry /> }.into_any()),
            (None, None) => Either::Right(view! { <Loading label="Loading the ticket…" /> }.into_any()),
        }}
        <ResolveDialog />
        <CancelDialog />
    }
}

/// The loaded ticket.
#[component]
fn Ticket(t: TicketDetail, version: RwSignal<u32>) -> impl IntoView {
    let session = Session::current();
    let role = session.user().map_or(Role::Unknown, |u| u.role);
    let can_act = role.at_least(Role::Agent);
    let editing = RwSignal::new(false);
    let target = Target { id: t.id.clone(), code: t.code.clone(), kind: t.kind, customer: t.customer.name.clone() };
    let edit_values = StoredValue::new(t.clone());

    view! {
        <div class="page-header ticket-header">
            <div>
                <h1>
                    <span id="ticket-code" class="mono">{t.code.clone()}</span>
                    " "
                    <span id="ticket-status" class=format!("badge badge-{}", t.status.tone())>{t.status.label()}</span>
                </h1>
                <p class="row ticket-meta">
                    <span id="ticket-type">{t.kind.label()}</span>
                    <span class=format!("badge badge-{}", t.priority.tone()) id="ticket-priority">
                        {t.priority.label()} " priority"
                    </span>
                    {t.overdue.then(|| view! {
                        <span class="badge badge-danger overdue-badge" id="ticket-overdue">"Overdue"</span>
                    })}
                    <span class="muted">"opened " {format::datetime(&t.created_at)}</span>
                </p>
            </div>
            <div class="row ticket-moves" id="ticket-moves">
                <MoveButtons target from=t.status allowed=t.allowed_transitions.clone() />
            </div>
        </div>
        <MoveError />
        <div class="ticket-layout">
            <div class="stack">
                <section class="card card-body" class:overdue-card=t.overdue>
                    <div class="card-title-row">
                        <h2 class="card-title">"Details"</h2>
                        {(can_act && t.status.is_open()).then(|| view! {
                            <button class="btn btn-small" type="button" id="ticket-edit"
                                on:click=move |_| editing.set(true)>
                                "Edit"
                            </button>
                        })}
                    </div>
                    <Details t=t.clone() />
                </section>
                {(!t.compensations.is_empty() || t.resolution.is_some())
                    .then(|| view! { <CompensationCard t=t.clone() /> })}
                <NotesCard id=t.id.clone() notes=t.notes.clone() version can_write=can_act />
                <HistoryCard history=t.history.clone() />
            </div>
            <div class="stack">
                <CustomerCard t=t.clone() />
                <AssigneeCard t=t.clone() version can_act />
            </div>
        </div>
        <Dialog open=editing title="Edit ticket" wide=true>
            <EditForm t=edit_values.get_value() open=editing version />
        </Dialog>
    }
}

/// The ticket's fields.
#[component]
fn Details(t: TicketDetail) -> impl IntoView {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
    view! {
        <dl class="ticket-details">
            <div><dt>"Order"</dt><dd id="ticket-order-ref">{dash(t.order_reference.clone())}</dd></div>
            <div><dt>"Carrier"</dt><dd>{dash(t.carrier.clone())}</dd></div>
            <div>
                <dt>"Carrier deadline"</dt>
                <dd class:danger-text=t.overdue id="ticket-deadline-value">
                    {dash(t.carrier_deadline.as_deref().map(format::datetime))}
                </dd>
            </div>
            <div>
                <dt>"First response"</dt>
                <dd>{dash(t.first_response_seconds.map(format::duration))}</dd>
            </div>
            {t.resolution_seconds.map(|s| view! { <div><dt>"Resolved in"</dt><dd>{format::duration(s)}</dd></div> })}
            {t.cancelled_at.as_deref().map(|at| view! {
                <div><dt>"Cancelled"</dt><dd>{format::datetime(at)}</dd></div>
            })}
        </dl>
        <p class="ticket-description" id="ticket-description-text">{t.description.clone()}</p>
        {(!t.attachments.is_empty()).then(|| view! {
            <ul class="attachments">
                {t.attachments.iter().map(|url| view! {
                    <li><a href=url.clone() target="_blank" rel="noopener noreferrer">{url.clone()}</a></li>
                }).collect_view()}
            </ul>
        })}
    }
}

/// The customer, with a link to their page and their balances.
#[component]
fn CustomerCard(t: TicketDetail) -> impl IntoView {
    let c = t.customer;
    view! {
        <section class="card card-body">
            <h2 class="card-title">"Customer"</h2>
            <p class="row">
                <A href=format!("/customers/{}", c.id) attr:id="ticket-customer-link">{c.name.clone()}</A>
                <TierBadge tier=c.tier />
            </p>
            <p class="muted mono">{c.phone.clone()}</p>
            <p class="muted">
                "Balance " <strong>{c.wallet.real_balance.display()}</strong>
                " · virtual " <span id="ticket-customer-virtual">{c.wallet.virtual_balance.display()}</span>
            </p>
        </section>
    }
}

/// Who works on it: take it, or give it back.
#[component]
fn AssigneeCard(t: TicketDetail, version: RwSignal<u32>, can_act: bool) -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let me = session.user().map(|u| u.id);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let assign = move |to: Option<String>, id: String| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api.assign_ticket(id, to).await;
            let _ = busy.try_set(false);
            match result {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => {
                    let _ = error.try_set(Some(explain(&e)));
                }
            }
        });
    };
    let mine = me.is_some() && t.assignee_id == me;
    let (id1, id2) = (t.id.clone(), t.id.clone());
    view! {
        <section class="card card-body">
            <h2 class="card-title">"Assignee"</h2>
            <p id="ticket-assignee">{t.assignee.as_ref().map_or("Unassigned".to_owned(), |a| a.name.clone())}</p>
            {can_act.then(|| view! {
                <div class="row">
                    {(!mine).then(|| view! {
                        <button class="btn btn-small" type="button" id="assign-me" disabled=move || busy.get()
                            on:click={
                                let me = me.clone();
                                move |_| assign(me.clone(), id1.clone())
                            }>"Assign to me"</button>
                    })}
                    {t.assignee_id.is_some().then(|| view! {
                        <button class="btn btn-small btn-ghost" type="button" id="unassign" disabled=move || busy.get()
                            on:click=move |_| assign(None, id2.clone())>"Unassign"</button>
                    })}
                </div>
            })}
            {move || error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </section>
    }
}

/// What resolving gave the customer.
#[component]
fn CompensationCard(t: TicketDetail) -> impl IntoView {
    view! {
        <section class="card card-body compensation-card" id="compensation">
            <h2 class="card-title">"Resolution"</h2>
            {t.resolution.clone().map(|r| view! { <p class="ticket-resolution">{r}</p> })}
            {t.compensations.iter().map(|c| {
                let amount = c.kind.needs_amount().then(|| c.amount.display());
                view! {
                    <div class="compensation-row">
                        <strong>{c.kind.label()}</strong>
                        {amount.map(|a| view! { <span class="compensation-amount">{a}</span> })}
                        <span class="muted">{format::datetime(&c.created_at)}</span>
                        {c.approved_by.clone().map(|by| view! { <span class="muted">"approved by " {by}</span> })}
                        {c.note.clone().map(|n| view! { <span class="muted">{n}</span> })}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// The notes, and a box to add one.
#[component]
fn NotesCard(id: String, notes: Vec<HistoryEntry>, version: RwSignal<u32>, can_write: bool) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["body"]);
    let body = RwSignal::new(String::new());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = body.get_untracked();
        if text.trim().is_empty() {
            return form.reject("body", "Write the note first.");
        }
        form.submit(api.add_ticket_note(id.clone(), text.trim().to_owned()), move |_| {
            body.set(String::new());
            version.update(|v| *v += 1);
        });
    };
    let empty = notes.is_empty();
    view! {
        <section class="card card-body">
            <h2 class="card-title">"Notes"</h2>
            {can_write.then(|| view! {
                <form class="stack note-form" id="ticket-note-form" novalidate on:submit=submit>
                    <Field label="New note" error=form.error_for("body")>
                        <textarea id="ticket-note" class="input" rows="2"
                            prop:value=move || body.get()
                            on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    </Field>
                    <FormError form />
                    <div class="row"><SubmitButton form label="Add note" busy_label="Adding…" /></div>
                </form>
            })}
            {empty.then(|| view! { <p class="muted">"No notes yet."</p> })}
            <ul class="ticket-notes">
                {notes.into_iter().rev().map(|n| view! {
                    <li class="ticket-note">
                        <p class="note-body">{n.body.clone().unwrap_or_default()}</p>
                        <p class="muted small">
                            {actor_label(&n.actor, n.actor_user.as_ref().map(|u| u.name.as_str()))}
                            " · " <span title=format::datetime(&n.at)>{format::ago(&n.at)}</span>
                        </p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Everything that happened, newest first.
#[component]
fn HistoryCard(history: Vec<HistoryEntry>) -> impl IntoView {
    view! {
        <section class="card card-body">
            <h2 class="card-title">"History"</h2>
            <ol class="ticket-history" id="history">
                {history.into_iter().rev().map(|h| view! { <HistoryItem h /> }).collect_view()}
            </ol>
        </section>
    }
}

/// One history entry: who, when, what.
#[component]
fn HistoryItem(h: HistoryEntry) -> impl IntoView {
    let who = actor_label(&h.actor, h.actor_user.as_ref().map(|u| u.name.as_str()));
    let what = format::enum_label(&h.kind);
    let moved = match (h.from_status, h.to_status) {
        (Some(from), Some(to)) => Some(format!("{} → {}", from.label(), to.label())),
        (None, Some(to)) => Some(to.label().to_owned()),
        _ => None,
    };
    let changes =
        h.changes.as_ref().map(|c| describe_changes(c, |v| show_value(v, format::datetime))).unwrap_or_default();
    view! {
        <li class="history-entry" data-kind=h.kind.clone()>
            <div class="history-head">
                <strong>{what}</strong>
                {moved.map(|m| view! { <span class="history-move">{m}</span> })}
                <span class="muted">{who}</span>
                <span class="muted" title=format::datetime(&h.at)>{format::datetime(&h.at)}</span>
            </div>
            {(!changes.is_empty()).then(|| view! {
                <ul class="history-changes">{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            })}
            {h.body.clone().map(|b| view! { <p class="history-body">{b}</p> })}
        </li>
    }
}

/// The editable fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editable {
    pub kind: Kind,
    pub priority: Priority,
    pub order: String,
    pub carrier: String,
    pub description: String,
}

/// The `UpdateTicketInput` for what changed (`deadline`: `Some` when the
/// deadline input changed, with the new instant or `None` to clear it).
pub fn update_input(before: &Editable, after: &Editable, deadline: Option<Option<String>>) -> Map<String, Value> {
    let mut input = Map::new();
    if before.kind != after.kind {
        input.insert("type".into(), json!(after.kind));
    }
    if before.priority != after.priority {
        input.insert("priority".into(), json!(after.priority));
    }
    for (name, old, new) in [
        ("orderReference", &before.order, &after.order),
        ("carrier", &before.carrier, &after.carrier),
        ("description", &before.description, &after.description),
    ] {
        if old.trim() != new.trim() {
            input.insert(name.into(), json!(new.trim()));
        }
    }
    if let Some(deadline) = deadline {
        input.insert("carrierDeadline".into(), json!(deadline));
    }
    input
}

/// The edit dialog's form (built anew on each opening).
#[component]
fn EditForm(t: TicketDetail, open: RwSignal<bool>, version: RwSignal<u32>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["type", "priority", "orderReference", "carrier", "carrierDeadline", "description"]);
    let before = Editable {
        kind: t.kind,
        priority: t.priority,
        order: t.order_reference.clone().unwrap_or_default(),
        carrier: t.carrier.clone().unwrap_or_default(),
        description: t.description.clone(),
    };
    let kind = RwSignal::new(before.kind);
    let priority = RwSignal::new(before.priority);
    let order = RwSignal::new(before.order.clone());
    let carrier = RwSignal::new(before.carrier.clone());
    let description = RwSignal::new(before.description.clone());
    let deadline_before = local_input(t.carrier_deadline.as_deref());
    let deadline = RwSignal::new(deadline_before.clone());
    let id = t.id.clone();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let after = Editable {
            kind: kind.get_untracked(),
            priority: priority.get_untracked(),
            order: order.get_untracked(),
            carrier: carrier.get_untracked(),
            description: description.get_untracked(),
        };
        if after.description.trim().is_empty() {
            return form.reject("description", "Describe the problem");
        }
        let typed = deadline.get_untracked();
        let deadline_change = if typed.trim() == deadline_before.trim() {
            None
        } else {
            match deadline_input(&typed, true) {
                Ok(value) => Some(value),
                Err(message) => return form.reject("carrierDeadline", message),
            }
        };
        let input = update_input(&before, &after, deadline_change);
        if input.is_empty() {
            open.set(false);
            return;
        }
        form.submit(api.update_ticket(id.clone(), Value::Object(input)), move |_| {
            version.update(|v| *v += 1);
            open.set(false);
        });
    };
    view! {
        <form class="stack" id="edit-ticket-form" novalidate on:submit=submit>
            <div class="grid-2">
                <Field label="Type" error=form.error_for("type")>
                    <select id="edit-type" class="select" prop:value=move || kind.get().as_str()
                        on:change=move |ev| kind.set(Kind::from_key(&event_target_value(&ev)).unwrap_or_default())>
                        {Kind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Priority" error=form.error_for("priority")>
                    <select id="edit-priority" class="select" prop:value=move || priority.get().as_str()
                        on:change=move |ev| {
                            priority.set(Priority::from_key(&event_target_value(&ev)).unwrap_or_default());
                        }>
                        {Priority::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Order reference" error=form.error_for("orderReference")>
                    <input id="edit-order" class="input" prop:value=move || order.get()
                        on:input=move |ev| order.set(event_target_value(&ev)) />
                </Field>
                <Field label="Carrier" error=form.error_for("carrier")>
                    <input id="edit-carrier" class="input" prop:value=move || carrier.get()
                        on:input=move |ev| carrier.set(event_target_value(&ev)) />
                </Field>
            </div>
            <Field label="Carrier deadline" error=form.error_for("carrierDeadline")
                hint="Empty clears it; a new one must be in the future">
                <input id="edit-deadline" class="input" type="datetime-local" prop:value=move || deadline.get()
                    on:input=move |ev| deadline.set(event_target_value(&ev)) />
            </Field>
            <Field label="Description" error=form.error_for("description")>
                <textarea id="edit-description" class="input" rows="4" prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Save" busy_label="Saving…" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editable() -> Editable {
        Editable {
            kind: Kind::Boom,
            priority: Priority::Normal,
            order: "DH-1".into(),
            carrier: String::new(),
            description: "refused".into(),
        }
    }

    #[test]
    fn only_changed_fields_are_sent() {
        assert!(update_input(&editable(), &editable(), None).is_empty());
        let after = Editable { priority: Priority::High, carrier: " GHN ".into(), ..editable() };
        let input = update_input(&editable(), &after, Some(None));
        assert_eq!(Value::Object(input), json!({ "priority": "HIGH", "carrier": "GHN", "carrierDeadline": null }));
    }
}
