//! `/customers`: the searchable, filterable customer list (filters kept in
//! the URL query, pages loaded as the list scrolls) and the "New customer"
//! dialog.

use std::{collections::HashSet, sync::Arc, time::Duration};

use leptos::{either::Either, leptos_dom::helpers::debounce, prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};
use serde_json::Value;

mod api;
mod create;
mod duplicates;
mod import;

use api::{Customer, Filters, Owner, enum_key};
pub use duplicates::DuplicatesPage;

use crate::{
    api::{Api, ApiError, CustomerStatus, CustomerTier, Page, Role},
    components::{
        badge::{StatusBadge, TierBadge},
        banner::{Banner, Tone},
        export::ExportButton,
        scroll::LoadMore,
    },
    format,
    session::Session,
};

/// How long the search box waits for the typing to pause.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// Search box, filters and customer table; the first page follows the
/// filters in the URL, further pages come as the list scrolls.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|key| q.get(key))));
    let navigate = use_navigate();
    let set_filters = Callback::new(move |next: Filters| {
        let query = next.to_query();
        let path = if query.is_empty() { "/customers".to_owned() } else { format!("/customers?{query}") };
        navigate(&path, crate::app::replace());
    });
    // What the search box shows; the list answers the debounced search in the URL.
    let typed = RwSignal::new(filters.get_untracked().search);
    let mut apply_search = debounce(SEARCH_DELAY, move |value: String| {
        let current = filters.get_untracked();
        if current.search != value {
            set_filters.run(Filters { search: value, ..current });
        }
    });
    let me = Memo::new(move |_| session.user().map(|user| user.id));
    let can_create = Memo::new(move |_| session.user().is_some_and(|user| user.role.at_least(Role::Agent)));
    let can_import = Memo::new(move |_| session.user().is_some_and(|user| user.role.at_least(Role::Manager)));
    let first_page = LocalResource::new(move || {
        let filters = filters.get();
        let me = me.get();
        async move {
            let page = api.customers(filters.clone(), me.clone(), None).await;
            (filters, me, page)
        }
    });
    let (refreshing, set_refreshing) = signal(false);
    let creating = RwSignal::new(false);
    let importing = RwSignal::new(false);

    view! {
        <div class="page-header">
            <div>
                <h1>"Customers"</h1>
                <p class="muted">"Member accounts, their tier, status and wallet."</p>
            </div>
            <div class="page-actions">
                <ExportButton
                    id="export-customers"
                    url=move |()| export_url(&filters.get_untracked(), me.get_untracked().as_deref())
                    filename=|()| "customers.csv".to_owned()
                />
                <Show when=move || can_import.get()>
                    <A href="/customers/duplicates" attr:id="duplicates-link" attr:class="btn btn-ghost">"Duplicates"</A>
                </Show>
                <Show when=move || can_import.get()>
                    <button id="import-csv" class="btn btn-ghost" type="button" on:click=move |_| importing.set(true)>
                        "Import CSV"
                    </button>
                </Show>
                <Show when=move || can_create.get()>
                    <button id="new-customer" class="btn btn-primary" type="button" on:click=move |_| creating.set(true)>
                        "New customer"
                    </button>
                </Show>
            </div>
        </div>

        <div class="toolbar customers-toolbar">
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
            <FilterBar filters set_filters />
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
                        let (filters, me, page) = first_page.await;
                        page.map(|first| view! { <Results filters me first /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
        <create::NewCustomerDialog open=creating />
        <import::ImportDialog open=importing on_done=Callback::new(move |()| first_page.refetch()) />
    }
}

/// `/exports/customers.csv` for the list these filters show (`me` is the
/// signed-in user's id, for "Mine").
fn export_url(filters: &Filters, me: Option<&str>) -> String {
    let mut query = url_encoded(&[("search", filters.search.as_str())]);
    if let Value::Object(filter) = filters.input(me) {
        for (key, value) in filter {
            let value = match value {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                Value::String(text) => text,
                other => other.to_string(),
            };
            query.push('&');
            query.push_str(&url_encoded(&[(key.as_str(), value.as_str())]));
        }
    }
    format!("/exports/customers.csv?{query}")
}

/// `key=value` pairs, percent-encoded.
fn url_encoded(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| String::from(js_sys::encode_uri_component(text));
    pairs.iter().map(|(key, value)| format!("{}={}", encode(key), encode(value))).collect::<Vec<_>>().join("&")
}

/// The tier, status, tag and agent filters.
#[component]
fn FilterBar(filters: Memo<Filters>, set_filters: Callback<Filters>) -> impl IntoView {
    let change = move |edit: Box<dyn FnOnce(&mut Filters)>| {
        let mut next = filters.get_untracked();
        edit(&mut next);
        set_filters.run(next);
    };
    view! {
        <select
            id="filter-tier"
            class="select"
            aria-label="Tier"
            prop:value=move || filters.with(|f| f.tier.map(enum_key).unwrap_or_default())
            on:change=move |ev| {
                let key = event_target_value(&ev);
                change(Box::new(move |f| f.tier = CustomerTier::ALL.into_iter().find(|t| enum_key(*t) == key)));
            }
        >
            <option value="">"All tiers"</option>
            {CustomerTier::ALL.into_iter().map(|tier| view! { <option value=enum_key(tier)>{tier.label()}</option> }).collect_view()}
        </select>
        <select
            id="filter-status"
            class="select"
            aria-label="Status"
            prop:value=move || filters.with(|f| f.status.map(enum_key).unwrap_or_default())
            on:change=move |ev| {
                let key = event_target_value(&ev);
                change(Box::new(move |f| {
                    f.status = CustomerStatus::ALL.into_iter().find(|s| enum_key(*s) == key);
                }));
            }
        >
            <option value="">"All statuses"</option>
            {CustomerStatus::ALL.into_iter().map(|status| view! { <option value=enum_key(status)>{status.label()}</option> }).collect_view()}
        </select>
        <input
            id="filter-tag"
            class="input"
            type="text"
            placeholder="Tag"
            aria-label="Tag"
            prop:value=move || filters.with(|f| f.tag.clone())
            on:change=move |ev| {
                let tag = event_target_value(&ev).trim().to_owned();
                change(Box::new(move |f| f.tag = tag));
            }
        />
        <select
            id="filter-agent"
            class="select"
            aria-label="Assigned agent"
            prop:value=move || filters.with(|f| f.owner.key())
            on:change=move |ev| {
                let key = event_target_value(&ev);
                change(Box::new(move |f| f.owner = Owner::from_key(&key)));
            }
        >
            {Owner::ALL.into_iter().map(|owner| view! { <option value=owner.key()>{owner.label()}</option> }).collect_view()}
        </select>
        <Show when=move || filters.with(Filters::is_narrowed)>
            <button class="btn btn-ghost btn-small" type="button" on:click=move |_| set_filters.run(Filters::default())>
                "Clear"
            </button>
        </Show>
    }
}

/// The rows for one set of filters: its first page plus any pages loaded
/// since. New filters build a new `Results`, which starts over.
#[component]
fn Results(filters: Filters, me: Option<String>, first: Page<Customer>) -> impl IntoView {
    if first.items.is_empty() {
        return Either::Left(view! { <EmptyList filters /> });
    }

    let api = Api::current();
    let first = Arc::new(first);
    let more = RwSignal::new(Vec::<Page<Customer>>::new());
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
                    .flat_map(|page| &page.items)
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
            (page.total_count.unwrap_or_default(), page.has_next_page, page.end_cursor.clone())
        })
    });
    let total = move || latest.with(|(total, _, _)| *total);
    let has_more = Signal::derive(move || latest.with(|(_, has_next, cursor)| *has_next && cursor.is_some()));

    let load_more = Callback::new(move |()| {
        let Some(after) = latest.with_untracked(|(_, _, cursor)| cursor.clone()) else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        failure.set(None);
        let (filters, me) = (filters.clone(), me.clone());
        spawn_local(async move {
            match api.customers(filters, me, Some(after)).await {
                Ok(page) => {
                    let _ = more.try_update(|more| more.push(page));
                }
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
            let _ = loading.try_set(false);
        });
    });

    Either::Right(view! {
        <div class="table-wrap">
            <table class="table customers-table">
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
            <span class="muted list-count" aria-live="polite">
                "Showing " {move || format::count(rows.with(Vec::len) as i64)} " of "
                {move || format::count(total())} " customers"
            </span>
            <LoadMore has_more loading=loading on_more=load_more />
        </footer>
    })
}

/// One customer as a table row (a card on narrow screens); the whole row
/// opens the customer's page.
#[component]
fn CustomerRow(customer: Customer) -> impl IntoView {
    let Customer { id, member_code, name, phone, email, tier, status, wallet } = customer;
    let navigate = use_navigate();
    let href = format!("/customers/{id}");
    let open = {
        let href = href.clone();
        move |ev: leptos::ev::MouseEvent| {
            // A click on the name's link is the link's.
            if ev.default_prevented() {
                return;
            }
            navigate(&href, Default::default());
        }
    };
    view! {
        <tr class="customer-row" on:click=open>
            <td class="cell-code mono" data-label="Member code">{member_code}</td>
            <td class="cell-name" data-label="Name">
                <A href=href attr:class="customer-link">{name}</A>
            </td>
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
fn EmptyList(filters: Filters) -> impl IntoView {
    let (title, hint) = if !filters.is_narrowed() {
        ("No customers yet", "Customers appear here once they are registered.".to_owned())
    } else if filters.search.is_empty() {
        ("No customers match", "No customer matches these filters. Clear some of them.".to_owned())
    } else {
        let search = &filters.search;
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
