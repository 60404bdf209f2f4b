//! `/transfers`: incoming bank transfers by status (pending, unlinked,
//! linked, all), linking one to a customer (by phone or by search), taking
//! a linked one back, and the daily totals of the last week. The list
//! refreshes after each change made here and when the window gets the
//! focus back (no subscription carries bank transfers).

use leptos::{ev, prelude::*};
use leptos_router::components::A;

mod api;
mod dialogs;

use api::{DayStats, Transfer, TransferStatus};

use crate::{
    api::{Api, Role},
    components::{paged::Paged, scroll::LoadMore, states::ErrorNotice},
    format,
    session::Session,
};

/// The tabs: label and the statuses they show (all when empty).
const TABS: [(&str, &[TransferStatus]); 4] = [
    ("Pending", &[TransferStatus::Pending]),
    ("Unlinked", &[TransferStatus::Unlinked]),
    ("Linked", &[TransferStatus::Linked]),
    ("All", &[]),
];

/// Days shown in the stats.
const STATS_DAYS: i64 = 7;

/// `YYYY-MM-DD` of the business day (UTC+7) `days_back` days before the
/// instant `now_ms` (milliseconds since the epoch).
pub fn business_day(now_ms: f64, days_back: i64) -> String {
    let ms = now_ms + 7.0 * 3_600_000.0 - days_back as f64 * 86_400_000.0;
    let days = (ms / 86_400_000.0).floor() as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { era * 400 + yoe + 1 } else { era * 400 + yoe }, m, d)
}

/// The transfer list with its tabs, dialogs and stats.
#[component]
pub fn TransfersPage() -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let can_act = Memo::new(move |_| session.user().is_some_and(|user| user.role.at_least(Role::Agent)));
    let tab = RwSignal::new(0usize);
    let version = RwSignal::new(0u32);
    let bump = move || version.update(|v| *v += 1);
    let handle = window_event_listener(ev::focus, move |_| bump());
    on_cleanup(move || handle.remove());
    Effect::new(move |_| {
        tab.track();
        bump();
    });
    let (paged, more) = Paged::<Transfer>::new(version.into(), move |after| {
        let statuses = TABS[tab.get_untracked()].1.to_vec();
        api.transfers(statuses, after)
    });
    let linking = RwSignal::new(None::<Transfer>);
    let unlinking = RwSignal::new(None::<Transfer>);
    let changed = Callback::new(move |()| bump());

    view! {
        <div class="page-header">
            <div>
                <h1>"Bank transfers"</h1>
                <p class="muted">"Incoming transfers from the bank, and the customers they belong to."</p>
            </div>
        </div>
        <Stats version />
        <nav class="tabs transfer-tabs" role="tablist">
            {TABS.iter().enumerate().map(|(i, (label, _))| view! {
                <button type="button" role="tab" class="tab" id=format!("transfers-tab-{}", label.to_lowercase())
                    class:active=move || tab.get() == i aria-selected=move || (tab.get() == i).to_string()
                    on:click=move |_| tab.set(i)>{*label}</button>
            }).collect_view()}
        </nav>
        <section class="card list-card">
            {move || paged.state("No transfers here", "Transfers appear here as the bank reports them.")
                .unwrap_or_else(|| view! {
                    <div class="table-wrap">
                        <table class="table transfers-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Date"</th>
                                    <th scope="col" class="num">"Amount"</th>
                                    <th scope="col">"Content"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Customer"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=move || paged.items.get() key=|t| (t.id.clone(), t.status) let:transfer>
                                    <TransferRow transfer can_act linking unlinking />
                                </For>
                            </tbody>
                        </table>
                    </div>
                }.into_any())}
            {move || paged.failure.get().filter(|_| !paged.items.with(Vec::is_empty))
                .map(|error| view! { <ErrorNotice error /> })}
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        </section>
        <dialogs::LinkDialog transfer=linking changed />
        <dialogs::UnlinkDialog transfer=unlinking changed />
    }
}

