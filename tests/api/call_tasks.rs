//! CRM automation over GraphQL: the daily call tasks (each kind generated
//! for a prepared dataset, once per day however often and however
//! concurrently it runs, blacklisted customers left out, round-robin over
//! agents, the 6 AM job on a moved clock), an agent's list in priority
//! order, closing tasks and the refusals, agent performance over a range,
//! and product recommendation rules.

use chrono::{Datelike, Duration, NaiveDate, SecondsFormat, TimeZone};
use crm360::clock::Clock;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code, count_of, field, spawn_app_with};

const GENERATE: &str =
    "mutation($d: NaiveDate) { generateCallTasks(date: $d) { date welcome followUp atRisk birthday total } }";
const TASKS: &str = "query($a: ID, $all: Boolean, $d: NaiveDate, $s: CallStatus) { \
    callTasks(agentId: $a, allAgents: $all, date: $d, status: $s, first: 100) { totalCount edges { node { \
    id kind priority status outcome notes completedAt agent { id } customer { id name } } } } }";
const UPDATE: &str = "mutation($id: ID!, $s: CallStatus!, $o: CallOutcome, $n: String) { \
    updateCallTask(id: $id, status: $s, outcome: $o, notes: $n) { id status outcome notes completedAt } }";
const PASSWORD: &str = "password-1234";

/// The business-local day on the server's clock.
fn today(app: &TestApp) -> NaiveDate {
    app.clock.now().with_timezone(&app.ctx.tz).date_naive()
}

/// A birthday in 1990 on the month and day of `day`.
fn born_on(day: NaiveDate) -> String {
    NaiveDate::from_ymd_opt(1990, day.month(), day.day()).unwrap().to_string()
}

/// A customer with extra input fields (`birthday`, `assignedAgentId`, …).
async fn customer(app: &TestApp, name: &str, phone: &str, extra: Value) -> String {
    let mut input = json!({ "name": name, "phone": phone });
    input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let res =
        app.gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }", json!({ "i": input })).await;
    res["data"]["createCustomer"]["id"].as_str().unwrap_or_else(|| panic!("createCustomer: {res}")).to_owned()
}

/// A staff user named `name` with `role`: (id, email).
async fn staff(app: &TestApp, name: &str, role: &str) -> (String, String) {
    let email = format!("{}-{}@test.local", role.to_lowercase(), uuid::Uuid::new_v4().simple());
    let res = app
        .gql(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "email": email, "name": name, "role": role, "password": PASSWORD } }),
        )
        .await;
    (res["data"]["createUser"]["id"].as_str().unwrap_or_else(|| panic!("createUser: {res}")).to_owned(), email)
}

/// An order `days_ago` days ago: the customer's RFM fields follow at once.
async fn order(app: &TestApp, customer_id: &str, days_ago: i64) {
    let at = app.clock.now() - Duration::days(days_ago);
    let res = app
        .gql(
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
            json!({ "i": { "customerId": customer_id, "amount": "100000", "status": "DELIVERED",
                           "orderedAt": at.to_rfc3339_opts(SecondsFormat::Secs, true) } }),
        )
        .await;
    assert!(res["errors"].is_null(), "createOrder: {res}");
}

