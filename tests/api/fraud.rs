//! Fraud rules over GraphQL on crafted histories: a high return rate
//! blacklists (and blocks compensation unless a MANAGER resolves), wallet
//! abuse makes a customer SUSPICIOUS, deposit-then-withdraw cycles flag
//! self-dealing; each flag carries its evidence, is raised once, and a
//! MANAGER clears it with a reason.

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, field};
use crate::wallets::wallet_op;

const RUN: &str = "mutation { runFraudRules { flagged } }";
const STATE: &str =
    "query($id: ID!) { customer(id: $id) { tier status flags { id rule evidence clearedAt clearReason } } }";

async fn state(app: &TestApp, id: &str) -> Value {
    app.gql(STATE, json!({ "id": id })).await["data"]["customer"].clone()
}

/// A customer with `orders` delivered orders of which `returned` came back.
async fn returner(app: &TestApp, phone: &str, orders: usize, returned: usize) -> String {
    let c = app.customer("Khách Trả Hàng", phone).await;
    let id = c["id"].as_str().unwrap().to_owned();
    for k in 0..orders {
        let res = app
            .gql(
                "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                json!({ "i": { "customerId": id, "amount": "300000", "status": "DELIVERED" } }),
            )
            .await;
        let order = res["data"]["createOrder"]["order"]["id"].clone();
        if k < returned {
            let r = app
                .gql(
                    "mutation($id: ID!) { setOrderStatus(id: $id, status: RETURNED) { status } }",
                    json!({ "id": order }),
                )
                .await;
            assert!(r["errors"].is_null(), "{r}");
        }
    }
    id
}

async fn movements(app: &TestApp, id: &str, ops: &[(&str, &str)]) {
    for (op, amount) in ops {
        let res = wallet_op(app, &app.token(), op, json!({ "customerId": id, "amount": amount })).await;
        assert!(res["errors"].is_null(), "{op} {amount}: {res}");
    }
}

crate::on_both! {
    async fn a_high_return_rate_blacklists_until_a_manager_clears_it(app) {
        let bad = returner(&app, "0909000001", 3, 2).await;
        let fine = returner(&app, "0909000002", 2, 1).await;
        let res = app.gql(RUN, json!({})).await;
        assert_eq!(res["data"]["runFraudRules"]["flagged"], 1, "{res}");
        let s = state(&app, &bad).await;
        assert_eq!((s["tier"].as_str(), s["status"].as_str()), (Some("BLACKLIST"), Some("BLACKLISTED")), "{s}");
        assert_eq!(s["flags"][0]["rule"], "HIGH_RETURN_RATE");
        assert_eq!(s["flags"][0]["evidence"], json!({ "windowDays": 7, "orders": 3, "returned": 2 }));
        assert_eq!(state(&app, &fine).await["flags"], json!([]), "50 % is not more than half");
        assert_eq!(app.gql(RUN, json!({})).await["data"]["runFraudRules"]["flagged"], 0, "flagged once");

        // Compensation needs a MANAGER now.
        let (agent_id, agent) = app.staff("AGENT").await;
        let t = crate::tickets::ticket_in(&app, &bad, "BOOM", "WAITING_CARRIER").await;
        app.gql("mutation($id: ID!, $a: ID) { assignTicket(id: $id, assigneeId: $a) { id } }",
            json!({ "id": t["id"], "a": agent_id })).await;
        let input = json!({ "ticketId": t["id"], "compensation": "VIRTUAL_CREDIT", "amount": "50000" });
        let refused = crate::tickets::resolve_as(&app, &agent, input.clone()).await;
        assert_eq!(code(&refused), Some("FORBIDDEN"), "{refused}");
        let (_, manager) = app.staff("MANAGER").await;
        let ok = crate::tickets::resolve_as(&app, &manager, input).await;
        assert!(ok["data"]["resolveTicket"]["compensation"]["approvedBy"].is_string(), "{ok}");

        // Clearing: a reason is required, an AGENT may not, twice is a conflict.
        let flag = s["flags"][0]["id"].clone();
        const CLEAR: &str = "mutation($id: ID!, $r: String!) { clearFraudFlag(id: $id, reason: $r) { clearedAt clearReason } }";
        assert_eq!(code(&app.gql_as(Some(&agent), CLEAR, json!({ "id": flag, "r": "ok" })).await), Some("FORBIDDEN"));
        let res = app.gql_as(Some(&manager), CLEAR, json!({ "id": flag, "r": "  " })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("reason")), "{res}");
        let res = app.gql_as(Some(&manager), CLEAR, json!({ "id": flag, "r": "courier lost the parcels" })).await;
        assert_eq!(res["data"]["clearFraudFlag"]["clearReason"], "courier lost the parcels", "{res}");
        let s = state(&app, &bad).await;
        assert_eq!(s["status"], "ACTIVE", "{s}");
        assert_ne!(s["tier"], "BLACKLIST", "the tier goes back to RFM: {s}");
        assert_eq!(code(&app.gql_as(Some(&manager), CLEAR, json!({ "id": flag, "r": "again" })).await), Some("CONFLICT"));
        // The same evidence does not flag again.
        assert_eq!(app.gql(RUN, json!({})).await["data"]["runFraudRules"]["flagged"], 0);
    }

    async fn wallet_abuse_and_self_dealing_are_flagged_with_their_evidence(app) {
        let abuser = app.customer("Rửa Tiền", "0909100001").await["id"].as_str().unwrap().to_owned();
        movements(&app, &abuser, &[("deposit", "5000001"); 6]).await;
        let five = app.customer("Năm Lần", "0909100002").await["id"].as_str().unwrap().to_owned();
        movements(&app, &five, &[("deposit", "5000001"); 5]).await;
        let cycler = app.customer("Vòng Vòng", "0909100003").await["id"].as_str().unwrap().to_owned();
        movements(&app, &cycler, &[
            ("deposit", "1000000"), ("withdraw", "950000"),
            ("deposit", "1000000"), ("withdraw", "900000"),
            ("deposit", "1000000"), ("withdraw", "899999"),
            ("deposit", "2000000"), ("withdraw", "2000000"),
        ]).await;

        let res = app.gql(RUN, json!({})).await;
        assert_eq!(res["data"]["runFraudRules"]["flagged"], 2, "{res}");
        let a = state(&app, &abuser).await;
        assert_eq!((a["status"].as_str(), a["flags"][0]["rule"].as_str()), (Some("SUSPICIOUS"), Some("WALLET_ABUSE")), "{a}");
        assert_eq!(a["flags"][0]["evidence"]["transactions"].as_array().unwrap().len(), 6, "{a}");
        assert_eq!(state(&app, &five).await["flags"], json!([]));
        let c = state(&app, &cycler).await;
        assert_eq!((c["status"].as_str(), c["flags"][0]["rule"].as_str()), (Some("ACTIVE"), Some("SELF_DEALING")), "{c}");
        assert_eq!(c["flags"][0]["evidence"]["cycles"].as_array().unwrap().len(), 3, "the 899,999 one is under 90 %: {c}");
        let open = app.gql("{ fraudFlags { rule customerId } }", json!({})).await;
        assert_eq!(open["data"]["fraudFlags"].as_array().unwrap().len(), 2, "{open}");
    }
}
