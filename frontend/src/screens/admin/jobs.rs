//! The jobs tab: every scheduled job with its schedule, next and last run,
//! and "Run now". A run now is recorded like a scheduled one.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError},
    components::{
        form::FormState,
        states::{ErrorNotice, Loading},
    },
    format,
};

const QUERIES: &str = include_str!("jobs.graphql");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub name: String,
    pub description: String,
    pub schedule: String,
    pub next_run_at: Option<String>,
    pub last_run: Option<Run>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub trigger: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub ok: bool,
    pub summary: String,
}

#[derive(Deserialize)]
struct Ran {
    #[allow(dead_code)]
    ok: bool,
}

impl Api {
    /// Every scheduled job.
    pub async fn admin_jobs(self) -> Result<Vec<Job>, ApiError> {
        self.operation(QUERIES, "AdminJobs", json!({})).await
    }

    /// Runs a job now.
    pub async fn admin_run_job(self, name: String) -> Result<(), ApiError> {
        let _: Ran = self.operation(QUERIES, "AdminRunJob", json!({ "name": name })).await?;
        Ok(())
    }
}

/// How long a run took, said simply.
pub fn took(ms: i64) -> String {
    if ms < 1_000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

#[component]
pub fn Jobs() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let jobs = LocalResource::new(move || {
        version.track();
        api.admin_jobs()
    });
    let action = FormState::new(&[]);
    let retry = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <p class="muted">"Each job runs once per cluster on its schedule (business time zone); runs started here are recorded the same way."</p>
        {move || action.general_error().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
        <section class="card list-card">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table jobs-table">
                                    <thead><tr>
                                        <th scope="col">"Job"</th>
                                        <th scope="col">"Schedule"</th>
                                        <th scope="col">"Last run"</th>
                                        <th scope="col">"Next run"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|job| {
                                            let name = job.name.clone();
                                            view! {
                                                <tr class="job-row" data-job=job.name.clone()>
                                                    <td data-label="Job">
                                                        <div class="cell-name mono">{job.name.clone()}</div>
                                                        <div class="muted small">{job.description.clone()}</div>
                                                    </td>
                                                    <td data-label="Schedule" class="mono">{job.schedule.clone()}</td>
                                                    <td data-label="Last run" class="job-last">
                                                        {match job.last_run {
                                                            Some(r) => view! {
                                                                <span class=if r.ok { "badge badge-success" } else { "badge badge-danger" }>
                                                                    {if r.ok { "OK" } else { "Failed" }}
                                                                </span>
                                                                " " {r.summary} " "
                                                                <span class="muted small">{format!("{} · {} · {}", format::ago(&r.started_at), took(r.duration_ms), r.trigger)}</span>
                                                            }.into_any(),
                                                            None => view! { <span class="muted">"Never"</span> }.into_any(),
                                                        }}
                                                    </td>
                                                    <td data-label="Next run">{job.next_run_at.as_deref().map(format::datetime).unwrap_or_default()}</td>
                                                    <td class="row-actions">
                                                        <button class="btn btn-small job-run" type="button" disabled=move || action.busy.get()
                                                            on:click=move |_| action.submit(api.admin_run_job(name.clone()), move |()| version.update(|v| *v += 1))>
                                                            "Run now"
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
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

#[cfg(test)]
mod tests {
    use super::took;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(took(42), "42 ms");
        assert_eq!(took(1_500), "1.5 s");
    }
}
