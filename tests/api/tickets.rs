//! Tickets over GraphQL: codes, creation from a phone, the workflow (every
//! legal and illegal move), compensation paid atomically with the wallet,
//! the SLA check on an injected clock, customer stats, history, lists,
//! stats, what an AGENT may do, bad input, and events after commit.

use std::collections::HashSet;

use chrono::{Datelike, Duration, Utc};
use futures::future::join_all;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code, count_of, field, spawn_app_with};

const TICKET: &str = "id code type status priority orderReference carrier carrierDeadline overdue overdueFlaggedAt \
     description attachments resolution customerId customer { id name phone ticketCount returnCount } assigneeId \
     allowedTransitions createdBy firstResponseSeconds resolutionSeconds completedAt cancelledAt";

const STATUSES: [&str; 5] = ["NEW", "IN_PROGRESS", "WAITING_CARRIER", "COMPLETED", "CANCELLED"];

/// `createTicket` as `token`; the raw response.
async fn create_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(
        Some(token),
        &format!(
            "mutation($i: CreateTicketInput!) {{ createTicket(input: $i) {{ customerCreated ticket {{ {TICKET} }} }} }}"
        ),
        json!({ "i": input }),
    )
    .await
}

/// `createTicket` as the admin; the ticket (panics on an error).
async fn create(app: &TestApp, input: Value) -> Value {
    let res = create_as(app, &app.token(), input).await;
    assert!(res["errors"].is_null(), "createTicket: {res}");
    res["data"]["createTicket"]["ticket"].clone()
}

pub(crate) async fn move_as(app: &TestApp, token: &str, id: &str, to: &str) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($id: ID!, $to: TicketStatus!) {{ transitionTicket(id: $id, to: $to) {{ {TICKET} }} }}"),
        json!({ "id": id, "to": to }),
    )
    .await
}

pub(crate) async fn resolve_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(
        Some(token),
        "mutation($i: ResolveTicketInput!) { resolveTicket(input: $i) { replayed ticket { id status resolution \
         customer { ticketCount returnCount } compensations { kind amount approvedBy transaction { code type amount \
         source reference } } } compensation { kind amount approvedBy transaction { id code type amount source \
         reference } } } }",
        json!({ "i": input }),
    )
    .await
}

async fn ticket(app: &TestApp, id: &str) -> Value {
    let res = app
        .gql(
            &format!(
                "query($id: ID!) {{ ticket(id: $id) {{ {TICKET} history {{ kind fromStatus toStatus changes body actor \
                 actorUser {{ id }} at }} notes {{ body }} compensations {{ kind amount transaction {{ code }} }} }} }}"
            ),
            json!({ "id": id }),
        )
        .await;
    assert!(res["errors"].is_null(), "ticket: {res}");
    res["data"]["ticket"].clone()
}

async fn customer_id(app: &TestApp, phone: &str) -> String {
    app.customer("Trần Thị Bích", phone).await["id"].as_str().unwrap().to_owned()
}

/// A ticket moved (as the admin) along the legal path to `status`.
pub(crate) async fn ticket_in(app: &TestApp, customer: &str, kind: &str, status: &str) -> Value {
    let t = create(app, json!({ "customerId": customer, "type": kind, "description": "Khách không nhận hàng" })).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let path: &[&str] = match status {
        "NEW" => &[],
        "IN_PROGRESS" => &["IN_PROGRESS"],
        "WAITING_CARRIER" => &["IN_PROGRESS", "WAITING_CARRIER"],
        "COMPLETED" => &["IN_PROGRESS", "WAITING_CARRIER", "COMPLETED"],
        "CANCELLED" => &["CANCELLED"],
        other => panic!("unknown status {other}"),
    };
    let mut last = t;
    for to in path {
        let res = move_as(app, &app.token(), &id, to).await;
        assert!(res["errors"].is_null(), "{to}: {res}");
        last = res["data"]["transitionTicket"].clone();
    }
    assert_eq!(last["status"], status);
    last
}

