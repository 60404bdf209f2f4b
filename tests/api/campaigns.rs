//! Segments, campaigns and their delivery through the simulated vendor.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of, field};

const PREVIEW: &str =
    "query($r: SegmentRulesInput!) { previewSegment(rules: $r, sample: 50) { count sample { name } } }";

fn cond(field: &str, op: &str, value: Value) -> Value {
    match value {
        Value::Array(values) => json!({ "field": field, "operator": op, "values": values }),
        v => json!({ "field": field, "operator": op, "value": v }),
    }
}

fn all(conditions: Vec<Value>) -> Value {
    json!({ "op": "AND", "conditions": conditions })
}

async fn count(app: &TestApp, rules: Value) -> i64 {
    let res = app.gql(PREVIEW, json!({ "r": rules })).await;
    res["data"]["previewSegment"]["count"].as_i64().unwrap_or_else(|| panic!("preview: {res}"))
}

async fn names(app: &TestApp, rules: Value) -> Vec<String> {
    let res = app.gql(PREVIEW, json!({ "r": rules })).await;
    let mut v: Vec<String> = res["data"]["previewSegment"]["sample"]
        .as_array()
        .unwrap_or_else(|| panic!("preview: {res}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// Five customers with known derived fields (set straight in the database,
/// as the nightly RFM run would).
async fn five_customers(app: &TestApp) {
    let rows = [
        (
            "An",
            "0901000001",
            "GOLD",
            "VIP",
            "ACTIVE",
            "HOT",
            12_000_000,
            9,
            1,
            "Hanoi",
            "[\"vip\",\"hn\"]",
            "Champions",
            "1990-03-05",
        ),
        (
            "Binh",
            "0901000002",
            "SILVER",
            "REPEAT",
            "AT_RISK",
            "COLD",
            3_000_000,
            3,
            70,
            "Da Nang",
            "[\"dn\"]",
            "At Risk",
            "1985-12-24",
        ),
        (
            "Chi",
            "0901000003",
            "NEW",
            "NEW",
            "NEW",
            "WARM",
            400_000,
            1,
            20,
            "Hanoi",
            "[]",
            "New Customers",
            "2000-03-30",
        ),
        (
            "Dung",
            "0901000004",
            "PLATINUM",
            "VIP",
            "ACTIVE",
            "HOT",
            25_000_000,
            15,
            2,
            "Ho Chi Minh City",
            "[\"vip\"]",
            "Champions",
            "1979-07-01",
        ),
        ("Em", "0901000005", "NEW", "NEW", "PROSPECT", "COLD", 0, 0, -1, "", "[]", "", ""),
    ];
    for (name, phone, tier, ty, life, temp, spent, orders, days_ago, city, tags, seg, birthday) in rows {
        let c = app.customer(name, phone).await;
        let id = c["id"].as_str().unwrap();
        let last = if days_ago < 0 {
            "NULL".to_owned()
        } else {
            let at = app.ctx.now() - chrono::Duration::days(days_ago);
            format!("'{}'", at.format("%Y-%m-%d %H:%M:%S%:z"))
        };
        let city = if city.is_empty() { "NULL".to_owned() } else { format!("'{city}'") };
        let seg = if seg.is_empty() { "NULL".to_owned() } else { format!("'{seg}'") };
        let birthday = if birthday.is_empty() { "NULL".to_owned() } else { format!("'{birthday}'") };
        app.exec(&format!(
            "UPDATE customers SET tier = '{tier}', customer_type = '{ty}', lifecycle_stage = '{life}', \
             temperature = '{temp}', total_spent = {spent}, order_count = {orders}, last_order_at = {last}, \
             city = {city}, tags = '{tags}', rfm_segment = {seg}, birthday = {birthday} WHERE id = {id}"
        ))
        .await;
    }
    // An's wallet holds 750,000; the others nothing.
    app.exec("UPDATE wallets SET real_balance = 500000, virtual_balance = 250000 WHERE customer_id = (SELECT id FROM customers WHERE name = 'An')")
        .await;
}

fn delivering(c: &mut crm360::config::Config) {
    c.delivery_enabled = true;
    c.delivery_tick_ms = 20;
}

/// Creates a segment and a campaign on it, returns the campaign's id.
async fn campaign(app: &TestApp, rules: Value, template: &str) -> String {
    let seg = app
        .gql(
            "mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }",
            json!({ "i": { "name": format!("seg-{}", uuid::Uuid::new_v4().simple()), "rules": rules } }),
        )
        .await;
    let seg_id = seg["data"]["saveSegment"]["id"].as_str().unwrap_or_else(|| panic!("saveSegment: {seg}")).to_owned();
    let res = app
        .gql(
            "mutation($i: CampaignInput!) { createCampaign(input: $i) { id status } }",
            json!({ "i": { "name": "Spring sale", "channel": "SMS", "segmentId": seg_id, "template": template, "discountCode": "SPRING10" } }),
        )
        .await;
    assert_eq!(res["data"]["createCampaign"]["status"], "DRAFT", "{res}");
    res["data"]["createCampaign"]["id"].as_str().unwrap().to_owned()
}

const CAMPAIGN: &str = "query($id: ID!) { campaign(id: $id) { status summary counts { audience pending awaitingReceipt sent failed cancelled expired } } }";

/// Polls the campaign until `done` holds (at most 60 s).
async fn wait_for(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let res = app.gql(CAMPAIGN, json!({ "id": id })).await;
        let c = res["data"]["campaign"].clone();
        assert!(!c.is_null(), "campaign: {res}");
        if done(&c) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("campaign {id} never got there: {}", app.gql(CAMPAIGN, json!({ "id": id })).await);
}

fn adds_up(c: &Value) {
    let n = |k: &str| c["counts"][k].as_i64().unwrap();
    assert_eq!(n("pending") + n("sent") + n("failed") + n("cancelled") + n("expired"), n("audience"), "{c}");
}

crate::on_both! {
    async fn every_operator_and_nesting_select_the_right_customers(app) {
        five_customers(&app).await;
        assert_eq!(count(&app, all(vec![])).await, 5);
        assert_eq!(names(&app, all(vec![cond("tier", "eq", json!("gold"))])).await, ["An"]);
        assert_eq!(count(&app, all(vec![cond("tier", "neq", json!("NEW"))])).await, 3);
        assert_eq!(names(&app, all(vec![cond("customerType", "in", json!(["VIP", "REPEAT"]))])).await, ["An", "Binh", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("lifecycleStage", "eq", json!("AT_RISK"))])).await, ["Binh"]);
        assert_eq!(count(&app, all(vec![cond("temperature", "eq", json!("HOT"))])).await, 2);
        assert_eq!(names(&app, all(vec![cond("totalSpent", "gt", json!("12000000"))])).await, ["Dung"]);
        assert_eq!(names(&app, all(vec![cond("totalSpent", "gte", json!("12000000"))])).await, ["An", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("totalSpent", "lt", json!("400000"))])).await, ["Em"]);
        assert_eq!(names(&app, all(vec![cond("totalSpent", "lte", json!("400000"))])).await, ["Chi", "Em"]);
        assert_eq!(names(&app, all(vec![cond("totalSpent", "between", json!(["400000", "3000000"]))])).await, ["Binh", "Chi"]);
        assert_eq!(names(&app, all(vec![cond("orderCount", "eq", json!("3"))])).await, ["Binh"]);
        assert_eq!(count(&app, all(vec![cond("orderCount", "in", json!(["1", "9", "15"]))])).await, 3);
        assert_eq!(names(&app, all(vec![cond("lastOrderAt", "within_last_days", json!("7"))])).await, ["An", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("lastOrderAt", "within_last_days", json!("30"))])).await, ["An", "Chi", "Dung"]);
        let day = |ago: i64| (app.ctx.now().with_timezone(&app.ctx.tz) - chrono::Duration::days(ago)).format("%Y-%m-%d").to_string();
        assert_eq!(names(&app, all(vec![cond("lastOrderAt", "lt", json!(day(60)))])).await, ["Binh"]);
        assert_eq!(names(&app, all(vec![cond("lastOrderAt", "between", json!([day(25), day(15)]))])).await, ["Chi"]);
        assert_eq!(names(&app, all(vec![cond("city", "eq", json!("Hanoi"))])).await, ["An", "Chi"]);
        // "Not Hanoi" includes the customer without a city.
        assert_eq!(names(&app, all(vec![cond("city", "neq", json!("Hanoi"))])).await, ["Binh", "Dung", "Em"]);
        assert_eq!(names(&app, all(vec![cond("city", "contains", json!("chi minh"))])).await, ["Dung"]);
        assert_eq!(names(&app, all(vec![cond("tags", "contains", json!("vip"))])).await, ["An", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("tags", "in", json!(["hn", "dn"]))])).await, ["An", "Binh"]);
        assert_eq!(count(&app, all(vec![cond("tags", "neq", json!("vip"))])).await, 3);
        assert_eq!(names(&app, all(vec![cond("rfmSegment", "eq", json!("Champions"))])).await, ["An", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("birthdayMonth", "eq", json!("3"))])).await, ["An", "Chi"]);
        assert_eq!(names(&app, all(vec![cond("birthdayMonth", "between", json!(["7", "12"]))])).await, ["Binh", "Dung"]);
        assert_eq!(names(&app, all(vec![cond("walletBalance", "gte", json!("750000"))])).await, ["An"]);
        // (Gold OR at risk) AND NOT in Da Nang … nested both ways.
        let nested = json!({ "op": "AND", "conditions": [cond("city", "neq", json!("Da Nang"))], "groups": [
            { "op": "OR", "conditions": [cond("tier", "eq", json!("GOLD"))], "groups": [
                { "op": "AND", "conditions": [cond("customerType", "eq", json!("NEW")), cond("temperature", "eq", json!("WARM"))] }
            ] }
        ] });
        assert_eq!(names(&app, nested).await, ["An", "Chi"]);
        let any = json!({ "op": "OR", "conditions": [cond("tier", "eq", json!("PLATINUM")), cond("lifecycleStage", "eq", json!("PROSPECT"))] });
        assert_eq!(names(&app, any).await, ["Dung", "Em"]);
        // Blacklisted customers are never in an audience.
        app.exec("UPDATE customers SET status = 'BLACKLISTED' WHERE name = 'Dung'").await;
        assert_eq!(names(&app, all(vec![cond("customerType", "eq", json!("VIP"))])).await, ["An"]);
    }

    async fn rule_values_are_data_never_sql(app) {
        five_customers(&app).await;
        for evil in ["' OR '1'='1", "Hanoi'; DROP TABLE customers; --", "%", "_anoi", "\\"] {
            assert_eq!(count(&app, all(vec![cond("city", "eq", json!(evil))])).await, 0, "{evil}");
            assert_eq!(count(&app, all(vec![cond("city", "in", json!([evil, "x"]))])).await, 0, "{evil}");
            assert_eq!(count(&app, all(vec![cond("rfmSegment", "contains", json!(evil))])).await, 0, "{evil}");
            assert_eq!(count(&app, all(vec![cond("tags", "contains", json!(evil))])).await, 0, "{evil}");
        }
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 5);
        let res = app.gql(PREVIEW, json!({ "r": all(vec![cond("orderCount", "gt", json!("1 OR 1=1"))]) })).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"));
        assert_eq!(field(&res), Some("rules.conditions.0.value"));
    }

    async fn a_bad_rule_is_refused_with_its_path(app) {
        let app = &app;
        let bad = |rules: Value| async move { app.gql(PREVIEW, json!({ "r": rules })).await };
        let deep = json!({ "op": "OR", "groups": [ { "op": "AND", "conditions": [cond("tier", "eq", json!("GOLD")), cond("shoeSize", "eq", json!("9"))] } ] });
        let res = bad(deep).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
        assert_eq!(field(&res), Some("rules.groups.0.conditions.1.field"));
        let res = bad(all(vec![cond("tier", "gt", json!("GOLD"))])).await;
        assert_eq!(field(&res), Some("rules.conditions.0.operator"), "{res}");
        let res = bad(all(vec![cond("tier", "eq", json!("DIAMOND"))])).await;
        assert_eq!(field(&res), Some("rules.conditions.0.value"), "{res}");
        let res = bad(all(vec![cond("totalSpent", "between", json!(["500", "100"]))])).await;
        assert_eq!(field(&res), Some("rules.conditions.0.values.1"), "{res}");
        let res = bad(all(vec![cond("birthdayMonth", "eq", json!("13"))])).await;
        assert_eq!(field(&res), Some("rules.conditions.0.value"), "{res}");
        let res = bad(all(vec![cond("lastOrderAt", "gt", json!("yesterday"))])).await;
        assert_eq!(field(&res), Some("rules.conditions.0.value"), "{res}");
        // A saved segment is checked the same way, and its name is unique.
        let save = "mutation($i: SegmentInput!) { saveSegment(input: $i) { id name } }";
        let res = app.gql(save, json!({ "i": { "name": "X", "rules": all(vec![cond("tier", "lt", json!("GOLD"))]) } })).await;
        assert_eq!(field(&res), Some("input.rules.conditions.0.operator"), "{res}");
        let ok = app.gql(save, json!({ "i": { "name": "Gold", "rules": all(vec![cond("tier", "eq", json!("GOLD"))]) } })).await;
        assert!(ok["errors"].is_null(), "{ok}");
        let res = app.gql(save, json!({ "i": { "name": " Gold ", "rules": all(vec![]) } })).await;
        assert_eq!((code(&res), field(&res)), (Some("CONFLICT"), Some("input.name")), "{res}");
        assert_eq!(count_of(app, "SELECT COUNT(*) FROM segments").await, 1);
        // Agents do not build campaigns.
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), PREVIEW, json!({ "r": all(vec![]) })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"));
    }

    async fn a_campaign_checks_its_template_and_window_when_created(app) {
        let seg = app
            .gql("mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }", json!({ "i": { "name": "All", "rules": all(vec![]) } }))
            .await;
        let seg = seg["data"]["saveSegment"]["id"].as_str().unwrap().to_owned();
        let create = "mutation($i: CampaignInput!) { createCampaign(input: $i) { id template } }";
        let input = |template: &str, extra: Value| {
            let mut i = json!({ "name": "Promo", "channel": "SMS", "segmentId": seg, "template": template });
            i.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            json!({ "i": i })
        };
        let res = app.gql(create, input("Hi {{name}}, {{coupon}} for you", json!({}))).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.template")), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("{{coupon}}"), "{res}");
        let res = app.gql(create, input("Code {{discount_code}}", json!({}))).await;
        assert_eq!(field(&res), Some("input.discountCode"), "{res}");
        let now = app.ctx.now();
        let res = app
            .gql(create, input("Hi {{name}}", json!({ "startsAt": now + chrono::Duration::hours(2), "endsAt": now + chrono::Duration::hours(1) })))
            .await;
        assert_eq!(field(&res), Some("input.endsAt"), "{res}");
        let res = app.gql(create, input("Hi {{name}}", json!({ "segmentId": "999" }))).await;
        assert_eq!(field(&res), Some("input.segmentId"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM campaigns").await, 0);
        // The editor's preview renders a sample customer.
        let c = app.customer("Lan", "0902000001").await;
        let res = app
            .gql(
                "query($c: ID!) { renderTemplate(template: \"Hi {{name}} ({{tier}}, {{member_code}}): {{discount_code}}\", discountCode: \"X1\", customerId: $c) }",
                json!({ "c": c["id"] }),
            )
            .await;
        assert_eq!(res["data"]["renderTemplate"], format!("Hi Lan (New, {}): X1", c["memberCode"].as_str().unwrap()), "{res}");
    }

    async fn a_page_of_campaigns_loads_their_segments_in_one_batch(app) {
        app.customer("A", "0903000011").await;
        for _ in 0..12 {
            campaign(&app, all(vec![]), "Hi {{name}}").await;
        }
        let q = "query($n: Int) { campaigns(first: $n) { edges { node { name segment { name } counts { audience } } } } }";
        let mut costs = Vec::new();
        for n in [2, 12] {
            let before = app.queries();
            let res = app.gql(q, json!({ "n": n })).await;
            assert!(res["errors"].is_null(), "{res}");
            assert_eq!(res["data"]["campaigns"]["edges"].as_array().unwrap().len(), n as usize);
            costs.push(app.queries() - before);
        }
        // page + count + segments + counts; a DataLoader batch may split in
        // two on a saturated machine, but one query per campaign would cost 14+.
        assert!(costs[1] <= costs[0] + 3 && costs[1] < 12, "the cost grows with the page: {costs:?}");
    }

    async fn statuses_move_only_the_legal_ways(app) {
        app.customer("A", "0903000001").await;
        let id = campaign(&app, all(vec![]), "Hi {{name}}").await;
        let act = |m: &'static str| {
            let id = id.clone();
            let app = &app;
            async move { app.gql(&format!("mutation($id: ID!) {{ {m}(id: $id) {{ status }} }}"), json!({ "id": id })).await }
        };
        let res = act("pauseCampaign").await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
        let res = act("resumeCampaign").await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
        // Delivery is off in this test app: the campaign stays RUNNING.
        assert_eq!(act("startCampaign").await["data"]["startCampaign"]["status"], "RUNNING");
        assert_eq!(code(&act("startCampaign").await), Some("INVALID_TRANSITION"));
        let res = app
            .gql("mutation($id: ID!, $i: CampaignInput!) { updateCampaign(id: $id, input: $i) { id } }", json!({ "id": id, "i": { "name": "x", "channel": "SMS", "segmentId": "1", "template": "x" } }))
            .await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");
        assert_eq!(act("pauseCampaign").await["data"]["pauseCampaign"]["status"], "PAUSED");
        assert_eq!(act("resumeCampaign").await["data"]["resumeCampaign"]["status"], "RUNNING");
        assert_eq!(act("cancelCampaign").await["data"]["cancelCampaign"]["status"], "CANCELLED");
        assert_eq!(code(&act("resumeCampaign").await), Some("INVALID_TRANSITION"));
        let c = app.gql(CAMPAIGN, json!({ "id": id })).await["data"]["campaign"].clone();
        assert_eq!(c["counts"]["cancelled"], 1, "{c}");
        assert_eq!(c["summary"]["cancelled"], 1, "{c}");
        adds_up(&c);
        // create, start, pause, resume, cancel.
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'campaign.%'").await, 5);
    }

    async fn a_scheduled_campaign_takes_its_audience_when_the_window_opens(app) {
        app.customer("A", "0904000001").await;
        let seg = app.gql("mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }", json!({ "i": { "name": "All", "rules": all(vec![]) } })).await;
        let starts = app.ctx.now() + chrono::Duration::hours(1);
        let res = app
            .gql(
                "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": { "name": "Later", "channel": "SMS", "segmentId": seg["data"]["saveSegment"]["id"], "template": "Hi {{name}}", "startsAt": starts } }),
            )
            .await;
        let id = res["data"]["createCampaign"]["id"].as_str().unwrap().to_owned();
        let res = app.gql("mutation($id: ID!) { startCampaign(id: $id) { status } }", json!({ "id": id })).await;
        assert_eq!(res["data"]["startCampaign"]["status"], "SCHEDULED", "{res}");
        // A customer who arrives before the window opens is in the audience.
        app.customer("B", "0904000002").await;
        let started = crm360::campaigns::service::start_due(&app.ctx).await.unwrap();
        assert_eq!(started, 0);
        app.advance(chrono::Duration::hours(1)).await;
        assert_eq!(crm360::campaigns::service::start_due(&app.ctx).await.unwrap(), 1);
        let c = app.gql(CAMPAIGN, json!({ "id": id })).await["data"]["campaign"].clone();
        assert_eq!(c["status"], "RUNNING");
        assert_eq!(c["counts"]["audience"], 2, "{c}");
    }

    async fn a_campaign_is_delivered_through_the_simulated_vendor_until_completed(app) {
        let app = app.restart(delivering).await;
        for i in 0..40 {
            app.customer(&format!("Customer {i}"), &format!("09050{i:05}")).await;
        }
        app.exec("UPDATE customers SET tier = 'GOLD' WHERE id % 2 = 0").await;
        let blacklisted = app.customer("Bad", "0905999999").await;
        app.exec(&format!("UPDATE customers SET status = 'BLACKLISTED' WHERE id = {}", blacklisted["id"].as_str().unwrap())).await;
        let id = campaign(&app, all(vec![]), "Hi {{name}}, {{tier}} members get {{discount_code}}").await;
        let mut ws = crate::realtime::subscribed(
            &app,
            &app.token(),
            "subscription($id: ID) { campaignProgress(campaignId: $id) { campaignId status counts { audience pending sent failed } } }",
            json!({ "id": id }),
        )
        .await;
        let res = app.gql("mutation($id: ID!) { startCampaign(id: $id) { status } }", json!({ "id": id })).await;
        assert_eq!(res["data"]["startCampaign"]["status"], "RUNNING", "{res}");
        let c = wait_for(&app, &id, |c| c["status"] == "COMPLETED").await;
        // Progress came live, ending with the completion and its counts.
        let mut last = Value::Null;
        for _ in 0..1000 {
            let msg = crate::realtime::next(&mut ws).await.expect("a progress message");
            last = msg["payload"]["data"]["campaignProgress"].clone();
            assert_eq!(last["campaignId"], id.as_str(), "{msg}");
            if last["status"] == "COMPLETED" {
                break;
            }
        }
        assert_eq!(last["status"], "COMPLETED", "{last}");
        assert_eq!(last["counts"]["pending"], 0, "{last}");
        assert_eq!(last["counts"]["sent"], c["counts"]["sent"], "{last}");
        adds_up(&c);
        let n = |k: &str| c["counts"][k].as_i64().unwrap();
        assert_eq!(n("audience"), 40, "the blacklisted customer is left out: {c}");
        assert_eq!(n("pending"), 0);
        assert_eq!(n("sent") + n("failed"), 40, "{c}");
        assert!(n("failed") < 20, "about 10% fail: {c}");
        assert_eq!(c["summary"]["delivered"], n("sent"), "{c}");
        // Each customer's message was rendered for them, went to the vendor
        // once, and is in their timeline once.
        let log = app
            .gql("query($id: ID!) { campaignLog(campaignId: $id, first: 100) { totalCount edges { node { message recipient status idempotencyKey } } } }", json!({ "id": id }))
            .await;
        assert_eq!(log["data"]["campaignLog"]["totalCount"], 40, "{log}");
        let first = &log["data"]["campaignLog"]["edges"][0]["node"];
        assert!(first["message"].as_str().unwrap().starts_with("Hi Customer "), "{first}");
        assert!(first["message"].as_str().unwrap().ends_with(" members get SPRING10"), "{first}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM sim_vendor_messages").await, 40);
        assert_eq!(count_of(&app, "SELECT COUNT(DISTINCT customer_id) FROM activities WHERE kind = 'campaign.message'").await, 40);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'campaign.message'").await, 40);
        let bad = blacklisted["id"].as_str().unwrap();
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM communication_log WHERE customer_id = {bad}")).await, 0);
        // A vendor's repeated receipts change nothing.
        let key = first["idempotencyKey"].as_str().unwrap();
        let secret = crm360::campaigns::delivery::receipts_secret(&app.ctx);
        let res: Value = app
            .http
            .post(app.url("/webhooks/receipts"))
            .header("X-Webhook-Secret", secret)
            .json(&json!({ "receipts": [{ "idempotencyKey": key, "status": "FAILED" }, { "idempotencyKey": "nope", "status": "DELIVERED" }] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(res, json!({ "success": true, "applied": 0, "ignored": 2 }));
        let again = app.gql(CAMPAIGN, json!({ "id": id })).await["data"]["campaign"].clone();
        assert_eq!(again["counts"], c["counts"]);
        let res = app.http.post(app.url("/webhooks/receipts")).json(&json!({ "receipts": [] })).send().await.unwrap();
        assert_eq!(res.status(), 401);
        // The dashboard counts the campaign and its receipts.
        let today = app.ctx.now().with_timezone(&app.ctx.tz).date_naive().to_string();
        let d = app
            .gql(
                "query($d: NaiveDate!) { dashboard(from: $d, to: $d) { campaigns { running completed delivered failed deliveryRateBp } } }",
                json!({ "d": today }),
            )
            .await;
        let f = &d["data"]["dashboard"]["campaigns"];
        assert_eq!(f["running"], 0, "{d}");
        assert_eq!(f["completed"], 1, "{d}");
        assert_eq!(f["delivered"], c["counts"]["sent"], "{d}");
        assert_eq!(f["failed"], c["counts"]["failed"], "{d}");
        assert_eq!(f["deliveryRateBp"], n("sent") * 10_000 / 40, "{d}");
    }

    async fn a_crash_mid_send_loses_nothing_and_sends_nothing_twice(app) {
        for i in 0..60 {
            app.customer(&format!("Customer {i}"), &format!("09060{i:05}")).await;
        }
        // Slow delivery, so the crash lands mid-send.
        let app = app
            .restart(|c| {
                c.delivery_enabled = true;
                c.delivery_tick_ms = 20;
                c.delivery_batch = 5;
                c.delivery_rate_per_second = 25;
                c.delivery_lease_seconds = 2;
            })
            .await;
        let id = campaign(&app, all(vec![]), "Hi {{name}}").await;
        app.gql("mutation($id: ID!) { startCampaign(id: $id) { status } }", json!({ "id": id })).await;
        let mid = wait_for(&app, &id, |c| c["counts"]["sent"].as_i64().unwrap_or(0) >= 10).await;
        assert!(mid["counts"]["pending"].as_i64().unwrap() > 0, "not mid-send: {mid}");
        // Kill it mid-send and start another server on the same database.
        let app = app
            .restart(|c| {
                c.delivery_enabled = true;
                c.delivery_tick_ms = 20;
            })
            .await;
        // The dead server's claims are free once their lease has run out.
        app.advance(chrono::Duration::seconds(5)).await;
        let c = wait_for(&app, &id, |c| c["status"] == "COMPLETED").await;
        adds_up(&c);
        assert_eq!(c["counts"]["audience"], 60);
        assert_eq!(c["counts"]["sent"].as_i64().unwrap() + c["counts"]["failed"].as_i64().unwrap(), 60, "{c}");
        // Every customer reached the vendor exactly once (a resent batch is
        // recognised by its keys), and has one timeline entry.
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM sim_vendor_messages").await, 60);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM communication_log").await, 60);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'campaign.message'").await, 60);
        assert_eq!(count_of(&app, "SELECT COUNT(DISTINCT customer_id) FROM activities WHERE kind = 'campaign.message'").await, 60);
    }

    async fn the_http_webhook_adapter_retries_a_failed_hand_over_and_takes_receipts(app) {
        for i in 0..3 {
            app.customer(&format!("Customer {i}"), &format!("09070{i:05}")).await;
        }
        let (url, seen) = webhook_vendor(1).await;
        let app = app
            .restart(move |c| {
                delivering(c);
                c.channel_webhooks.insert("SMS".into(), url);
                c.receipts_secret = Some("vendor-secret".to_owned().into());
            })
            .await;
        let id = campaign(&app, all(vec![]), "Hi {{name}}").await;
        app.gql("mutation($id: ID!) { startCampaign(id: $id) { status } }", json!({ "id": id })).await;
        // The vendor refuses the first hand-over: the batch waits for its
        // retry (2 s of the server's clock).
        for _ in 0..100 {
            if count_of(&app, "SELECT COUNT(*) FROM communication_log WHERE attempts = 1 AND status = 'QUEUED'").await == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = "SELECT COUNT(*) FROM communication_log WHERE error LIKE 'the vendor answered 503%'";
        assert_eq!(count_of(&app, log).await, 3);
        app.advance(chrono::Duration::seconds(3)).await;
        let c = wait_for(&app, &id, |c| c["counts"]["awaitingReceipt"] == 3).await;
        assert_eq!(c["status"], "RUNNING");
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "one accepted hand-over: {got:?}");
        let messages = got[0]["messages"].as_array().unwrap().clone();
        assert_eq!(got[0]["channel"], "SMS");
        assert_eq!(messages.len(), 3);
        assert!(messages.iter().all(|m| m["message"].as_str().unwrap().starts_with("Hi Customer ")), "{messages:?}");
        // The vendor's receipts settle them; the wrong secret is refused.
        let keys: Vec<&str> = messages.iter().map(|m| m["idempotencyKey"].as_str().unwrap()).collect();
        let receipts = json!({ "receipts": [
            { "idempotencyKey": keys[0], "status": "DELIVERED" },
            { "idempotencyKey": keys[1], "status": "DELIVERED" },
            { "idempotencyKey": keys[2], "status": "FAILED", "error": "unknown subscriber" },
        ] });
        let post = |secret: &'static str| {
            app.http.post(app.url("/webhooks/receipts")).header("X-Webhook-Secret", secret).json(&receipts).send()
        };
        assert_eq!(post("wrong").await.unwrap().status(), 401);
        let bad = app
            .http
            .post(app.url("/webhooks/receipts"))
            .header("X-Webhook-Secret", "vendor-secret")
            .json(&json!({ "receipts": [{ "idempotencyKey": keys[0], "status": "READ" }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        let body: Value = bad.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["field"], "receipts.0.status", "{body}");
        let res: Value = post("vendor-secret").await.unwrap().json().await.unwrap();
        assert_eq!(res, json!({ "success": true, "applied": 3, "ignored": 0 }));
        let c = wait_for(&app, &id, |c| c["status"] == "COMPLETED").await;
        assert_eq!((c["counts"]["sent"].as_i64(), c["counts"]["failed"].as_i64()), (Some(2), Some(1)), "{c}");
        assert_eq!(c["summary"]["deliveryRateBp"], 6666, "{c}");
        let failed = app
            .gql("query($id: ID!) { campaignLog(campaignId: $id, status: FAILED) { edges { node { error attempts } } } }", json!({ "id": id }))
            .await;
        let node = &failed["data"]["campaignLog"]["edges"][0]["node"];
        assert_eq!(node["error"], "unknown subscriber", "{failed}");
        assert_eq!(node["attempts"], 2, "{failed}");
    }
}

/// A vendor on a local port that answers 503 to the first `refuse` calls
/// and records the bodies it accepts.
async fn webhook_vendor(refuse: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let store = seen.clone();
    let router = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let (store, calls) = (store.clone(), calls.clone());
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < refuse {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                store.lock().unwrap().push(body);
                axum::http::StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/send"), seen)
}
