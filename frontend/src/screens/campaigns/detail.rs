//! `/campaigns/:id`: a campaign's status and counts with a progress bar,
//! kept live by `campaignProgress`; the buttons its status allows (start
//! or schedule, pause, resume, cancel); the message and audience; the
//! summary once it ended; and the communication log, filtered by status.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use serde_json::json;

use super::api::{self, Action, Campaign, CampaignStatus, Counts, LogEntry, MessageStatus, Progress};
use crate::{
    api::{Api, ApiError, Role, live},
    components::{
        paged::Paged,
        scroll::LoadMore,
        states::{ErrorNotice, Loading},
        throttle::Throttle,
    },
    format,
    session::Session,
};

/// The page: the campaign named in the path.
#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || view! { <CampaignView id=id.get() /> }
}

/// One campaign (rebuilt when the path names another).
#[component]
fn CampaignView(id: String) -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let can_manage = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Manager)));
    let campaign = RwSignal::new(None::<Campaign>);
    let failure = RwSignal::new(None::<ApiError>);
    let log_version = RwSignal::new(0u32);
    let sent = StoredValue::new(0u32);
    let load = {
        let id = id.clone();
        move || {
            sent.update_value(|n| *n += 1);
            let mine = sent.get_value();
            let id = id.clone();
            spawn_local(async move {
                let result = api.campaign(id).await;
                if sent.try_get_value() != Some(mine) {
                    return;
                }
                match result {
                    Ok(c) => {
                        let _ = campaign.try_set(Some(c));
                        let _ = failure.try_set(None);
                    }
                    Err(e) => {
                        let _ = failure.try_set(Some(e));
                    }
                }
            });
        }
    };
    let reload = StoredValue::new_local(load.clone());

    // Live: counts and status as they move; the log at most once a second;
    // the whole campaign again when it ends (for its summary).
    let throttle = StoredValue::new(Throttle::default());
    live::use_subscription(api::PROGRESS, json!({ "campaignId": id }), move |p: Progress| {
        let ended = matches!(p.status, Some(CampaignStatus::Completed | CampaignStatus::Cancelled));
        campaign.update(|c| {
            if let Some(c) = c.as_mut().filter(|c| c.id == p.campaign_id) {
                if let Some(status) = p.status {
                    c.status = status;
                }
                if let Some(counts) = p.counts {
                    c.counts = counts;
                }
            }
        });
        if ended {
            reload.with_value(|load| load());
        }
        Throttle::schedule(throttle, move || log_version.update(|v| *v += 1));
    });
    load();

    let changed = Callback::new(move |()| {
        reload.with_value(|load| load());
        log_version.update(|v| *v += 1);
    });
    view! {
        {move || match (campaign.get(), failure.get()) {
            (Some(c), _) => view! { <Header campaign=c.clone() can_manage=can_manage.get() changed /> <CampaignBody campaign=c /> }.into_any(),
            (None, Some(error)) => view! { <ErrorNotice error /> }.into_any(),
            (None, None) => view! { <Loading /> }.into_any(),
        }}
        <Show when=move || can_manage.get()>
            <CommunicationLog id=id.clone() version=log_version />
        </Show>
    }
}

