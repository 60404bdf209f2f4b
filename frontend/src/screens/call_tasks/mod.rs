//! `/call-tasks`: the day's calls. An agent sees their own, most urgent
//! first (HOT, WARM, COLD, then kind and name, as the server sorts them),
//! with the customer's phone and the products to offer, and closes each
//! with one click on its outcome, or skips it with a reason; the row
//! changes in place. Managers and admins also get a "Team" view: every
//! agent's tasks today, "Generate today's tasks", and the agents'
//! performance over a range of days (the last 30 by default).

mod api;

use leptos::prelude::*;
use leptos_router::components::A;

use api::{CallTask, Performance};

use crate::{
    api::{Api, Role},
    components::{
        chart::{date_text, parse_date},
        form::FormState,
        states::{Empty, ErrorNotice, Loading},
    },
    format,
    session::Session,
};

/// The outcome buttons: GraphQL value and label.
const OUTCOMES: [(&str, &str); 5] = [
    ("REACHED", "Reached"),
    ("NO_ANSWER", "No answer"),
    ("CALLBACK", "Callback"),
    ("NOT_INTERESTED", "Not interested"),
    ("PURCHASED", "Purchased"),
];

/// Days in the default performance range (ending today).
const DEFAULT_DAYS: i64 = 30;

/// How a kind of call reads.
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "WELCOME" => "Welcome",
        "FOLLOW_UP" => "Follow-up",
        "AT_RISK" => "At-risk recovery",
        "BIRTHDAY" => "Birthday",
        _ => "Call",
    }
}

/// The label of an outcome value.
fn outcome_label(outcome: &str) -> String {
    OUTCOMES.iter().find(|(v, _)| *v == outcome).map_or_else(|| format::enum_label(outcome), |(_, l)| l.to_string())
}

/// `day` minus `days` days (`YYYY-MM-DD`), or `None` for a bad date.
fn days_before(day: &str, days: i64) -> Option<String> {
    Some(date_text(parse_date(day)? - days))
}

/// The call-task screen.
#[component]
pub fn CallTasksPage() -> impl IntoView {
    let session = Session::current();
    let manager = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Manager)));
    let team = RwSignal::new(false);
    view! {
        <div class="page-header">
            <div>
                <h1>"Call tasks"</h1>
                <p class="muted">"Today's calls, most urgent first. One click records how a call went."</p>
            </div>
            <Show when=move || manager.get()>
                <div class="segmented call-views" role="tablist">
                    <button type="button" role="tab" class="btn btn-small call-view-mine" aria-selected=move || (!team.get()).to_string()
                        class:active=move || !team.get() on:click=move |_| team.set(false)>"My tasks"</button>
                    <button type="button" role="tab" class="btn btn-small call-view-team" aria-selected=move || team.get().to_string()
                        class:active=move || team.get() on:click=move |_| team.set(true)>"Team"</button>
                </div>
            </Show>
        </div>
        {move || if team.get() && manager.get() { view! { <Team /> }.into_any() } else { view! { <Tasks all_agents=false /> }.into_any() }}
    }
}

