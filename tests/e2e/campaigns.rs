//! The campaigns screens in the browser: a nested segment built rule by
//! rule with its audience counted live and a bad value refused at its
//! rule; a template refused for an unknown placeholder, then previewed for
//! the audience's first customer; the campaign started and followed live
//! to COMPLETED with its communication log; pause and resume.
//!
//! The browser harness starts the server without campaign delivery (the
//! API tests drive it themselves); these tests start the delivery workers
//! and the simulated vendor on the test server when they want messages to
//! go out.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::{PATIENCE, Session, scenario};

const MANAGER_EMAIL: &str = "mai.manager@test.local";
const PASSWORD: &str = "password-1234";

/// Eight customers; the segment "Gold, or 2+ orders in a city containing
/// “ha”" selects An, Binh, Em and Giang.
const CUSTOMERS: [(&str, &str, &str, i32, &str); 8] = [
    ("An", "0901000001", "GOLD", 0, "Hue"),
    ("Binh", "0901000002", "SILVER", 3, "Hanoi"),
    ("Chi", "0901000003", "NEW", 1, "Hanoi"),
    ("Dung", "0901000004", "SILVER", 5, "Da Nang"),
    ("Em", "0901000005", "NEW", 2, "Hai Phong"),
    ("Giang", "0901000006", "GOLD", 4, "Ha Long"),
    ("Hoa", "0901000007", "PLATINUM", 9, "Saigon"),
    ("Khanh", "0901000008", "SILVER", 2, "Hue"),
];

/// The customers, with the tier, order count and city the rules test
/// (derived fields, set in the database as the nightly jobs would).
async fn prepare_customers(s: &Session) {
    for (name, phone, tier, orders, city) in CUSTOMERS {
        let c = s.app.customer(name, phone).await;
        let id = c["id"].as_str().unwrap();
        s.app
            .exec(&format!(
                "UPDATE customers SET tier = '{tier}', order_count = {orders}, city = '{city}' WHERE id = {id}"
            ))
            .await;
    }
}

/// A manager account, signed in.
async fn sign_in_as_manager(s: &Session) {
    let res = s
        .app
        .gql(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "email": MANAGER_EMAIL, "name": "Mai Manager", "role": "MANAGER", "password": PASSWORD } }),
        )
        .await;
    assert!(res["errors"].is_null(), "createUser: {res}");
    s.sign_in(MANAGER_EMAIL, PASSWORD).await;
}

/// Starts the delivery worker and the simulated vendor on the test server.
fn start_delivery(s: &Session) -> Vec<tokio::task::JoinHandle<()>> {
    crm360::campaigns::delivery::spawn(&s.app.ctx, s.app.url("/webhooks/receipts"))
}

/// Saves a screenshot of the page scrolled to the top.
async fn shoot(s: &Session, name: &str) {
    s.script("window.scrollTo(0, 0); return null;").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots/shots");
    std::fs::create_dir_all(&dir).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(dir.join(format!("{name}.png")), s.c.screenshot().await.unwrap()).unwrap();
}

/// A number shown in `css` (`1.234` → 1234).
async fn number(s: &Session, css: &str) -> i64 {
    let text = s.text(css).await;
    text.replace('.', "").trim().parse().unwrap_or_else(|_| panic!("{css} shows “{text}”, not a number"))
}

/// The condition at a rule path.
fn rule(path: &str) -> String {
    format!(".seg-cond[data-path='{path}']")
}