/// Name, status and the buttons the status allows.
#[component]
fn Header(campaign: Campaign, can_manage: bool, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let confirming = RwSignal::new(false);
    let status = campaign.status;
    let id = campaign.id.clone();
    let act = move |action: Action| {
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let result = api.campaign_action(id, action).await;
            let _ = busy.try_set(false);
            let _ = confirming.try_set(false);
            match result {
                Ok(_) => changed.run(()),
                Err(e) => {
                    let _ = failure.try_set(Some(e));
                }
            }
        });
    };
    let later = campaign.starts_at.as_deref().is_some_and(|s| js_sys::Date::parse(s) > js_sys::Date::now());
    let button = move |label: &'static str, html_id: &'static str, class: &'static str, action: Action| {
        let act = act.clone();
        view! {
            <button type="button" id=html_id class=format!("btn {class}") disabled=move || busy.get()
                on:click=move |_| act(action)>{label}</button>
        }
    };
    let cancellable = matches!(
        status,
        CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Running | CampaignStatus::Paused
    );
    let actions = can_manage.then(|| {
        view! {
            {(status == CampaignStatus::Draft).then(|| {
                button(if later { "Schedule" } else { "Start sending" }, "campaign-start", "btn-primary", Action::Start)
            })}
            {(status == CampaignStatus::Running).then(|| button("Pause", "campaign-pause", "", Action::Pause))}
            {(status == CampaignStatus::Paused).then(|| button("Resume", "campaign-resume", "btn-primary", Action::Resume))}
            {status.editable().then(|| view! {
                <A href=format!("/campaigns/{}/edit", campaign.id) attr:class="btn" attr:id="campaign-edit">"Edit"</A>
            })}
            {cancellable.then(|| view! {
                <button type="button" class="btn btn-ghost" id="campaign-cancel" on:click=move |_| confirming.set(true)>
                    "Cancel campaign"
                </button>
            })}
        }
    });
    view! {
        <div class="page-header">
            <div>
                <p class="muted"><A href="/campaigns">"Campaigns"</A></p>
                <h1 id="campaign-name">{campaign.name.clone()}</h1>
                <p class="muted">
                    <span class=format!("badge badge-dot badge-{}", status.tone()) id="campaign-status">{status.label()}</span>
                    " " {campaign.channel.label()} " · to " {campaign.segment.name.clone()}
                </p>
            </div>
            <div class="page-actions">{actions}</div>
        </div>
        <Show when=move || confirming.get()>
            <div class="banner banner-info campaign-confirm" role="alertdialog">
                <span>"Cancel this campaign? Messages not sent yet will not be sent."</span>
                {button("Yes, cancel it", "campaign-cancel-confirm", "btn-danger btn-small", Action::Cancel)}
                <button type="button" class="btn btn-small" on:click=move |_| confirming.set(false)>"Keep it"</button>
            </div>
        </Show>
        {move || failure.get().map(|error| view! { <ErrorNotice error /> })}
    }
}

/// Counts, progress, message, window and, once ended, the summary.
#[component]
fn CampaignBody(campaign: Campaign) -> impl IntoView {
    let c = campaign.counts;
    let window = match (&campaign.starts_at, &campaign.ends_at) {
        (None, None) => "When started, until done".to_owned(),
        (start, end) => format!(
            "{} → {}",
            start.as_deref().map_or("when started".to_owned(), format::datetime),
            end.as_deref().map_or("until done".to_owned(), format::datetime)
        ),
    };
    view! {
        <section class="card campaign-progress">
            <div class="card-body">
                <div class="campaign-counts">
                    {figure("Audience", "count-audience", format::count(c.audience))}
                    {figure("Delivered", "count-sent", format::count(c.sent))}
                    {figure("Failed", "count-failed", format::count(c.failed))}
                    {figure("Pending", "count-pending", format::count(c.pending))}
                    {(c.cancelled > 0).then(|| figure("Cancelled", "count-cancelled", format::count(c.cancelled)))}
                    {(c.expired > 0).then(|| figure("Expired", "count-expired", format::count(c.expired)))}
                    {figure("Delivery rate", "count-rate", c.delivery_rate())}
                </div>
                <ProgressBar counts=c />
            </div>
        </section>
        {campaign.summary.clone().filter(|_| campaign.status == CampaignStatus::Completed).map(|s| view! { <Summary summary=s /> })}
        <section class="card">
            <div class="card-body campaign-facts">
                <div>
                    <h2 class="card-title">"Message"</h2>
                    <p class="campaign-template" id="campaign-template-text">{campaign.template.clone()}</p>
                    {campaign.discount_code.clone().map(|code| view! { <p class="muted">"Discount code " <span class="mono">{code}</span></p> })}
                </div>
                <dl class="campaign-meta">
                    <dt>"Window"</dt><dd>{window}</dd>
                    <dt>"Created"</dt><dd>{format::datetime(&campaign.created_at)}</dd>
                    {campaign.started_at.clone().map(|t| view! { <dt>"Started"</dt><dd>{format::datetime(&t)}</dd> })}
                    {campaign.completed_at.clone().map(|t| view! { <dt>"Ended"</dt><dd>{format::datetime(&t)}</dd> })}
                </dl>
            </div>
        </section>
    }
}

fn figure(label: &'static str, id: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="campaign-figure">
            <span class="kpi-label muted">{label}</span>
            <span class="campaign-figure-value" id=id>{value}</span>
        </div>
    }
}

