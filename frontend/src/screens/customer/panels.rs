//! The right-hand side of the page: ledger, orders, tickets, timeline,
//! notes, interactions and family under tabs. Each list pages with
//! infinite scroll and reloads when the page's [`Refresh`] versions move.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::A;

use super::{
    Refresh,
    api::{Activity, Note, TicketRow, Transaction},
};
use crate::{
    api::{Api, Role},
    components::{
        form::{Field, FormError, FormState, SubmitButton},
        paged::Paged,
        scroll::LoadMore,
        states::{Empty, ErrorNotice, Loading},
    },
    format,
    session::Session,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Ledger,
    Orders,
    Tickets,
    Timeline,
    Notes,
    Interactions,
    Family,
}

impl Tab {
    const ALL: [Tab; 7] =
        [Tab::Ledger, Tab::Orders, Tab::Tickets, Tab::Timeline, Tab::Notes, Tab::Interactions, Tab::Family];

    fn label(self) -> &'static str {
        match self {
            Tab::Ledger => "Ledger",
            Tab::Orders => "Orders",
            Tab::Tickets => "Tickets",
            Tab::Timeline => "Timeline",
            Tab::Notes => "Notes",
            Tab::Interactions => "Interactions",
            Tab::Family => "Family",
        }
    }
}

/// The tabs and the chosen panel.
#[component]
pub fn Panels(id: String) -> impl IntoView {
    let tab = RwSignal::new(Tab::Ledger);
    view! {
        <section class="card card-body panels">
            <div class="tabs" role="tablist">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button type="button" role="tab" id=format!("tab-{}", t.label().to_lowercase())
                        aria-selected=move || (tab.get() == t).to_string() on:click=move |_| tab.set(t)>
                        {t.label()}
                    </button>
                }).collect_view()}
            </div>
            {move || match tab.get() {
                Tab::Ledger => view! { <Ledger id=id.clone() /> }.into_any(),
                Tab::Orders => view! { <super::orders::Orders id=id.clone() /> }.into_any(),
                Tab::Tickets => view! { <Tickets id=id.clone() /> }.into_any(),
                Tab::Timeline => view! { <Timeline id=id.clone() /> }.into_any(),
                Tab::Notes => view! { <Notes id=id.clone() /> }.into_any(),
                Tab::Interactions => view! { <super::interactions::Interactions id=id.clone() /> }.into_any(),
                Tab::Family => view! { <super::family::Family id=id.clone() /> }.into_any(),
            }}
        </section>
    }
}

/// Transaction types the ledger filter offers.
const LEDGER_TYPES: [&str; 8] = [
    "DEPOSIT",
    "WITHDRAW",
    "CREDIT_ISSUED",
    "CREDIT_EXPIRED",
    "ADJUSTMENT",
    "REVERSAL",
    "POINTS_EARNED",
    "POINTS_REDEEMED",
];

/// Money out of the wallet shows as negative.
fn signed_amount(kind: &str, amount: &str) -> String {
    let outgoing = matches!(kind, "WITHDRAW" | "CREDIT_EXPIRED" | "POINTS_REDEEMED");
    let formatted = format::vnd(amount);
    if outgoing && !amount.starts_with('-') { format!("−{formatted}") } else { formatted }
}

#[component]
fn Ledger(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let kind = RwSignal::new(String::new());
    let version = Signal::derive(move || {
        kind.track();
        refresh.ledger.get()
    });
    let (paged, more) = Paged::<Transaction>::new(version, move |after| {
        let chosen = Some(kind.get_untracked()).filter(|k| !k.is_empty());
        api.ledger(id.clone(), chosen, after)
    });

    view! {
        <div class="toolbar">
            <select class="select" id="ledger-type" aria-label="Transaction type"
                on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="">"All movements"</option>
                {LEDGER_TYPES.into_iter().map(|t| view! { <option value=t>{format::enum_label(t)}</option> }).collect_view()}
            </select>
        </div>
        {move || paged.state("No movements yet", "Deposits, withdrawals and credits appear here.").unwrap_or_else(|| view! {
            <div class="table-wrap">
                <table class="table ledger">
                    <thead><tr>
                        <th>"Date"</th><th>"Movement"</th><th class="num">"Amount"</th>
                        <th class="num">"Real after"</th><th class="num">"Virtual after"</th><th>"Note"</th><th>"By"</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || paged.items.get() key=|t| t.id.clone() let:t>
                            <tr class="ledger-row">
                                <td data-label="Date">{format::datetime(&t.created_at)}</td>
                                <td data-label="Movement"><span class="mono">{t.code.clone()}</span><br />{format::enum_label(&t.kind)}</td>
                                <td class="num amount" data-label="Amount">{signed_amount(&t.kind, t.amount.as_str())}</td>
                                <td class="num" data-label="Real after">{t.real_balance_after.display()}</td>
                                <td class="num" data-label="Virtual after">{t.virtual_balance_after.display()}</td>
                                <td data-label="Note">{t.note.clone().or(t.reference.clone()).unwrap_or_default()}</td>
                                <td data-label="By">{t.actor.clone()}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        }.into_any())}
    }
}

