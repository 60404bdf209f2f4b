//! The call-task screen: an agent sees their calls most urgent first and
//! closes one with one click (the row changes, the server has it); a
//! manager's Team view shows the agents' performance with the right
//! numbers.

use chrono::{Datelike, NaiveDate, SecondsFormat};
use crm360::clock::Clock;
use serde_json::{Value, json};

use crate::browser::{Session, scenario};

const PASSWORD: &str = "password-1234";

/// A staff user: (id, email).
async fn staff(s: &Session, name: &str, role: &str) -> (String, String) {
    let email = format!("{}@test.local", name.to_lowercase());
    let res = s
        .app
        .gql(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "email": email, "name": name, "role": role, "password": PASSWORD } }),
        )
        .await;
    (res["data"]["createUser"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned(), email)
}

async fn customer(s: &Session, name: &str, phone: &str, extra: Value) -> String {
    let mut input = json!({ "name": name, "phone": phone });
    input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let res = s
        .app
        .gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }", json!({ "i": input }))
        .await;
    res["data"]["createCustomer"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

fn today(s: &Session) -> NaiveDate {
    s.app.clock.now().with_timezone(&s.app.ctx.tz).date_naive()
}

async fn generate(s: &Session) {
    let res = s.app.gql("mutation { generateCallTasks { total } }", json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_works_through_their_calls_most_urgent_first() {
    scenario("call_tasks_agent", |s| async move {
        let (agent, email) = staff(&s, "Linh", "AGENT").await;
        let day = today(&s);
        let birthday = NaiveDate::from_ymd_opt(1990, day.month(), day.day()).unwrap().to_string();
        let hot = customer(&s, "Hà", "0909100001", json!({ "assignedAgentId": agent })).await;
        let at = s.app.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let res = s
            .app
            .gql(
                "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                json!({ "i": { "customerId": hot, "amount": "100000", "status": "DELIVERED", "orderedAt": at } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        customer(&s, "Bình", "0909100002", json!({ "assignedAgentId": agent })).await;
        customer(&s, "Cúc", "0909100003", json!({ "assignedAgentId": agent, "birthday": birthday })).await;
        // Unassigned: dealt to the least loaded agent, not Linh.
        staff(&s, "Quân", "AGENT").await;
        customer(&s, "Người khác", "0909100004", json!({})).await;
        generate(&s).await;

        s.sign_in(&email, PASSWORD).await;
        s.click(".topbar-nav a[href='/call-tasks']").await;
        s.wait_path("/call-tasks").await;
        s.wait_count(".call-task", 4).await;
        let order = s
            .script(
                "return [...document.querySelectorAll('.call-task')].map(r => \
                 r.querySelector('.priority-badge').textContent.trim() + ' ' + \
                 r.querySelector('.cell-name').textContent.trim() + ' ' + r.querySelector('.call-kind').textContent.trim())",
            )
            .await;
        assert_eq!(order, json!(["Hot Hà Welcome", "Warm Bình Welcome", "Warm Cúc Welcome", "Cold Cúc Birthday"]));
        assert!(s.all(".call-views").await.is_empty(), "no Team view for an agent");

        // One click on the first row's outcome.
        s.click(".call-task:first-child button[data-outcome='REACHED']").await;
        s.wait_text(".call-task:first-child .call-result", "Reached").await;
        s.wait_count(".call-task[data-status='COMPLETED']", 1).await;
        assert_eq!(s.all(".call-task:first-child .outcome").await.len(), 0, "the buttons are gone");
        let res = s
            .app
            .gql("{ callTasks(allAgents: true, status: COMPLETED) { edges { node { outcome customer { name } } } } }", json!({}))
            .await;
        assert_eq!(
            res["data"]["callTasks"]["edges"],
            json!([{ "node": { "outcome": "REACHED", "customer": { "name": "Hà" } } }]),
            "{res}"
        );

        // Skipping asks for a reason first.
        s.click(".call-task:nth-child(2) .skip").await;
        s.click(".call-task:nth-child(2) .skip-confirm").await;
        s.wait_text(".call-task:nth-child(2) .field-error", "Say why the call is skipped").await;
        s.fill(".call-task:nth-child(2) .skip-reason", "Khách đi vắng").await;
        s.click(".call-task:nth-child(2) .skip-confirm").await;
        s.wait_text(".call-task:nth-child(2) .call-result", "Skipped").await;

        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("call_tasks_agent.png"), s.c.screenshot().await.unwrap()).unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_the_team_and_each_agents_performance() {
    scenario("call_tasks_team", |s| async move {
        let (lan, _) = staff(&s, "Lan", "AGENT").await;
        let (minh, _) = staff(&s, "Minh", "AGENT").await;
        for (i, agent) in [&lan, &lan, &lan, &minh].iter().enumerate() {
            customer(&s, &format!("Khách {i}"), &format!("09092000{i:02}"), json!({ "assignedAgentId": agent })).await;
        }
        generate(&s).await;
        let res = s.app.gql("{ callTasks(allAgents: true) { edges { node { id agent { name } } } } }", json!({})).await;
        let lans: Vec<String> = res["data"]["callTasks"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"]["agent"]["name"] == "Lan")
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(lans.len(), 3, "{res}");
        const UPDATE: &str =
            "mutation($id: ID!, $o: CallOutcome) { updateCallTask(id: $id, status: COMPLETED, outcome: $o) { id } }";
        for (id, outcome) in [(&lans[0], "PURCHASED"), (&lans[1], "NO_ANSWER")] {
            let res = s.app.gql(UPDATE, json!({ "id": id, "o": outcome })).await;
            assert!(res["errors"].is_null(), "{res}");
        }

        s.sign_in_as_admin().await;
        s.open("/call-tasks").await;
        s.click(".call-view-team").await;
        s.wait_count(".perf-row", 2).await;
        let lan_row = format!(".perf-row[data-agent='{lan}']");
        s.wait_text(&format!("{lan_row} .perf-tasks"), "3").await;
        assert_eq!(s.text(&format!("{lan_row} .perf-completed")).await, "2");
        assert_eq!(s.text(&format!("{lan_row} .perf-successful")).await, "1");
        assert_eq!(s.text(&format!("{lan_row} .perf-completion")).await, "66%");
        assert_eq!(s.text(&format!("{lan_row} .perf-success")).await, "50%");
        let minh_row = format!(".perf-row[data-agent='{minh}']");
        assert_eq!(s.text(&format!("{minh_row} .perf-completion")).await, "0%");
        // Every agent's tasks today, with who is to call.
        s.wait_count(".call-tasks-table .call-task", 4).await;
        assert_eq!(s.all(".call-task .call-agent").await.len(), 4);
        // Generating again creates nothing more.
        s.click(".generate-tasks").await;
        s.wait_text(".generated", "0 created: 0 welcome, 0 follow-up, 0 at-risk, 0 birthday").await;

        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("call_tasks_team.png"), s.c.screenshot().await.unwrap()).unwrap();
    })
    .await;
}