/// One transfer as a table row.
#[component]
fn TransferRow(
    transfer: Transfer,
    can_act: Memo<bool>,
    linking: RwSignal<Option<Transfer>>,
    unlinking: RwSignal<Option<Transfer>>,
) -> impl IntoView {
    let status = transfer.status;
    let row = transfer.clone();
    let reference = [transfer.gateway.clone(), transfer.reference_code.clone()].into_iter().flatten();
    let reference = reference.collect::<Vec<_>>().join(" · ");
    view! {
        <tr class="transfer-row" data-id=transfer.id.clone()>
            <td data-label="Date">{format::datetime(&transfer.transferred_at)}</td>
            <td class="num" data-label="Amount">{transfer.amount.display()}</td>
            <td data-label="Content">
                <div class="transfer-content">{transfer.content.clone()}</div>
                <div class="muted mono small">{reference}</div>
            </td>
            <td data-label="Status">
                <span class=format!("badge badge-dot badge-{} transfer-status", status.tone())>{status.label()}</span>
            </td>
            <td data-label="Customer">
                {match transfer.customer.clone() {
                    Some(c) => view! { <A href=format!("/customers/{}", c.id) attr:class="customer-link">{c.name}</A> }
                        .into_any(),
                    None if !transfer.candidates.is_empty() => view! {
                        <span class="muted">{format!("Maybe {}", transfer.candidates.join(", "))}</span>
                    }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                <Show when=move || can_act.get()>
                    {let row = row.clone();
                    if status.linkable() {
                        view! { <button class="btn btn-small btn-primary transfer-link" type="button"
                            on:click=move |_| linking.set(Some(row.clone()))>"Link"</button> }.into_any()
                    } else if status == TransferStatus::Linked {
                        view! { <button class="btn btn-small btn-ghost transfer-unlink" type="button"
                            on:click=move |_| unlinking.set(Some(row.clone()))>"Unlink"</button> }.into_any()
                    } else {
                        ().into_any()
                    }}
                </Show>
            </td>
        </tr>
    }
}

/// Linked / pending / unlinked per day for the last week.
#[component]
fn Stats(version: RwSignal<u32>) -> impl IntoView {
    let api = Api::current();
    let stats = LocalResource::new(move || {
        version.track();
        let now = js_sys::Date::now();
        api.transfer_stats(business_day(now, STATS_DAYS - 1), business_day(now, 0))
    });
    view! {
        <section class="card transfer-stats">
            <div class="card-body">
                <h2 class="card-title">"Last 7 days"</h2>
                <Transition fallback=|| view! { <crate::components::states::Loading /> }>
                    {move || Suspend::new(async move {
                        match stats.await {
                            Ok(days) => view! { <StatsTable days /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}

/// The stats as a table, newest day first.
#[component]
fn StatsTable(days: Vec<DayStats>) -> impl IntoView {
    let cell = |count: i64, amount: &crate::api::Money| format!("{} · {}", format::count(count), amount.display());
    view! {
        <div class="table-wrap">
            <table class="table stats-table">
                <thead>
                    <tr>
                        <th scope="col">"Day"</th>
                        <th scope="col" class="num">"Linked"</th>
                        <th scope="col" class="num">"Pending"</th>
                        <th scope="col" class="num">"Unlinked"</th>
                    </tr>
                </thead>
                <tbody>
                    {days.iter().rev().map(|day| view! {
                        <tr>
                            <td data-label="Day">{day.date.clone()}</td>
                            <td class="num" data-label="Linked">{cell(day.linked_count, &day.linked_amount)}</td>
                            <td class="num" data-label="Pending">{cell(day.pending_count, &day.pending_amount)}</td>
                            <td class="num" data-label="Unlinked">{cell(day.unlinked_count, &day.unlinked_amount)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_days_are_in_vietnam_time() {
        // 2026-11-21T18:00:00Z is 2026-11-22 01:00 in Hồ Chí Minh City.
        let now = 1_795_284_000_000.0;
        assert_eq!(business_day(now, 0), "2026-11-22");
        assert_eq!(business_day(now, 6), "2026-11-16");
        assert_eq!(business_day(0.0, 0), "1970-01-01");
    }
}
