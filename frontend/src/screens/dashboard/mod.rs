//! `/dashboard`: the home screen. KPI cards (customers, wallet money,
//! tickets, bank transfers waiting) that link to their screens, and a chart
//! of the incoming bank transfers of the last 14 days, next to a link to
//! `/analytics` for managers, and the birthdays and anniversaries of the
//! coming week. Live: every
//! `dashboardUpdated` event reloads the figures, at most once a second.

mod api;
mod chart;
mod upcoming;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use api::{DashboardEvent, Kpis};
use chart::TransferChart;

use crate::{
    api::{Api, ApiError, Role, live},
    components::{chart::ChartSkeleton, states::ErrorNotice, throttle::Throttle},
    format,
    session::Session,
};

/// The figures, loaded now and again on live events; replies to earlier
/// requests never overwrite later ones.
#[derive(Clone, Copy)]
struct Figures {
    kpis: RwSignal<Option<Kpis>>,
    failure: RwSignal<Option<ApiError>>,
    loading: RwSignal<bool>,
    sent: StoredValue<u64>,
}

impl Figures {
    fn new() -> Self {
        Figures {
            kpis: RwSignal::new(None),
            failure: RwSignal::new(None),
            loading: RwSignal::new(false),
            sent: StoredValue::new(0),
        }
    }

    fn load(self, api: Api) {
        self.sent.update_value(|n| *n += 1);
        let mine = self.sent.get_value();
        self.loading.set(true);
        spawn_local(async move {
            let result = api.dashboard_kpis().await;
            if self.sent.try_get_value() != Some(mine) {
                return;
            }
            let _ = self.loading.try_set(false);
            match result {
                Ok(kpis) => {
                    let _ = self.kpis.try_set(Some(kpis));
                    let _ = self.failure.try_set(None);
                }
                Err(error) => {
                    let _ = self.failure.try_set(Some(error));
                }
            }
        });
    }
}

/// KPI cards and the transfers chart, kept up to date live.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let api = Api::current();
    let figures = Figures::new();
    figures.load(api);
    let chart_version = RwSignal::new(0u32);
    let throttle = StoredValue::new(Throttle::default());
    let chart_stale = StoredValue::new(false);
    live::use_subscription::<DashboardEvent, _>(api::UPDATED, serde_json::json!({}), move |event| {
        if event.cause.starts_with("bank_transfer.") {
            chart_stale.set_value(true);
        }
        Throttle::schedule(throttle, move || {
            figures.load(api);
            if chart_stale.get_value() {
                chart_stale.set_value(false);
                chart_version.update(|v| *v += 1);
            }
        });
    });
    let retry = Callback::new(move |()| figures.load(api));

    view! {
        <div class="page-header">
            <div>
                <h1>"Dashboard"</h1>
                <p class="muted dashboard-updated">
                    {move || {
                        figures
                            .kpis
                            .with(|k| k.as_ref().map(|k| format!("Figures as of {}", format::datetime(&k.at))))
                            .unwrap_or_else(|| "Loading the figures…".to_owned())
                    }}
                </p>
            </div>
        </div>
        {move || {
            figures
                .failure
                .get()
                .map(|error| {
                    view! {
                        <div class="dashboard-error">
                            <ErrorNotice error retry />
                        </div>
                    }
                })
        }}
        <Cards figures />
        <upcoming::UpcomingCard />
        <ChartCard figures version=chart_version />
    }
}

fn figure<T: Send + Sync + 'static>(
    figures: Figures,
    read: impl Fn(&Kpis) -> T + Send + Sync + 'static,
) -> Signal<Option<T>> {
    Signal::derive(move || figures.kpis.with(|k| k.as_ref().map(&read)))
}