/// A button of the group at `path` itself (not of a nested group).
fn group_button(path: &str, class: &str) -> String {
    format!(".seg-group[data-path='{path}'] > .seg-group-actions > .{class}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_builds_a_nested_segment_writes_the_message_and_follows_the_sending_live() {
    scenario("campaign_editor", |s| async move {
        prepare_customers(&s).await;
        sign_in_as_manager(&s).await;
        s.click_text(".topbar-nav", "Campaigns").await;
        s.wait_path("/campaigns").await;
        s.wait_text(".empty", "No campaigns yet").await;
        s.click("#new-campaign").await;
        s.wait_path("/campaigns/new").await;

        // No rule: everyone.
        s.wait_text("#audience-count", "Audience: 8 customers").await;

        // Tier = Gold.
        s.click(&group_button("rules", "seg-add-condition")).await;
        s.select(&format!("{} .seg-value", rule("rules.conditions.0")), "GOLD").await;
        s.wait_text("#audience-count", "Audience: 2 customers").await;

        // … OR (orders ≥ 2 AND city contains "Ha").
        s.click(".seg-group[data-path='rules'] > .seg-group-head .seg-or").await;
        s.click(&group_button("rules", "seg-add-group")).await;
        let orders = rule("rules.groups.0.conditions.0");
        s.select(&format!("{orders} .seg-field"), "orderCount").await;
        // The operators follow the field: a number has no "contains".
        s.find(&format!("{orders} .seg-operator option[value='gte']")).await;
        assert!(s.all(&format!("{orders} .seg-operator option[value='contains']")).await.is_empty());
        s.select(&format!("{orders} .seg-operator"), "gte").await;
        s.fill(&format!("{orders} .seg-value"), "2").await;
        s.wait_text("#audience-count", "Audience: 7 customers").await;
        s.click(&group_button("rules.groups.0", "seg-add-condition")).await;
        let city = rule("rules.groups.0.conditions.1");
        s.select(&format!("{city} .seg-field"), "city").await;
        s.select(&format!("{city} .seg-operator"), "contains").await;
        s.fill(&format!("{city} .seg-value"), "Ha").await;
        s.wait_text("#audience-count", "Audience: 4 customers").await;
        for name in ["An", "Binh", "Em", "Giang"] {
            s.wait_text(".audience-sample", name).await;
        }
        assert!(!s.text(".audience-sample").await.contains("Chi"), "Chi has a single order");

        // The server agrees with the count for the same rules.
        let rules = json!({ "op": "OR",
            "conditions": [{ "field": "tier", "operator": "eq", "value": "GOLD" }],
            "groups": [{ "op": "AND", "conditions": [
                { "field": "orderCount", "operator": "gte", "value": "2" },
                { "field": "city", "operator": "contains", "value": "Ha" }] }] });
        let res = s
            .app
            .gql("query($r: SegmentRulesInput!) { previewSegment(rules: $r) { count } }", json!({ "r": rules }))
            .await;
        assert_eq!(res["data"]["previewSegment"]["count"], 4, "{res}");

        // A bad value: refused next to its rule, and only there.
        s.click(&group_button("rules", "seg-add-condition")).await;
        let month = rule("rules.conditions.1");
        s.select(&format!("{month} .seg-field"), "birthdayMonth").await;
        s.fill(&format!("{month} .seg-value"), "13").await;
        s.wait_text(&format!("{month} .seg-error"), "a month from 1 to 12").await;
        s.wait_text("#audience-count", "Audience: —").await;
        s.wait_count(".seg-cond.has-error", 1).await;
        s.click(&format!("{month} .seg-remove")).await;
        s.wait_text("#audience-count", "Audience: 4 customers").await;
        s.wait_gone(".seg-cond.has-error").await;

        // The message: an unknown placeholder is refused at the template.
        s.fill("#campaign-name", "Spring sale").await;
        s.fill("#campaign-template", "Chào {{nickname}}").await;
        s.wait_text("#template-error", "unknown placeholder {{nickname}}").await;
        // A good one, with placeholders inserted by their buttons.
        s.fill("#campaign-template", "Chào ").await;
        s.click(".placeholder-btn[data-placeholder='{{name}}']").await;
        s.find("#campaign-template").await.send_keys(", mã ").await.unwrap();
        s.click(".placeholder-btn[data-placeholder='{{discount_code}}']").await;
        s.fill("#campaign-discount", "SPRING10").await;
        let template = s.find("#campaign-template").await.prop("value").await.unwrap().unwrap_or_default();
        assert_eq!(template, "Chào {{name}}, mã {{discount_code}}");
        s.wait_text("#template-preview", "Preview for An").await;
        s.wait_text(".template-preview-text", "Chào An, mã SPRING10").await;
        s.wait_gone(".template-field.has-error").await;
        shoot(&s, "campaign-editor").await;
        s.script("document.querySelector('#template-preview').scrollIntoView(); return null;").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/e2e-screenshots/shots/campaign-message.png"),
            s.c.screenshot().await.unwrap(),
        )
        .unwrap();

        // Created as a draft, the rules saved as a segment on the way.
        s.click_text(".campaign-editor", "Create draft").await;
        s.wait_text("#campaign-status", "Draft").await;
        let path = s.c.current_url().await.unwrap().path().to_owned();
        let id = path.strip_prefix("/campaigns/").unwrap().to_owned();
        let saved =
            s.app.gql("query($id: ID!) { campaign(id: $id) { status segment { name } } }", json!({ "id": id })).await;
        assert_eq!(saved["data"]["campaign"]["segment"]["name"], "Spring sale audience", "{saved}");
        s.wait_text("#campaign-template-text", "Chào {{name}}, mã {{discount_code}}").await;

        // Started: the live progress reaches COMPLETED; sent + failed = audience.
        let delivery = start_delivery(&s);
        s.click("#campaign-start").await;
        s.wait_text("#campaign-status", "Completed").await;
        assert_eq!(number(&s, "#count-audience").await, 4);
        let (sent, failed) = (number(&s, "#count-sent").await, number(&s, "#count-failed").await);
        assert_eq!(sent + failed, 4, "delivered {sent} + failed {failed}");
        assert_eq!(number(&s, "#count-pending").await, 0);
        s.wait_text("#campaign-summary", "Delivered").await;
        s.wait_text("#campaign-settled", "4 of 4 settled").await;

        // The log lists the messages as rendered for each customer.
        s.wait_count(".log-row[data-status='DELIVERED'], .log-row[data-status='FAILED']", 4).await;
        let mut messages = Vec::new();
        for cell in s.all(".log-row .log-message").await {
            messages.push(cell.text().await.unwrap());
        }
        messages.sort();
        assert_eq!(
            messages,
            ["Chào An, mã SPRING10", "Chào Binh, mã SPRING10", "Chào Em, mã SPRING10", "Chào Giang, mã SPRING10"]
        );
        s.wait_text("#log-total", "4 messages").await;
        s.select("#log-status", "DELIVERED").await;
        s.wait_count(".log-row", sent as usize).await;
        s.wait_text("#log-total", &format!("{sent} messages")).await;
        shoot(&s, "campaign-detail").await;

        // The list shows it with its counts.
        s.script("window.scrollTo(0, 0); return null;").await;
        s.click_text(".page-header", "Campaigns").await;
        s.wait_text(".campaign-row", "Spring sale").await;
        s.wait_text(".campaign-row .campaign-status", "Completed").await;
        s.wait_text(".campaign-row .campaign-sent", &format!("{sent} / {failed}")).await;
        shoot(&s, "campaigns").await;
        for job in delivery {
            job.abort();
        }
    })
    .await;
}

