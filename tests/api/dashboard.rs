//! The home dashboard's `kpis`: exact figures over known data (customers,
//! deposits, a virtual credit, tickets, a pending bank transfer), "today"
//! in the business time zone, and what an AGENT sees.
//!
//! The servers accept bank webhooks (see [`crate::bank::spawn`]) to receive
//! a transfer that stays PENDING.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code};

const KPIS: &str = "{ kpis { customers newCustomersToday walletReal walletVirtual points openTickets overdueTickets \
     pendingTransfers unlinkedTransfers today at } }";

/// Like `on_both!`, on servers that accept bank webhooks.
macro_rules! dashboard_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = crate::bank::spawn(Backend::Sqlite).await.unwrap();
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($app) = crate::bank::spawn(Backend::Postgres).await else { return };
                    $body
                }
            )*
        }
    };
}

async fn ok(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    let res = app.gql_as(Some(token), query, vars).await;
    assert!(res["errors"].is_null(), "{query}: {res}");
    res["data"].clone()
}

async fn kpis(app: &TestApp, token: &str) -> Value {
    ok(app, token, KPIS, json!({})).await["kpis"].clone()
}

async fn deposit(app: &TestApp, token: &str, customer: &Value, amount: &str) {
    let q = "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }";
    ok(app, token, q, json!({ "i": { "customerId": customer["id"], "amount": amount } })).await;
}

async fn ticket(app: &TestApp, customer: &Value, deadline_in: Duration) {
    let q = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }";
    let deadline = (app.ctx.now() + deadline_in).to_rfc3339();
    let input =
        json!({ "customerId": customer["id"], "type": "BOOM", "carrierDeadline": deadline, "description": "x" });
    ok(app, &app.token(), q, json!({ "i": input })).await;
}

/// An incoming transfer naming two phones: no single customer, PENDING.
async fn pending_transfer(app: &TestApp) {
    let when = (Utc::now() + Duration::hours(7)).format("%Y-%m-%d %H:%M:%S").to_string();
    let body = json!({
        "id": 77, "gateway": "Vietcombank", "transactionDate": when, "accountNumber": "0123499999",
        "code": null, "content": "ck cho 0901111111 hoac 0902222222", "transferType": "in",
        "transferAmount": 300_000, "accumulated": 1_000_000, "subAccount": null, "referenceCode": "MBVCB.77",
        "description": "",
    });
    let res = app
        .http
        .post(app.url("/webhooks/bank"))
        .header("authorization", "Apikey bank-webhook-secret-for-tests")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

async fn points(app: &TestApp, customers: &[&Value]) -> i64 {
    let mut sum = 0;
    for c in customers {
        let w = ok(app, &app.token(), "query($c: ID!) { wallet(customerId: $c) { points } }", json!({ "c": c["id"] }))
            .await;
        sum += w["wallet"]["points"].as_i64().unwrap();
    }
    sum
}

dashboard_tests! {
    async fn kpis_count_customers_money_tickets_and_waiting_transfers_exactly(app) {
        let empty = kpis(&app, &app.token()).await;
        assert_eq!(empty["customers"], 0, "{empty}");
        assert_eq!((empty["walletReal"].as_str(), empty["openTickets"].as_i64()), (Some("0"), Some(0)));

        let a = app.customer("An", "0911000001").await;
        let b = app.customer("Bình", "0911000002").await;
        deposit(&app, &app.token(), &a, "100000").await;
        deposit(&app, &app.token(), &b, "50000").await;
        let credit = "mutation($i: IssueVirtualCreditInput!) { issueVirtualCredit(input: $i) { transaction { id } } }";
        let input = json!({ "customerId": b["id"], "amount": "20000", "reason": "sorry" });
        ok(&app, &app.token(), credit, json!({ "i": input })).await;
        ticket(&app, &a, Duration::hours(1)).await;
        ticket(&app, &b, Duration::days(5)).await;
        pending_transfer(&app).await;

        // Two days later: the first ticket's deadline has passed, and only
        // customers created from now on are new today.
        app.advance(Duration::days(2)).await;
        let c = app.customer("Châu", "0911000003").await;
        let k = kpis(&app, &app.token()).await;
        assert_eq!(k["customers"], 3, "{k}");
        assert_eq!(k["newCustomersToday"], 1, "{k}");
        assert_eq!(k["walletReal"], "150000", "{k}");
        assert_eq!(k["walletVirtual"], "20000", "{k}");
        assert_eq!(k["points"], points(&app, &[&a, &b, &c]).await, "{k}");
        assert_eq!((k["openTickets"].as_i64(), k["overdueTickets"].as_i64()), (Some(2), Some(1)), "{k}");
        assert_eq!((k["pendingTransfers"].as_i64(), k["unlinkedTransfers"].as_i64()), (Some(1), Some(0)), "{k}");
        let today = (app.ctx.now() + Duration::hours(7)).date_naive().to_string();
        assert_eq!(k["today"], today);

        // An AGENT counts their own customers and wallets, and the
        // transfers waiting for anyone.
        let (agent_id, agent) = app.staff("AGENT").await;
        let q = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }";
        let input = json!({ "name": "Dũng", "phone": "0911000004", "assignedAgentId": agent_id });
        let d = ok(&app, &app.token(), q, json!({ "i": input })).await["createCustomer"].clone();
        deposit(&app, &agent, &d, "7000").await;
        let mine = kpis(&app, &agent).await;
        assert_eq!((mine["customers"].as_i64(), mine["newCustomersToday"].as_i64()), (Some(1), Some(1)), "{mine}");
        assert_eq!((mine["walletReal"].as_str(), mine["walletVirtual"].as_str()), (Some("7000"), Some("0")));
        assert_eq!((mine["openTickets"].as_i64(), mine["pendingTransfers"].as_i64()), (Some(0), Some(1)));
        let all = kpis(&app, &app.token()).await;
        assert_eq!((all["customers"].as_i64(), all["walletReal"].as_str()), (Some(4), Some("157000")), "{all}");

        let anonymous = app.gql_as(None, KPIS, json!({})).await;
        assert_eq!(code(&anonymous), Some("UNAUTHENTICATED"));
    }
}

