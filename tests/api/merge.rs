//! Merging customers and finding likely duplicates: everything moves to
//! the survivor (rows counted per table), the wallet moves by ledger rows
//! with each credit's expiry (FIFO still right afterwards), the duplicate
//! stays as a tombstone, a second merge is refused, the timeline and the
//! audit, the duplicates query, and a deposit racing a merge.

use chrono::Duration;
use crm360::clock::Clock;
use futures::future::join_all;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of, field};
use crate::wallets::{assert_ledger_invariants, wallet_op};

const MERGE: &str = "mutation($s: ID!, $d: ID!, $r: String) { mergeCustomers(survivorId: $s, duplicateId: $d, reason: $r) { \
     survivor { id orderCount totalSpent ticketCount email city tags } duplicate { id mergedAt mergedInto { id } } \
     moves { table moved kept } realMoved virtualMoved creditsMoved pointsMoved } }";

/// The tables a merge moves, as the API names them.
const TABLES: [&str; 10] = [
    "orders",
    "tickets",
    "customer_notes",
    "activities",
    "interactions",
    "family_members",
    "communication_log",
    "bank_transfers",
    "call_tasks",
    "customer_flags",
];

async fn merge(app: &TestApp, survivor: &str, duplicate: &str) -> Value {
    app.gql(MERGE, json!({ "s": survivor, "d": duplicate, "r": "same person, two phones" })).await
}

async fn ok(app: &TestApp, query: &str, vars: Value) -> Value {
    let res = app.gql(query, vars).await;
    assert!(res["errors"].is_null(), "{query}: {res}");
    res["data"].clone()
}

async fn move_money(app: &TestApp, op: &str, input: Value) -> Value {
    let res = wallet_op(app, &app.token(), op, input).await;
    assert!(res["errors"].is_null(), "{op}: {res}");
    res["data"][op].clone()
}

/// Runs SQL written with `?` placeholders on the server's database.
async fn sql(app: &TestApp, text: &str, values: Vec<sea_orm::Value>) {
    let db = app.ctx.db.conn();
    db.execute_raw(crm360::db::statement(db.get_database_backend(), text, values))
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"));
}

async fn rows_of(app: &TestApp, table: &str, customer: &str) -> i64 {
    count_of(app, &format!("SELECT COUNT(*) FROM {table} WHERE customer_id = {customer}")).await
}

async fn wallet(app: &TestApp, customer: &str) -> Value {
    ok(
        app,
        "query($c: ID!) { wallet(customerId: $c) { customerId realBalance virtualBalance points \
         virtualCredits { id amount remaining status expiresAt } } }",
        json!({ "c": customer }),
    )
    .await["wallet"]
        .clone()
}

/// A campaign (and its segment) written straight to the tables, with one
/// message to each of `customers`.
async fn campaign_messages(app: &TestApp, name: &str, customers: &[&str]) {
    let now = app.clock.now();
    sql(
        app,
        "INSERT INTO segments (name, rules, created_by, created_at, updated_at) VALUES (?, ?, 'test', ?, ?)",
        vec![name.into(), json!({"op": "AND", "conditions": [], "groups": []}).into(), now.into(), now.into()],
    )
    .await;
    sql(
        app,
        "INSERT INTO campaigns (name, channel, segment_id, template, status, audience, created_by, created_at, \
         updated_at) SELECT ?, 'SMS', id, 'Hi {{name}}', 'COMPLETED', 0, 'test', ?, ? FROM segments WHERE name = ?",
        vec![name.into(), now.into(), now.into(), name.into()],
    )
    .await;
    for c in customers {
        sql(
            app,
            "INSERT INTO communication_log (campaign_id, customer_id, channel, recipient, message, status, \
             idempotency_key, attempts, next_attempt_at, queued_at) SELECT id, ?, 'SMS', '+84900000000', 'Hi', \
             'DELIVERED', ?, 1, ?, ? FROM campaigns WHERE name = ?",
            vec![c.parse::<i64>().unwrap().into(), format!("{name}-{c}").into(), now.into(), now.into(), name.into()],
        )
        .await;
    }
}

