//! `/analytics`: the figures of a period (MANAGER and ADMIN; anyone else
//! is told so, and the server refuses them too). A period picker (presets,
//! or two dates checked before asking the server) and a time-zone picker,
//! both kept in the URL (`?from=…&to=…&tz=…`) so that a view can be shared;
//! a KPI row; charts of revenue and orders, the wallets' money, segments,
//! tiers, the lifecycle funnel and tickets; the agents' table. Live: every
//! `dashboardUpdated` event reloads the figures, at most once a second.
//!
//! Without a period in the URL it shows the last [`period::DEFAULT_DAYS`]
//! days ending today in the chosen time zone (the business one, as the
//! server says, when none is chosen).

mod api;
mod charts;
mod period;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use api::PeriodDashboard;
use charts::{AgentsCard, Bars, RevenueChart, Row, WalletChart};
use period::{DEFAULT_DAYS, PRESETS, Selection};

use crate::{
    api::{Api, CustomerTier, Role, live},
    components::{
        chart::{ChartSkeleton, long_date},
        states::ErrorNotice,
        throttle::Throttle,
    },
    format,
    session::Session,
};

/// The `dashboardUpdated` subscription (the home dashboard's operation).
const UPDATED: &str = include_str!("../dashboard/updated.graphql");

/// Lifecycle stages in funnel order (the backend's `LifecycleStage`).
const LIFECYCLE: [&str; 5] = ["PROSPECT", "NEW", "ACTIVE", "AT_RISK", "CHURNED"];
/// Ticket statuses in the order a ticket moves through them.
const TICKET_STATUSES: [&str; 5] = ["NEW", "IN_PROGRESS", "WAITING_CARRIER", "COMPLETED", "CANCELLED"];

/// The analytics screen, for managers and admins.
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let session = Session::current();
    let allowed = Memo::new(move |_| session.user().is_some_and(|user| user.role.at_least(Role::Manager)));
    view! {
        <div class="page-header">
            <div>
                <h1>"Analytics"</h1>
                <p class="muted" id="analytics-period">
                    "Sales, wallets, customers and tickets over a period."
                </p>
            </div>
        </div>
        <Show when=move || allowed.get() fallback=|| view! { <NotAllowed /> }>
            <Analytics />
        </Show>
    }
}

/// What a signed-in user below MANAGER sees instead.
#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <section class="card">
            <div class="empty analytics-forbidden">
                <p class="empty-title">"Only managers and admins can open this page"</p>
                <p class="muted">"Ask a manager if you need these figures."</p>
                <p><A href="/dashboard">"Back to the dashboard"</A></p>
            </div>
        </section>
    }
}

