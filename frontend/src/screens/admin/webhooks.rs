//! The Webhooks tab: endpoints that receive every domain event as signed
//! JSON. Registering shows the signing secret once; the list shows each
//! endpoint's state (disabled ones with the reason, and a way to re-enable
//! them); an endpoint's deliveries show every attempt (status code,
//! latency, error) and can be replayed one by one or by time range.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError, Connection},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
        states::{Empty, ErrorNotice, Loading},
    },
    format,
};

const DOCUMENT: &str = include_str!("webhooks.graphql");

/// A registered endpoint (never its secret, only the last characters).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<String>,
    pub secret_hint: String,
    pub consecutive_failures: i32,
    pub created_at: String,
}

/// One try to send a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub id: String,
    pub attempted_at: String,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub success: bool,
    pub replay: bool,
}

/// One event for one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub occurred_at: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub replays: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub payload: Option<String>,
    pub attempt_log: Vec<Attempt>,
}

#[derive(Deserialize)]
struct Created {
    secret: Option<String>,
}

#[derive(Deserialize)]
struct Ignored {}

/// Event-type patterns typed as a comma- or space-separated list.
pub fn parse_patterns(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// A `datetime-local` value (`2026-11-22T06:30`), read as UTC, in RFC 3339.
pub fn utc_of_local_input(value: &str) -> Option<String> {
    let value = value.trim();
    match value.len() {
        16 => Some(format!("{value}:00Z")),
        19 => Some(format!("{value}Z")),
        _ => None,
    }
}

impl Api {
    async fn webhook_endpoints(self) -> Result<Vec<Endpoint>, ApiError> {
        self.operation(DOCUMENT, "AdminWebhookEndpoints", json!({})).await
    }

    async fn create_webhook_endpoint(
        self,
        url: String,
        types: Vec<String>,
        secret: String,
    ) -> Result<String, ApiError> {
        let secret = (!secret.trim().is_empty()).then(|| secret.trim().to_owned());
        let input = json!({ "url": url.trim(), "eventTypes": types, "secret": secret });
        let created: Created =
            self.operation(DOCUMENT, "AdminCreateWebhookEndpoint", json!({ "input": input })).await?;
        Ok(created.secret.unwrap_or_default())
    }

    async fn set_webhook_endpoint_active(self, id: String, active: bool) -> Result<(), ApiError> {
        let _: Ignored =
            self.operation(DOCUMENT, "AdminSetWebhookEndpointActive", json!({ "id": id, "active": active })).await?;
        Ok(())
    }

    async fn webhook_deliveries(self, endpoint_id: String) -> Result<Vec<Delivery>, ApiError> {
        let variables = json!({ "endpointId": endpoint_id, "first": 50 });
        let page: Connection<Delivery> = self.operation(DOCUMENT, "AdminWebhookDeliveries", variables).await?;
        Ok(page.edges.into_iter().map(|e| e.node).collect())
    }

    async fn replay_webhook_delivery(self, id: String) -> Result<(), ApiError> {
        let _: Ignored = self.operation(DOCUMENT, "AdminReplayWebhookDelivery", json!({ "id": id })).await?;
        Ok(())
    }

    async fn replay_webhook_deliveries(self, endpoint_id: String, from: String, to: String) -> Result<i64, ApiError> {
        let variables = json!({ "endpointId": endpoint_id, "from": from, "to": to });
        self.operation(DOCUMENT, "AdminReplayWebhookDeliveries", variables).await
    }
}

/// The endpoints, the "New endpoint" dialog and the chosen endpoint's deliveries.
#[component]
pub fn Webhooks() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let endpoints = LocalResource::new(move || {
        version.track();
        api.webhook_endpoints()
    });
    let creating = RwSignal::new(false);
    let selected = RwSignal::new(None::<String>);
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let retry = changed;

    view! {
        <div class="toolbar admin-toolbar">
            <p class="muted">"Every change (customers, wallets, tickets, campaigns, bank transfers) is POSTed as signed JSON to the endpoints that subscribe to its type."</p>
            <button id="new-webhook" class="btn btn-primary" type="button" on:click=move |_| creating.set(true)>
                "New endpoint"
            </button>
        </div>
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Ok(list) if list.is_empty() => view! {
                            <Empty title="No webhook endpoints yet" hint="Register a URL to receive events as they happen." />
                        }.into_any(),
                        Ok(list) => view! { <EndpointTable list selected changed /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        {move || selected.get().map(|id| view! { <Deliveries endpoint_id=id /> })}
        <Dialog open=creating title="New webhook endpoint">
            <NewEndpointForm open=creating changed />
        </Dialog>
    }
}

#[component]
fn EndpointTable(list: Vec<Endpoint>, selected: RwSignal<Option<String>>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let notices: Vec<Endpoint> = list.iter().filter(|e| !e.active && e.disabled_reason.is_some()).cloned().collect();
    view! {
        {notices.into_iter().map(|e| view! {
            <div class="banner banner-error webhook-notice" role="status">
                {format!("{} is disabled: {}", e.url, e.disabled_reason.clone().unwrap_or_default())}
            </div>
        }).collect_view()}
        <div class="table-wrap">
            <table class="table webhooks-table">
                <thead>
                    <tr>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col">"Secret"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|e| {
                        let (id, toggle_id) = (e.id.clone(), e.id.clone());
                        let active = e.active;
                        let toggle = move |_| {
                            let id = toggle_id.clone();
                            leptos::task::spawn_local(async move {
                                if api.set_webhook_endpoint_active(id, !active).await.is_ok() {
                                    changed.run(());
                                }
                            });
                        };
                        view! {
                            <tr class="webhook-row" class:inactive=!e.active data-url=e.url.clone()>
                                <td data-label="URL" class="mono cell-name">{e.url.clone()}</td>
                                <td data-label="Events" class="mono">{e.event_types.join(", ")}</td>
                                <td data-label="Secret" class="mono">{e.secret_hint.clone()}</td>
                                <td data-label="Status">
                                    {if e.active {
                                        view! { <span class="badge badge-dot badge-success webhook-status">"Active"</span> }.into_any()
                                    } else {
                                        view! {
                                            <span class="badge badge-dot badge-danger webhook-status">"Disabled"</span>
                                            <span class="muted small webhook-reason">{e.disabled_reason.clone().unwrap_or_default()}</span>
                                        }.into_any()
                                    }}
                                </td>
                                <td class="row-actions">
                                    <button class="btn btn-small btn-ghost webhook-deliveries" type="button"
                                        on:click=move |_| selected.set(Some(id.clone()))>"Deliveries"</button>
                                    <button class="btn btn-small btn-ghost webhook-toggle" type="button" on:click=toggle>
                                        {if active { "Disable" } else { "Re-enable" }}
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// URL, event types, optional secret; then the secret, once.
#[component]
fn NewEndpointForm(open: RwSignal<bool>, changed: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["url", "eventTypes", "secret"]);
    let url = RwSignal::new(String::new());
    let types = RwSignal::new("*".to_owned());
    let secret = RwSignal::new(String::new());
    let created = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if url.with(|u| u.trim().is_empty()) {
            form.reject("url", "Where should events be sent? An http or https URL.");
            return;
        }
        let patterns = parse_patterns(&types.get());
        if patterns.is_empty() {
            form.reject("eventTypes", "At least one event type, or * for every event");
            return;
        }
        form.submit(api.create_webhook_endpoint(url.get(), patterns, secret.get()), move |secret| {
            created.set(Some(secret));
            changed.run(());
        });
    };
    view! {
        <Show when=move || created.with(Option::is_none) fallback=move || view! {
            <div class="stack created-key">
                <div class="banner banner-info" role="status">
                    "Copy the signing secret now: it will not be shown again. Verify X-Crm360-Signature with it."
                </div>
                <input id="created-webhook-secret" class="input mono" type="text" readonly
                    prop:value=move || created.get().unwrap_or_default() />
                <div class="dialog-actions">
                    <button id="created-webhook-done" class="btn btn-primary" type="button" on:click=move |_| open.set(false)>"Done"</button>
                </div>
            </div>
        }>
            <form id="new-webhook-form" class="stack" novalidate on:submit=submit>
                <Field label="URL" error=form.error_for("url") hint="https://example.com/crm360-events">
                    <input id="new-webhook-url" class="input" type="url" autocomplete="off"
                        prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
                </Field>
                <Field label="Event types" error=form.error_for("eventTypes") hint="Comma-separated: * for everything, wallet.* for a family, or exact types like ticket.status_changed.">
                    <input id="new-webhook-types" class="input mono" type="text" autocomplete="off"
                        prop:value=move || types.get() on:input=move |ev| types.set(event_target_value(&ev)) />
                </Field>
                <Field label="Secret (optional)" error=form.error_for("secret") hint="Leave empty to generate one.">
                    <input id="new-webhook-secret" class="input mono" type="text" autocomplete="off"
                        prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                </Field>
                <FormError form />
                <div class="dialog-actions">
                    <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <SubmitButton form label="Register endpoint" busy_label="Registering…" />
                </div>
            </form>
        </Show>
    }
}

/// An endpoint's deliveries with their attempts; replay one or a range.
#[component]
fn Deliveries(endpoint_id: String) -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let id = endpoint_id.clone();
    let deliveries = LocalResource::new(move || {
        version.track();
        api.webhook_deliveries(id.clone())
    });
    let refresh = Callback::new(move |()| version.update(|v| *v += 1));
    let form = FormState::new(&["from", "to"]);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let replayed = RwSignal::new(None::<i64>);
    let range_id = endpoint_id.clone();
    let replay_range = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(f) = utc_of_local_input(&from.get()) else {
            form.reject("from", "Choose when the range starts");
            return;
        };
        let Some(t) = utc_of_local_input(&to.get()) else {
            form.reject("to", "Choose when the range ends");
            return;
        };
        form.submit(api.replay_webhook_deliveries(range_id.clone(), f, t), move |n| {
            replayed.set(Some(n));
            refresh.run(());
        });
    };
    view! {
        <section class="card webhook-deliveries-card">
            <div class="toolbar">
                <h2>"Deliveries"</h2>
                <button id="webhook-refresh" class="btn btn-small" type="button" on:click=move |_| refresh.run(())>"Refresh"</button>
            </div>
            <form id="webhook-replay-range" class="webhook-range" novalidate on:submit=replay_range>
                <Field label="From (UTC)" error=form.error_for("from")>
                    <input id="webhook-range-from" class="input" type="datetime-local"
                        prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
                </Field>
                <Field label="To (UTC)" error=form.error_for("to")>
                    <input id="webhook-range-to" class="input" type="datetime-local"
                        prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
                </Field>
                <SubmitButton form label="Replay range" busy_label="Queuing…" />
                <FormError form />
                {move || replayed.get().map(|n| view! {
                    <span id="webhook-range-result" class="muted" role="status">{format!("{n} queued again")}</span>
                })}
            </form>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(list) if list.is_empty() => view! {
                            <Empty title="No deliveries yet" hint="They appear as events happen." />
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="webhook-delivery-list">
                                {list.into_iter().map(|d| view! { <DeliveryItem d refresh /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry=refresh /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DeliveryItem(d: Delivery, refresh: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let id = d.id.clone();
    let replay = move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            if api.replay_webhook_delivery(id).await.is_ok() {
                refresh.run(());
            }
        });
    };
    let status_class = match d.status.as_str() {
        "DELIVERED" => "badge badge-dot badge-success delivery-status",
        "FAILED" => "badge badge-dot badge-danger delivery-status",
        _ => "badge badge-dot delivery-status",
    };
    view! {
        <li class="webhook-delivery" data-status=d.status.clone()>
            <details>
                <summary>
                    <span class="mono delivery-type">{d.event_type.clone().unwrap_or_default()}</span>
                    <span class=status_class>{format::enum_label(&d.status)}</span>
                    <span class="muted delivery-attempts">{format!("{} attempt(s)", d.attempt_log.len())}</span>
                    <span class="muted">{d.occurred_at.as_deref().map(format::datetime).unwrap_or_default()}</span>
                </summary>
                <div class="webhook-delivery-detail">
                    <p class="muted small mono">{d.event_id.clone().unwrap_or_default()}</p>
                    <table class="table webhook-attempts">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Status code"</th>
                                <th scope="col">"Latency"</th>
                                <th scope="col">"Error"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {d.attempt_log.iter().map(|a| view! {
                                <tr class="webhook-attempt" class:failed=!a.success>
                                    <td>{format::datetime(&a.attempted_at)}{a.replay.then_some(" (replay)")}</td>
                                    <td class="attempt-code">{a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td class="attempt-latency">{format!("{} ms", a.latency_ms)}</td>
                                    <td class="attempt-error">{a.error.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <pre class="webhook-payload mono">{d.payload.clone().unwrap_or_default()}</pre>
                </div>
            </details>
            <button class="btn btn-small webhook-replay" type="button" disabled=d.status == "SENDING" on:click=replay>"Replay"</button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_split_on_commas_and_spaces() {
        assert_eq!(
            parse_patterns("wallet.*, ticket.status_changed  *"),
            vec!["wallet.*", "ticket.status_changed", "*"]
        );
        assert!(parse_patterns(" , ").is_empty());
    }

    #[test]
    fn local_inputs_read_as_utc() {
        assert_eq!(utc_of_local_input("2026-11-22T06:30").as_deref(), Some("2026-11-22T06:30:00Z"));
        assert_eq!(utc_of_local_input("2026-11-22T06:30:15").as_deref(), Some("2026-11-22T06:30:15Z"));
        assert_eq!(utc_of_local_input(""), None);
    }
}
