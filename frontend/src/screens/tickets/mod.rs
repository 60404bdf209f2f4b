//! `/tickets` and `/tickets/:id`: after-sales tickets (BOOM, exchange,
//! missing items, return / refund, support).
//!
//! The list page is a board by status (open columns by priority, the
//! closed ones limited to recent tickets) or a filtered list
//! (`?view=list`), both moving tickets only along the moves the server
//! allows and following `ticketEvents` live; "New ticket" looks the phone
//! up first. The detail page shows the ticket with its history, notes,
//! assignee and compensation, resolves it, and follows `ticketUpdated`.

use std::time::Duration;

use leptos::{leptos_dom::helpers::debounce, prelude::*};
use leptos_router::hooks::{use_navigate, use_query_map};

mod api;
mod board;
mod create;
mod detail;
mod logic;
mod moves;

pub use detail::TicketPage;

use api::TicketCard;
use logic::{Filters, Kind, Priority, Status, View, Who};
use moves::{CancelDialog, MoveError, Moves, ResolveDialog};

use crate::{api::Role, session::Session};

/// How long the search box waits for the typing to pause.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// The tickets page: header, view toggle, filters, board or list.
#[component]
pub fn TicketsPage() -> impl IntoView {
    let session = Session::current();
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|key| q.get(key))));
    let navigate = use_navigate();
    let set_filters = Callback::new(move |next: Filters| {
        let query = next.to_query();
        let path = if query.is_empty() { "/tickets".to_owned() } else { format!("/tickets?{query}") };
        navigate(&path, crate::app::replace());
    });
    let me = Memo::new(move |_| session.user().map(|u| u.id));
    let can_create = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Agent)));
    let creating = RwSignal::new(false);

    // A move made here: its card goes where it now belongs (or everything reloads).
    let changed = RwSignal::new(None::<TicketCard>);
    let reload = RwSignal::new(0u32);
    Moves::provide(Callback::new(move |card: Option<TicketCard>| match card {
        Some(card) => changed.set(Some(card)),
        None => reload.update(|n| *n += 1),
    }));

    let view_is = move |v: View| filters.with(|f| f.view == v);
    let switch = move |v: View| set_filters.run(Filters { view: v, ..filters.get_untracked() });

    view! {
        <div class="page-header">
            <div>
                <h1>"Tickets"</h1>
                <p class="muted">"Refused deliveries, exchanges, missing items, returns and support cases."</p>
            </div>
            <div class="row">
                <div class="tabs view-toggle" role="tablist" aria-label="View">
                    <button type="button" role="tab" id="view-board" class="tab"
                        class:active=move || view_is(View::Board)
                        aria-selected=move || view_is(View::Board).to_string()
                        on:click=move |_| switch(View::Board)>"Board"</button>
                    <button type="button" role="tab" id="view-list" class="tab"
                        class:active=move || view_is(View::List)
                        aria-selected=move || view_is(View::List).to_string()
                        on:click=move |_| switch(View::List)>"List"</button>
                </div>
                <Show when=move || can_create.get()>
                    <button id="new-ticket" class="btn btn-primary" type="button" on:click=move |_| creating.set(true)>
                        "New ticket"
                    </button>
                </Show>
            </div>
        </div>
        <FilterBar filters set_filters />
        <MoveError />
        {move || {
            let filters = filters.get();
            let me = me.get();
            match filters.view {
                View::Board => view! { <board::Board filters me changed reload /> }.into_any(),
                View::List => view! {
                    <section class="card list-card"><board::List filters me changed reload /></section>
                }.into_any(),
            }
        }}
        <create::NewTicketDialog open=creating />
        <ResolveDialog />
        <CancelDialog />
    }
}

/// Search, status (list only), type, priority, assignee and overdue.
#[component]
fn FilterBar(filters: Memo<Filters>, set_filters: Callback<Filters>) -> impl IntoView {
    let change = move |edit: Box<dyn FnOnce(&mut Filters)>| {
        let mut next = filters.get_untracked();
        edit(&mut next);
        set_filters.run(next);
    };
    let typed = RwSignal::new(filters.get_untracked().search);
    let mut apply_search = debounce(SEARCH_DELAY, move |value: String| {
        let current = filters.get_untracked();
        if current.search != value {
            set_filters.run(Filters { search: value, ..current });
        }
    });
    view! {
        <div class="toolbar tickets-toolbar">
            <input id="ticket-search" class="input" type="search" placeholder="Search code, order, carrier…"
                aria-label="Search tickets" autocomplete="off"
                prop:value=move || typed.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    apply_search(value.trim().to_owned());
                    typed.set(value);
                } />
            <Show when=move || filters.with(|f| f.view == View::List)>
                <select id="filter-status" class="select" aria-label="Status"
                    prop:value=move || filters.with(|f| f.status.map(Status::as_str).unwrap_or_default())
                    on:change=move |ev| {
                        let key = event_target_value(&ev);
                        change(Box::new(move |f| f.status = Status::from_key(&key)));
                    }>
                    <option value="">"All statuses"</option>
                    {Status::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
            </Show>
            <select id="filter-type" class="select" aria-label="Type"
                prop:value=move || filters.with(|f| f.kind.map(Kind::as_str).unwrap_or_default())
                on:change=move |ev| {
                    let key = event_target_value(&ev);
                    change(Box::new(move |f| f.kind = Kind::from_key(&key)));
                }>
                <option value="">"All types"</option>
                {Kind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
            </select>
            <select id="filter-priority" class="select" aria-label="Priority"
                prop:value=move || filters.with(|f| f.priority.map(Priority::as_str).unwrap_or_default())
                on:change=move |ev| {
                    let key = event_target_value(&ev);
                    change(Box::new(move |f| f.priority = Priority::from_key(&key)));
                }>
                <option value="">"All priorities"</option>
                {Priority::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
            </select>
            <select id="filter-who" class="select" aria-label="Assignee"
                prop:value=move || filters.with(|f| f.who.key())
                on:change=move |ev| {
                    let key = event_target_value(&ev);
                    change(Box::new(move |f| f.who = Who::from_key(&key)));
                }>
                {Who::ALL.into_iter().map(|w| view! { <option value=w.key()>{w.label()}</option> }).collect_view()}
            </select>
            <label class="check">
                <input id="filter-overdue" type="checkbox" prop:checked=move || filters.with(|f| f.overdue)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        change(Box::new(move |f| f.overdue = on));
                    } />
                " Overdue only"
            </label>
            <Show when=move || filters.with(Filters::is_narrowed)>
                <button class="btn btn-ghost btn-small" type="button" on:click=move |_| {
                    typed.set(String::new());
                    set_filters.run(Filters { view: filters.get_untracked().view, ..Filters::default() });
                }>"Clear"</button>
            </Show>
        </div>
    }
}
