//! The two views of `/tickets`: the board (a column per status, open
//! columns by priority, the closed ones limited to the recent tickets) and
//! the list (filtered, newest first, loaded as it scrolls). Both move
//! tickets with the buttons of [`super::moves`] and follow `ticketEvents`
//! live: a ticket changed elsewhere is updated or moves column.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use super::{
    api::{CLOSED_COLUMN_SIZE, PAGE_SIZE, TicketCard, TicketEvent},
    logic::{Filters, Status, View},
    moves::{MoveButtons, Target},
};
use crate::{
    api::{Api, ApiError, live},
    components::{
        paged::Paged,
        scroll::LoadMore,
        states::{ErrorNotice, Loading},
    },
    format,
};

/// Puts `card` where it belongs in `cards`: replaced in place when shown,
/// dropped when the filters no longer admit it, added first when new,
/// admitted and `may_add` (a search the client cannot check forbids it).
pub fn upsert(cards: &mut Vec<TicketCard>, card: TicketCard, admitted: bool, may_add: bool) {
    match cards.iter().position(|c| c.id == card.id) {
        Some(at) if admitted => cards[at] = card,
        Some(at) => {
            cards.remove(at);
        }
        None if admitted && may_add => cards.insert(0, card),
        None => {}
    }
}

/// The state of one board column's load.
#[derive(Clone, Debug, PartialEq)]
enum ColumnLoad {
    Loading,
    Loaded { total: i64 },
    Failed(ApiError),
}

/// The board for `filters` (rebuilt when they change).
#[component]
pub fn Board(
    filters: Filters,
    me: Option<String>,
    changed: RwSignal<Option<TicketCard>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let api = Api::current();
    let cards = RwSignal::new(Vec::<TicketCard>::new());
    let loads = Status::ALL.map(|_| RwSignal::new(ColumnLoad::Loading));

    for (status, load) in Status::ALL.into_iter().zip(loads) {
        let (filters, me) = (filters.clone(), me.clone());
        Effect::new(move |_| {
            reload.track();
            let (filters, me) = (filters.clone(), me.clone());
            let (size, sort) =
                if status.is_open() { (PAGE_SIZE, "PRIORITY_DESC") } else { (CLOSED_COLUMN_SIZE, "UPDATED_DESC") };
            spawn_local(async move {
                let result = api.tickets(filters, Some(vec![status]), me, size, sort, None).await;
                match result {
                    Ok(page) => {
                        let total = page.total_count.unwrap_or(page.items.len() as i64);
                        let _ = cards.try_update(|cards| {
                            cards.retain(|c| c.status != status && !page.items.iter().any(|p| p.id == c.id));
                            cards.extend(page.items);
                        });
                        let _ = load.try_set(ColumnLoad::Loaded { total });
                    }
                    Err(error) => {
                        let _ = load.try_set(ColumnLoad::Failed(error));
                    }
                }
            });
        });
    }

    // A move on this screen, or a change elsewhere: the card goes where it now belongs.
    let place = {
        let (filters, me) = (filters.clone(), me.clone());
        move |card: TicketCard| {
            let admitted = filters.admits(&card.facts(), me.as_deref());
            cards.update(|cards| upsert(cards, card, admitted, filters.search.is_empty()));
        }
    };
    Effect::new({
        let place = place.clone();
        move |_| {
            if let Some(card) = changed.get() {
                place(card);
            }
        }
    });
    live::use_subscription(super::api::EVENTS, serde_json::json!({}), move |event: TicketEvent| place(event.ticket));

    view! {
        <div class="ticket-board" id="ticket-board">
            {Status::ALL
                .into_iter()
                .zip(loads)
                .map(|(status, load)| view! { <Column status load cards reload /> })
                .collect_view()}
        </div>
    }
}