/// An interaction logged by `agent` asking to follow up on `day` (written
/// straight to the engagement domain's table).
async fn follow_up(app: &TestApp, customer_id: &str, agent: Option<&str>, day: NaiveDate) {
    let db = app.ctx.db.conn();
    let now = app.clock.now();
    let sql = match app.backend {
        Backend::Sqlite => {
            "INSERT INTO interactions (customer_id, agent_id, channel, direction, outcome, notes, \
            follow_up_date, occurred_at, created_at) VALUES (?, ?, 'CALL', 'OUTBOUND', 'asked to call back', NULL, ?, ?, ?)"
        }
        Backend::Postgres => {
            "INSERT INTO interactions (customer_id, agent_id, channel, direction, outcome, notes, \
            follow_up_date, occurred_at, created_at) VALUES ($1, $2, 'CALL', 'OUTBOUND', 'asked to call back', NULL, $3, $4, $5)"
        }
    };
    let values: Vec<sea_orm::Value> = vec![
        customer_id.parse::<i64>().unwrap().into(),
        agent.map(|a| a.parse::<i64>().unwrap()).into(),
        day.into(),
        now.into(),
        now.into(),
    ];
    db.execute_raw(sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await.unwrap();
}

const SAVE: &str = "mutation($i: RecommendationRuleInput!) { saveRecommendationRule(input: $i) { \
    id customerType category productSku discountPercent active priority } }";

/// Saves a rule; its id.
async fn save_rule(app: &TestApp, input: Value) -> String {
    let res = app.gql(SAVE, json!({ "i": input })).await;
    res["data"]["saveRecommendationRule"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

async fn generate(app: &TestApp, token: Option<&str>, day: Option<NaiveDate>) -> Value {
    let token = token.map(str::to_owned).unwrap_or_else(|| app.token());
    app.gql_as(Some(&token), GENERATE, json!({ "d": day.map(|d| d.to_string()) })).await
}

fn counts(res: &Value) -> (i64, i64, i64, i64) {
    let g = &res["data"]["generateCallTasks"];
    assert!(g.is_object(), "{res}");
    let n = |k: &str| g[k].as_i64().unwrap();
    (n("welcome"), n("followUp"), n("atRisk"), n("birthday"))
}

fn nodes(res: &Value) -> Vec<Value> {
    let edges = res["data"]["callTasks"]["edges"].as_array().unwrap_or_else(|| panic!("callTasks: {res}"));
    edges.iter().map(|e| e["node"].clone()).collect()
}

/// `(customer name, kind, priority)` of each task.
fn rows(res: &Value) -> Vec<(String, String, String)> {
    nodes(res)
        .iter()
        .map(|n| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&n["customer"]["name"]), s(&n["kind"]), s(&n["priority"]))
        })
        .collect()
}

