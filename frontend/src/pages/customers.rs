//! `/customers`: the searchable customer list.

use std::{collections::HashSet, sync::Arc, time::Duration};

use leptos::{either::Either, leptos_dom::helpers::debounce, prelude::*, task::spawn_local};

use crate::{
    api::{Api, ApiError, Customer, CustomerPage},
    components::{
        badge::{StatusBadge, TierBadge},
        banner::{Banner, Tone},
    },
    format,
};

/// How long the search box waits for the typing to pause.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// Search box and customer table; the first page follows the search, further
/// pages come with "Load more".
#[component]
pub fn CustomersPage() -> impl IntoView {
    let api = Api::current();
    // What the search box shows, and the (trimmed, debounced) search the
    // list answers.
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let mut apply_search = debounce(SEARCH_DELAY, move |value: String| {
        if search.get_untracked() != value {
            search.set(value);
        }
    });
    let first_page = LocalResource::new(move || {
        let search = search.get();
        async move {
            let page = api.customers(search.clone(), None).await;
            (search, page)
        }
    });
    let (refreshing, set_refreshing) = signal(false);

    view! {
        <div class="page-header">
            <div>
                <h1>"Customers"</h1>
                <p class="muted">"Member accounts, their tier, status and wallet."</p>
            </div>
        </div>

        <div class="toolbar">
            <label class="search">
                <span class="visually-hidden">"Search customers"</span>
                <svg class="search-icon" viewBox="0 0 20 20" aria-hidden="true">
                    <path d="M8.5 3a5.5 5.5 0 0 1 4.38 8.82l3.65 3.65a.75.75 0 1 1-1.06 1.06l-3.65-3.65A5.5 5.5 0 1 1 8.5 3Zm0 1.5a4 4 0 1 0 0 8 4 4 0 0 0 0-8Z" />
                </svg>
                <input
                    type="search"
                    placeholder="Search customers"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        apply_search(value.trim().to_owned());
                        typed.set(value);
                    }
                />
                <Show when=move || refreshing.get()>
                    <span class="spinner spinner-muted" aria-label="Searching"></span>
                </Show>
            </label>
        </div>

        <section class="card list-card" class:is-refreshing=move || refreshing.get()>
            <div class="progress" aria-hidden="true"></div>
            <Transition fallback=ListSkeleton set_pending=set_refreshing>
                <ErrorBoundary fallback=move |errors| {
                    view! {
                        <div class="list-error">
                            <Banner tone=Tone::Error>
                                <span>
                                    {move || {
                                        errors
                                            .with(|errors| {
                                                errors.iter().next().map(|(_, error)| error.to_string())
                                            })
                                    }}
                                </span>
                                <button class="btn btn-small" type="button" on:click=move |_| first_page.refetch()>
                                    "Try again"
                                </button>
                            </Banner>
                        </div>
                    }
                }>
                    {move || Suspend::new(async move {
                        let (search, page) = first_page.await;
                        page.map(|first| view! { <Results search first /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The rows for one search: its first page plus any pages loaded since.
/// A new search builds a new `Results`, which starts over from its first page.
#[component]
fn Results(search: String, first: CustomerPage) -> impl IntoView {
    if first.customers.is_empty() {
        return Either::Left(view! { <EmptyList search /> });
    }

    let api = Api::current();
    let first = Arc::new(first);
    let more = RwSignal::new(Vec::<CustomerPage>::new());
    let loading = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);

    let rows = Memo::new({
        let first = Arc::clone(&first);
        move |_| {
            // Rows can shift between pages while someone edits customers;
            // show each customer once.
            let mut seen = HashSet::new();
            more.with(|more| {
                std::iter::once(&*first)
                    .chain(more)
                    .flat_map(|page| &page.customers)
                    .filter(|customer| seen.insert(customer.id.clone()))
                    .cloned()
                    .collect::<Vec<Customer>>()
            })
        }
    });
    // Paging state comes from the most recent page.
    let latest = Memo::new(move |_| {
        more.with(|more| {
            let page = more.last().unwrap_or(&*first);
            (page.total_count, page.has_next_page, page.end_cursor.clone())
        })
    });
    let total = move || latest.with(|(total, _, _)| *total);
    let has_more = move || latest.with(|(_, has_next, cursor)| *has_next && cursor.is_some());

    let load_more = move |_| {
        let Some(after) = latest.with_untracked(|(_, _, cursor)| cursor.clone()) else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        failure.set(None);
        let search = search.clone();
        spawn_local(async move {
            match api.customers(search, Some(after)).await {
                Ok(page) => more.update(|more| more.push(page)),
                Err(error) => failure.set(Some(error)),
            }
            loading.set(false);
        });
    };

    Either::Right(view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Member code"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Phone"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Tier"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Balance"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|customer| customer.id.clone() let:customer>
                        <CustomerRow customer />
                    </For>
                </tbody>
            </table>
        </div>
        {move || failure.get().map(|error| view! {
            <div class="list-error"><Banner tone=Tone::Error>{error.to_string()}</Banner></div>
        })}
        <footer class="list-foot">
            <span class="muted" aria-live="polite">
                "Showing " {move || format::count(rows.with(Vec::len) as i64)} " of "
                {move || format::count(total())} " customers"
            </span>
            <Show when=has_more>
                <button class="btn" type="button" on:click=load_more.clone() disabled=move || loading.get()>
                    {move || if loading.get() { "Loading…" } else { "Load more" }}
                </button>
            </Show>
        </footer>
    })
}

/// One customer as a table row (a card on narrow screens).
#[component]
fn CustomerRow(customer: Customer) -> impl IntoView {
    let Customer { member_code, name, phone, email, tier, status, wallet, .. } = customer;
    view! {
        <tr>
            <td class="cell-code mono" data-label="Member code">{member_code}</td>
            <td class="cell-name" data-label="Name">{name}</td>
            <td class="mono" data-label="Phone">{phone}</td>
            <td class="cell-email" data-label="Email">
                {match email {
                    Some(email) => Either::Left(view! { <span>{email}</span> }),
                    None => Either::Right(view! { <span class="muted">"—"</span> }),
                }}
            </td>
            <td data-label="Tier"><TierBadge tier /></td>
            <td data-label="Status"><StatusBadge status /></td>
            <td class="num" data-label="Balance">{format::vnd(wallet.real_balance.as_str())}</td>
        </tr>
    }
}

/// Nothing to show: either no customers at all, or none matching.
#[component]
fn EmptyList(search: String) -> impl IntoView {
    let (title, hint) = if search.is_empty() {
        ("No customers yet", "Customers appear here once they are registered.".to_owned())
    } else {
        (
            "No customers match",
            format!("Nothing matches “{search}”. Check the spelling, or try a phone number or member code."),
        )
    };
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint}</p>
        </div>
    }
}

/// Grey placeholder rows while the first page loads.
#[component]
fn ListSkeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-label="Loading customers">
            {(0..8).map(|_| view! { <div class="skeleton-row"><span></span><span></span><span></span><span></span></div> }).collect_view()}
        </div>
    }
}