async fn timeline_kinds(app: &TestApp, customer: &str) -> Vec<String> {
    let res = app
        .gql(
            "query($id: ID!) { customer(id: $id) { timeline(first: 100) { edges { node { kind summary } } } } }",
            json!({ "id": customer }),
        )
        .await;
    res["data"]["customer"]["timeline"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn events_of(rx: &mut tokio::sync::broadcast::Receiver<crm360::events::DomainEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if e.entity_type == "ticket" {
            out.push(e.kind);
        }
    }
    out
}

crate::on_both! {
    async fn a_new_phone_creates_the_customer_and_a_coded_ticket(app) {
        let check = "query($p: String!) { ticketPhoneCheck(phone: $p) { phone known customer { name tier } \
                     wallet { realBalance virtualBalance } } }";
        let res = app.gql(check, json!({ "p": "0912 345 678" })).await;
        assert_eq!(res["data"]["ticketPhoneCheck"]["known"], false, "{res}");
        assert_eq!(res["data"]["ticketPhoneCheck"]["phone"], "+84912345678");
        assert!(res["data"]["ticketPhoneCheck"]["customer"].is_null());

        let mut rx = app.ctx.bus.subscribe().0;
        let res = create_as(&app, &app.token(), json!({
            "phone": "0912345678", "customerName": "Phạm Minh Khoa", "type": "BOOM",
            "orderReference": "ORD-20261121-001", "carrier": "GHN",
            "carrierDeadline": (Utc::now() + Duration::days(3)).to_rfc3339(),
            "description": "Khách từ chối nhận hàng", "attachments": ["https://cdn.example.vn/proof.jpg"],
        })).await;
        assert!(res["errors"].is_null(), "{res}");
        let created = &res["data"]["createTicket"];
        assert_eq!(created["customerCreated"], true);
        let t = &created["ticket"];
        let year = (Utc::now() + Duration::hours(7)).year();
        assert_eq!(t["code"], format!("TV-{year}-00001"));
        assert_eq!(t["status"], "NEW");
        assert_eq!(t["priority"], "NORMAL");
        assert_eq!(t["type"], "BOOM");
        assert_eq!(t["customer"]["name"], "Phạm Minh Khoa");
        assert_eq!(t["customer"]["phone"], "+84912345678");
        assert_eq!(t["attachments"], json!(["https://cdn.example.vn/proof.jpg"]));
        assert_eq!(t["allowedTransitions"], json!(["IN_PROGRESS", "CANCELLED"]));
        assert_eq!(events_of(&mut rx), vec!["ticket.created"]);

        let res = app.gql(check, json!({ "p": "+84 912 345 678" })).await;
        let known = &res["data"]["ticketPhoneCheck"];
        assert_eq!(known["known"], true, "{res}");
        assert_eq!(known["customer"]["name"], "Phạm Minh Khoa");
        assert_eq!(known["customer"]["tier"], "NEW");
        assert_eq!(known["wallet"]["realBalance"], "0");

        // The same phone written another way: the same customer, the next code.
        let res = create_as(&app, &app.token(), json!({
            "phone": "84912345678", "type": "SUPPORT", "description": "Hỏi về đơn hàng",
        })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["createTicket"]["customerCreated"], false);
        let second = &res["data"]["createTicket"]["ticket"];
        assert_eq!(second["code"], format!("TV-{year}-00002"));
        assert_eq!(second["customerId"], t["customerId"]);
        let found = app.gql("query($c: String!) { ticketByCode(code: $c) { id } }", json!({ "c": format!("tv-{year}-00002") })).await;
        assert_eq!(found["data"]["ticketByCode"]["id"], second["id"]);

        let kinds = timeline_kinds(&app, t["customerId"].as_str().unwrap()).await;
        assert_eq!(kinds.iter().filter(|k| *k == "ticket.created").count(), 2, "{kinds:?}");
        assert!(kinds.contains(&"customer.created".to_owned()));
    }

    async fn every_legal_and_illegal_transition(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let (_, manager) = app.staff("MANAGER").await;
        // The customer is the agent's: the agent may act on all its tickets.
        let res = app.gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Đỗ Hùng", "phone": "0912000001", "assignedAgentId": agent_id } })).await;
        let c = res["data"]["createCustomer"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
        let app = &app;
        let c = c.as_str();
        for from in STATUSES {
            for to in STATUSES {
                let t = ticket_in(app, c, "SUPPORT", from).await;
                let id = t["id"].as_str().unwrap();
                let agent_can_see = true;
                let legal = matches!(
                    (from, to),
                    ("NEW", "IN_PROGRESS") | ("IN_PROGRESS", "WAITING_CARRIER") | ("WAITING_CARRIER", "COMPLETED")
                        | ("NEW" | "IN_PROGRESS" | "WAITING_CARRIER", "CANCELLED")
                );
                let reopen = matches!((from, to), ("COMPLETED" | "CANCELLED", "IN_PROGRESS"));
                let token = if agent_can_see { agent.as_str() } else { manager.as_str() };
                let res = move_as(app, token, id, to).await;
                if legal {
                    assert!(res["errors"].is_null(), "{from} → {to}: {res}");
                    assert_eq!(res["data"]["transitionTicket"]["status"], to);
                } else if reopen {
                    if agent_can_see {
                        assert_eq!(code(&res), Some("FORBIDDEN"), "an agent reopening {from}: {res}");
                    }
                    let res = move_as(app, &manager, id, to).await;
                    assert!(res["errors"].is_null(), "a manager reopening {from}: {res}");
                    assert_eq!(res["data"]["transitionTicket"]["status"], "IN_PROGRESS");
                    assert_eq!(res["data"]["transitionTicket"]["completedAt"], Value::Null);
                } else {
                    assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{from} → {to}: {res}");
                    let ext = &res["errors"][0]["extensions"];
                    assert_eq!((ext["from"].as_str(), ext["to"].as_str()), (Some(from), Some(to)), "{res}");
                    assert_eq!(ticket(app, id).await["status"], from, "nothing changed on {from} → {to}");
                }
            }
        }
        // Each move is in the history, with its actor.
        let t = ticket_in(app, c, "SUPPORT", "COMPLETED").await;
        let history = ticket(app, t["id"].as_str().unwrap()).await["history"].clone();
        let moves: Vec<(Value, Value)> =
            history.as_array().unwrap().iter().map(|h| (h["fromStatus"].clone(), h["toStatus"].clone())).collect();
        assert_eq!(moves, vec![
            (Value::Null, json!("NEW")),
            (json!("NEW"), json!("IN_PROGRESS")),
            (json!("IN_PROGRESS"), json!("WAITING_CARRIER")),
            (json!("WAITING_CARRIER"), json!("COMPLETED")),
        ]);
        assert!(history.as_array().unwrap().iter().all(|h| h["actor"] == "user:1" && h["actorUser"]["id"] == "1"));
    }

    async fn two_hundred_concurrent_creations_get_two_hundred_distinct_codes(app) {
        let c = customer_id(&app, "0912000002").await;
        let year = (Utc::now() + Duration::hours(7)).year();
        let token = app.token();
        let calls = (0..200).map(|i| {
            let (app, c, token) = (&app, c.clone(), token.clone());
            async move {
                create_as(app, &token, json!({ "customerId": c, "type": "SUPPORT", "description": format!("case {i}") })).await
            }
        });
        let results = join_all(calls).await;
        let mut codes = HashSet::new();
        for res in &results {
            assert!(res["errors"].is_null(), "{res}");
            codes.insert(res["data"]["createTicket"]["ticket"]["code"].as_str().unwrap().to_owned());
        }
        let expected: HashSet<String> = (1..=200).map(|n| format!("TV-{year}-{n:05}")).collect();
        assert_eq!(codes, expected, "200 distinct codes, numbered 1 to 200");
    }

    async fn a_boom_ticket_resolves_with_a_virtual_credit_recorded_on_both_sides(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let c = customer_id(&app, "0912000003").await;
        let t = ticket_in(&app, &c, "BOOM", "WAITING_CARRIER").await;
        let id = t["id"].as_str().unwrap();
        app.gql("mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { id } }", json!({ "id": id, "a": agent_id })).await;
        app.advance(Duration::minutes(45)).await;
        let mut rx = app.ctx.bus.subscribe().0;
        let res = resolve_as(&app, &agent, json!({
            "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "100000", "resolution": "Tặng 100k"
        })).await;
        assert!(res["errors"].is_null(), "{res}");
        let r = &res["data"]["resolveTicket"];
        assert_eq!(r["replayed"], false);
        assert_eq!(r["ticket"]["status"], "COMPLETED");
        assert_eq!(r["ticket"]["resolution"], "Tặng 100k");
        let tx = &r["compensation"]["transaction"];
        assert_eq!(r["compensation"]["kind"], "VIRTUAL_CREDIT");
        assert_eq!(r["compensation"]["approvedBy"], Value::Null, "BOOM below the limit needs no approval");
        assert_eq!(tx["type"], "CREDIT_ISSUED");
        assert_eq!(tx["amount"], "100000");
        assert_eq!(tx["source"], "TICKET");
        assert_eq!(tx["reference"], t["code"]);
        assert_eq!(r["ticket"]["compensations"][0]["transaction"]["code"], tx["code"]);
        assert_eq!(r["ticket"]["customer"]["ticketCount"], 1);
        assert_eq!(r["ticket"]["customer"]["returnCount"], 1, "a refused delivery is a return");
        assert_eq!(events_of(&mut rx), vec!["ticket.status_changed", "ticket.completed"]);

        let w = app.gql("query($c: ID!) { wallet(customerId: $c) { virtualBalance virtualCredits { amount sourceReference source } } }",
            json!({ "c": c })).await;
        assert_eq!(w["data"]["wallet"]["virtualBalance"], "100000");
        assert_eq!(w["data"]["wallet"]["virtualCredits"][0]["sourceReference"], t["code"]);
        assert_eq!(w["data"]["wallet"]["virtualCredits"][0]["source"], "TICKET");

        let detail = ticket(&app, id).await;
        assert!(detail["resolutionSeconds"].as_i64().unwrap() >= 2700, "{detail}");
        let last = detail["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["kind"], "RESOLVED");
        assert_eq!(last["changes"]["compensation"]["transactionCode"], tx["code"]);
        let kinds = timeline_kinds(&app, &c).await;
        assert!(kinds.contains(&"ticket.completed".to_owned()) && kinds.contains(&"wallet.credit_issued".to_owned()), "{kinds:?}");

        // Resolving again is not a second compensation.
        let again = resolve_as(&app, &agent, json!({ "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "100000" })).await;
        assert_eq!(code(&again), Some("INVALID_TRANSITION"), "{again}");
    }

    async fn compensation_rules_by_type_and_amount(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let (_, manager) = app.staff("MANAGER").await;
        let c = customer_id(&app, "0912000004").await;
        let assign = |id: String| {
            let app = &app;
            let agent_id = agent_id.clone();
            async move {
                app.gql("mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { id } }", json!({ "id": id, "a": agent_id })).await;
            }
        };
        let refund = ticket_in(&app, &c, "RETURN_REFUND", "WAITING_CARRIER").await;
        let rid = refund["id"].as_str().unwrap().to_owned();
        assign(rid.clone()).await;
        // Wrong kind for the type, missing amount, amount on a moneyless kind.
        let res = resolve_as(&app, &agent, json!({ "ticketId": rid, "compensation": "EXCHANGE" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.compensation")), "{res}");
        let res = resolve_as(&app, &agent, json!({ "ticketId": rid, "compensation": "REFUND" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.amount")), "{res}");
        let res = resolve_as(&app, &agent, json!({ "ticketId": rid, "compensation": "NONE", "amount": "5" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.amount")), "{res}");
        // Above the limit (500,000) an agent may not; a manager may, and is the approver.
        let res = resolve_as(&app, &agent, json!({ "ticketId": rid, "compensation": "REFUND", "amount": "600000" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        assert_eq!(ticket(&app, &rid).await["status"], "WAITING_CARRIER");
        let res = resolve_as(&app, &manager, json!({ "ticketId": rid, "compensation": "REFUND", "amount": "600000" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let comp = &res["data"]["resolveTicket"]["compensation"];
        assert!(comp["approvedBy"].as_str().unwrap().starts_with("user:"));
        assert_eq!(comp["transaction"]["type"], "DEPOSIT");
        assert_eq!(comp["transaction"]["source"], "REFUND");
        let w = app.gql("query($c: ID!) { wallet(customerId: $c) { realBalance } }", json!({ "c": c })).await;
        assert_eq!(w["data"]["wallet"]["realBalance"], "600000");

        // A virtual credit on anything but BOOM needs a manager.
        let support = ticket_in(&app, &c, "MISSING_ITEMS", "WAITING_CARRIER").await;
        let sid = support["id"].as_str().unwrap().to_owned();
        assign(sid.clone()).await;
        let res = resolve_as(&app, &agent, json!({ "ticketId": sid, "compensation": "VIRTUAL_CREDIT", "amount": "1000" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = resolve_as(&app, &manager, json!({ "ticketId": sid, "compensation": "VIRTUAL_CREDIT", "amount": "1000", "lifetimeDays": 30 })).await;
        assert!(res["errors"].is_null(), "{res}");

        // An exchange moves no money; a refund is only for RETURN_REFUND.
        let exchange = ticket_in(&app, &c, "EXCHANGE", "WAITING_CARRIER").await;
        let eid = exchange["id"].as_str().unwrap();
        assign(eid.to_owned()).await;
        let res = resolve_as(&app, &manager, json!({ "ticketId": eid, "compensation": "REFUND", "amount": "1000" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.compensation")), "{res}");
        let res = resolve_as(&app, &agent, json!({ "ticketId": eid, "compensation": "EXCHANGE", "resolution": "Đổi size" })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["resolveTicket"]["compensation"]["transaction"], Value::Null);

        let c360 = app.gql("query($id: ID!) { customer(id: $id) { ticketCount returnCount } }", json!({ "id": c })).await;
        assert_eq!(c360["data"]["customer"], json!({ "ticketCount": 3, "returnCount": 1 }));
    }

    async fn a_failing_wallet_step_leaves_the_ticket_unchanged(app) {
        let c = customer_id(&app, "0912000005").await;
        let t = ticket_in(&app, &c, "BOOM", "WAITING_CARRIER").await;
        let id = t["id"].as_str().unwrap();
        let history_before = ticket(&app, id).await["history"].as_array().unwrap().len();
        let activities_before = timeline_kinds(&app, &c).await.len();
        let db = app.ctx.db.conn();
        // Make the ledger refuse every row: the wallet step fails after the
        // ticket row was already updated inside the same transaction.
        let install: &[&str] = match app.backend {
            Backend::Sqlite => &["CREATE TRIGGER test_fail_ledger BEFORE INSERT ON wallet_transactions \
                 BEGIN SELECT RAISE(ABORT, 'forced failure of the wallet step'); END"],
            Backend::Postgres => &[
                "CREATE FUNCTION test_fail_ledger() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'forced failure of the wallet step'; END $$",
                "CREATE TRIGGER test_fail_ledger BEFORE INSERT ON wallet_transactions \
                 FOR EACH ROW EXECUTE FUNCTION test_fail_ledger()",
            ],
        };
        for sql in install {
            db.execute_unprepared(sql).await.unwrap();
        }
        let mut rx = app.ctx.bus.subscribe().0;
        let res = resolve_as(&app, &app.token(), json!({ "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "50000" })).await;
        assert_eq!(code(&res), Some("INTERNAL"), "{res}");
        assert!(!res.to_string().contains("forced failure"), "no internals leak: {res}");

        let after = ticket(&app, id).await;
        assert_eq!(after["status"], "WAITING_CARRIER");
        assert_eq!(after["completedAt"], Value::Null);
        assert_eq!(after["compensations"], json!([]));
        assert_eq!(after["customer"]["ticketCount"], 0);
        assert_eq!(after["history"].as_array().unwrap().len(), history_before);
        assert_eq!(timeline_kinds(&app, &c).await.len(), activities_before);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM virtual_credits").await, 0);
        assert!(events_of(&mut rx).is_empty(), "a rolled-back resolution publishes nothing");

        db.execute_unprepared("DROP TRIGGER test_fail_ledger ON wallet_transactions").await.ok();
        db.execute_unprepared("DROP TRIGGER IF EXISTS test_fail_ledger").await.ok();
        let res = resolve_as(&app, &app.token(), json!({
            "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "50000", "idempotencyKey": "resolve-5"
        })).await;
        assert!(res["errors"].is_null(), "once the wallet works again: {res}");
        // A retry with the key replays; the key on another ticket conflicts.
        let again = resolve_as(&app, &app.token(), json!({
            "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "50000", "idempotencyKey": "resolve-5"
        })).await;
        assert_eq!(again["data"]["resolveTicket"]["replayed"], true, "{again}");
        assert_eq!(again["data"]["resolveTicket"]["compensation"]["transaction"]["id"],
            res["data"]["resolveTicket"]["compensation"]["transaction"]["id"]);
        let other = ticket_in(&app, &c, "BOOM", "WAITING_CARRIER").await;
        let clash = resolve_as(&app, &app.token(), json!({
            "ticketId": other["id"], "compensation": "VIRTUAL_CREDIT", "amount": "50000", "idempotencyKey": "resolve-5"
        })).await;
        assert_eq!((code(&clash), field(&clash)), (Some("CONFLICT"), Some("input.idempotencyKey")), "{clash}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM virtual_credits").await, 1);
    }

    async fn agents_act_only_on_tickets_of_their_customers_or_assigned_to_them(app) {
        let (a_id, a) = app.staff("AGENT").await;
        let (b_id, b) = app.staff("AGENT").await;
        let (_, viewer) = app.staff("VIEWER").await;
        // A creates the customer from the phone: it is A's, and so is the ticket.
        let res = create_as(&app, &a, json!({ "phone": "0912000006", "type": "BOOM", "description": "Boom" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let t = res["data"]["createTicket"]["ticket"].clone();
        let id = t["id"].as_str().unwrap();
        assert_eq!(t["assigneeId"], a_id.as_str(), "an agent's ticket defaults to them");

        let q = "query($id: ID!) { ticket(id: $id) { id } }";
        assert_eq!(code(&app.gql_as(Some(&b), q, json!({ "id": id })).await), Some("FORBIDDEN"));
        let list = app.gql_as(Some(&b), "{ tickets { totalCount } }", json!({})).await;
        assert_eq!(list["data"]["tickets"]["totalCount"], 0, "{list}");
        assert_eq!(code(&move_as(&app, &b, id, "IN_PROGRESS").await), Some("FORBIDDEN"));
        let note = "mutation($id: ID!, $b: String!) { addTicketNote(id: $id, body: $b) { id } }";
        assert_eq!(code(&app.gql_as(Some(&b), note, json!({ "id": id, "b": "hi" })).await), Some("FORBIDDEN"));
        let take = "mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { assigneeId } }";
        assert_eq!(code(&app.gql_as(Some(&b), take, json!({ "id": id, "a": b_id })).await), Some("FORBIDDEN"));
        // B cannot open a ticket for A's customer either.
        let res = create_as(&app, &b, json!({ "phone": "+84912000006", "type": "SUPPORT", "description": "x" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        // A may not hand the ticket to B; a manager may.
        assert_eq!(code(&app.gql_as(Some(&a), take, json!({ "id": id, "a": b_id })).await), Some("FORBIDDEN"));
        let res = app.gql(take, json!({ "id": id, "a": b_id })).await;
        assert_eq!(res["data"]["assignTicket"]["assigneeId"], b_id.as_str(), "{res}");
        // Now B works it (the customer stays A's), and A still sees it.
        assert!(app.gql_as(Some(&b), q, json!({ "id": id })).await["errors"].is_null());
        assert!(app.gql_as(Some(&a), q, json!({ "id": id })).await["errors"].is_null());
        for to in ["IN_PROGRESS", "WAITING_CARRIER"] {
            let res = move_as(&app, &b, id, to).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let res = resolve_as(&app, &b, json!({ "ticketId": id, "compensation": "VIRTUAL_CREDIT", "amount": "20000" })).await;
        assert!(res["errors"].is_null(), "the assignee compensates another agent's customer: {res}");
        // A cannot take back a ticket assigned to B, nor reopen it.
        assert_eq!(code(&move_as(&app, &a, id, "IN_PROGRESS").await), Some("FORBIDDEN"));
        // A viewer reads but never writes.
        assert!(app.gql_as(Some(&viewer), q, json!({ "id": id })).await["errors"].is_null());
        let res = create_as(&app, &viewer, json!({ "phone": "0912000007", "type": "SUPPORT", "description": "x" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let n = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(n["data"]["customers"]["totalCount"], 1, "refused creations made no customer");
    }

    async fn bad_input_is_refused_with_the_field_and_creates_nothing(app) {
        let future = (Utc::now() + Duration::days(1)).to_rfc3339();
        let cases = [
            (json!({ "phone": "0912000008", "type": "SUPPORT", "description": "   " }), "input.description"),
            (json!({ "phone": "0912000008", "type": "SUPPORT", "description": "x",
                     "carrierDeadline": (Utc::now() - Duration::hours(1)).to_rfc3339() }), "input.carrierDeadline"),
            (json!({ "phone": "12", "type": "SUPPORT", "description": "x" }), "input.phone"),
            (json!({ "type": "SUPPORT", "description": "x" }), "input.phone"),
            (json!({ "phone": "0912000008", "type": "SUPPORT", "description": "x", "attachments": ["ftp://x/y"] }), "input.attachments"),
            (json!({ "phone": "0912000008", "type": "SUPPORT", "description": "x", "assigneeId": "999" }), "input.assigneeId"),
            (json!({ "phone": "0912000008", "type": "SUPPORT", "description": "x", "carrier": "c".repeat(101),
                     "carrierDeadline": future }), "input.carrier"),
        ];
        for (input, expected) in cases {
            let res = create_as(&app, &app.token(), input.clone()).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(expected)), "{input}: {res}");
        }
        let res = create_as(&app, &app.token(), json!({ "phone": "0912000008", "type": "REFUND_PLEASE", "description": "x" })).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"), "an unknown type: {res}");
        let res = app.gql("{ tickets { totalCount } customers { totalCount } }", json!({})).await;
        assert_eq!(res["data"]["tickets"]["totalCount"], 0, "{res}");
        assert_eq!(res["data"]["customers"]["totalCount"], 0, "no customer was created by a refused ticket");

        // Updates are checked the same way, and closed tickets are not edited.
        let c = customer_id(&app, "0912000009").await;
        let t = ticket_in(&app, &c, "SUPPORT", "NEW").await;
        let update = "mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { priority } }";
        let res = app.gql(update, json!({ "id": t["id"], "i": { "description": "" } })).await;
        assert_eq!(field(&res), Some("input.description"), "{res}");
        let res = app.gql(update, json!({ "id": t["id"], "i": { "carrierDeadline": (Utc::now() - Duration::days(1)).to_rfc3339() } })).await;
        assert_eq!(field(&res), Some("input.carrierDeadline"), "{res}");
        let res = app.gql(update, json!({ "id": "abc", "i": {} })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("id")), "{res}");
        let res = app.gql(update, json!({ "id": "424242", "i": {} })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        let done = ticket_in(&app, &c, "SUPPORT", "CANCELLED").await;
        let res = app.gql(update, json!({ "id": done["id"], "i": { "priority": "HIGH" } })).await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");
        let note = "mutation($id: ID!, $b: String!) { addTicketNote(id: $id, body: $b) { id } }";
        assert_eq!(field(&app.gql(note, json!({ "id": t["id"], "b": " " })).await), Some("body"));
    }

    async fn updates_notes_and_assignment_are_in_the_history_and_the_timeline(app) {
        let (agent_id, _) = app.staff("AGENT").await;
        let c = customer_id(&app, "0912000010").await;
        let t = ticket_in(&app, &c, "MISSING_ITEMS", "NEW").await;
        let id = t["id"].as_str().unwrap();
        app.advance(Duration::minutes(10)).await;
        let mut rx = app.ctx.bus.subscribe().0;
        let update = "mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { priority carrier \
                      orderReference firstResponseSeconds } }";
        let res = app.gql(update, json!({ "id": id, "i": { "priority": "HIGH", "carrier": "GHTK", "orderReference": null } })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["updateTicket"]["priority"], "HIGH");
        assert_eq!(res["data"]["updateTicket"]["firstResponseSeconds"], Value::Null, "an edit is not a response");
        let res = app.gql("mutation($id: ID!, $b: String!) { addTicketNote(id: $id, body: $b) { firstResponseSeconds } }",
            json!({ "id": id, "b": "Đã gọi cho khách" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let first = res["data"]["addTicketNote"]["firstResponseSeconds"].as_i64().unwrap();
        assert!((600..700).contains(&first), "first response after ten minutes: {first}");
        let res = app.gql("mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { assignee { id } } }",
            json!({ "id": id, "a": agent_id })).await;
        assert_eq!(res["data"]["assignTicket"]["assignee"]["id"], agent_id.as_str(), "{res}");
        // Saving the same values again changes nothing and records nothing.
        let res = app.gql(update, json!({ "id": id, "i": { "priority": "HIGH" } })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(events_of(&mut rx), vec!["ticket.updated", "ticket.updated", "ticket.updated"]);

        let detail = ticket(&app, id).await;
        let history = detail["history"].as_array().unwrap();
        let kinds: Vec<&str> = history.iter().map(|h| h["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["CREATED", "UPDATED", "NOTE_ADDED", "ASSIGNED"]);
        assert_eq!(history[1]["changes"]["priority"], json!({ "from": "NORMAL", "to": "HIGH" }));
        assert_eq!(history[1]["changes"]["carrier"], json!({ "from": null, "to": "GHTK" }));
        assert!(history[1]["changes"].get("orderReference").is_none(), "null to null is no change");
        assert_eq!(history[3]["changes"]["assigneeId"]["to"], agent_id.parse::<i64>().unwrap());
        assert_eq!(detail["notes"], json!([{ "body": "Đã gọi cho khách" }]));
        let kinds = timeline_kinds(&app, &c).await;
        for k in ["ticket.created", "ticket.updated", "ticket.note_added", "ticket.assigned"] {
            assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
        }
    }

    async fn reopening_and_completing_again_counts_the_ticket_once(app) {
        let c = customer_id(&app, "0912000011").await;
        let t = ticket_in(&app, &c, "RETURN_REFUND", "COMPLETED").await;
        assert_eq!(t["customer"]["ticketCount"], 1);
        assert_eq!(t["customer"]["returnCount"], 1);
        let id = t["id"].as_str().unwrap();
        for to in ["IN_PROGRESS", "WAITING_CARRIER", "COMPLETED"] {
            let res = move_as(&app, &app.token(), id, to).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let after = ticket(&app, id).await;
        assert_eq!(after["status"], "COMPLETED");
        assert_eq!((after["customer"]["ticketCount"].as_i64(), after["customer"]["returnCount"].as_i64()), (Some(1), Some(1)));
        let cancelled = ticket_in(&app, &c, "SUPPORT", "CANCELLED").await;
        assert_eq!(cancelled["customer"]["ticketCount"], 1, "a cancelled ticket is not counted");
        assert!(cancelled["cancelledAt"].is_string());
    }

    async fn the_sla_check_raises_priority_and_flags_overdue_tickets(app) {
        let c = customer_id(&app, "0912000012").await;
        let now = Utc::now();
        let in_hours = |h: i64| (now + Duration::hours(h)).to_rfc3339();
        let a = create(&app, json!({ "customerId": c, "type": "BOOM", "description": "a", "carrierDeadline": in_hours(30) })).await;
        let b = create(&app, json!({ "customerId": c, "type": "BOOM", "description": "b", "carrierDeadline": in_hours(48) })).await;
        let u = create(&app, json!({ "customerId": c, "type": "BOOM", "description": "u", "priority": "URGENT", "carrierDeadline": in_hours(2) })).await;
        let low = create(&app, json!({ "customerId": c, "type": "BOOM", "description": "l", "priority": "LOW", "carrierDeadline": in_hours(5) })).await;
        let run = "mutation { runTicketSla { raised flaggedOverdue } }";
        let res = app.gql(run, json!({})).await;
        assert_eq!(res["data"]["runTicketSla"], json!({ "raised": 1, "flaggedOverdue": 0 }), "only LOW is within 24 h: {res}");
        let get = |t: &Value| { let id = t["id"].as_str().unwrap().to_owned(); let app = &app; async move { ticket(app, &id).await } };
        assert_eq!(get(&low).await["priority"], "HIGH");
        assert_eq!(get(&u).await["priority"], "URGENT", "URGENT is never lowered");
        assert_eq!(get(&a).await["priority"], "NORMAL");

        app.advance(Duration::hours(8)).await; // a: 22 h left, b: 40 h, u: 6 h overdue
        let res = app.gql(run, json!({})).await;
        assert_eq!(res["data"]["runTicketSla"], json!({ "raised": 1, "flaggedOverdue": 2 }), "{res}");
        let a_now = get(&a).await;
        assert_eq!(a_now["priority"], "HIGH");
        assert_eq!(a_now["overdue"], false);
        let u_now = get(&u).await;
        assert_eq!(u_now["overdue"], true);
        assert!(u_now["overdueFlaggedAt"].is_string());
        let sla: Vec<Value> = u_now["history"].as_array().unwrap().iter().filter(|h| h["kind"] == "OVERDUE").cloned().collect();
        assert_eq!(sla.len(), 1);
        assert_eq!(sla[0]["actor"], "system");
        // Nothing new is due: a second run changes nothing.
        let res = app.gql(run, json!({})).await;
        assert_eq!(res["data"]["runTicketSla"], json!({ "raised": 0, "flaggedOverdue": 0 }), "{res}");

        let overdue = app.gql("{ tickets(filter: { overdue: true }) { totalCount edges { node { id } } } ticketStats { overdue open } }", json!({})).await;
        assert_eq!(overdue["data"]["tickets"]["totalCount"], 2, "{overdue}");
        assert_eq!(overdue["data"]["ticketStats"]["overdue"], 2);
        assert_eq!(overdue["data"]["ticketStats"]["open"], 4);
        // A new deadline in the future clears the overdue state.
        let res = app.gql("mutation($id: ID!, $i: UpdateTicketInput!) { updateTicket(id: $id, input: $i) { overdue overdueFlaggedAt } }",
            json!({ "id": u["id"], "i": { "carrierDeadline": (Utc::now() + Duration::days(20)).to_rfc3339() } })).await;
        assert_eq!(res["data"]["updateTicket"], json!({ "overdue": false, "overdueFlaggedAt": null }), "{res}");
        // Managers run it; agents may not.
        let (_, agent) = app.staff("AGENT").await;
        assert_eq!(code(&app.gql_as(Some(&agent), run, json!({})).await), Some("FORBIDDEN"));
        assert!(b["id"].is_string());
    }

    async fn lists_filter_sort_paginate_and_stats_add_up(app) {
        let (agent_id, _) = app.staff("AGENT").await;
        let c1 = customer_id(&app, "0912000013").await;
        let c2 = customer_id(&app, "0912000014").await;
        let deadline = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
        let t1 = create(&app, json!({ "customerId": c1, "type": "BOOM", "priority": "LOW", "description": "Khách boom hàng",
            "carrierDeadline": deadline(50) })).await;
        let t2 = create(&app, json!({ "customerId": c1, "type": "EXCHANGE", "priority": "URGENT", "description": "Đổi áo size M",
            "assigneeId": agent_id, "carrierDeadline": deadline(10) })).await;
        let t3 = create(&app, json!({ "customerId": c2, "type": "RETURN_REFUND", "priority": "HIGH", "description": "Trả hàng lỗi" })).await;
        let t4 = create(&app, json!({ "customerId": c2, "type": "BOOM", "description": "Không nghe máy", "orderReference": "ORD-XYZ-9" })).await;
        let ids = |res: &Value| -> Vec<String> {
            res["data"]["tickets"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
        };
        let id = |t: &Value| t["id"].as_str().unwrap().to_owned();
        let list = "query($f: TicketFilter, $s: String, $sort: TicketSort, $first: Int, $after: String) { \
                    tickets(filter: $f, search: $s, sort: $sort, first: $first, after: $after) { totalCount \
                    pageInfo { hasNextPage endCursor } edges { cursor node { id code } } } }";
        let q = |f: Value, s: Value, sort: Value| {
            let app = &app;
            async move { app.gql(list, json!({ "f": f, "s": s, "sort": sort })).await }
        };
        assert_eq!(ids(&q(json!(null), json!(null), json!(null)).await), vec![id(&t4), id(&t3), id(&t2), id(&t1)]);
        assert_eq!(ids(&q(json!({ "types": ["BOOM"] }), json!(null), json!("CREATED_ASC")).await), vec![id(&t1), id(&t4)]);
        assert_eq!(ids(&q(json!({ "priorities": ["URGENT", "HIGH"] }), json!(null), json!(null)).await), vec![id(&t3), id(&t2)]);
        assert_eq!(ids(&q(json!({ "assigneeId": agent_id }), json!(null), json!(null)).await), vec![id(&t2)]);
        assert_eq!(ids(&q(json!({ "unassigned": true, "customerId": c2 }), json!(null), json!(null)).await), vec![id(&t4), id(&t3)]);
        assert_eq!(ids(&q(json!(null), json!("size áo"), json!(null)).await), vec![id(&t2)], "accents ignored");
        assert_eq!(ids(&q(json!(null), json!("ord-xyz"), json!(null)).await), vec![id(&t4)]);
        assert_eq!(ids(&q(json!(null), json!(t3["code"]), json!(null)).await), vec![id(&t3)]);
        assert_eq!(ids(&q(json!(null), json!(null), json!("PRIORITY_DESC")).await), vec![id(&t2), id(&t3), id(&t4), id(&t1)]);
        assert_eq!(ids(&q(json!(null), json!(null), json!("DEADLINE_ASC")).await), vec![id(&t2), id(&t1), id(&t3), id(&t4)]);
        let own = app.gql("query($id: ID!) { customer(id: $id) { tickets(sort: CREATED_ASC) { totalCount edges { node { id } } } } }",
            json!({ "id": c2 })).await;
        assert_eq!(own["data"]["customer"]["tickets"]["totalCount"], 2, "{own}");
        assert_eq!(own["data"]["customer"]["tickets"]["edges"][0]["node"]["id"], t3["id"]);
        let later = (Utc::now() + Duration::days(1)).to_rfc3339();
        assert_eq!(q(json!({ "createdFrom": later }), json!(null), json!(null)).await["data"]["tickets"]["totalCount"], 0);
        // Pages, in every order, cover each ticket once.
        for sort in ["CREATED_DESC", "CREATED_ASC", "PRIORITY_DESC", "DEADLINE_ASC", "UPDATED_DESC"] {
            let mut seen = Vec::new();
            let mut after = Value::Null;
            loop {
                let res = app.gql(list, json!({ "sort": sort, "first": 3, "after": after })).await;
                assert_eq!(res["data"]["tickets"]["totalCount"], 4, "{res}");
                seen.extend(ids(&res));
                if res["data"]["tickets"]["pageInfo"]["hasNextPage"] != true { break; }
                after = res["data"]["tickets"]["pageInfo"]["endCursor"].clone();
            }
            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!((seen.len(), unique.len()), (4, 4), "{sort}: {seen:?}");
        }

        // Stats: counts by status and type, resolution time by type.
        for to in ["IN_PROGRESS", "WAITING_CARRIER"] {
            move_as(&app, &app.token(), &id(&t1), to).await;
        }
        app.advance(Duration::hours(3)).await;
        let res = move_as(&app, &app.token(), &id(&t1), "COMPLETED").await;
        assert!(res["errors"].is_null(), "{res}");
        move_as(&app, &app.token(), &id(&t3), "CANCELLED").await;
        let stats = app.gql("{ ticketStats { total open overdue byStatus { status count } \
                             byType { type count completed avgResolutionSeconds } avgResolutionSeconds } }", json!({})).await;
        let s = &stats["data"]["ticketStats"];
        assert_eq!((s["total"].as_i64(), s["open"].as_i64(), s["overdue"].as_i64()), (Some(4), Some(2), Some(0)), "{stats}");
        let by_status: Vec<(String, i64)> = s["byStatus"].as_array().unwrap().iter()
            .map(|r| (r["status"].as_str().unwrap().to_owned(), r["count"].as_i64().unwrap())).collect();
        assert_eq!(by_status, vec![("NEW".into(), 2), ("COMPLETED".into(), 1), ("CANCELLED".into(), 1)]);
        let boom = s["byType"].as_array().unwrap().iter().find(|r| r["type"] == "BOOM").unwrap();
        assert_eq!((boom["count"].as_i64(), boom["completed"].as_i64()), (Some(2), Some(1)));
        let avg = boom["avgResolutionSeconds"].as_f64().unwrap();
        assert!((10_800.0..10_900.0).contains(&avg), "three hours: {avg}");
        let exchange = s["byType"].as_array().unwrap().iter().find(|r| r["type"] == "EXCHANGE").unwrap();
        assert_eq!(exchange["avgResolutionSeconds"], Value::Null);
        // An agent's stats cover only what they may see.
        let (_, other_agent) = app.staff("AGENT").await;
        let theirs = app.gql_as(Some(&other_agent), "{ ticketStats { total } }", json!({})).await;
        assert_eq!(theirs["data"]["ticketStats"]["total"], 0, "{theirs}");
    }
}

async fn the_sla_job_runs_every_six_hours_once_per_cluster(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.jobs_enabled = true).await else { return };
    // On PostgreSQL a second instance runs the same schedule on the same
    // database: the advisory lock and the per-ticket re-check make it one run.
    let second = match backend {
        Backend::Postgres => {
            let mut config = crate::helpers::test_config(&app.database_url);
            config.jobs_enabled = true;
            Some(crate::helpers::spawn_with(config, Backend::Postgres).await)
        }
        Backend::Sqlite => None,
    };
    let c = customer_id(&app, "0912000015").await;
    let t = create(
        &app,
        json!({ "customerId": c, "type": "BOOM", "description": "sla",
        "carrierDeadline": (Utc::now() + Duration::hours(12)).to_rfc3339() }),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    // No waiting six hours: the scheduler reads the server's clock.
    app.advance(Duration::hours(7)).await;
    if let Some(s) = &second {
        s.clock.advance(Duration::hours(7));
    }
    let mut raised = false;
    for _ in 0..100 {
        if ticket(&app, id).await["priority"] == "HIGH" {
            raised = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(raised, "the scheduled SLA check did not run");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let history = ticket(&app, id).await["history"].clone();
    let raises = history.as_array().unwrap().iter().filter(|h| h["kind"] == "PRIORITY_RAISED").count();
    assert_eq!(raises, 1, "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_sla_job_runs_every_six_hours_once_per_cluster() {
    the_sla_job_runs_every_six_hours_once_per_cluster(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_sla_job_runs_every_six_hours_once_per_cluster() {
    the_sla_job_runs_every_six_hours_once_per_cluster(Backend::Postgres).await;
}