async fn call_task(app: &TestApp, customer: &str, kind: &str, status: &str) {
    let day = app.clock.now().with_timezone(&app.ctx.tz).date_naive();
    sql(
        app,
        "INSERT INTO call_tasks (due_date, customer_id, kind, priority, status, created_at) VALUES (?, ?, ?, 'WARM', ?, ?)",
        vec![day.into(), customer.parse::<i64>().unwrap().into(), kind.into(), status.into(), app.clock.now().into()],
    )
    .await;
}

/// A survivor and a duplicate with something in every table and in the wallet.
async fn two_with_history(app: &TestApp) -> (String, String) {
    let s = app.customer("Nguyễn Văn An", "0901000101").await["id"].as_str().unwrap().to_owned();
    let d = app.customer("Nguyen Van An", "0901000102").await["id"].as_str().unwrap().to_owned();
    ok(
        app,
        "mutation($id: ID!) { updateCustomer(id: $id, input: { email: \"an@example.vn\", city: \"Huế\", tags: [\"zalo\"] }) { id } }",
        json!({ "id": d }),
    )
    .await;
    // Wallets: the duplicate's credits expire in 10 and 3 days, the survivor's in 5.
    move_money(app, "deposit", json!({ "customerId": d, "amount": "100000" })).await;
    move_money(
        app,
        "issueVirtualCredit",
        json!({ "customerId": d, "amount": "30000", "reason": "late", "lifetimeDays": 10 }),
    )
    .await;
    move_money(
        app,
        "issueVirtualCredit",
        json!({ "customerId": d, "amount": "20000", "reason": "broken", "lifetimeDays": 3 }),
    )
    .await;
    move_money(app, "earnPoints", json!({ "customerId": d, "points": 50 })).await;
    move_money(app, "deposit", json!({ "customerId": s, "amount": "5000" })).await;
    move_money(
        app,
        "issueVirtualCredit",
        json!({ "customerId": s, "amount": "10000", "reason": "promo", "lifetimeDays": 5 }),
    )
    .await;
    // Orders, a ticket, a note, an interaction, a family member.
    for (c, amount) in [(&d, "300000"), (&d, "200000"), (&s, "100000")] {
        ok(
            app,
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { created } }",
            json!({ "i": { "customerId": c, "amount": amount, "status": "DELIVERED" } }),
        )
        .await;
    }
    ok(
        app,
        "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }",
        json!({ "i": { "customerId": d, "type": "SUPPORT", "description": "where is my parcel" } }),
    )
    .await;
    ok(app, "mutation($c: ID!) { addCustomerNote(customerId: $c, body: \"prefers Zalo\") { id } }", json!({ "c": d }))
        .await;
    ok(
        app,
        "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { id } }",
        json!({ "i": { "customerId": d, "channel": "CALL", "direction": "OUTBOUND", "outcome": "answered" } }),
    )
    .await;
    ok(
        app,
        "mutation($i: AddFamilyMemberInput!) { addFamilyMember(input: $i) { id } }",
        json!({ "i": { "customerId": d, "name": "Bé Na", "relationship": "CHILD" } }),
    )
    .await;
    // Tables without a door in the API: call tasks (one twin of the
    // survivor's, kept), campaign messages (one twin, kept), a bank
    // transfer, a fraud flag.
    call_task(app, &s, "WELCOME", "PENDING").await;
    call_task(app, &d, "WELCOME", "PENDING").await;
    call_task(app, &d, "BIRTHDAY", "PENDING").await;
    campaign_messages(app, "spring", &[&s, &d]).await;
    campaign_messages(app, "summer", &[&d]).await;
    let now = app.clock.now();
    sql(
        app,
        "INSERT INTO bank_transfers (provider_id, direction, amount, content, transferred_at, received_at, status, \
         candidates, customer_id, raw, updated_at) VALUES ('tx-merge-1', 'in', 100000, 'N2', ?, ?, 'LINKED', '[]', ?, '{}', ?)",
        vec![now.into(), now.into(), d.parse::<i64>().unwrap().into(), now.into()],
    )
    .await;
    sql(
        app,
        "INSERT INTO customer_flags (customer_id, rule, evidence, raised_at) VALUES (?, 'WALLET_ABUSE', '{}', ?)",
        vec![d.parse::<i64>().unwrap().into(), now.into()],
    )
    .await;
    (s, d)
}

