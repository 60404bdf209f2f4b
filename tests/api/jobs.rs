//! The scheduler over GraphQL: every job listed with its schedule (the
//! config's replaces the default), run now by an admin with the run
//! recorded, a scheduled run recorded on the moved clock, and only ADMINs.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{Backend, code, field, spawn_app_with};

const RUN: &str = "mutation($n: String!) { runJob(name: $n) { job trigger ok summary durationMs startedAt } }";

crate::on_both! {
    async fn an_admin_lists_the_jobs_and_runs_one_now(app) {
        let jobs = app.gql("{ jobs { name schedule nextRunAt lastRun { ok } } }", json!({})).await;
        let names: Vec<&str> = jobs["data"]["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["credit-expiry", "ticket-sla", "rfm", "fraud", "call-tasks"], "{jobs}");
        assert_eq!(jobs["data"]["jobs"][2]["schedule"], "0 30 1 * * *");
        assert!(jobs["data"]["jobs"][2]["nextRunAt"].is_string() && jobs["data"]["jobs"][2]["lastRun"].is_null(), "{jobs}");

        app.customer("Khách", "0908000001").await;
        let res = app.gql(RUN, json!({ "n": "rfm" })).await;
        let run = &res["data"]["runJob"];
        assert_eq!((run["job"].as_str(), run["trigger"].as_str(), run["ok"].as_bool()), (Some("rfm"), Some("user:1"), Some(true)), "{res}");
        assert_eq!(run["summary"], "0 customers scored, 0 tier changes");
        app.gql(RUN, json!({ "n": "credit-expiry" })).await;
        let runs = app.gql("{ jobRuns { job } rfm: jobRuns(job: \"rfm\") { job } jobs { name lastRun { summary } } }", json!({})).await;
        assert_eq!(runs["data"]["jobRuns"], json!([{ "job": "credit-expiry" }, { "job": "rfm" }]), "{runs}");
        assert_eq!(runs["data"]["rfm"], json!([{ "job": "rfm" }]));
        assert_eq!(runs["data"]["jobs"][0]["lastRun"]["summary"], "0 credits expired");

        let res = app.gql(RUN, json!({ "n": "nope" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("name")), "{res}");
        let (_, manager) = app.staff("MANAGER").await;
        assert_eq!(code(&app.gql_as(Some(&manager), RUN, json!({ "n": "rfm" })).await), Some("FORBIDDEN"));
        assert_eq!(code(&app.gql_as(Some(&manager), "{ jobRuns { job } }", json!({})).await), Some("FORBIDDEN"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_is_recorded_with_the_configured_schedule() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.jobs_enabled = true;
        c.job_schedules.insert("rfm".into(), "0 0 * * * *".into());
    })
    .await
    .unwrap();
    let jobs = app.gql("{ jobs { name schedule } }", json!({})).await;
    assert_eq!(jobs["data"]["jobs"][2], json!({ "name": "rfm", "schedule": "0 0 * * * *" }));
    app.advance(Duration::hours(1)).await;
    let mut runs = json!([]);
    for _ in 0..100 {
        runs = app.gql("{ jobRuns(job: \"rfm\") { trigger ok } }", json!({})).await["data"]["jobRuns"].clone();
        if runs.as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(runs, json!([{ "trigger": "schedule", "ok": true }]));
}
