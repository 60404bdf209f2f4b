//! RFM over GraphQL with hand-computed expectations at the documented
//! boundaries (7/8 days, 10/11 orders, exactly 500,000 …), the derived
//! fields, the set-based recalculation on a moved clock (tier changes in
//! the timeline), BLACKLIST kept, and the thresholds edited by an ADMIN.

use chrono::{Duration, SecondsFormat};
use crm360::clock::Clock;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, field};

const RFM: &str = "query($id: ID!) { customer(id: $id) { tier customerType lifecycleStage temperature dropOffRisk \
    totalSpent orderCount rfm { r f m score segment } } }";

/// A customer with `orders` orders of `each` minor units, the latest
/// `days` days and one hour ago (older ones a day apart before it).
async fn buyer(app: &TestApp, phone: &str, orders: usize, each: i64, days: i64) -> String {
    let c = app.customer("Khách RFM", phone).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let now = app.clock.now();
    let rows: Vec<Value> = (0..orders)
        .map(|k| {
            let at = now - Duration::days(days) - Duration::hours(1) - Duration::days(k as i64 % 80);
            json!({ "externalId": format!("{phone}-{k}"), "customerId": id, "amount": each.to_string(),
                    "status": "DELIVERED", "orderedAt": at.to_rfc3339_opts(SecondsFormat::Secs, true) })
        })
        .collect();
    let res = app
        .gql(
            "mutation($o: [CreateOrderInput!]!) { importOrders(orders: $o) { errors { field message } } }",
            json!({ "o": rows }),
        )
        .await;
    assert_eq!(res["data"]["importOrders"]["errors"], json!([]), "{res}");
    id
}

async fn rfm_of(app: &TestApp, id: &str) -> Value {
    let res = app.gql(RFM, json!({ "id": id })).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["customer"].clone()
}

fn scores(c: &Value) -> (i64, i64, i64) {
    (c["rfm"]["r"].as_i64().unwrap(), c["rfm"]["f"].as_i64().unwrap(), c["rfm"]["m"].as_i64().unwrap())
}

