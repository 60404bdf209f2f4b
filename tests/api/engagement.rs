//! Engagement over GraphQL: interactions logged and listed (order, channel
//! filter, pages), bad input refused with the field and nothing written,
//! what an AGENT and a VIEWER may do, family members, and the birthdays and
//! anniversaries coming up (across the new year, with family members, and
//! 29 February), each change on the customer's timeline.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use crm360::clock::Clock;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of, field};

const INTERACTION: &str =
    "id customerId channel direction outcome notes followUpDate occurredAt agent { id name } customer { id name }";

async fn log_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($i: LogInteractionInput!) {{ logInteraction(input: $i) {{ {INTERACTION} }} }}"),
        json!({ "i": input }),
    )
    .await
}

async fn log(app: &TestApp, input: Value) -> Value {
    let res = log_as(app, &app.token(), input).await;
    assert!(res["errors"].is_null(), "logInteraction: {res}");
    res["data"]["logInteraction"].clone()
}

async fn add_member_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(
        Some(token),
        "mutation($i: AddFamilyMemberInput!) { addFamilyMember(input: $i) { id customerId name relationship birthday } }",
        json!({ "i": input }),
    )
    .await
}

async fn add_member(app: &TestApp, input: Value) -> Value {
    let res = add_member_as(app, &app.token(), input).await;
    assert!(res["errors"].is_null(), "addFamilyMember: {res}");
    res["data"]["addFamilyMember"].clone()
}

async fn create_customer_as(app: &TestApp, token: &str, input: Value) -> Value {
    let res = app
        .gql_as(
            Some(token),
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id name memberCode } }",
            json!({ "i": input }),
        )
        .await;
    assert!(res["errors"].is_null(), "createCustomer: {res}");
    res["data"]["createCustomer"].clone()
}

/// Today in the business time zone (Asia/Ho_Chi_Minh in tests) of the
/// server's clock.
fn today(app: &TestApp) -> chrono::NaiveDate {
    app.clock.now().with_timezone(&app.ctx.tz).date_naive()
}

/// Moves the server's clock forward to 10:00 (business time) on the next
/// `month`/`day` (of `year` when given).
async fn move_to(app: &TestApp, month: u32, day: u32, year: Option<i32>) {
    let now = app.clock.now();
    let at = |y: i32| -> DateTime<Utc> {
        app.ctx.tz.with_ymd_and_hms(y, month, day, 10, 0, 0).single().unwrap().with_timezone(&Utc)
    };
    let target = match year {
        Some(y) => at(y),
        None if at(now.year()) > now => at(now.year()),
        None => at(now.year() + 1),
    };
    assert!(target > now, "the clock only moves forward");
    app.advance(target - now).await;
}

async fn timeline(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let res = app
        .gql(
            "query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind summary } } } } }",
            json!({ "id": id }),
        )
        .await;
    res["data"]["customer"]["timeline"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("timeline: {res}"))
        .iter()
        .map(|e| (e["node"]["kind"].as_str().unwrap().to_owned(), e["node"]["summary"].as_str().unwrap().to_owned()))
        .collect()
}

const UPCOMING: &str = "query($d: Int) { upcomingDates(days: $d) { kind date originalDate daysAway years person name \
     relationship customer { id name memberCode } } }";

async fn upcoming_as(app: &TestApp, token: &str, days: i64) -> Value {
    app.gql_as(Some(token), UPCOMING, json!({ "d": days })).await
}

async fn upcoming(app: &TestApp, days: i64) -> Vec<Value> {
    let res = upcoming_as(app, &app.token(), days).await;
    assert!(res["errors"].is_null(), "upcomingDates: {res}");
    res["data"]["upcomingDates"].as_array().unwrap().clone()
}