/// The day's tasks as a table; `all_agents` adds the agent column.
#[component]
fn Tasks(all_agents: bool, #[prop(optional)] version: Option<RwSignal<u32>>) -> impl IntoView {
    let api = Api::current();
    let version = version.unwrap_or_else(|| RwSignal::new(0));
    let tasks = LocalResource::new(move || {
        version.track();
        api.call_tasks(all_agents)
    });
    let retry = Callback::new(move |()| tasks.refetch());
    view! {
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match tasks.await {
                        Ok(list) if list.is_empty() => view! {
                            <Empty title="No calls for today" hint="Tasks are created every morning at 6." />
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table call-tasks-table">
                                    <thead><tr>
                                        <th scope="col">"Priority"</th>
                                        <th scope="col">"Customer"</th>
                                        <th scope="col">"Call"</th>
                                        {all_agents.then(|| view! { <th scope="col">"Agent"</th> })}
                                        <th scope="col">"Offer"</th>
                                        <th scope="col">"Outcome"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|t| view! { <TaskRow task=RwSignal::new(t) all_agents /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One task: who, why, what to offer, and the outcome buttons (or what
/// came of it).
#[component]
fn TaskRow(task: RwSignal<CallTask>, all_agents: bool) -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&["notes", "outcome"]);
    let skipping = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let t = task.get_untracked();
    let close = move |outcome: Option<&'static str>, notes: Option<String>| {
        let id = task.with_untracked(|t| t.id.clone());
        form.submit(api.close_call_task(id, outcome, notes), move |closed| {
            task.update(|t| {
                t.status = closed.status;
                t.outcome = closed.outcome;
                t.notes = closed.notes;
            });
            skipping.set(false);
        });
    };
    let skip = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            form.reject("notes", "Say why the call is skipped");
            return;
        }
        close(None, Some(why));
    };
    let priority = t.priority.clone();
    view! {
        <tr class="call-task" data-id=t.id.clone() data-status=move || task.with(|t| t.status.clone())
            class:is-done=move || task.with(|t| t.status != "PENDING")>
            <td data-label="Priority">
                <span class=format!("badge priority-badge priority-{}", priority.to_lowercase())>{format::enum_label(&priority)}</span>
            </td>
            <td data-label="Customer">
                <div class="cell-name"><A href=format!("/customers/{}", t.customer.id)>{t.customer.name.clone()}</A></div>
                <a class="muted small mono call-phone" href=format!("tel:{}", t.customer.phone)>{t.customer.phone.clone()}</a>
            </td>
            <td data-label="Call" class="call-kind">{kind_label(&t.kind)}</td>
            {all_agents.then(|| view! {
                <td data-label="Agent" class="call-agent">{t.agent.as_ref().map_or_else(|| "—".to_owned(), |a| a.name.clone())}</td>
            })}
            <td data-label="Offer" class="call-offer">
                {if t.recommendations.is_empty() {
                    view! { <span class="muted">"—"</span> }.into_any()
                } else {
                    view! {
                        <ul class="offer-list">
                            {t.recommendations.iter().take(3).map(|r| view! {
                                <li>
                                    {r.product_name.clone()}
                                    {(r.discount_percent > 0).then(|| view! {
                                        <span class="muted small">{format!(" −{}% · {}", r.discount_percent, r.discounted_price.display())}</span>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </td>
            <td data-label="Outcome" class="call-outcome">
                {move || {
                    let t = task.get();
                    match t.status.as_str() {
                        "COMPLETED" => view! {
                            <span class=if matches!(t.outcome.as_deref(), Some("REACHED" | "PURCHASED")) { "badge badge-success call-result" } else { "badge badge-warning call-result" }>
                                {outcome_label(t.outcome.as_deref().unwrap_or_default())}
                            </span>
                            {t.notes.map(|n| view! { <div class="muted small">{n}</div> })}
                        }.into_any(),
                        "SKIPPED" => view! {
                            <span class="badge badge-neutral call-result">"Skipped"</span>
                            {t.notes.map(|n| view! { <div class="muted small">{n}</div> })}
                        }.into_any(),
                        _ if skipping.get() => view! {
                            <form class="skip-form" on:submit=skip>
                                <input class="input input-small skip-reason" type="text" placeholder="Why skip?" aria-label="Reason for skipping"
                                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                                <button class="btn btn-small skip-confirm" type="submit" disabled=move || form.busy.get()>"Skip"</button>
                                <button class="btn btn-small btn-ghost" type="button" on:click=move |_| { skipping.set(false); form.clear(); }>"Cancel"</button>
                            </form>
                        }.into_any(),
                        _ => view! {
                            <div class="outcome-buttons">
                                {OUTCOMES.iter().map(|(value, label)| {
                                    let value: &'static str = value;
                                    view! {
                                        <button class="btn btn-small outcome" type="button" data-outcome=value
                                            disabled=move || form.busy.get() on:click=move |_| close(Some(value), None)>{*label}</button>
                                    }
                                }).collect_view()}
                                <button class="btn btn-small btn-ghost skip" type="button" on:click=move |_| skipping.set(true)>"Skip…"</button>
                            </div>
                        }.into_any(),
                    }
                }}
                {move || form.failure.get().map(|e| view! { <div class="field-error" role="alert">{e.to_string()}</div> })}
            </td>
        </tr>
    }
}

/// The managers' view: generate, every agent's tasks, performance.
#[component]
fn Team() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let action = FormState::new(&[]);
    let generated = RwSignal::new(None::<api::Generated>);
    let generate = move |_| {
        action.submit(api.generate_call_tasks(), move |g| {
            generated.set(Some(g));
            version.update(|v| *v += 1);
        })
    };
    view! {
        <div class="team-actions">
            <button class="btn btn-primary generate-tasks" type="button" disabled=move || action.busy.get() on:click=generate>
                "Generate today's tasks"
            </button>
            {move || generated.get().map(|g| view! {
                <span class="muted generated" role="status">
                    {format!("{} created: {} welcome, {} follow-up, {} at-risk, {} birthday", g.total, g.welcome, g.follow_up, g.at_risk, g.birthday)}
                </span>
            })}
            {move || action.general_error().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
        </div>
        <h2 class="section-title">"Today's tasks"</h2>
        <Tasks all_agents=true version />
        <h2 class="section-title">"Agent performance"</h2>
        <PerformanceCard />
    }
}

/// The agents' table over a range of days.
#[component]
fn PerformanceCard() -> impl IntoView {
    let api = Api::current();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let range = RwSignal::new(None::<(String, String)>);
    let failure = RwSignal::new(None::<String>);
    // The last 30 days, once the server says which day it is.
    let today = LocalResource::new(move || api.call_tasks_today());
    Effect::new(move |_| {
        if let Some(Ok(day)) = today.get()
            && range.get_untracked().is_none()
            && let Some(start) = days_before(&day, DEFAULT_DAYS - 1)
        {
            from.set(start.clone());
            to.set(day.clone());
            range.set(Some((start, day)));
        }
    });
    let rows = LocalResource::new(move || {
        let range = range.get();
        async move {
            match range {
                Some((f, t)) => Some(api.agent_performance(f, t).await),
                None => None,
            }
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (f, t) = (from.get_untracked(), to.get_untracked());
        match (days_before(&f, 0), days_before(&t, 0)) {
            (Some(_), Some(_)) if f > t => failure.set(Some("The start is after the end".into())),
            (Some(_), Some(_)) => {
                failure.set(None);
                range.set(Some((f, t)));
            }
            _ => failure.set(Some("Give two dates".into())),
        }
    };
    view! {
        <section class="card">
            <form class="range-form" on:submit=apply>
                <label>"From " <input class="input perf-from" type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) /></label>
                <label>"To " <input class="input perf-to" type="date" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) /></label>
                <button class="btn btn-small perf-apply" type="submit">"Show"</button>
                {move || failure.get().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            </form>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        None => ().into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <Empty title="No call tasks in this period" /> }.into_any(),
                        Some(Ok(list)) => view! { <PerformanceTable list /> }.into_any(),
                        Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PerformanceTable(list: Vec<Performance>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table performance-table">
                <thead><tr>
                    <th scope="col">"Agent"</th>
                    <th scope="col" class="num">"Tasks"</th>
                    <th scope="col" class="num">"Completed"</th>
                    <th scope="col" class="num">"Successful"</th>
                    <th scope="col" class="num">"Skipped"</th>
                    <th scope="col" class="num">"Completion"</th>
                    <th scope="col" class="num">"Success"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|p| view! {
                        <tr class="perf-row" data-agent=p.agent_id.clone()>
                            <td data-label="Agent" class="perf-name">{p.name}</td>
                            <td data-label="Tasks" class="num perf-tasks">{p.tasks}</td>
                            <td data-label="Completed" class="num perf-completed">{p.completed}</td>
                            <td data-label="Successful" class="num perf-successful">{p.successful}</td>
                            <td data-label="Skipped" class="num perf-skipped">{p.skipped}</td>
                            <td data-label="Completion" class="num perf-completion">{format!("{}%", p.completion_rate)}</td>
                            <td data-label="Success" class="num perf-success">{format!("{}%", p.success_rate)}</td>
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
    fn ranges_end_today_and_outcomes_read_as_words() {
        assert_eq!(days_before("2026-03-01", 29).as_deref(), Some("2026-01-31"));
        assert_eq!(days_before("nope", 1), None);
        assert_eq!(outcome_label("NO_ANSWER"), "No answer");
        assert_eq!(kind_label("AT_RISK"), "At-risk recovery");
    }
}