/// The six KPI cards.
#[component]
fn Cards(figures: Figures) -> impl IntoView {
    let overdue = figure(figures, |k| k.overdue_tickets);
    view! {
        <section class="kpi-grid" aria-label="Key figures">
            <KpiCard
                id="kpi-customers"
                label="Customers"
                href="/customers"
                value=figure(figures, |k| format::count(k.customers))
                note=figure(figures, |k| format!("+{} new today", format::count(k.new_customers_today)))
            />
            <KpiCard
                id="kpi-wallet-real"
                label="Money in wallets"
                href="/customers"
                value=figure(figures, |k| k.wallet_real.display())
                note=figure(figures, |_| "Real balances".to_owned())
            />
            <KpiCard
                id="kpi-wallet-virtual"
                label="Virtual credit"
                href="/customers"
                value=figure(figures, |k| k.wallet_virtual.display())
                note=figure(figures, |k| format!("{} loyalty points", format::count(k.points)))
            />
            <KpiCard
                id="kpi-open-tickets"
                label="Open tickets"
                href="/tickets"
                value=figure(figures, |k| format::count(k.open_tickets))
                note=figure(figures, |_| "New, in progress, waiting for the carrier".to_owned())
            />
            <KpiCard
                id="kpi-overdue-tickets"
                label="Overdue tickets"
                href="/tickets?overdue=1"
                value=figure(figures, |k| format::count(k.overdue_tickets))
                note=figure(figures, |k| {
                    if k.overdue_tickets > 0 { "Past the carrier deadline" } else { "Nothing overdue" }.to_owned()
                })
                danger=Signal::derive(move || overdue.get().is_some_and(|n| n > 0))
            />
            <KpiCard
                id="kpi-pending-transfers"
                label="Transfers to link"
                href="/transfers"
                value=figure(figures, |k| format::count(k.pending_transfers))
                note=figure(figures, |k| format!("{} unlinked", format::count(k.unlinked_transfers)))
            />
        </section>
    }
}

/// One figure as a card linking to the screen behind it; a grey bar while
/// the figures load.
#[component]
fn KpiCard(
    id: &'static str,
    label: &'static str,
    href: &'static str,
    value: Signal<Option<String>>,
    note: Signal<Option<String>>,
    #[prop(optional, into)] danger: Signal<bool>,
) -> impl IntoView {
    view! {
        <A href=href attr:class="kpi-link">
            <div class="card kpi-card" id=id class:kpi-danger=move || danger.get()>
                <span class="kpi-label">{label}</span>
                {move || match value.get() {
                    Some(value) => view! { <span class="kpi-value">{value}</span> }.into_any(),
                    None => view! { <span class="kpi-skeleton" aria-hidden="true"></span> }.into_any(),
                }}
                <span class="kpi-note muted">{move || note.get().unwrap_or_default()}</span>
            </div>
        </A>
    }
}

/// The chart of the last [`chart::DAYS`] days, reloaded when a transfer
/// event arrives (`version`).
#[component]
fn ChartCard(figures: Figures, version: RwSignal<u32>) -> impl IntoView {
    let api = Api::current();
    let today = Memo::new(move |_| figures.kpis.with(|k| k.as_ref().map(|k| k.today.clone())));
    let stats = LocalResource::new(move || {
        let range = today.get().and_then(|today| chart::range_ending(&today, chart::DAYS));
        version.track();
        async move {
            match range {
                Some((from, to)) => Some(api.dashboard_transfer_stats(from, to).await),
                None => None,
            }
        }
    });
    let retry = Callback::new(move |()| stats.refetch());
    let session = Session::current();
    let can_analyse = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Manager)));
    view! {
        <section class="card dashboard-chart-card">
            <div class="card-body">
                <h2 class="card-title">
                    <span>{format!("Incoming bank transfers, last {} days", chart::DAYS)}</span>
                    <span class="row">
                        <Show when=move || can_analyse.get()>
                            <A href="/analytics" attr:class="btn btn-ghost btn-small" attr:id="open-analytics">
                                "Analytics"
                            </A>
                        </Show>
                        <A href="/transfers" attr:class="btn btn-ghost btn-small">"Open transfers"</A>
                    </span>
                </h2>
                <Transition fallback=ChartSkeleton>
                    {move || Suspend::new(async move {
                        match stats.await {
                            Some(Ok(days)) => view! { <TransferChart days /> }.into_any(),
                            Some(Err(error)) => view! { <ErrorNotice error retry /> }.into_any(),
                            None => view! { <ChartSkeleton /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}