crate::on_both! {
    async fn scores_at_the_boundaries_after_each_order(app) {
        // 7 days → R 5; 8 days → R 4 (same single order of 500,000 → M 2).
        let a = buyer(&app, "0907000001", 1, 500_000, 7).await;
        let b = buyer(&app, "0907000002", 1, 499_999, 8).await;
        let (ca, cb) = (rfm_of(&app, &a).await, rfm_of(&app, &b).await);
        assert_eq!(scores(&ca), (5, 1, 2), "{ca}");
        assert_eq!(scores(&cb), (4, 1, 1), "{cb}");
        // 5 + 1 + 2 = 8 → average 2.67 → SILVER; R5 F1 → NEW segment.
        assert_eq!((ca["tier"].as_str(), ca["rfm"]["score"].as_str(), ca["rfm"]["segment"].as_str()),
            (Some("SILVER"), Some("2.67"), Some("NEW")), "{ca}");
        assert_eq!((cb["tier"].as_str(), cb["rfm"]["segment"].as_str()), (Some("NEW"), Some("PROMISING")), "{cb}");
        assert_eq!((ca["temperature"].as_str(), cb["temperature"].as_str()), (Some("HOT"), Some("WARM")));
        assert_eq!((ca["customerType"].as_str(), ca["lifecycleStage"].as_str()), (Some("NEW"), Some("NEW")));

        // 10 orders in 90 days → F 4; 11 → F 5. 10 × 1,000,000 = 10,000,000 → M 4; 11 × … → M 5.
        let c10 = buyer(&app, "0907000003", 10, 1_000_000, 1).await;
        let c11 = buyer(&app, "0907000004", 11, 1_000_000, 1).await;
        let (x, y) = (rfm_of(&app, &c10).await, rfm_of(&app, &c11).await);
        assert_eq!(scores(&x), (5, 4, 4), "{x}");
        assert_eq!(scores(&y), (5, 5, 5), "{y}");
        // 13 → 4.33 GOLD, CHAMPIONS; 15 → 5.00 PLATINUM; 6+ orders → VIP.
        assert_eq!((x["tier"].as_str(), x["rfm"]["score"].as_str(), x["rfm"]["segment"].as_str()),
            (Some("GOLD"), Some("4.33"), Some("CHAMPIONS")), "{x}");
        assert_eq!((y["tier"].as_str(), y["rfm"]["score"].as_str(), y["customerType"].as_str()),
            (Some("PLATINUM"), Some("5.00"), Some("VIP")), "{y}");
        assert_eq!(x["lifecycleStage"], "ACTIVE");

        let analysis = app.gql("query($id: ID!) { analyzeCustomerRfm(customerId: $id) { scores { r f m segment } \
            daysSinceLastOrder ordersLast90Days totalSpent tier recommendation } }", json!({ "id": c11 })).await;
        let an = &analysis["data"]["analyzeCustomerRfm"];
        assert_eq!((an["daysSinceLastOrder"].as_i64(), an["ordersLast90Days"].as_i64(), an["totalSpent"].as_str()),
            (Some(1), Some(11), Some("11000000")), "{analysis}");
        assert!(an["recommendation"].as_str().unwrap().contains("Reward"), "{analysis}");
        let none = app.customer("Chưa mua", "0907000009").await;
        let analysis = app.gql("query($id: ID!) { analyzeCustomerRfm(customerId: $id) { scores { r } recommendation } }",
            json!({ "id": none["id"] })).await;
        assert!(analysis["data"]["analyzeCustomerRfm"]["scores"].is_null(), "{analysis}");
    }

    async fn the_nightly_recalculation_follows_time_and_keeps_blacklist(app) {
        let top = buyer(&app, "0907100001", 11, 1_000_000, 1).await;
        let banned = buyer(&app, "0907100002", 11, 1_000_000, 1).await;
        assert_eq!(rfm_of(&app, &top).await["tier"], "PLATINUM");
        app.ctx.db.conn().execute_unprepared(&format!("UPDATE customers SET tier = 'BLACKLIST' WHERE id = {banned}")).await.unwrap();

        // 32 days later: R 5 → 2; the orders were 1–11 days old, now 33–43,
        // still inside the 90-day window, so F stays 5: 2 + 5 + 5 = 12 →
        // GOLD; COLD; LOW drop-off risk.
        app.advance(Duration::days(32)).await;
        let res = app.gql("mutation { recalculateRfm { scored tierChanges } }", json!({})).await;
        assert_eq!(res["data"]["recalculateRfm"], json!({ "scored": 2, "tierChanges": 1 }), "{res}");
        let c = rfm_of(&app, &top).await;
        assert_eq!(scores(&c), (2, 5, 5), "{c}");
        assert_eq!((c["tier"].as_str(), c["temperature"].as_str(), c["dropOffRisk"].as_str(), c["rfm"]["segment"].as_str()),
            (Some("GOLD"), Some("COLD"), Some("LOW"), Some("AT_RISK")), "{c}");
        assert_eq!(rfm_of(&app, &banned).await["tier"], "BLACKLIST", "RFM never overwrites BLACKLIST");
        let tl = app.gql("query($id: ID!) { customer(id: $id) { timeline(first: 3) { edges { node { kind summary } } } } }",
            json!({ "id": top })).await;
        let first = &tl["data"]["customer"]["timeline"]["edges"][0]["node"];
        assert_eq!((first["kind"].as_str(), first["summary"].as_str()), (Some("customer.tier_changed"), Some("Tier PLATINUM → GOLD (RFM)")), "{tl}");

        // 100 more days: everything left the window (F 1), R 1, churned, HIGH risk, inactive.
        app.advance(Duration::days(100)).await;
        app.gql("mutation { recalculateRfm { scored } }", json!({})).await;
        let c = rfm_of(&app, &top).await;
        assert_eq!(scores(&c), (1, 1, 5), "{c}");
        assert_eq!((c["lifecycleStage"].as_str(), c["customerType"].as_str(), c["dropOffRisk"].as_str(), c["rfm"]["segment"].as_str()),
            (Some("CHURNED"), Some("INACTIVE"), Some("CRITICAL"), Some("LOST")), "{c}");
    }

    async fn an_admin_edits_the_thresholds_with_validation(app) {
        const UPDATE: &str = "mutation($i: RfmConfigInput!) { updateRfmConfig(input: $i) { recencyDays frequencyMin monetaryMin } }";
        let current = app.gql("{ rfmConfig { recencyDays frequencyMin monetaryMin } }", json!({})).await;
        assert_eq!(current["data"]["rfmConfig"], json!({ "recencyDays": [7, 14, 30, 60], "frequencyMin": [11, 6, 3, 2],
            "monetaryMin": ["10000001", "5000000", "2000000", "500000"] }));
        for (input, at) in [
            (json!({ "recencyDays": [7, 14, 30], "frequencyMin": [11, 6, 3, 2], "monetaryMin": ["4", "3", "2", "1"] }), "input.recencyDays"),
            (json!({ "recencyDays": [7, 30, 14, 60], "frequencyMin": [11, 6, 3, 2], "monetaryMin": ["4", "3", "2", "1"] }), "input.recencyDays"),
            (json!({ "recencyDays": [7, 14, 30, 60], "frequencyMin": [2, 3, 6, 11], "monetaryMin": ["4", "3", "2", "1"] }), "input.frequencyMin"),
            (json!({ "recencyDays": [7, 14, 30, 60], "frequencyMin": [11, 6, 3, 2], "monetaryMin": ["4", "3", "2", "0"] }), "input.monetaryMin"),
        ] {
            let res = app.gql(UPDATE, json!({ "i": input })).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(at)), "{input}: {res}");
        }
        let (_, manager) = app.staff("MANAGER").await;
        let ok = json!({ "recencyDays": [1, 2, 3, 4], "frequencyMin": [4, 3, 2, 1], "monetaryMin": ["400", "300", "200", "100"] });
        let res = app.gql_as(Some(&manager), UPDATE, json!({ "i": ok })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"));
        let res = app.gql(UPDATE, json!({ "i": ok })).await;
        assert_eq!(res["data"]["updateRfmConfig"]["recencyDays"], json!([1, 2, 3, 4]), "{res}");

        // The next score uses them: 1 order of 250 one day ago → R 5, F 2, M 3.
        let id = buyer(&app, "0907200001", 1, 250, 1).await;
        assert_eq!(scores(&rfm_of(&app, &id).await), (5, 2, 3));
        let audit = app.gql("{ auditLog(first: 1, filter: { action: \"rfm.config\" }) { totalCount } }", json!({})).await;
        assert_eq!(audit["data"]["auditLog"]["totalCount"], 1);
    }
}