/// The picker, the figures and their live updates.
#[component]
fn Analytics() -> impl IntoView {
    let api = Api::current();
    let query = use_query_map();
    let selection =
        Memo::new(move |_| query.with(|q| Selection::from_query(q.get_str("from"), q.get_str("to"), q.get_str("tz"))));
    // The business time zone, as the server last named it.
    let business_tz = RwSignal::new(None::<String>);
    // The period the figures are for (also when the URL names none).
    let shown = RwSignal::new(None::<(String, String)>);
    let from_input = RwSignal::new(String::new());
    let to_input = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);

    let figures = LocalResource::new(move || {
        let selection = selection.get();
        version.track();
        async move {
            let (from, to) = match selection.period {
                Err(_) => return None,
                Ok(Some(period)) => period,
                Ok(None) => {
                    let zone = selection.tz.clone().or_else(|| business_tz.get_untracked());
                    let today = match zone.as_deref().and_then(period::today_in) {
                        Some(today) => today,
                        None => match api.business_today().await {
                            Ok(today) => today,
                            Err(error) => return Some(Err(error)),
                        },
                    };
                    period::preset(DEFAULT_DAYS, &today)?
                }
            };
            // The inputs follow the period shown, not every live reload
            // (which would undo what someone is typing).
            let period = Some((from.clone(), to.clone()));
            if shown.try_get_untracked().flatten() != period {
                let _ = shown.try_set(period);
                let _ = from_input.try_set(from.clone());
                let _ = to_input.try_set(to.clone());
            }
            let result = api.period_dashboard(from, to, selection.tz.clone()).await;
            if let (Ok(d), None) = (&result, &selection.tz)
                && business_tz.try_get_untracked().flatten().as_ref() != Some(&d.time_zone)
            {
                let _ = business_tz.try_set(Some(d.time_zone.clone()));
            }
            Some(result)
        }
    });

    let throttle = StoredValue::new(Throttle::default());
    live::use_subscription::<serde_json::Value, _>(UPDATED, serde_json::json!({}), move |_| {
        Throttle::schedule(throttle, move || version.update(|v| *v += 1));
    });

    let retry = Callback::new(move |()| figures.refetch());
    let pending = RwSignal::new(false);
    view! {
        <Picker selection business_tz shown from_input to_input />
        <div class="analytics-body" class:is-refreshing=move || pending.get() aria-busy=move || pending.get().to_string()>
            <Transition fallback=Skeleton set_pending=pending>
                {move || Suspend::new(async move {
                    match figures.await {
                        Some(Ok(d)) => view! { <Figures d /> }.into_any(),
                        Some(Err(error)) => view! { <ErrorNotice error retry /> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// Presets, two dates, the time zone, and what is wrong with the dates.
#[component]
fn Picker(
    selection: Memo<Selection>,
    business_tz: RwSignal<Option<String>>,
    shown: RwSignal<Option<(String, String)>>,
    from_input: RwSignal<String>,
    to_input: RwSignal<String>,
) -> impl IntoView {
    let api = Api::current();
    let navigate = use_navigate();
    let go = Callback::new(move |(from, to, tz): (String, String, Option<String>)| {
        navigate(&format!("/analytics?{}", period::to_query(&from, &to, tz.as_deref())), Default::default());
    });
    let invalid = RwSignal::new(None::<&'static str>);
    let error = move || invalid.get().or_else(|| selection.with(|s| s.period.clone().err()));
    let zone = move || selection.with(|s| s.tz.clone());
    // Today where the figures are counted, by the browser's clock.
    let today = move || zone().or_else(|| business_tz.get()).and_then(|tz| period::today_in(&tz));
    let active = Memo::new(move |_| {
        let (from, to) = shown.get()?;
        period::preset_of(&from, &to, &today()?)
    });
    // A preset in the time zone `tz`: its days end today there.
    let choose = move |days: i64, tz: Option<String>| {
        invalid.set(None);
        let local = tz.clone().or_else(|| business_tz.get_untracked()).and_then(|tz| period::today_in(&tz));
        match local.and_then(|today| period::preset(days, &today)) {
            Some((from, to)) => go.run((from, to, tz)),
            None => spawn_local(async move {
                if let Some((from, to)) = api.business_today().await.ok().and_then(|t| period::preset(days, &t)) {
                    go.run((from, to, tz));
                }
            }),
        }
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match period::check(&from_input.get_untracked(), &to_input.get_untracked()) {
            Ok((from, to)) => {
                invalid.set(None);
                go.run((from, to, zone()));
            }
            Err(why) => invalid.set(Some(why)),
        }
    };
    let change_zone = move |value: String| {
        let tz = (!value.is_empty()).then_some(value);
        match (active.get_untracked(), shown.get_untracked()) {
            // "Last 7 days" stays the last 7 days of the new zone.
            (Some(days), _) => choose(days, tz),
            (None, Some((from, to))) => go.run((from, to, tz)),
            (None, None) => {}
        }
    };
    let zone_label = move |choice: &Option<String>| match choice {
        None => match business_tz.get() {
            Some(name) => format!("{} (business)", name.replace('_', " ")),
            None => "Business time".to_owned(),
        },
        Some(name) => name.replace('_', " "),
    };

    view! {
        <section class="card analytics-picker" aria-label="Period">
            <div class="card-body">
                <div class="analytics-presets" role="group" aria-label="Preset periods">
                    {PRESETS
                        .iter()
                        .map(|(days, label)| {
                            let days = *days;
                            view! {
                                <button type="button" class="btn btn-small" id=format!("preset-{days}")
                                    class:btn-primary=move || active.get() == Some(days)
                                    aria-pressed=move || (active.get() == Some(days)).to_string()
                                    on:click=move |_| choose(days, zone())>
                                    {*label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <form class="analytics-range" on:submit=apply novalidate>
                    <label class="analytics-field">
                        <span class="field-label">"From"</span>
                        <input id="period-from" class="input" type="date" prop:value=move || from_input.get()
                            on:input=move |ev| from_input.set(event_target_value(&ev))
                            on:change=move |ev| from_input.set(event_target_value(&ev)) />
                    </label>
                    <label class="analytics-field">
                        <span class="field-label">"To"</span>
                        <input id="period-to" class="input" type="date" prop:value=move || to_input.get()
                            on:input=move |ev| to_input.set(event_target_value(&ev))
                            on:change=move |ev| to_input.set(event_target_value(&ev)) />
                    </label>
                    <button id="period-apply" class="btn" type="submit">"Show"</button>
                    <label class="analytics-field analytics-zone">
                        <span class="field-label">"Time zone"</span>
                        <select id="period-tz" class="select" on:change=move |ev| change_zone(event_target_value(&ev))>
                            {move || {
                                let chosen = zone();
                                period::zone_choices(business_tz.get().as_deref(), chosen.as_deref())
                                    .into_iter()
                                    .map(|choice| {
                                        let selected = choice == chosen;
                                        let label = zone_label(&choice);
                                        view! {
                                            <option value=choice.unwrap_or_default() selected=selected>{label}</option>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </label>
                </form>
                {move || error().map(|why| view! {
                    <p class="field-error analytics-error" id="period-error" role="alert">{why}</p>
                })}
            </div>
        </section>
    }
}

/// Grey placeholders while the first figures load.
#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="analytics-kpis">
            {(0..9).map(|_| view! {
                <div class="card kpi-card"><span class="kpi-skeleton" aria-hidden="true"></span></div>
            }).collect_view()}
        </div>
        <section class="card analytics-card"><div class="card-body"><ChartSkeleton /></div></section>
    }
}

/// One figure.
#[component]
fn Kpi(
    id: &'static str,
    label: &'static str,
    value: String,
    note: String,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! {
        <div class="card kpi-card" id=id class:kpi-danger=danger>
            <span class="kpi-label">{label}</span>
            <span class="kpi-value">{value}</span>
            <span class="kpi-note muted">{note}</span>
        </div>
    }
}

/// Everything the period's figures show.
#[component]
fn Figures(d: PeriodDashboard) -> impl IntoView {
    let days = d.daily.len();
    let heading = format!(
        "{} – {} ({} days), counted in {}",
        long_date(&d.from),
        long_date(&d.to),
        days,
        d.time_zone.replace('_', " ")
    );
    let overdue = d.tickets_overdue > 0;
    let overdue_note = if overdue { "Past the carrier deadline" } else { "Nothing overdue" };
    let segments = d.segments.iter().map(|b| Row::count(&b.key, segment_label(&b.key), b.count)).collect();
    let tiers = ordered(&d.tiers, &CustomerTier::ALL.map(tier_key), |key| tier_label(key).to_owned());
    let lifecycle = ordered(&d.lifecycle, &LIFECYCLE, format::enum_label);
    let tickets = ordered(&d.tickets_by_status, &TICKET_STATUSES, format::enum_label);
    let resolution = d
        .resolution_by_type
        .iter()
        .map(|r| Row {
            key: r.kind.clone(),
            label: format::enum_label(&r.kind),
            value: r.average_seconds,
            text: format!("{} · {}", format::duration(r.average_seconds), format::count(r.completed)),
        })
        .collect();
    view! {
        <p class="muted analytics-heading" id="analytics-shown" data-from=d.from.clone() data-to=d.to.clone()
            data-tz=d.time_zone.clone()>{heading}</p>
        <section class="analytics-kpis" aria-label="Key figures">
            <Kpi id="kpi-revenue" label="Revenue" value=d.revenue.display()
                note="Orders not cancelled or returned".to_owned() />
            <Kpi id="kpi-orders" label="Orders" value=format::count(d.orders) note=format!("In {days} days") />
            <Kpi id="kpi-aov" label="Average order" value=d.average_order_value.display()
                note="Revenue ÷ orders".to_owned() />
            <Kpi id="kpi-clv" label="Lifetime value" value=d.clv.display()
                note="CLV: average spend of buying customers".to_owned() />
            <Kpi id="kpi-customers" label="New customers"
                value=format!("{} / {}", format::count(d.customers_new), format::count(d.customers_total))
                note="New in the period / all".to_owned() />
            <Kpi id="kpi-wallet" label="Money in wallets" value=d.wallet_real.display()
                note=format!("{} virtual credit", d.wallet_virtual.display()) />
            <Kpi id="kpi-expiring" label="Credit expiring" value=d.expiring_within_7_days.display()
                note="Within 7 days".to_owned() />
            <Kpi id="kpi-transfers" label="Transfers linked"
                value=format!("{} / {}", format::count(d.transfers_linked), format::count(d.transfers_pending))
                note="Linked / pending, of the period".to_owned() />
            <Kpi id="kpi-overdue" label="Overdue tickets" value=format::count(d.tickets_overdue)
                note=overdue_note.to_owned() danger=overdue />
        </section>
        <div class="analytics-grid">
            <RevenueChart days=d.daily />
            <WalletChart days=d.wallet_daily />
            <Bars id="chart-segments" title="RFM segments" rows=segments empty="No customers with orders yet" />
            <Bars id="chart-tiers" title="Tiers" rows=tiers empty="No customers yet" class=tier_class />
            <Bars id="chart-lifecycle" title="Lifecycle funnel" rows=lifecycle empty="No customers yet" funnel=true />
            <Bars id="chart-tickets" title="Tickets by status" rows=tickets empty="No tickets" />
            <Bars id="chart-resolution" title="Average resolution time by type" rows=resolution
                empty="No tickets completed in this period" />
            <AgentsCard agents=d.agents />
        </div>
    }
}

/// Rows for `buckets` in the order of `keys` (zeros included), then any
/// key the screen does not know yet.
fn ordered(buckets: &[api::Bucket], keys: &[&str], label: impl Fn(&str) -> String) -> Vec<Row> {
    let count = |key: &str| buckets.iter().filter(|b| b.key == key).map(|b| b.count).sum();
    let known = keys.iter().map(|key| Row::count(key, label(key), count(key)));
    let others =
        buckets.iter().filter(|b| !keys.contains(&b.key.as_str())).map(|b| Row::count(&b.key, label(&b.key), b.count));
    known.chain(others).collect()
}

/// `CANT_LOSE_THEM` → "Can't lose them".
fn segment_label(key: &str) -> String {
    match key {
        "CANT_LOSE_THEM" => "Can't lose them".to_owned(),
        other => format::enum_label(other),
    }
}

fn tier_key(tier: CustomerTier) -> &'static str {
    match tier {
        CustomerTier::New => "NEW",
        CustomerTier::Silver => "SILVER",
        CustomerTier::Gold => "GOLD",
        CustomerTier::Platinum => "PLATINUM",
        CustomerTier::Blacklist => "BLACKLIST",
        CustomerTier::Unknown => "UNKNOWN",
    }
}

fn tier_label(key: &str) -> &'static str {
    CustomerTier::ALL.into_iter().find(|t| tier_key(*t) == key).unwrap_or(CustomerTier::Unknown).label()
}

/// The tier's colour.
fn tier_class(key: &str) -> &'static str {
    match key {
        "SILVER" => "hbar-silver",
        "GOLD" => "hbar-gold",
        "PLATINUM" => "hbar-platinum",
        "BLACKLIST" => "hbar-danger",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::Bucket;

    #[test]
    fn distributions_keep_their_order_and_their_zeros() {
        let buckets = [
            Bucket { key: "CHURNED".into(), count: 2 },
            Bucket { key: "ACTIVE".into(), count: 5 },
            Bucket { key: "DORMANT".into(), count: 1 },
        ];
        let rows = ordered(&buckets, &LIFECYCLE, format::enum_label);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["PROSPECT", "NEW", "ACTIVE", "AT_RISK", "CHURNED", "DORMANT"]);
        let values: Vec<i64> = rows.iter().map(|r| r.value).collect();
        assert_eq!(values, [0, 0, 5, 0, 2, 1]);
        assert_eq!(rows[3].label, "At risk");
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(segment_label("CANT_LOSE_THEM"), "Can't lose them");
        assert_eq!(segment_label("POTENTIAL_LOYALIST"), "Potential loyalist");
        assert_eq!(tier_label("PLATINUM"), "Platinum");
        assert_eq!(tier_label("BRONZE"), "Unknown");
    }
}