crate::on_both! {
    async fn a_merge_moves_every_row_and_the_wallet_by_ledger_rows(app) {
        let (s, d) = two_with_history(&app).await;
        let mut before = Vec::new();
        for t in TABLES {
            before.push((rows_of(&app, t, &s).await, rows_of(&app, t, &d).await));
        }
        let d_credits = wallet(&app, &d).await["virtualCredits"].clone();
        let ledger_before = assert_ledger_invariants(&app).await;

        // The preview counts what will move, and changes nothing.
        let p = ok(&app, "query($s: ID!, $d: ID!) { mergePreview(survivorId: $s, duplicateId: $d) { \
            moves { table moved kept } realBalance virtualBalance points } }", json!({ "s": s, "d": d })).await;
        let p = &p["mergePreview"];
        assert_eq!((p["realBalance"].as_str(), p["virtualBalance"].as_str(), p["points"].as_i64()),
            (Some("100000"), Some("50000"), Some(50)), "{p}");
        let kept = |moves: &Value, table: &str| moves.as_array().unwrap().iter()
            .find(|m| m["table"] == table).map(|m| (m["moved"].as_i64().unwrap(), m["kept"].as_i64().unwrap())).unwrap();
        assert_eq!(kept(&p["moves"], "call_tasks"), (1, 1));
        assert_eq!(kept(&p["moves"], "communication_log"), (1, 1));
        assert_eq!(kept(&p["moves"], "orders"), (2, 0));
        assert_eq!(assert_ledger_invariants(&app).await, ledger_before);

        let res = merge(&app, &s, &d).await;
        assert!(res["errors"].is_null(), "{res}");
        let m = &res["data"]["mergeCustomers"];
        assert_eq!((m["realMoved"].as_str(), m["virtualMoved"].as_str()), (Some("100000"), Some("50000")));
        assert_eq!((m["creditsMoved"].as_i64(), m["pointsMoved"].as_i64()), (Some(2), Some(50)));

        // Every table: the duplicate's rows are now the survivor's, but
        // for the twins of a unique key, which stay on the tombstone.
        for (t, (bs, bd)) in TABLES.iter().zip(before) {
            let (as_, ad) = (rows_of(&app, t, &s).await, rows_of(&app, t, &d).await);
            let stays = if matches!(*t, "call_tasks" | "communication_log") { 1 } else { 0 };
            let moved = m["moves"].as_array().unwrap().iter().find(|x| x["table"] == *t).unwrap()["moved"].as_i64().unwrap();
            assert_eq!(moved, bd - stays, "{t}: reported moved");
            if *t == "activities" {
                // The merge's own entries: "merged out" of the wallet and
                // "merged into" stay; "merged in" and "merged" are written
                // on the survivor (and maybe a tier change).
                assert_eq!(ad, 2, "{t}: left on the duplicate");
                assert!(as_ >= bs + bd + 2, "{t}: on the survivor");
            } else {
                assert_eq!(ad, stays, "{t}: left on the duplicate");
                assert_eq!(as_, bs + bd - stays, "{t}: on the survivor");
            }
        }
        // The kept call task of the duplicate is skipped, not left pending.
        assert_eq!(count_of(&app, &format!("SELECT COUNT(*) FROM call_tasks WHERE customer_id = {d} AND status = 'PENDING'")).await, 0);

        // Totals and profile.
        let sv = &m["survivor"];
        assert_eq!(sv["orderCount"], 3);
        assert_eq!(sv["totalSpent"], "600000");
        assert_eq!(sv["ticketCount"], 0, "no ticket was completed");
        assert_eq!(sv["email"], "an@example.vn", "an empty field is filled from the duplicate");
        assert_eq!(sv["city"], "Huế");
        assert_eq!(sv["tags"], json!(["zalo"]));

        // The wallet: exact amounts, credits with their expiry, the ledger.
        let ws = wallet(&app, &s).await;
        assert_eq!((ws["realBalance"].as_str(), ws["virtualBalance"].as_str(), ws["points"].as_i64()),
            (Some("105000"), Some("60000"), Some(50)));
        let wd = wallet(&app, &d).await;
        assert_eq!((wd["realBalance"].as_str(), wd["virtualBalance"].as_str(), wd["points"].as_i64()),
            (Some("0"), Some("0"), Some(0)));
        assert!(wd["virtualCredits"].as_array().unwrap().iter().all(|c| c["status"] == "MERGED" && c["remaining"] == "0"), "{wd}");
        let expiries = |credits: &Value| {
            let mut v: Vec<(String, String)> = credits.as_array().unwrap().iter()
                .map(|c| (c["expiresAt"].as_str().unwrap().to_owned(), c["amount"].as_str().unwrap().to_owned())).collect();
            v.sort();
            v
        };
        let moved_in: Vec<Value> = ws["virtualCredits"].as_array().unwrap().iter()
            .filter(|c| c["amount"] != "10000").cloned().collect();
        assert_eq!(expiries(&json!(moved_in)), expiries(&d_credits), "each credit keeps its expiry");
        let rows = ok(&app, "query($c: ID!) { wallet(customerId: $c) { transactions(first: 1) { edges { node { type amount \
            realBalanceBefore realBalanceAfter pointsAfter credits { amount } } } } } }", json!({ "c": d })).await;
        let out = &rows["wallet"]["transactions"]["edges"][0]["node"];
        assert_eq!((out["type"].as_str(), out["amount"].as_str(), out["realBalanceAfter"].as_str()),
            (Some("MERGED_OUT"), Some("150000"), Some("0")), "{out}");
        let rows = ok(&app, "query($c: ID!) { wallet(customerId: $c) { transactions(first: 1) { edges { node { type amount \
            realBalanceAfter virtualBalanceAfter pointsAfter } } } } }", json!({ "c": s })).await;
        let inn = &rows["wallet"]["transactions"]["edges"][0]["node"];
        assert_eq!((inn["type"].as_str(), inn["realBalanceAfter"].as_str(), inn["virtualBalanceAfter"].as_str(), inn["pointsAfter"].as_i64()),
            (Some("MERGED_IN"), Some("105000"), Some("60000"), Some(50)), "{inn}");
        assert_eq!(assert_ledger_invariants(&app).await, ledger_before + 2);

        // FIFO still holds: the duplicate's 3-day credit goes first, then
        // the survivor's own 5-day one, then the 10-day one.
        let w = move_money(&app, "withdraw", json!({ "customerId": s, "amount": "25000" })).await;
        let spent: Vec<&str> = w["transaction"]["credits"].as_array().unwrap().iter().map(|c| c["amount"].as_str().unwrap()).collect();
        assert_eq!(spent, vec!["20000", "5000"], "{w}");
        app.advance(Duration::days(6)).await;
        let w = move_money(&app, "withdraw", json!({ "customerId": s, "amount": "1000" })).await;
        assert_eq!(w["transaction"]["credits"][0]["amount"], "1000", "the 5-day credit expired, the 10-day one pays: {w}");
        assert_eq!(w["wallet"]["virtualBalance"], "29000", "{w}");
        assert_ledger_invariants(&app).await;
    }

    async fn the_duplicate_stays_as_a_tombstone_that_leads_to_the_survivor(app) {
        let s = app.customer("Trần Thị Bích", "0901000201").await["id"].as_str().unwrap().to_owned();
        let d = app.customer("Tran Thi Bich", "0901000202").await["id"].as_str().unwrap().to_owned();
        move_money(&app, "deposit", json!({ "customerId": d, "amount": "7000" })).await;
        let res = merge(&app, &s, &d).await;
        assert!(res["errors"].is_null(), "{res}");

        let t = ok(&app, "query($id: ID!) { customer(id: $id) { id mergedAt mergedInto { id name } } }", json!({ "id": d })).await;
        assert_eq!(t["customer"]["mergedInto"]["id"], s.as_str());
        assert!(t["customer"]["mergedAt"].is_string());
        let list = ok(&app, "{ customers { totalCount edges { node { id } } } }", json!({})).await;
        assert_eq!(list["customers"]["totalCount"], 1);
        assert_eq!(list["customers"]["edges"][0]["node"]["id"], s.as_str());
        let today = app.clock.now().date_naive().to_string();
        let dash = ok(&app, "query($d: NaiveDate!) { dashboard(from: $d, to: $d) { customersTotal tiers { count } } }", json!({ "d": today })).await;
        assert_eq!(dash["dashboard"]["customersTotal"], 1, "the dashboard counts the tombstone out: {dash}");
        let in_tiers: i64 = dash["dashboard"]["tiers"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
        assert_eq!(in_tiers, 1, "{dash}");
        let found = ok(&app, "{ customers(search: \"0901000202\") { totalCount } }", json!({})).await;
        assert_eq!(found["customers"]["totalCount"], 0, "search skips the tombstone");
        // Its phone now leads to the survivor, and creates nobody.
        let by_phone = ok(&app, "{ customerByPhone(phone: \"+84 90 100 0202\") { id } }", json!({})).await;
        assert_eq!(by_phone["customerByPhone"]["id"], s.as_str());
        let got = ok(&app, "mutation { getOrCreateCustomerByPhone(phone: \"0901000202\") { created customer { id } } }", json!({})).await;
        assert_eq!(got["getOrCreateCustomerByPhone"], json!({ "created": false, "customer": { "id": s } }));
        // Money sent to the tombstone lands in the survivor's wallet.
        let dep = move_money(&app, "deposit", json!({ "customerId": d, "amount": "1000" })).await;
        assert_eq!(dep["wallet"]["realBalance"], "8000", "{dep}");
        assert_eq!(wallet(&app, &s).await["realBalance"], "8000");
        assert_eq!(wallet(&app, &d).await["realBalance"], "0");
        // An order and a ticket sent with the tombstone's id go to the survivor.
        let order = ok(
            &app,
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { customer { id } } } }",
            json!({ "i": { "customerId": d, "amount": "50000", "status": "DELIVERED" } }),
        )
        .await;
        assert_eq!(order["createOrder"]["order"]["customer"]["id"], s.as_str(), "{order}");
        let ticket = ok(
            &app,
            "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { customer { id } } } }",
            json!({ "i": { "customerId": d, "type": "SUPPORT", "description": "still waiting" } }),
        )
        .await;
        assert_eq!(ticket["createTicket"]["ticket"]["customer"]["id"], s.as_str(), "{ticket}");
        assert_eq!(rows_of(&app, "orders", &d).await, 0);
        assert_eq!(rows_of(&app, "tickets", &d).await, 0);
        // Notes and profile changes on the tombstone are refused.
        let res = app.gql("mutation($c: ID!) { addCustomerNote(customerId: $c, body: \"x\") { id } }", json!({ "c": d })).await;
        assert_eq!((code(&res), field(&res)), (Some("CONFLICT"), Some("customerId")), "{res}");
        // The survivor may take the tombstone's number as its own.
        let res = ok(&app, "mutation($id: ID!) { updateCustomer(id: $id, input: { phone: \"0901000202\" }) { phone } }", json!({ "id": s })).await;
        assert_eq!(res["updateCustomer"]["phone"], "+84901000202");
        assert_ledger_invariants(&app).await;
    }

    async fn a_second_merge_and_other_bad_pairs_are_refused_on_the_right_field(app) {
        let s = app.customer("Lê Văn Ví", "0901000301").await["id"].as_str().unwrap().to_owned();
        let d = app.customer("Le Van Vi", "0901000302").await["id"].as_str().unwrap().to_owned();
        let other = app.customer("Phạm Thu", "0901000303").await["id"].as_str().unwrap().to_owned();
        move_money(&app, "deposit", json!({ "customerId": d, "amount": "5000" })).await;
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), MERGE, json!({ "s": s, "d": d })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = merge(&app, &s, &s).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("duplicateId")), "{res}");
        let res = merge(&app, &s, "999999").await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("duplicateId"), "{res}");

        assert!(merge(&app, &s, &d).await["errors"].is_null());
        let ledger = assert_ledger_invariants(&app).await;
        let res = merge(&app, &s, &d).await;
        assert_eq!((code(&res), field(&res)), (Some("CONFLICT"), Some("duplicateId")), "{res}");
        let res = merge(&app, &d, &other).await;
        assert_eq!((code(&res), field(&res)), (Some("CONFLICT"), Some("survivorId")), "{res}");
        let res = app.gql("query($s: ID!, $d: ID!) { mergePreview(survivorId: $s, duplicateId: $d) { points } }",
            json!({ "s": s, "d": d })).await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");
        assert_eq!(assert_ledger_invariants(&app).await, ledger, "nothing moved twice");
        assert_eq!(wallet(&app, &s).await["realBalance"], "5000");
    }

    async fn a_merge_writes_the_timeline_of_both_one_audit_row_and_an_event(app) {
        let s = app.customer("Đỗ Minh", "0901000401").await["id"].as_str().unwrap().to_owned();
        let dc = app.customer("Do Minh", "0901000402").await;
        let (d, d_code) = (dc["id"].as_str().unwrap().to_owned(), dc["memberCode"].as_str().unwrap().to_owned());
        move_money(&app, "deposit", json!({ "customerId": d, "amount": "2500" })).await;
        let mut events = app.ctx.bus.subscribe().0;
        assert!(merge(&app, &s, &d).await["errors"].is_null());
        let ks = timeline(&app, &s).await;
        assert_eq!(ks[0].0, "customer.merged", "{ks:?}");
        assert!(ks[0].1.contains(&d_code), "{ks:?}");
        assert!(ks.iter().any(|(k, _)| k == "wallet.merged_in"), "{ks:?}");
        assert!(ks.iter().any(|(k, _)| k == "wallet.deposited"), "the duplicate's history moved: {ks:?}");
        let kd = timeline(&app, &d).await;
        assert_eq!(kd.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec!["customer.merged", "wallet.merged_out"], "{kd:?}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'customer.merge'").await, 1);
        let mut seen = Vec::new();
        while let Ok(Ok(ev)) = tokio::time::timeout(std::time::Duration::from_secs(2), events.recv()).await {
            seen.push(ev.kind.clone());
            if ev.kind == "customer.merged" {
                assert_eq!(ev.customer_id, s.parse().ok());
                assert_eq!(ev.data["duplicateId"], d.parse::<i64>().unwrap());
                break;
            }
        }
        assert!(seen.contains(&"wallet.merged_out".to_owned()) && seen.contains(&"customer.merged".to_owned()), "{seen:?}");
    }

    async fn likely_duplicates_are_found_by_phone_email_and_name(app) {
        let q = "{ duplicateCustomers(first: 10) { totalCount edges { node { reasons keys size customers { id } } } } }";
        let a = app.customer("Nguyễn Văn An", "0901000501").await["id"].as_str().unwrap().to_owned();
        let b = app.customer("nguyen  van AN", "0901000502").await["id"].as_str().unwrap().to_owned();
        for (id, city) in [(&a, "Hà Nội"), (&b, "ha noi")] {
            ok(&app, "mutation($id: ID!, $c: String) { updateCustomer(id: $id, input: { city: $c, email: \" AN@x.vn \" }) { id } }",
                json!({ "id": id, "c": city })).await;
        }
        let c = app.customer("Phạm Thu Hà", "0901000503").await["id"].as_str().unwrap().to_owned();
        let e = app.customer("Someone Else", "0901000504").await["id"].as_str().unwrap().to_owned();
        // A number stored before normalisation (a legacy import): another
        // way of writing c's number.
        app.exec(&format!("UPDATE customers SET phone = '+84 090 100 0503 ' WHERE id = {e}")).await;
        let f = app.customer("Võ Lan", "0901000505").await["id"].as_str().unwrap().to_owned();
        let g = app.customer("Vo Lan", "0901000506").await["id"].as_str().unwrap().to_owned();
        for id in [&f, &g] {
            ok(&app, "mutation($id: ID!) { updateCustomer(id: $id, input: { birthday: \"1990-02-03\" }) { id } }", json!({ "id": id })).await;
        }
        app.customer("Võ Lan", "0901000507").await; // same name, no city, no birthday: not a duplicate

        let (_, agent) = app.staff("AGENT").await;
        assert_eq!(code(&app.gql_as(Some(&agent), q, json!({})).await), Some("FORBIDDEN"));
        let res = ok(&app, q, json!({})).await;
        let groups: Vec<(Vec<String>, Vec<String>)> = res["duplicateCustomers"]["edges"].as_array().unwrap().iter().map(|e| {
            let n = &e["node"];
            (n["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect(),
             n["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect())
        }).collect();
        assert_eq!(res["duplicateCustomers"]["totalCount"], 3, "{res}");
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(groups.contains(&(s(&["EMAIL", "NAME_CITY"]), vec![a.clone(), b.clone()])), "{groups:?}");
        assert!(groups.contains(&(s(&["PHONE"]), vec![c.clone(), e.clone()])), "{groups:?}");
        assert!(groups.contains(&(s(&["NAME_BIRTHDAY"]), vec![f.clone(), g.clone()])), "{groups:?}");
        let phone_group = res["duplicateCustomers"]["edges"].as_array().unwrap().iter()
            .find(|e| e["node"]["reasons"] == json!(["PHONE"])).unwrap();
        assert_eq!(phone_group["node"]["keys"], json!(["+84901000503"]));

        // Paging, and a merged pair is no longer listed.
        let page = ok(&app, "{ duplicateCustomers(first: 2) { edges { cursor } pageInfo { hasNextPage endCursor } } }", json!({})).await;
        assert_eq!(page["duplicateCustomers"]["pageInfo"]["hasNextPage"], true);
        let after = page["duplicateCustomers"]["pageInfo"]["endCursor"].clone();
        let rest = ok(&app, "query($a: String) { duplicateCustomers(first: 2, after: $a) { edges { cursor } pageInfo { hasNextPage } } }",
            json!({ "a": after })).await;
        assert_eq!(rest["duplicateCustomers"]["edges"].as_array().unwrap().len(), 1);
        assert!(merge(&app, &c, &e).await["errors"].is_null());
        let res = ok(&app, q, json!({})).await;
        assert_eq!(res["duplicateCustomers"]["totalCount"], 2, "{res}");
    }

    async fn deposits_racing_a_merge_lose_nothing(app) {
        let s = app.customer("Hồ Thị Mai", "0901000601").await["id"].as_str().unwrap().to_owned();
        let d = app.customer("Ho Thi Mai", "0901000602").await["id"].as_str().unwrap().to_owned();
        move_money(&app, "deposit", json!({ "customerId": s, "amount": "1000" })).await;
        move_money(&app, "deposit", json!({ "customerId": d, "amount": "2000" })).await;
        move_money(&app, "issueVirtualCredit", json!({ "customerId": d, "amount": "300", "reason": "promo" })).await;
        let deposits = (0..24).map(|i| {
            let (app, s, d) = (&app, s.clone(), d.clone());
            async move {
                if i == 8 {
                    let res = merge(app, &s, &d).await;
                    assert!(res["errors"].is_null(), "{res}");
                    return 0;
                }
                let res = wallet_op(app, &app.token(), "deposit", json!({ "customerId": d, "amount": "10" })).await;
                assert!(res["errors"].is_null(), "a deposit racing the merge: {res}");
                10
            }
        });
        let total: i64 = join_all(deposits).await.into_iter().sum();
        assert_eq!(total, 230);
        let ws = wallet(&app, &s).await;
        assert_eq!((ws["realBalance"].as_str(), ws["virtualBalance"].as_str()), (Some("3230"), Some("300")), "{ws}");
        let wd = wallet(&app, &d).await;
        assert_eq!((wd["realBalance"].as_str(), wd["virtualBalance"].as_str()), (Some("0"), Some("0")), "{wd}");
        assert_ledger_invariants(&app).await;
    }
}

/// A customer's newest timeline entries: (kind, summary).
async fn timeline(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let t = ok(
        app,
        "query($id: ID!) { customer(id: $id) { timeline(first: 5) { edges { node { kind summary } } } } }",
        json!({ "id": id }),
    )
    .await;
    t["customer"]["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["kind"].as_str().unwrap().to_owned(), e["node"]["summary"].as_str().unwrap().to_owned()))
        .collect()
}