/// One status column of the board.
#[component]
fn Column(
    status: Status,
    load: RwSignal<ColumnLoad>,
    cards: RwSignal<Vec<TicketCard>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let shown = Memo::new(move |_| {
        cards.with(|cards| cards.iter().filter(|c| c.status == status).cloned().collect::<Vec<_>>())
    });
    let count = move || match load.get() {
        ColumnLoad::Loaded { .. } if status.is_open() => format::count(shown.with(Vec::len) as i64),
        ColumnLoad::Loaded { .. } => format!("{} recent", shown.with(Vec::len)),
        _ => "…".to_owned(),
    };
    let retry = Callback::new(move |()| reload.update(|n| *n += 1));
    view! {
        <section class="board-column" id=format!("col-{}", status.as_str()) data-status=status.as_str()
            aria-label=status.label()>
            <header class="board-column-head">
                <span class=format!("badge badge-{}", status.tone())>{status.label()}</span>
                <span class="muted column-count">{count}</span>
            </header>
            <div class="board-cards">
                {move || match load.get() {
                    ColumnLoad::Loading if shown.with(Vec::is_empty) => view! { <Loading /> }.into_any(),
                    ColumnLoad::Failed(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    _ if shown.with(Vec::is_empty) => {
                        view! { <p class="muted column-empty">"No tickets"</p> }.into_any()
                    }
                    _ => ().into_any(),
                }}
                <For each=move || shown.get() key=|c| (c.id.clone(), c.updated_at.clone(), c.status) let:card>
                    <Card card />
                </For>
                {move || match load.get() {
                    ColumnLoad::Loaded { total } if status.is_open() && total > shown.with(Vec::len) as i64 => {
                        Some(view! {
                            <A href=format!("/tickets?view=list&status={}", status.as_str()) attr:class="column-more">
                                {format!("All {} in the list →", format::count(total))}
                            </A>
                        })
                    }
                    _ => None,
                }}
            </div>
        </section>
    }
}

/// One ticket on the board: code, type, priority, customer, deadline,
/// assignee, overdue, and its moves.
#[component]
fn Card(card: TicketCard) -> impl IntoView {
    let target = Target::of(&card);
    let href = format!("/tickets/{}", card.id);
    let code = card.code.clone();
    view! {
        <article class="ticket-card" class:overdue=card.overdue data-id=card.id.clone() data-code=card.code.clone()>
            <div class="ticket-card-head">
                <A href=href attr:class="ticket-code mono">{code}</A>
                {card.overdue.then(|| view! { <span class="badge badge-danger overdue-badge">"Overdue"</span> })}
                <span class=format!("badge badge-{} priority", card.priority.tone())>{card.priority.label()}</span>
            </div>
            <div class="ticket-card-body">
                <span class="ticket-type">{card.kind.label()}</span>
                <span class="ticket-customer">{card.customer.name.clone()}</span>
                {card.carrier_deadline.as_deref().map(|at| view! {
                    <span class="ticket-deadline" class:danger-text=card.overdue>
                        {card.carrier.clone().map(|c| format!("{c} · ")).unwrap_or_default()}
                        "due " {format::datetime(at)}
                    </span>
                })}
                <span class="muted ticket-assignee">
                    {card.assignee.as_ref().map_or("Unassigned".to_owned(), |a| a.name.clone())}
                </span>
            </div>
            {(!card.allowed_transitions.is_empty()).then(|| view! {
                <div class="ticket-card-moves">
                    <MoveButtons target from=card.status allowed=card.allowed_transitions.clone() />
                </div>
            })}
        </article>
    }
}

/// The filtered list, newest first, loaded as it scrolls.
#[component]
pub fn List(
    filters: Filters,
    me: Option<String>,
    changed: RwSignal<Option<TicketCard>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let api = Api::current();
    let (paged, more) = Paged::<TicketCard>::new(reload.into(), {
        let (filters, me) = (filters.clone(), me.clone());
        move |after| api.tickets(filters.clone(), None, me.clone(), PAGE_SIZE, "CREATED_DESC", after)
    });
    let place = {
        let filters = Filters { view: View::List, ..filters };
        move |card: TicketCard| {
            let admitted = filters.admits(&card.facts(), me.as_deref());
            paged.items.update(|items| upsert(items, card, admitted, filters.search.is_empty()));
        }
    };
    Effect::new({
        let place = place.clone();
        move |_| {
            if let Some(card) = changed.get() {
                place(card);
            }
        }
    });
    live::use_subscription(super::api::EVENTS, serde_json::json!({}), move |event: TicketEvent| place(event.ticket));

    view! {
        {move || paged.state("No tickets", "No ticket matches these filters.").unwrap_or_else(|| view! {
            <div class="table-wrap">
                <table class="table tickets-table" id="tickets-table">
                    <thead>
                        <tr>
                            <th scope="col">"Code"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Priority"</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col">"Carrier deadline"</th>
                            <th scope="col">"Assignee"</th>
                            <th scope="col">"Move"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || paged.items.get() key=|c| (c.id.clone(), c.updated_at.clone(), c.status)
                            let:card>
                            <Row card />
                        </For>
                    </tbody>
                </table>
            </div>
            {move || paged.failure.get().map(|error| view! { <ErrorNotice error /> })}
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        }.into_any())}
    }
}

/// One ticket as a list row (a card on narrow screens).
#[component]
fn Row(card: TicketCard) -> impl IntoView {
    let target = Target::of(&card);
    let code = card.code.clone();
    let customer = card.customer.name.clone();
    view! {
        <tr class="ticket-row" class:overdue=card.overdue data-id=card.id.clone() data-code=card.code.clone()>
            <td data-label="Code">
                <A href=format!("/tickets/{}", card.id) attr:class="ticket-code mono">{code}</A>
                {card.overdue.then(|| view! { <span class="badge badge-danger overdue-badge">"Overdue"</span> })}
            </td>
            <td data-label="Status">
                <span class=format!("badge badge-{}", card.status.tone())>{card.status.label()}</span>
            </td>
            <td data-label="Type">{card.kind.label()}</td>
            <td data-label="Priority">
                <span class=format!("badge badge-{}", card.priority.tone())>{card.priority.label()}</span>
            </td>
            <td data-label="Customer">
                <A href=format!("/customers/{}", card.customer_id)>{customer}</A>
            </td>
            <td data-label="Deadline" class:danger-text=card.overdue>
                {card.carrier_deadline.as_deref().map_or("—".to_owned(), format::datetime)}
            </td>
            <td data-label="Assignee">{card.assignee.as_ref().map_or("—".to_owned(), |a| a.name.clone())}</td>
            <td data-label="Move">
                <div class="row-moves">
                    <MoveButtons target from=card.status allowed=card.allowed_transitions.clone() />
                </div>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::tickets::{
        api::Named,
        logic::{Kind, Priority},
    };

    fn card(id: &str, status: Status) -> TicketCard {
        TicketCard {
            id: id.into(),
            code: format!("TV-{id}"),
            kind: Kind::Boom,
            status,
            priority: Priority::Normal,
            order_reference: None,
            carrier: None,
            carrier_deadline: None,
            overdue: false,
            customer_id: "1".into(),
            customer: Named { id: "1".into(), name: "An".into() },
            assignee_id: None,
            assignee: None,
            allowed_transitions: vec![],
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn live_cards_are_placed() {
        let mut cards = vec![card("1", Status::New), card("2", Status::New)];
        upsert(&mut cards, card("2", Status::InProgress), true, true);
        assert_eq!(cards[1].status, Status::InProgress, "replaced in place");
        upsert(&mut cards, card("3", Status::New), true, true);
        assert_eq!(cards[0].id, "3", "new ones come first");
        upsert(&mut cards, card("4", Status::New), false, true);
        upsert(&mut cards, card("5", Status::New), true, false);
        assert_eq!(cards.len(), 3, "not admitted (or under a search), not added");
        upsert(&mut cards, card("1", Status::Cancelled), false, true);
        assert!(cards.iter().all(|c| c.id != "1"), "no longer admitted, removed");
    }
}