crate::on_both! {
    async fn generation_creates_each_kind_once_and_leaves_blacklisted_customers_out(app) {
        let day = today(&app) + Duration::days(3);
        let bao = customer(&app, "Bảo sinh nhật", "0908100001", json!({ "birthday": born_on(day) })).await;
        customer(&app, "Bình mai sinh nhật", "0908100002", json!({ "birthday": born_on(day + Duration::days(1)) })).await;
        let hot = customer(&app, "Hải mua hôm nay", "0908100003", json!({ "birthday": born_on(day) })).await;
        order(&app, &hot, 0).await;
        let at_risk = customer(&app, "An lâu không mua", "0908100004", json!({})).await;
        order(&app, &at_risk, 75).await;
        let black = customer(&app, "Đen", "0908100005", json!({ "birthday": born_on(day) })).await;
        let res = app.gql("mutation($id: ID!) { updateCustomer(id: $id, input: { status: BLACKLISTED }) { status } }",
            json!({ "id": black })).await;
        assert_eq!(res["data"]["updateCustomer"]["status"], "BLACKLISTED", "{res}");
        let phuc = customer(&app, "Phúc hẹn gọi lại", "0908100006", json!({})).await;
        follow_up(&app, &phuc, None, day).await;
        follow_up(&app, &phuc, None, day).await;
        follow_up(&app, &black, None, day).await;
        customer(&app, "Khác", "0908100007", json!({ "birthday": born_on(day + Duration::days(5)) })).await;

        app.advance(Duration::days(3)).await;
        assert_eq!(today(&app), day);
        let minh = customer(&app, "Minh mới", "0908100008", json!({})).await;

        let res = generate(&app, None, None).await;
        assert_eq!(counts(&res), (1, 1, 1, 3), "{res}");
        assert_eq!(res["data"]["generateCallTasks"]["total"], 6);
        assert_eq!(res["data"]["generateCallTasks"]["date"], day.to_string());

        let all = app.gql(TASKS, json!({ "all": true })).await;
        let mut got = rows(&all);
        got.sort();
        let want = [
            ("An lâu không mua", "AT_RISK", "WARM"),
            ("Bình mai sinh nhật", "BIRTHDAY", "COLD"),
            ("Bảo sinh nhật", "BIRTHDAY", "COLD"),
            ("Hải mua hôm nay", "BIRTHDAY", "HOT"),
            ("Minh mới", "WELCOME", "WARM"),
            ("Phúc hẹn gọi lại", "FOLLOW_UP", "WARM"),
        ];
        let mut want: Vec<(String, String, String)> =
            want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        want.sort();
        assert_eq!(got, want, "{all}");
        assert!(nodes(&all).iter().all(|n| n["status"] == "PENDING" && n["agent"].is_null()), "no agent exists: {all}");
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE customer_id = {black}")).await, 0);
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE customer_id = {bao}")).await, 1);
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE customer_id = {minh}")).await, 1);

        // Again, and twice at once: nothing more.
        assert_eq!(counts(&generate(&app, None, None).await), (0, 0, 0, 0));
        let (a, b) = tokio::join!(generate(&app, None, None), generate(&app, None, None));
        assert_eq!((counts(&a), counts(&b)), ((0, 0, 0, 0), (0, 0, 0, 0)));
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM call_tasks").await, 6);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'call_tasks.generate'").await, 4);

        // The next day: tomorrow's birthday was called already, the new
        // customer welcomed, the at-risk customer called within 30 days.
        app.advance(Duration::days(1)).await;
        assert_eq!(counts(&generate(&app, None, None).await), (0, 0, 0, 0));
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM call_tasks").await, 6);
    }

    async fn generation_concurrent_with_itself_on_a_fresh_day_creates_each_task_once(app) {
        for i in 0..30 {
            customer(&app, &format!("Khách {i:02}"), &format!("09082000{i:02}"), json!({ "birthday": born_on(today(&app) + Duration::days(2)) })).await;
        }
        app.advance(Duration::days(2)).await;
        let (a, b) = tokio::join!(generate(&app, None, None), generate(&app, None, None));
        let (ca, cb) = (counts(&a), counts(&b));
        assert_eq!(ca.3 + cb.3, 30, "{a} {b}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM call_tasks").await, 30);
        assert_eq!(count_of(&app, "SELECT COUNT(DISTINCT customer_id) FROM call_tasks").await, 30);
    }

    async fn round_robin_deals_unassigned_tasks_evenly_over_the_active_agents(app) {
        let day = today(&app) + Duration::days(2);
        let (owner, _) = staff(&app, "Chủ", "AGENT").await;
        for i in 0..10 {
            customer(&app, &format!("Khách {i}"), &format!("09083000{i:02}"), json!({ "birthday": born_on(day) })).await;
        }
        // Two customers of one agent stay with that agent.
        for i in 10..12 {
            customer(&app, &format!("Khách {i}"), &format!("09083000{i:02}"), json!({ "birthday": born_on(day), "assignedAgentId": owner })).await;
        }
        app.advance(Duration::days(2)).await;
        let (a, _) = staff(&app, "Agent A", "AGENT").await;
        let (b, _) = staff(&app, "Agent B", "AGENT").await;
        let (inactive, _) = staff(&app, "Agent nghỉ", "AGENT").await;
        let res = app.gql("mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { active } }", json!({ "id": inactive })).await;
        assert_eq!(res["data"]["updateUser"]["active"], false, "{res}");
        staff(&app, "Quản lý", "MANAGER").await;

        assert_eq!(counts(&generate(&app, None, None).await), (0, 0, 0, 12));
        let per = |id: &str| format!("SELECT COUNT(*) FROM call_tasks WHERE agent_id = {id}");
        // The owner holds 2 of their own, so gets 2 of the 10 others: 4 each.
        let loads = (count_of(&app, &per(&owner)).await, count_of(&app, &per(&a)).await, count_of(&app, &per(&b)).await);
        assert_eq!(loads, (4, 4, 4));
        assert_eq!(count_of(&app, &per(&inactive)).await, 0);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM call_tasks WHERE agent_id IS NULL").await, 0);
        let owned = "SELECT COUNT(*) FROM call_tasks t JOIN customers c ON c.id = t.customer_id \
                     WHERE c.assigned_agent_id IS NOT NULL AND t.agent_id <> c.assigned_agent_id";
        assert_eq!(count_of(&app, owned).await, 0);
    }

    async fn a_follow_up_goes_to_whoever_logged_it_while_they_are_active(app) {
        let (a, _) = staff(&app, "Agent A", "AGENT").await;
        let (b, _) = staff(&app, "Agent B", "AGENT").await;
        let day = today(&app) + Duration::days(2);
        let one = customer(&app, "Một", "0908400001", json!({ "assignedAgentId": a })).await;
        let two = customer(&app, "Hai", "0908400002", json!({ "assignedAgentId": a })).await;
        follow_up(&app, &one, Some(&b), day).await;
        follow_up(&app, &two, Some(&b), day).await;
        app.advance(Duration::days(2)).await;
        let res = app.gql("mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { active } }", json!({ "id": b })).await;
        assert!(res["errors"].is_null(), "{res}");
        // B left: both go to the customers' agent.
        assert_eq!(counts(&generate(&app, None, None).await), (0, 2, 0, 0));
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE agent_id = {a}")).await, 2);
        // B back: tomorrow's follow-up is B's.
        app.gql("mutation($id: ID!) { updateUser(id: $id, input: { active: true }) { active } }", json!({ "id": b })).await;
        follow_up(&app, &one, Some(&b), day + Duration::days(1)).await;
        assert_eq!(counts(&generate(&app, None, Some(day + Duration::days(1))).await), (0, 1, 0, 0));
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE agent_id = {b}")).await, 1);
    }

    async fn an_agent_sees_only_their_tasks_in_priority_order(app) {
        let (a, a_email) = staff(&app, "Agent A", "AGENT").await;
        let (b, b_email) = staff(&app, "Agent B", "AGENT").await;
        let day = today(&app) + Duration::days(2);
        let bd = json!({ "birthday": born_on(day), "assignedAgentId": a });
        customer(&app, "Cường", "0908500001", bd.clone()).await;
        customer(&app, "Anh", "0908500002", bd.clone()).await;
        let zed = customer(&app, "Zed", "0908500003", bd.clone()).await;
        order(&app, &zed, 0).await;
        let risky = customer(&app, "Bảo", "0908500004", json!({ "assignedAgentId": a })).await;
        order(&app, &risky, 75).await;
        customer(&app, "Của B", "0908500005", json!({ "birthday": born_on(day), "assignedAgentId": b })).await;
        app.advance(Duration::days(2)).await;
        customer(&app, "Yến", "0908500006", json!({ "assignedAgentId": a })).await;
        assert_eq!(counts(&generate(&app, None, None).await), (1, 0, 1, 4));

        let token_a = app.login(&a_email, PASSWORD).await;
        let mine = app.gql_as(Some(&token_a), TASKS, json!({})).await;
        let want = [
            ("Zed", "BIRTHDAY", "HOT"),
            ("Yến", "WELCOME", "WARM"),
            ("Bảo", "AT_RISK", "WARM"),
            ("Anh", "BIRTHDAY", "COLD"),
            ("Cường", "BIRTHDAY", "COLD"),
        ];
        let want: Vec<(String, String, String)> = want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        assert_eq!(rows(&mine), want, "{mine}");
        assert_eq!(mine["data"]["callTasks"]["totalCount"], 5);
        assert!(nodes(&mine).iter().all(|n| n["agent"]["id"] == a.as_str()));
        // Paging keeps the order.
        let page = "query($after: String) { callTasks(first: 2, after: $after) { edges { node { customer { name } } } pageInfo { hasNextPage endCursor } } }";
        let p1 = app.gql_as(Some(&token_a), page, json!({})).await;
        let p2 = app.gql_as(Some(&token_a), page, json!({ "after": p1["data"]["callTasks"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(p1["data"]["callTasks"]["edges"][1]["node"]["customer"]["name"], "Yến", "{p1}");
        assert_eq!(p2["data"]["callTasks"]["edges"][0]["node"]["customer"]["name"], "Bảo", "{p2}");
        assert_eq!(p1["data"]["callTasks"]["pageInfo"]["hasNextPage"], true);

        // Someone else's, or everyone's: refused.
        let res = app.gql_as(Some(&token_a), TASKS, json!({ "a": b })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&token_a), TASKS, json!({ "all": true })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        // Another day, another status: empty.
        let res = app.gql_as(Some(&token_a), TASKS, json!({ "d": (day - Duration::days(1)).to_string() })).await;
        assert_eq!(res["data"]["callTasks"]["totalCount"], 0, "{res}");
        let res = app.gql_as(Some(&token_a), TASKS, json!({ "s": "COMPLETED" })).await;
        assert_eq!(res["data"]["callTasks"]["totalCount"], 0, "{res}");
        let token_b = app.login(&b_email, PASSWORD).await;
        assert_eq!(rows(&app.gql_as(Some(&token_b), TASKS, json!({})).await).len(), 1);

        // A manager: their own (none), one agent's, or all.
        let (_, m_email) = staff(&app, "Quản lý", "MANAGER").await;
        let token_m = app.login(&m_email, PASSWORD).await;
        assert_eq!(rows(&app.gql_as(Some(&token_m), TASKS, json!({})).await).len(), 0);
        assert_eq!(rows(&app.gql_as(Some(&token_m), TASKS, json!({ "a": b })).await).len(), 1);
        assert_eq!(rows(&app.gql_as(Some(&token_m), TASKS, json!({ "all": true })).await).len(), 6);
        let (_, viewer) = app.staff("VIEWER").await;
        assert_eq!(code(&app.gql_as(Some(&viewer), TASKS, json!({})).await), Some("FORBIDDEN"));
        assert_eq!(code(&generate(&app, Some(&token_a), None).await), Some("FORBIDDEN"));
        let res = generate(&app, Some(&token_m), Some(day - Duration::days(1))).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("date")), "{res}");
        let res = generate(&app, Some(&token_m), Some(day + Duration::days(2))).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("date")), "{res}");
    }

    async fn closing_a_task_needs_an_outcome_or_a_reason_and_happens_once(app) {
        let (a, a_email) = staff(&app, "Agent A", "AGENT").await;
        let (b, b_email) = staff(&app, "Agent B", "AGENT").await;
        let day = today(&app) + Duration::days(2);
        let lan = customer(&app, "Lan", "0908600001", json!({ "birthday": born_on(day), "assignedAgentId": a })).await;
        customer(&app, "Mai", "0908600002", json!({ "birthday": born_on(day), "assignedAgentId": a })).await;
        customer(&app, "Nga", "0908600003", json!({ "birthday": born_on(day), "assignedAgentId": b })).await;
        app.advance(Duration::days(2)).await;
        generate(&app, None, None).await;
        let token_a = app.login(&a_email, PASSWORD).await;
        let token_b = app.login(&b_email, PASSWORD).await;
        let mine = nodes(&app.gql_as(Some(&token_a), TASKS, json!({})).await);
        let (t_lan, t_mai) = (mine[0]["id"].as_str().unwrap().to_owned(), mine[1]["id"].as_str().unwrap().to_owned());
        let t_nga = nodes(&app.gql_as(Some(&token_b), TASKS, json!({})).await)[0]["id"].as_str().unwrap().to_owned();
        let audits = "SELECT COUNT(*) FROM audit_log WHERE action = 'call_task.update'";

        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "COMPLETED" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("outcome")), "{res}");
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "SKIPPED", "n": "   " })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("notes")), "{res}");
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "SKIPPED", "o": "REACHED", "n": "x" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("outcome")), "{res}");
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "COMPLETED", "o": "REACHED", "n": "x".repeat(2001) })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("notes")), "{res}");
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "PENDING" })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
        assert_eq!(count_of(&app, audits).await, 0, "nothing written by a refusal");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM call_tasks WHERE status <> 'PENDING'").await, 0);

        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "COMPLETED", "o": "PURCHASED", "n": "Mua bộ quà" })).await;
        let done = &res["data"]["updateCallTask"];
        assert_eq!((done["status"].as_str(), done["outcome"].as_str(), done["notes"].as_str()),
            (Some("COMPLETED"), Some("PURCHASED"), Some("Mua bộ quà")), "{res}");
        assert!(done["completedAt"].is_string());
        let timeline = app.gql("query($id: ID!) { customer(id: $id) { timeline(first: 5) { edges { node { kind summary } } } } }", json!({ "id": lan })).await;
        let entry = &timeline["data"]["customer"]["timeline"]["edges"][0]["node"];
        assert_eq!(entry["kind"], "call_task.completed", "{timeline}");
        assert_eq!(entry["summary"], "Birthday call: purchased — Mua bộ quà");
        assert_eq!(count_of(&app, audits).await, 1);

        // Once closed, closed.
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_lan, "s": "SKIPPED", "n": "lỡ tay" })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["from"], "COMPLETED");

        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_mai, "s": "SKIPPED", "n": "Khách đi công tác" })).await;
        assert_eq!(res["data"]["updateCallTask"]["status"], "SKIPPED", "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'call_task.skipped'").await, 1);

        // Someone else's task, a missing one, a VIEWER.
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": t_nga, "s": "COMPLETED", "o": "REACHED" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": "999999", "s": "COMPLETED", "o": "REACHED" })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        let (_, viewer) = app.staff("VIEWER").await;
        assert_eq!(code(&app.gql_as(Some(&viewer), UPDATE, json!({ "id": t_nga, "s": "COMPLETED", "o": "REACHED" })).await), Some("FORBIDDEN"));
        // A manager may close anyone's.
        let res = app.gql(UPDATE, json!({ "id": t_nga, "s": "COMPLETED", "o": "NO_ANSWER" })).await;
        assert_eq!(res["data"]["updateCallTask"]["outcome"], "NO_ANSWER", "{res}");
        assert_eq!(count_of(&app, audits).await, 3);
    }

    async fn agent_performance_counts_tasks_completed_and_successful_over_a_range(app) {
        let (a, a_email) = staff(&app, "An", "AGENT").await;
        let (b, b_email) = staff(&app, "Bình", "AGENT").await;
        let d1 = today(&app) + Duration::days(2);
        // Day 1 (with day 2's birthdays as "tomorrow"): A 3, B 2; day 2: A 1.
        for (i, agent) in [&a, &a, &a, &b, &b].iter().enumerate() {
            customer(&app, &format!("K{i}"), &format!("09087000{i:02}"), json!({ "birthday": born_on(d1), "assignedAgentId": agent })).await;
        }
        customer(&app, "K9", "0908700009", json!({ "birthday": born_on(d1 + Duration::days(2)), "assignedAgentId": a })).await;
        app.advance(Duration::days(2)).await;
        assert_eq!(counts(&generate(&app, None, None).await).3, 5);
        let token_a = app.login(&a_email, PASSWORD).await;
        let token_b = app.login(&b_email, PASSWORD).await;
        let ids = |res: Value| nodes(&res).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let mine = ids(app.gql_as(Some(&token_a), TASKS, json!({})).await);
        for (id, s, o) in [(&mine[0], "COMPLETED", Some("REACHED")), (&mine[1], "COMPLETED", Some("NO_ANSWER")), (&mine[2], "SKIPPED", None)] {
            let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": id, "s": s, "o": o, "n": "ghi chú" })).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let theirs = ids(app.gql_as(Some(&token_b), TASKS, json!({})).await);
        let res = app.gql_as(Some(&token_b), UPDATE, json!({ "id": theirs[0], "s": "COMPLETED", "o": "CALLBACK" })).await;
        assert!(res["errors"].is_null(), "{res}");

        app.advance(Duration::days(1)).await;
        assert_eq!(counts(&generate(&app, None, None).await).3, 1);
        let token_a = app.login(&a_email, PASSWORD).await;
        let last = ids(app.gql_as(Some(&token_a), TASKS, json!({})).await);
        let res = app.gql_as(Some(&token_a), UPDATE, json!({ "id": last[0], "s": "COMPLETED", "o": "PURCHASED" })).await;
        assert!(res["errors"].is_null(), "{res}");

        const PERF: &str = "query($f: NaiveDate!, $t: NaiveDate!) { agentPerformance(from: $f, to: $t) { agentId name tasks completed successful skipped completionRate successRate } }";
        let d2 = d1 + Duration::days(1);
        let res = app.gql(PERF, json!({ "f": d1.to_string(), "t": d2.to_string() })).await;
        assert_eq!(res["data"]["agentPerformance"], json!([
            { "agentId": a, "name": "An", "tasks": 4, "completed": 3, "successful": 2, "skipped": 1, "completionRate": 75, "successRate": 66 },
            { "agentId": b, "name": "Bình", "tasks": 2, "completed": 1, "successful": 0, "skipped": 0, "completionRate": 50, "successRate": 0 },
        ]), "{res}");
        let res = app.gql(PERF, json!({ "f": d2.to_string(), "t": d2.to_string() })).await;
        assert_eq!(res["data"]["agentPerformance"], json!([
            { "agentId": a, "name": "An", "tasks": 1, "completed": 1, "successful": 1, "skipped": 0, "completionRate": 100, "successRate": 100 },
        ]), "{res}");

        let res = app.gql(PERF, json!({ "f": d2.to_string(), "t": d1.to_string() })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("to")), "{res}");
        let res = app.gql(PERF, json!({ "f": (d2 - Duration::days(366)).to_string(), "t": d2.to_string() })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("to")), "{res}");
        let res = app.gql(PERF, json!({ "f": (d2 - Duration::days(365)).to_string(), "t": d2.to_string() })).await;
        assert!(res["errors"].is_null(), "366 days are allowed: {res}");
        assert_eq!(code(&app.gql_as(Some(&token_a), PERF, json!({ "f": d1.to_string(), "t": d2.to_string() })).await), Some("FORBIDDEN"));
    }

    async fn recommendation_rules_are_managed_and_matched_by_customer_type(app) {
        for (sku, price) in [("TEA-1", "100000"), ("CUP-1", "50000"), ("VIP-1", "900000"), ("OLD-1", "10000")] {
            let res = app.gql("mutation($i: ProductInputGql!) { saveProduct(input: $i) { sku } }",
                json!({ "i": { "sku": sku, "name": format!("Sản phẩm {sku}"), "price": price } })).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let any_tea = save_rule(&app, json!({ "category": "upsell", "productSku": "TEA-1", "discountPercent": 20, "priority": 10 })).await;
        save_rule(&app, json!({ "customerType": "NEW", "category": "welcome", "productSku": "CUP-1", "discountPercent": 5, "priority": 10 })).await;
        save_rule(&app, json!({ "customerType": "NEW", "category": "starter", "productSku": "OLD-1", "priority": 1 })).await;
        let vip = save_rule(&app, json!({ "customerType": "VIP", "category": "vip", "productSku": "VIP-1", "discountPercent": 15, "priority": 50 })).await;
        save_rule(&app, json!({ "category": "old", "productSku": "OLD-1", "priority": 100, "active": false })).await;

        let lan = customer(&app, "Lan", "0908800001", json!({})).await;
        const RECS: &str = "query($c: ID!) { recommendations(customerId: $c) { category productSku productName price discountPercent discountedPrice } }";
        let res = app.gql(RECS, json!({ "c": lan })).await;
        let recs = res["data"]["recommendations"].as_array().unwrap_or_else(|| panic!("{res}"));
        let skus: Vec<&str> = recs.iter().map(|r| r["productSku"].as_str().unwrap()).collect();
        assert_eq!(skus, ["CUP-1", "TEA-1", "OLD-1"], "same priority: the customer's type first; inactive rules and other types left out: {res}");
        assert_eq!(recs[1], json!({ "category": "upsell", "productSku": "TEA-1", "productName": "Sản phẩm TEA-1",
            "price": "100000", "discountPercent": 20, "discountedPrice": "80000" }));

        // The VIP rule moved to NEW customers comes first; a deleted rule goes.
        let res = app.gql(SAVE, json!({ "i": { "id": vip, "customerType": "NEW", "category": "vip", "productSku": "VIP-1", "discountPercent": 15, "priority": 50 } })).await;
        assert_eq!(res["data"]["saveRecommendationRule"]["customerType"], "NEW", "{res}");
        let res = app.gql("mutation($id: ID!) { deleteRecommendationRule(id: $id) }", json!({ "id": any_tea })).await;
        assert_eq!(res["data"]["deleteRecommendationRule"], any_tea.as_str(), "{res}");
        let res = app.gql("mutation($id: ID!) { deleteRecommendationRule(id: $id) }", json!({ "id": any_tea })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        let res = app.gql(RECS, json!({ "c": lan })).await;
        let skus: Vec<&str> = res["data"]["recommendations"].as_array().unwrap().iter().map(|r| r["productSku"].as_str().unwrap()).collect();
        assert_eq!(skus, ["VIP-1", "CUP-1", "OLD-1"], "{res}");
        let list = app.gql("{ all: recommendationRules { id } active: recommendationRules(activeOnly: true) { id } }", json!({})).await;
        assert_eq!((list["data"]["all"].as_array().unwrap().len(), list["data"]["active"].as_array().unwrap().len()), (4, 3), "{list}");

        // Shown with each call task, for its customer.
        let day = today(&app);
        customer(&app, "Mai", "0908800002", json!({ "birthday": born_on(day) })).await;
        generate(&app, None, None).await;
        let res = app.gql("{ callTasks(allAgents: true) { edges { node { customer { name } recommendations { productSku } } } } }", json!({})).await;
        let edges = res["data"]["callTasks"]["edges"].as_array().unwrap_or_else(|| panic!("{res}"));
        assert_eq!(edges.len(), 3, "two welcome calls and a birthday: {res}");
        for e in edges {
            assert_eq!(e["node"]["recommendations"], json!([{ "productSku": "VIP-1" }, { "productSku": "CUP-1" }, { "productSku": "OLD-1" }]), "{res}");
        }

        // Refusals, by field; nothing half-written.
        for (input, f) in [
            (json!({ "category": "x", "productSku": "NOPE" }), "input.productSku"),
            (json!({ "category": "x", "productSku": "TEA-1", "discountPercent": 101 }), "input.discountPercent"),
            (json!({ "category": "x", "productSku": "TEA-1", "discountPercent": -1 }), "input.discountPercent"),
            (json!({ "category": "  ", "productSku": "TEA-1" }), "input.category"),
            (json!({ "category": "x", "productSku": "TEA-1", "priority": 1001 }), "input.priority"),
            (json!({ "id": "abc", "category": "x", "productSku": "TEA-1" }), "input.id"),
        ] {
            let res = app.gql(SAVE, json!({ "i": input })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(f)), "{res}");
        }
        let res = app.gql(SAVE, json!({ "i": { "id": "999999", "category": "x", "productSku": "TEA-1" } })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM recommendation_rules").await, 4);
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), SAVE, json!({ "i": { "category": "x", "productSku": "TEA-1" } })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&agent), "mutation($id: ID!) { deleteRecommendationRule(id: $id) }", json!({ "id": vip })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        // An agent reads recommendations for their own customers only.
        let res = app.gql_as(Some(&agent), RECS, json!({ "c": lan })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'recommendation_rule'").await, 7);
    }
}