crate::on_both! {
    async fn logging_an_interaction_records_the_agent_and_a_timeline_entry_with_the_follow_up(app) {
        let c = app.customer("Chị Lan", "0906200001").await;
        let id = c["id"].as_str().unwrap();
        let follow_up = today(&app) + Duration::days(3);
        let i = log(&app, json!({
            "customerId": id, "channel": "CALL", "direction": "OUTBOUND", "outcome": "  reached  ",
            "notes": "wants the blue one", "followUpDate": follow_up.to_string(),
        })).await;
        assert_eq!(i["outcome"], "reached", "trimmed");
        assert_eq!(i["followUpDate"], follow_up.to_string());
        assert_eq!(i["customer"]["name"], "Chị Lan");
        assert!(i["agent"]["id"].is_string(), "the admin who logged it: {i}");
        let occurred: DateTime<Utc> = i["occurredAt"].as_str().unwrap().parse().unwrap();
        assert!((occurred - app.clock.now()).num_seconds().abs() < 2, "now by the server's clock: {occurred}");

        let tl = timeline(&app, id).await;
        assert_eq!(tl[0], ("interaction.logged".to_owned(), format!("Call (outbound): reached, follow up {follow_up}")));
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'interaction.log' AND entity_id = '{}'",
            i["id"].as_str().unwrap())).await, 1);
        // The call-task generator reads these columns.
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM interactions WHERE customer_id = {id} AND follow_up_date IS NOT NULL \
            AND agent_id IS NOT NULL")).await, 1);
    }

    async fn interactions_are_listed_newest_first_filtered_by_channel_and_paged(app) {
        let c = app.customer("Anh Minh", "0906200002").await;
        let other = app.customer("Chú Tư", "0906200003").await;
        let id = c["id"].as_str().unwrap();
        let now = app.clock.now();
        for (hours_ago, channel, outcome) in [(30, "CALL", "no answer"), (5, "SMS", "sent price list"), (20, "CALL", "reached"), (1, "VISIT", "bought")] {
            let at = (now - Duration::hours(hours_ago)).to_rfc3339();
            log(&app, json!({ "customerId": id, "channel": channel, "direction": "OUTBOUND", "outcome": outcome, "occurredAt": at })).await;
        }
        log(&app, json!({ "customerId": other["id"], "channel": "CALL", "direction": "INBOUND", "outcome": "complaint" })).await;

        let q = "query($c: ID, $ch: InteractionChannel, $f: Int, $a: String) { interactions(customerId: $c, channel: $ch, first: $f, after: $a) \
            { totalCount pageInfo { hasNextPage endCursor } edges { node { outcome channel } } } }";
        let outcomes = |res: &Value| -> Vec<String> {
            res["data"]["interactions"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).iter()
                .map(|e| e["node"]["outcome"].as_str().unwrap().to_owned()).collect()
        };
        let first = app.gql(q, json!({ "c": id, "f": 3 })).await;
        assert_eq!(outcomes(&first), ["bought", "sent price list", "reached"], "newest first by when it happened");
        assert_eq!(first["data"]["interactions"]["totalCount"], 4);
        assert_eq!(first["data"]["interactions"]["pageInfo"]["hasNextPage"], true);
        let cursor = first["data"]["interactions"]["pageInfo"]["endCursor"].clone();
        let second = app.gql(q, json!({ "c": id, "f": 3, "a": cursor })).await;
        assert_eq!(outcomes(&second), ["no answer"]);
        assert_eq!(second["data"]["interactions"]["pageInfo"]["hasNextPage"], false);

        let calls = app.gql(q, json!({ "c": id, "ch": "CALL" })).await;
        assert_eq!(outcomes(&calls), ["reached", "no answer"]);
        assert_eq!(calls["data"]["interactions"]["totalCount"], 2);
        let everyone = app.gql(q, json!({})).await;
        assert_eq!(everyone["data"]["interactions"]["totalCount"], 5);

        // The 360 view reaches the newest ones from the customer.
        let res = app.gql("query($a: ID!, $b: ID!) { a: customer(id: $a) { interactions(first: 2) { outcome } familyMembers { name } } \
            b: customer(id: $b) { interactions { outcome } } }", json!({ "a": id, "b": other["id"] })).await;
        assert_eq!(res["data"]["a"]["interactions"], json!([{ "outcome": "bought" }, { "outcome": "sent price list" }]), "{res}");
        assert_eq!(res["data"]["b"]["interactions"], json!([{ "outcome": "complaint" }]));
        assert_eq!(res["data"]["a"]["familyMembers"], json!([]));

        let bad = app.gql(q, json!({ "f": 0 })).await;
        assert_eq!((code(&bad), field(&bad)), (Some("BAD_USER_INPUT"), Some("first")));
    }

    async fn bad_interactions_are_refused_with_the_field_and_write_nothing(app) {
        let c = app.customer("Bà Sáu", "0906200004").await;
        let id = c["id"].clone();
        let yesterday = (today(&app) - Duration::days(1)).to_string();
        let base = |extra: Value| {
            let mut input = json!({ "customerId": id, "channel": "WHATSAPP", "direction": "INBOUND", "outcome": "asked" });
            input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            input
        };
        let cases = [
            (base(json!({ "outcome": "   " })), "BAD_USER_INPUT", Some("input.outcome")),
            (base(json!({ "outcome": "x".repeat(201) })), "BAD_USER_INPUT", Some("input.outcome")),
            (base(json!({ "notes": "n".repeat(2001) })), "BAD_USER_INPUT", Some("input.notes")),
            (base(json!({ "followUpDate": yesterday })), "BAD_USER_INPUT", Some("input.followUpDate")),
            (base(json!({ "occurredAt": (app.clock.now() + Duration::hours(2)).to_rfc3339() })), "BAD_USER_INPUT", Some("input.occurredAt")),
            (base(json!({ "customerId": "abc" })), "BAD_USER_INPUT", Some("input.customerId")),
            (base(json!({ "customerId": "999999" })), "NOT_FOUND", None),
        ];
        for (input, want_code, want_field) in cases {
            let res = log_as(&app, &app.token(), input.clone()).await;
            assert_eq!((code(&res), field(&res)), (Some(want_code), want_field), "{input}: {res}");
        }
        // Today is fine as a follow-up date.
        log(&app, base(json!({ "followUpDate": today(&app).to_string() }))).await;
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM interactions").await, 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'interaction.logged'").await, 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'interaction.log'").await, 1);
    }

    async fn an_agent_works_only_with_the_customers_assigned_to_them(app) {
        let (_, agent) = app.staff("AGENT").await;
        let mine = create_customer_as(&app, &agent, json!({ "name": "Khách của tôi", "phone": "0906200005" })).await;
        let theirs = app.customer("Khách người khác", "0906200006").await;
        let today = today(&app);
        app.gql("mutation($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { id } }",
            json!({ "id": theirs["id"], "i": { "birthday": today.with_year(1980).unwrap_or(today).to_string() } })).await;
        app.gql("mutation($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { id } }",
            json!({ "id": mine["id"], "i": { "birthday": today.with_year(1991).unwrap_or(today).to_string() } })).await;

        let ok = log_as(&app, &agent, json!({ "customerId": mine["id"], "channel": "EMAIL", "direction": "OUTBOUND", "outcome": "sent" })).await;
        assert!(ok["errors"].is_null(), "{ok}");
        let refused = log_as(&app, &agent, json!({ "customerId": theirs["id"], "channel": "EMAIL", "direction": "OUTBOUND", "outcome": "sent" })).await;
        assert_eq!(code(&refused), Some("FORBIDDEN"), "{refused}");
        let refused = add_member_as(&app, &agent, json!({ "customerId": theirs["id"], "name": "Con", "relationship": "CHILD" })).await;
        assert_eq!(code(&refused), Some("FORBIDDEN"), "{refused}");
        log(&app, json!({ "customerId": theirs["id"], "channel": "CALL", "direction": "INBOUND", "outcome": "called in" })).await;
        let member = add_member(&app, json!({ "customerId": theirs["id"], "name": "Vợ", "relationship": "SPOUSE" })).await;
        let refused = app.gql_as(Some(&agent), "mutation($id: ID!) { removeFamilyMember(id: $id) { id } }", json!({ "id": member["id"] })).await;
        assert_eq!(code(&refused), Some("FORBIDDEN"), "{refused}");

        let list = app.gql_as(Some(&agent), "{ interactions { totalCount edges { node { outcome } } } }", json!({})).await;
        assert_eq!(list["data"]["interactions"]["totalCount"], 1, "{list}");
        assert_eq!(list["data"]["interactions"]["edges"][0]["node"]["outcome"], "sent");
        let other = app.gql_as(Some(&agent), "query($c: ID) { interactions(customerId: $c) { totalCount } }", json!({ "c": theirs["id"] })).await;
        assert_eq!(code(&other), Some("FORBIDDEN"), "{other}");
        let family = app.gql_as(Some(&agent), "query($c: ID!) { familyMembers(customerId: $c) { id } }", json!({ "c": theirs["id"] })).await;
        assert_eq!(code(&family), Some("FORBIDDEN"), "{family}");

        // Both birthdays are today; the agent hears only of their own customer's.
        let res = upcoming_as(&app, &agent, 0).await;
        let names: Vec<&str> = res["data"]["upcomingDates"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Khách của tôi"], "{res}");
        assert_eq!(upcoming(&app, 0).await.len(), 2);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM interactions").await, 2);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM family_members").await, 1);
    }

    async fn a_viewer_and_a_read_only_key_read_but_cannot_write(app) {
        let c = app.customer("Cô Ba", "0906200007").await;
        log(&app, json!({ "customerId": c["id"], "channel": "SMS", "direction": "OUTBOUND", "outcome": "reminded" })).await;
        let member = add_member(&app, json!({ "customerId": c["id"], "name": "Bé Na", "relationship": "CHILD" })).await;
        let (_, viewer) = app.staff("VIEWER").await;
        let key = app.gql("mutation { createApiKey(input: { name: \"crm\", scope: READ }) { key } }", json!({})).await;
        let key = key["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
        for token in [&viewer, &key] {
            let res = log_as(&app, token, json!({ "customerId": c["id"], "channel": "SMS", "direction": "OUTBOUND", "outcome": "x" })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
            let res = add_member_as(&app, token, json!({ "customerId": c["id"], "name": "Ông", "relationship": "PARENT" })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
            let res = app.gql_as(Some(token), "mutation($id: ID!) { updateFamilyMember(id: $id, input: { name: \"X\" }) { id } }",
                json!({ "id": member["id"] })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
            let res = app.gql_as(Some(token), "mutation($id: ID!) { removeFamilyMember(id: $id) { id } }", json!({ "id": member["id"] })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
            let read = app.gql_as(Some(token), "query($c: ID!) { interactions(customerId: $c) { totalCount } familyMembers(customerId: $c) { name } \
                upcomingDates { kind } }", json!({ "c": c["id"] })).await;
            assert!(read["errors"].is_null(), "{read}");
            assert_eq!(read["data"]["interactions"]["totalCount"], 1);
            assert_eq!(read["data"]["familyMembers"], json!([{ "name": "Bé Na" }]));
        }
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM interactions").await, 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM family_members WHERE name = 'Bé Na'").await, 1);
    }

    async fn family_members_are_added_changed_and_removed_on_the_timeline(app) {
        let c = app.customer("Anh Hùng", "0906200008").await;
        let id = c["id"].as_str().unwrap();
        let m = add_member(&app, json!({ "customerId": id, "name": " Chị  Hoa ", "relationship": "SPOUSE", "birthday": "1988-03-14" })).await;
        assert_eq!((m["name"].as_str(), m["relationship"].as_str(), m["birthday"].as_str()), (Some("Chị  Hoa"), Some("SPOUSE"), Some("1988-03-14")));
        add_member(&app, json!({ "customerId": id, "name": "Bé Bin", "relationship": "CHILD" })).await;

        let upd = "mutation($id: ID!, $i: UpdateFamilyMemberInput!) { updateFamilyMember(id: $id, input: $i) { name relationship birthday } }";
        let res = app.gql(upd, json!({ "id": m["id"], "i": { "name": "Chị Hoa", "birthday": null } })).await;
        assert_eq!(res["data"]["updateFamilyMember"], json!({ "name": "Chị Hoa", "relationship": "SPOUSE", "birthday": null }), "{res}");

        // Bad input names the field and changes nothing.
        let tomorrow = (today(&app) + Duration::days(1)).to_string();
        for (res, want) in [
            (add_member_as(&app, &app.token(), json!({ "customerId": id, "name": "  ", "relationship": "OTHER" })).await, "input.name"),
            (add_member_as(&app, &app.token(), json!({ "customerId": id, "name": "Ông", "relationship": "PARENT", "birthday": tomorrow })).await, "input.birthday"),
            (add_member_as(&app, &app.token(), json!({ "customerId": id, "name": "Ông", "relationship": "PARENT", "birthday": "1899-12-31" })).await, "input.birthday"),
            (add_member_as(&app, &app.token(), json!({ "customerId": id, "name": "x".repeat(201), "relationship": "OTHER" })).await, "input.name"),
            (app.gql(upd, json!({ "id": m["id"], "i": { "name": "" } })).await, "input.name"),
        ] {
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(want)), "{res}");
        }
        let missing = add_member_as(&app, &app.token(), json!({ "customerId": "999999", "name": "Ông", "relationship": "PARENT" })).await;
        assert_eq!(code(&missing), Some("NOT_FOUND"));

        let list = app.gql("query($c: ID!) { familyMembers(customerId: $c) { name birthday } customer(id: $c) { familyMembers { name } } }",
            json!({ "c": id })).await;
        assert_eq!(list["data"]["familyMembers"], json!([{ "name": "Chị Hoa", "birthday": null }, { "name": "Bé Bin", "birthday": null }]));
        assert_eq!(list["data"]["customer"]["familyMembers"], json!([{ "name": "Chị Hoa" }, { "name": "Bé Bin" }]));

        let rm = app.gql("mutation($id: ID!) { removeFamilyMember(id: $id) { name } }", json!({ "id": m["id"] })).await;
        assert_eq!(rm["data"]["removeFamilyMember"]["name"], "Chị Hoa", "{rm}");
        let again = app.gql("mutation($id: ID!) { removeFamilyMember(id: $id) { name } }", json!({ "id": m["id"] })).await;
        assert_eq!(code(&again), Some("NOT_FOUND"));
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM family_members WHERE customer_id = {id}")).await, 1);

        let kinds: Vec<String> = timeline(&app, id).await.into_iter().map(|(k, _)| k).filter(|k| k.starts_with("family.")).collect();
        assert_eq!(kinds, ["family.removed", "family.updated", "family.added", "family.added"]);
        let summaries = timeline(&app, id).await;
        assert!(summaries.iter().any(|(_, s)| s == "Family member added: Chị  Hoa (spouse)"), "{summaries:?}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'family_member'").await, 4);
    }

    async fn upcoming_dates_cross_the_new_year_and_include_family_birthdays(app) {
        move_to(&app, 12, 28, None).await;
        let year = today(&app).year();
        let a = create_customer_as(&app, &app.token(), json!({ "name": "Sinh 30/12", "phone": "0906200009", "birthday": "1990-12-30" })).await;
        let b = create_customer_as(&app, &app.token(), json!({ "name": "Sinh 3/1", "phone": "0906200010", "birthday": "1985-01-03",
            "anniversary": "2015-01-01" })).await;
        create_customer_as(&app, &app.token(), json!({ "name": "Sinh 5/1", "phone": "0906200011", "birthday": "1970-01-05",
            "anniversary": "2000-12-27" })).await;
        add_member(&app, json!({ "customerId": a["id"], "name": "Bé Su", "relationship": "CHILD", "birthday": "2020-12-28" })).await;
        add_member(&app, json!({ "customerId": b["id"], "name": "No birthday", "relationship": "SIBLING" })).await;

        let list = upcoming(&app, 7).await;
        let got: Vec<(String, String, String, i64, i64)> = list.iter().map(|u| (
            u["kind"].as_str().unwrap().to_owned(), u["date"].as_str().unwrap().to_owned(), u["name"].as_str().unwrap().to_owned(),
            u["years"].as_i64().unwrap(), u["daysAway"].as_i64().unwrap(),
        )).collect();
        let next = year + 1;
        let want = [
            ("BIRTHDAY", format!("{year}-12-28"), "Bé Su", i64::from(year - 2020), 0),
            ("BIRTHDAY", format!("{year}-12-30"), "Sinh 30/12", i64::from(year - 1990), 2),
            ("ANNIVERSARY", format!("{next}-01-01"), "Sinh 3/1", i64::from(next - 2015), 4),
            ("BIRTHDAY", format!("{next}-01-03"), "Sinh 3/1", i64::from(next - 1985), 6),
        ].map(|(k, d, n, y, away)| (k.to_owned(), d, n.to_owned(), y, away));
        assert_eq!(got, want, "{list:?}");
        assert_eq!(list[0]["person"], "FAMILY_MEMBER");
        assert_eq!(list[0]["relationship"], "CHILD");
        assert_eq!(list[0]["customer"]["name"], "Sinh 30/12");
        assert_eq!(list[0]["customer"]["memberCode"], a["memberCode"]);
        assert_eq!(list[1]["person"], "CUSTOMER");
        assert_eq!(list[1]["relationship"], Value::Null);
        assert_eq!(list[2]["originalDate"], "2015-01-01");

        assert_eq!(upcoming(&app, 0).await.len(), 1, "today only");
        assert_eq!(upcoming(&app, 8).await.len(), 5, "5 January is eight days away");
        for days in [-1, 367] {
            let res = upcoming_as(&app, &app.token(), days).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("days")), "{res}");
        }
    }

    async fn a_29_february_birthday_comes_on_28_february_in_other_years(app) {
        let c = app.customer("Sinh 29/2", "0906200012").await;
        add_member(&app, json!({ "customerId": c["id"], "name": "Leap kid", "relationship": "CHILD", "birthday": "2004-02-29" })).await;
        let year = today(&app).year();
        // The next 26 February of a year without a 29th.
        let plain = (year + 1..).find(|y| chrono::NaiveDate::from_ymd_opt(*y, 2, 29).is_none()).unwrap();
        move_to(&app, 2, 26, Some(plain)).await;
        let list = upcoming(&app, 3).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["date"], format!("{plain}-02-28"));
        assert_eq!(list[0]["originalDate"], "2004-02-29");
        assert_eq!(list[0]["years"], plain - 2004);
        assert!(upcoming(&app, 1).await.is_empty(), "26 and 27 February have none");

        // In a leap year it stays on the 29th.
        let leap = (plain..).find(|y| chrono::NaiveDate::from_ymd_opt(*y, 2, 29).is_some()).unwrap();
        move_to(&app, 2, 28, Some(leap)).await;
        let list = upcoming(&app, 3).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["date"], format!("{leap}-02-29"));
        assert_eq!(list[0]["daysAway"], 1);
        assert!(upcoming(&app, 0).await.is_empty(), "not on the 28th in a leap year");
    }
}