async fn campaign_status(s: &Session, id: &str) -> Value {
    s.app.gql("query($id: ID!) { campaign(id: $id) { status } }", json!({ "id": id })).await["data"]["campaign"]["status"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_change_the_status_and_the_buttons() {
    scenario("campaign_pause", |s| async move {
        prepare_customers(&s).await;
        let segment = s
            .app
            .gql(
                "mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }",
                json!({ "i": { "name": "Gold", "rules": { "op": "AND",
                    "conditions": [{ "field": "tier", "operator": "eq", "value": "GOLD" }] } } }),
            )
            .await;
        let segment_id = segment["data"]["saveSegment"]["id"].as_str().unwrap_or_else(|| panic!("{segment}")).to_owned();
        let created = s
            .app
            .gql(
                "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": { "name": "Gold thanks", "channel": "SMS", "segmentId": segment_id, "template": "Cảm ơn {{name}}" } }),
            )
            .await;
        let id = created["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();

        sign_in_as_manager(&s).await;
        s.open(&format!("/campaigns/{id}")).await;
        s.wait_text("#campaign-status", "Draft").await;
        assert!(s.all("#campaign-pause").await.is_empty(), "a draft cannot be paused");

        // A draft is edited in the editor, on its saved segment.
        s.click("#campaign-edit").await;
        s.wait_path(&format!("/campaigns/{id}/edit")).await;
        s.wait_text("#audience-count", "Audience: 2 customers").await;
        assert_eq!(s.find("#segment-pick").await.prop("value").await.unwrap().as_deref(), Some(segment_id.as_str()));
        s.fill("#campaign-name", "Gold thank-you").await;
        s.click_text(".campaign-editor", "Save changes").await;
        s.wait_path(&format!("/campaigns/{id}")).await;
        s.wait_text("#campaign-name", "Gold thank-you").await;
        assert_eq!(crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM segments").await, 1, "no new segment");

        // No delivery yet: started, it stays RUNNING with everything pending.
        s.click("#campaign-start").await;
        s.wait_text("#campaign-status", "Running").await;
        s.wait_text("#count-pending", "2").await;
        assert_eq!(campaign_status(&s, &id).await, "RUNNING");
        s.wait_gone("#campaign-start").await;

        s.click("#campaign-pause").await;
        s.wait_text("#campaign-status", "Paused").await;
        assert_eq!(campaign_status(&s, &id).await, "PAUSED");
        s.wait_gone("#campaign-pause").await;

        // Paused, nothing goes out even with the workers running.
        let delivery = start_delivery(&s);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(campaign_status(&s, &id).await, "PAUSED");
        assert_eq!(s.text("#count-pending").await, "2");

        s.click("#campaign-resume").await;
        s.wait_gone("#campaign-resume").await;
        s.wait_text("#campaign-status", "Completed").await;
        assert_eq!(number(&s, "#count-sent").await + number(&s, "#count-failed").await, 2);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while campaign_status(&s, &id).await != "COMPLETED" {
            assert!(tokio::time::Instant::now() < deadline, "the server never completed the campaign");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for job in delivery {
            job.abort();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_campaigns_but_cannot_create_or_run_them() {
    scenario("campaign_viewer", |s| async move {
        let segment = s
            .app
            .gql(
                "mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }",
                json!({ "i": { "name": "Everyone", "rules": { "op": "AND" } } }),
            )
            .await;
        let segment_id = segment["data"]["saveSegment"]["id"].as_str().unwrap_or_else(|| panic!("{segment}")).to_owned();
        let created = s
            .app
            .gql(
                "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": { "name": "Tết greetings", "channel": "EMAIL", "segmentId": segment_id, "template": "Chúc mừng năm mới {{name}}" } }),
            )
            .await;
        let id = created["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
        let res = s
            .app
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": "vy.viewer@test.local", "name": "Vy Viewer", "role": "VIEWER", "password": PASSWORD } }),
            )
            .await;
        assert!(res["errors"].is_null(), "createUser: {res}");
        s.sign_in("vy.viewer@test.local", PASSWORD).await;
        assert!(!s.text(".topbar-nav").await.contains("Campaigns"), "no menu entry below MANAGER");

        s.open("/campaigns").await;
        s.wait_text(".campaign-row", "Tết greetings").await;
        s.wait_text(".campaign-row .campaign-status", "Draft").await;
        assert!(s.all("#new-campaign").await.is_empty(), "a viewer cannot create campaigns");

        s.open(&format!("/campaigns/{id}")).await;
        s.wait_text("#campaign-status", "Draft").await;
        s.wait_text("#campaign-template-text", "Chúc mừng năm mới {{name}}").await;
        for button in ["#campaign-start", "#campaign-edit", "#campaign-cancel", ".campaign-log"] {
            assert!(s.all(button).await.is_empty(), "a viewer sees no {button}");
        }
        s.open("/campaigns/new").await;
        s.wait_text(".banner", "Only managers").await;
    })
    .await;
}