/// The scheduler runs `call-tasks` at 6 AM business time, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_tasks_job_runs_at_six_in_the_morning_business_time() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.jobs_enabled = true).await.unwrap();
    let tz = app.ctx.tz;
    let local = app.clock.now().with_timezone(&tz);
    let mut six = tz.from_local_datetime(&local.date_naive().and_hms_opt(6, 0, 0).unwrap()).unwrap();
    if six <= local {
        six += Duration::days(1);
    }
    let day = six.date_naive();
    customer(&app, "Sinh nhật", "0908900001", json!({ "birthday": born_on(day) })).await;
    let runs = || async {
        app.gql("{ jobRuns(job: \"call-tasks\") { trigger ok summary } }", json!({})).await["data"]["jobRuns"].clone()
    };

    // A minute before six: nothing.
    let until = six.with_timezone(&chrono::Utc) - app.clock.now();
    app.advance(until - Duration::minutes(1)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(runs().await, json!([]));

    app.advance(Duration::minutes(1)).await;
    let mut got = json!([]);
    for _ in 0..100 {
        got = runs().await;
        if got.as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(got[0]["trigger"], "schedule", "{got}");
    assert_eq!(got[0]["ok"], true, "{got}");
    let summary = got[0]["summary"].as_str().unwrap();
    assert!(summary.ends_with("call tasks created"), "{summary}");
    assert_eq!(
        count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE due_date = '{day}'")).await,
        2,
        "{summary}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(runs().await.as_array().unwrap().len(), 1, "one run");
}
