//! `/campaigns`: marketing campaigns. The list (status, audience, delivered
//! and failed, delivery rate, live); `/campaigns/new` and
//! `/campaigns/:id/edit`, the editor (segment builder with its live
//! audience count, template with its preview, sending window);
//! `/campaigns/:id`, a campaign's live progress, its buttons and its
//! communication log. Managers and admins write; anyone signed in reads.

mod api;
mod builder;
mod detail;
mod editor;
mod rules;
mod template;

use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::json;

pub use detail::CampaignPage;
pub use editor::{EditCampaignPage, NewCampaignPage};

use api::{CampaignRow, CampaignStatus, Progress};

use crate::{
    api::{Api, Role, live},
    components::{paged::Paged, scroll::LoadMore, states::ErrorNotice, throttle::Throttle},
    format,
    session::Session,
};

/// The list of campaigns, newest first, filtered by status.
#[component]
pub fn CampaignsPage() -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let can_manage = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Manager)));
    let status = RwSignal::new(None::<CampaignStatus>);
    let version = RwSignal::new(0u32);
    let reload = Signal::derive(move || {
        status.track();
        version.get()
    });
    let (paged, more) = Paged::<CampaignRow>::new(reload, move |after| api.campaigns(status.get_untracked(), after));
    // Any campaign's progress reloads the list, at most once a second.
    let throttle = StoredValue::new(Throttle::default());
    live::use_subscription(api::PROGRESS, json!({}), move |_: Progress| {
        Throttle::schedule(throttle, move || version.update(|v| *v += 1));
    });

    view! {
        <div class="page-header">
            <div>
                <h1>"Campaigns"</h1>
                <p class="muted">"Messages to a segment of customers, and how their delivery went."</p>
            </div>
            <div class="page-actions">
                <select id="campaign-filter" class="select" aria-label="Status" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    status.set(CampaignStatus::ALL.into_iter().find(|s| s.as_graphql() == v));
                }>
                    <option value="">"Every status"</option>
                    {CampaignStatus::ALL.into_iter().map(|s| view! { <option value=s.as_graphql()>{s.label()}</option> }).collect_view()}
                </select>
                <Show when=move || can_manage.get()>
                    <A href="/campaigns/new" attr:class="btn btn-primary" attr:id="new-campaign">"New campaign"</A>
                </Show>
            </div>
        </div>
        <section class="card list-card" class:is-refreshing=move || paged.loading.get()>
            <div class="progress" aria-hidden="true"></div>
            {move || paged.state("No campaigns yet", "A new campaign starts as a draft.").unwrap_or_else(|| view! {
                <div class="table-wrap">
                    <table class="table campaigns-table">
                        <thead>
                            <tr>
                                <th scope="col">"Campaign"</th>
                                <th scope="col">"Channel"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col" class="num">"Audience"</th>
                                <th scope="col" class="num">"Delivered / failed"</th>
                                <th scope="col" class="num">"Delivery rate"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || paged.items.get() key=|c| (c.id.clone(), c.status, c.counts) let:c>
                                <CampaignRowView campaign=c />
                            </For>
                        </tbody>
                    </table>
                </div>
            }.into_any())}
            {move || paged.failure.get().filter(|_| !paged.items.with(Vec::is_empty))
                .map(|error| view! { <ErrorNotice error /> })}
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        </section>
    }
}

#[component]
fn CampaignRowView(campaign: CampaignRow) -> impl IntoView {
    let c = campaign.counts;
    view! {
        <tr class="campaign-row" data-id=campaign.id.clone()>
            <td class="cell-name" data-label="Campaign">
                <A href=format!("/campaigns/{}", campaign.id)>{campaign.name.clone()}</A>
                <div class="muted small">{format::date(&campaign.created_at)}</div>
            </td>
            <td data-label="Channel">{campaign.channel.label()}</td>
            <td data-label="Status">
                <span class=format!("badge badge-dot badge-{} campaign-status", campaign.status.tone())>
                    {campaign.status.label()}
                </span>
            </td>
            <td class="num" data-label="Audience">{format::count(c.audience)}</td>
            <td class="num campaign-sent" data-label="Delivered / failed">
                {format!("{} / {}", format::count(c.sent), format::count(c.failed))}
            </td>
            <td class="num" data-label="Delivery rate">{c.delivery_rate()}</td>
        </tr>
    }
}