mod period {
    use chrono::{Duration, SecondsFormat};
    use crm360::clock::Clock;
    use serde_json::json;

    use crate::helpers::{code, field};

    const DASHBOARD: &str = "query($f: NaiveDate!, $t: NaiveDate!) { dashboard(from: $f, to: $t) { customersTotal customersNew \
        orders revenue averageOrderValue clv daily { date orders revenue } walletReal expiringWithin7Days \
        ticketsOverdue tiers { key count } segments { key count } lifecycle { key count } } }";

    crate::on_both! {
        async fn the_period_dashboard_adds_up_a_known_dataset(app) {
            let now = app.clock.now();
            let today = (now + Duration::hours(7)).date_naive();
            let at = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
            let c1 = app.customer("Chị Một", "0906900001").await;
            let c2 = app.customer("Anh Hai", "0906900002").await;
            for (customer, amount, when, status) in [
                (&c1, "100000", now - Duration::days(1), "DELIVERED"),
                (&c1, "200000", now, "PENDING"),
                (&c2, "50000", now - Duration::days(1), "CANCELLED"),
            ] {
                let res = app.gql("mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                    json!({ "i": { "customerId": customer["id"], "amount": amount, "orderedAt": at(when), "status": status } })).await;
                assert!(res["errors"].is_null(), "{res}");
            }
            let from = today - Duration::days(2);
            let res = app.gql(DASHBOARD, json!({ "f": from.to_string(), "t": today.to_string() })).await;
            let d = &res["data"]["dashboard"];
            assert_eq!((d["customersTotal"].as_i64(), d["customersNew"].as_i64(), d["orders"].as_i64()), (Some(2), Some(2), Some(2)), "{res}");
            assert_eq!((d["revenue"].as_str(), d["averageOrderValue"].as_str(), d["clv"].as_str()),
                (Some("300000"), Some("150000"), Some("300000")), "{res}");
            assert_eq!(d["daily"], json!([
                { "date": from.to_string(), "orders": 0, "revenue": "0" },
                { "date": (today - Duration::days(1)).to_string(), "orders": 1, "revenue": "100000" },
                { "date": today.to_string(), "orders": 1, "revenue": "200000" },
            ]), "{res}");
            // Chị Một: R5 F2 M1 → SILVER, POTENTIAL_LOYALIST, ACTIVE; Anh Hai has no order that counts.
            assert_eq!(d["tiers"], json!([{ "key": "NEW", "count": 1 }, { "key": "SILVER", "count": 1 }]), "{res}");
            assert_eq!(d["segments"], json!([{ "key": "POTENTIAL_LOYALIST", "count": 1 }]), "{res}");
            assert_eq!(d["lifecycle"], json!([{ "key": "ACTIVE", "count": 1 }, { "key": "PROSPECT", "count": 1 }]), "{res}");

            let res = app.gql(DASHBOARD, json!({ "f": today.to_string(), "t": from.to_string() })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("to")), "{res}");
            let res = app.gql(DASHBOARD, json!({ "f": (today - Duration::days(92)).to_string(), "t": today.to_string() })).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
            let (_, agent) = app.staff("AGENT").await;
            let res = app.gql_as(Some(&agent), DASHBOARD, json!({ "f": from.to_string(), "t": today.to_string() })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"));
        }

        async fn the_period_dashboard_sums_wallets_tickets_and_agents_in_a_chosen_time_zone(app) {
            use chrono::TimeZone;
            let now = app.clock.now();
            let today = (now + Duration::hours(7)).date_naive();
            let c = app.customer("Chị Ba", "0906900003").await;
            let cid = c["id"].as_str().unwrap().to_owned();
            for (op, input) in [
                ("deposit", json!({ "customerId": cid, "amount": "100000", "source": "MANUAL" })),
                ("withdraw", json!({ "customerId": cid, "amount": "30000", "note": "Mua hàng" })),
                ("issueVirtualCredit", json!({ "customerId": cid, "amount": "20000", "reason": "Bù", "lifetimeDays": 3 })),
            ] {
                let res = crate::wallets::wallet_op(&app, &app.token(), op, input).await;
                assert!(res["errors"].is_null(), "{op}: {res}");
            }
            // An order at 00:00 business time today: yesterday in UTC.
            let midnight = chrono::FixedOffset::east_opt(7 * 3600).unwrap()
                .from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&chrono::Utc);
            let res = app.gql("mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                json!({ "i": { "customerId": cid, "amount": "70000",
                    "orderedAt": midnight.to_rfc3339_opts(SecondsFormat::Secs, true), "status": "DELIVERED" } })).await;
            assert!(res["errors"].is_null(), "{res}");

            // One ticket completed two hours after it was opened, one left open; both the agent's.
            let (agent_id, _) = app.staff("AGENT").await;
            let done = crate::tickets::ticket_in(&app, &cid, "BOOM", "WAITING_CARRIER").await;
            let open = crate::tickets::ticket_in(&app, &cid, "SUPPORT", "IN_PROGRESS").await;
            for t in [&done, &open] {
                let res = app.gql("mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { id } }",
                    json!({ "id": t["id"], "a": agent_id })).await;
                assert!(res["errors"].is_null(), "{res}");
            }
            app.advance(Duration::hours(2)).await;
            let res = crate::tickets::move_as(&app, &app.token(), done["id"].as_str().unwrap(), "COMPLETED").await;
            assert!(res["errors"].is_null(), "{res}");

            const Q: &str = "query($f: NaiveDate!, $t: NaiveDate!, $z: String) { dashboard(from: $f, to: $t, timeZone: $z) { \
                timeZone daily { date orders revenue } walletDaily { date deposited withdrawn creditsIssued creditsExpired corrections } \
                resolutionByType { type completed averageSeconds } agents { userId completed averageResolutionSeconds open overdue } } }";
            let yesterday = today - Duration::days(1);
            let (f, t) = (yesterday.to_string(), (today + Duration::days(1)).to_string());
            let res = app.gql(Q, json!({ "f": f, "t": t })).await;
            let d = &res["data"]["dashboard"];
            assert_eq!(d["timeZone"], "Asia/Ho_Chi_Minh", "{res}");
            let wallet_today = d["walletDaily"].as_array().unwrap().iter()
                .find(|w| w["date"] == today.to_string()).cloned().unwrap_or_default();
            assert_eq!(wallet_today, json!({ "date": today.to_string(), "deposited": "100000", "withdrawn": "30000",
                "creditsIssued": "20000", "creditsExpired": "0", "corrections": "0" }), "{res}");
            let orders: Vec<i64> = d["daily"].as_array().unwrap().iter().map(|x| x["orders"].as_i64().unwrap()).collect();
            assert_eq!(orders, vec![0, 1, 0], "business time: the order is today's: {res}");
            assert_eq!(d["resolutionByType"], json!([{ "type": "BOOM", "completed": 1, "averageSeconds": 7200 }]), "{res}");
            assert_eq!(d["agents"], json!([{ "userId": agent_id, "completed": 1, "averageResolutionSeconds": 7200,
                "open": 1, "overdue": 0 }]), "{res}");

            let res = app.gql(Q, json!({ "f": f, "t": t, "z": "UTC" })).await;
            let d = &res["data"]["dashboard"];
            assert_eq!(d["timeZone"], "UTC", "{res}");
            let orders: Vec<i64> = d["daily"].as_array().unwrap().iter().map(|x| x["orders"].as_i64().unwrap()).collect();
            assert_eq!(orders, vec![1, 0, 0], "in UTC the order is yesterday's: {res}");

            let res = app.gql(Q, json!({ "f": f, "t": t, "z": "Mars/Olympus" })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("timeZone")), "{res}");
        }
    }
}