#[component]
fn Tickets(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let version = Signal::derive(move || refresh.activity.get());
    let (paged, more) = Paged::<TicketRow>::new(version, move |after| api.customer_tickets(id.clone(), after));
    view! {
        {move || paged.state("No tickets", "Complaints and returns of this customer appear here.").unwrap_or_else(|| view! {
            <ul class="ticket-list">
                <For each=move || paged.items.get() key=|t| t.id.clone() let:t>
                    <li class="ticket-item" class:overdue=t.overdue>
                        <A href=format!("/tickets/{}", t.id)><span class="mono">{t.code.clone()}</span></A>
                        <span>{format::enum_label(&t.kind)}</span>
                        <span class="badge">{format::enum_label(&t.status)}</span>
                        <span class="muted">{format::enum_label(&t.priority)}</span>
                        {t.overdue.then(|| view! { <span class="badge badge-danger">"Overdue"</span> })}
                        <span class="muted">{format::date(&t.created_at)}</span>
                    </li>
                </For>
            </ul>
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        }.into_any())}
    }
}

#[component]
fn Timeline(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let version = Signal::derive(move || refresh.activity.get());
    let (paged, more) = Paged::<Activity>::new(version, move |after| api.timeline(id.clone(), after));
    view! {
        {move || paged.state("Nothing happened yet", "Changes, payments and tickets appear here.").unwrap_or_else(|| view! {
            <ol class="timeline">
                <For each=move || paged.items.get() key=|a| a.id.clone() let:a>
                    <li class="timeline-item">
                        <span class="timeline-when muted" title=format::datetime(&a.created_at)>{format::ago(&a.created_at)}</span>
                        <span class="timeline-what">{a.summary.clone()}</span>
                        <span class="muted">{a.actor.clone()}</span>
                    </li>
                </For>
            </ol>
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        }.into_any())}
    }
}

#[component]
fn Notes(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let session = Session::current();
    let can_write = move || session.user().is_some_and(|u| u.role.at_least(Role::Agent));
    let notes = LocalResource::new({
        let id = id.clone();
        move || {
            refresh.activity.track();
            api.notes(id.clone())
        }
    });
    let form = FormState::new(&["body"]);
    let body = RwSignal::new(String::new());
    let pinned = RwSignal::new(false);
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = body.get_untracked().trim().to_owned();
        if text.is_empty() {
            return form.reject("body", "Write the note first.");
        }
        form.submit(api.add_note(id.clone(), text, pinned.get_untracked()), move |()| {
            body.set(String::new());
            pinned.set(false);
            refresh.activity.update(|v| *v += 1);
        });
    };
    let pin = move |note: Note| {
        spawn_local(async move {
            if api.pin_note(note.id, !note.pinned).await.is_ok() {
                refresh.activity.update(|v| *v += 1);
            }
        });
    };

    view! {
        <Show when=can_write>
            <form class="form note-form" on:submit=add.clone() novalidate>
                <Field label="New note" error=form.error_for("body")>
                    <textarea id="note-body" prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </Field>
                <label class="row"><input type="checkbox" id="note-pinned" prop:checked=move || pinned.get()
                    on:change=move |ev| pinned.set(event_target_checked(&ev)) />"Pin it on top"</label>
                <FormError form />
                <div class="dialog-actions"><SubmitButton form label="Add note" /></div>
            </form>
        </Show>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match notes.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <Empty title="No notes yet" /> }.into_any(),
                    Ok(list) => view! {
                        <ul class="notes">
                            {list.into_iter().map(|note| {
                                let toggle = note.clone();
                                view! {
                                    <li class="note" class:pinned=note.pinned>
                                        <p class="note-body">{note.body.clone()}</p>
                                        <p class="muted small">
                                            {note.author.as_ref().map(|a| a.name.clone()).unwrap_or_default()} " · "
                                            {format::datetime(&note.created_at)}
                                            {note.pinned.then_some(" · pinned")}
                                        </p>
                                        <Show when=can_write>
                                            <button class="btn btn-small btn-ghost note-pin" type="button"
                                                on:click={let toggle = toggle.clone(); move |_| pin(toggle.clone())}>
                                                {if note.pinned { "Unpin" } else { "Pin" }}
                                            </button>
                                        </Show>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_out_is_shown_negative() {
        assert_eq!(signed_amount("WITHDRAW", "5000"), "−5.000 ₫");
        assert_eq!(signed_amount("DEPOSIT", "5000"), "5.000 ₫");
        assert_eq!(signed_amount("ADJUSTMENT", "-5000"), "-5.000 ₫");
    }
}