/// Delivered and failed out of the audience.
#[component]
fn ProgressBar(counts: Counts) -> impl IntoView {
    let share = |n: i64| if counts.audience == 0 { 0.0 } else { n as f64 * 100.0 / counts.audience as f64 };
    let done = counts.done_percent();
    view! {
        <div class="campaign-bar" role="progressbar" aria-label="Messages settled" aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=format!("{done:.0}")>
            <span class="campaign-bar-sent" style=format!("width: {:.2}%", share(counts.sent))></span>
            <span class="campaign-bar-failed" style=format!("width: {:.2}%", share(counts.failed))></span>
        </div>
        <p class="muted small" id="campaign-settled">
            {format!("{} of {} settled ({done:.0} %)", format::count(counts.sent + counts.failed), format::count(counts.audience))}
        </p>
    }
}

/// The final counts, written when the campaign completed.
#[component]
fn Summary(summary: serde_json::Value) -> impl IntoView {
    let n = |key: &str| summary[key].as_i64().unwrap_or_default();
    let rate = Counts {
        sent: n("delivered"),
        failed: n("failed"),
        delivery_rate_bp: n("deliveryRateBp"),
        ..Counts::default()
    }
    .delivery_rate();
    let rows = [
        ("Audience", format::count(n("audience"))),
        ("Delivered", format::count(n("delivered"))),
        ("Failed", format::count(n("failed"))),
        ("Cancelled", format::count(n("cancelled"))),
        ("Expired", format::count(n("expired"))),
        ("Delivery rate", rate),
    ];
    view! {
        <section class="card campaign-summary" id="campaign-summary">
            <div class="card-body">
                <h2 class="card-title">"Summary"</h2>
                <dl class="campaign-meta">
                    {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </div>
        </section>
    }
}

/// Every message of the campaign, by status.
#[component]
fn CommunicationLog(id: String, version: RwSignal<u32>) -> impl IntoView {
    let api = Api::current();
    let status = RwSignal::new(None::<MessageStatus>);
    let reload = Signal::derive(move || {
        status.track();
        version.get()
    });
    let total = RwSignal::new(None::<i64>);
    let (paged, more) = Paged::<LogEntry>::new(reload, move |after| {
        let id = id.clone();
        async move {
            let page = api.campaign_log(id, status.get_untracked(), after).await?;
            let _ = total.try_set(page.total_count);
            Ok(page)
        }
    });
    view! {
        <section class="card list-card campaign-log" class:is-refreshing=move || paged.loading.get()>
            <div class="progress" aria-hidden="true"></div>
            <div class="card-body">
                <h2 class="card-title">
                    <span>"Communication log"</span>
                    <span class="row">
                        <span class="muted" id="log-total">{move || total.get().map(|n| format!("{} messages", format::count(n)))}</span>
                        <select id="log-status" aria-label="Status" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            status.set(MessageStatus::ALL.into_iter().find(|s| s.as_graphql() == v));
                        }>
                            <option value="">"Every status"</option>
                            {MessageStatus::ALL.into_iter().map(|s| view! {
                                <option value=s.as_graphql()>{format::enum_label(s.as_graphql())}</option>
                            }).collect_view()}
                        </select>
                    </span>
                </h2>
            </div>
            {move || paged.state("No messages", "Messages appear here once the campaign starts.").unwrap_or_else(|| view! {
                <div class="table-wrap">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">"Recipient"</th>
                                <th scope="col">"Message"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col" class="num">"Attempts"</th>
                                <th scope="col">"Last change"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || paged.items.get() key=|m| (m.id.clone(), m.status) let:m>
                                <LogRow entry=m />
                            </For>
                        </tbody>
                    </table>
                </div>
            }.into_any())}
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        </section>
    }
}

#[component]
fn LogRow(entry: LogEntry) -> impl IntoView {
    let when = entry.receipt_at.clone().or(entry.sent_at.clone()).unwrap_or(entry.queued_at.clone());
    view! {
        <tr class="log-row" data-status=entry.status.as_graphql()>
            <td class="cell-name" data-label="Recipient">
                <A href=format!("/customers/{}", entry.customer_id)>{entry.recipient.clone()}</A>
            </td>
            <td data-label="Message" class="log-message">{entry.message.clone()}</td>
            <td data-label="Status">
                <span class=format!("badge badge-dot badge-{} log-status", entry.status.tone())>
                    {format::enum_label(entry.status.as_graphql())}
                </span>
                {entry.error.clone().map(|e| view! { <div class="muted small">{e}</div> })}
            </td>
            <td class="num" data-label="Attempts">{entry.attempts}</td>
            <td data-label="Last change">{format::datetime(&when)}</td>
        </tr>
    }
}
