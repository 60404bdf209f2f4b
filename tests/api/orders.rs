//! Orders and the catalog over GraphQL: codes, pricing from the catalog,
//! customer totals (also under concurrency), idempotency by external id,
//! bulk import with bad rows, status changes, what an AGENT may do, and bad
//! input refused with the field and nothing written.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of, field};

const ORDER: &str = "id code externalId channel status amount itemCount orderedAt \
     items { sku name quantity unitPrice amount } customer { id totalSpent orderCount lastOrderAt }";

async fn place_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($i: CreateOrderInput!) {{ createOrder(input: $i) {{ created order {{ {ORDER} }} }} }}"),
        json!({ "i": input }),
    )
    .await
}

async fn place(app: &TestApp, input: Value) -> Value {
    let res = place_as(app, &app.token(), input).await;
    assert!(res["errors"].is_null(), "createOrder: {res}");
    res["data"]["createOrder"].clone()
}

async fn totals(app: &TestApp, id: &str) -> Value {
    let res = app
        .gql("query($id: ID!) { customer(id: $id) { totalSpent orderCount lastOrderAt } }", json!({ "id": id }))
        .await;
    res["data"]["customer"].clone()
}

async fn catalog(app: &TestApp) {
    for (sku, name, price) in [("TEA-1", "Trà sen", "120000"), ("CUP-1", "Cốc sứ", "45000")] {
        let res = app
            .gql(
                "mutation($i: ProductInputGql!) { saveProduct(input: $i) { sku price } }",
                json!({ "i": { "sku": sku, "name": name, "price": price } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
    }
}

crate::on_both! {
    async fn an_order_is_priced_from_the_catalog_and_adds_to_the_customer_totals(app) {
        catalog(&app).await;
        let c = app.customer("Chị Mai", "0905100001").await;
        let id = c["id"].as_str().unwrap();
        let placed = place(&app, json!({
            "customerId": id,
            "channel": "WEBSITE",
            "items": [{ "sku": "TEA-1", "quantity": 2 }, { "name": "Gift wrap", "quantity": 1, "unitPrice": "10000" }],
            "orderedAt": "2026-11-20T03:00:00Z",
        })).await;
        let o = &placed["order"];
        assert_eq!(placed["created"], true);
        assert_eq!(o["amount"], "250000");
        assert_eq!(o["itemCount"], 3);
        assert_eq!(o["items"][0], json!({ "sku": "TEA-1", "name": "Trà sen", "quantity": 2, "unitPrice": "120000", "amount": "240000" }));
        // 2026-11-20T03:00Z is 10:00 in Hồ Chí Minh City: the code carries that day.
        let code_ = o["code"].as_str().unwrap();
        assert!(code_.starts_with("ORD-20261120-") && code_.len() >= "ORD-20261120-001".len(), "{code_}");

        place(&app, json!({ "customerId": id, "amount": "50000", "orderedAt": "2026-11-21T01:00:00Z" })).await;
        let t = totals(&app, id).await;
        assert_eq!((t["totalSpent"].as_str(), t["orderCount"].as_i64()), (Some("300000"), Some(2)), "{t}");
        assert!(t["lastOrderAt"].as_str().unwrap().starts_with("2026-11-21T01:00:00"), "{t}");

        // The timeline says so.
        let tl = app.gql("query($id: ID!) { customer(id: $id) { timeline(first: 5) { edges { node { kind summary } } } } }",
            json!({ "id": id })).await;
        assert!(tl.to_string().contains("order.created"), "{tl}");
        let list = app.gql("query($id: ID!) { customer(id: $id) { orders(first: 10) { totalCount edges { node { amount } } } } }",
            json!({ "id": id })).await;
        assert_eq!(list["data"]["customer"]["orders"]["totalCount"], 2);
        assert_eq!(list["data"]["customer"]["orders"]["edges"][0]["node"]["amount"], "50000", "newest first");
    }

    async fn an_external_id_makes_a_retry_harmless(app) {
        let c = app.customer("Anh Tú", "0905100002").await;
        let input = json!({ "customerId": c["id"], "externalId": "pos-77", "amount": "99000" });
        let first = place(&app, input.clone()).await;
        let again = place(&app, input).await;
        assert_eq!(first["created"], true);
        assert_eq!(again["created"], false);
        assert_eq!(first["order"]["id"], again["order"]["id"]);
        assert_eq!(totals(&app, c["id"].as_str().unwrap()).await["orderCount"], 1);

        // Ten at once with one new external id: one order.
        let input = json!({ "customerId": c["id"], "externalId": "pos-78", "amount": "1000" });
        let all = join_all((0..10).map(|_| place(&app, input.clone()))).await;
        assert_eq!(all.iter().filter(|r| r["created"] == true).count(), 1);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM orders WHERE external_id = 'pos-78'").await, 1);
    }

    async fn concurrent_orders_of_one_customer_all_count(app) {
        let c = app.customer("Bà Hoa", "0905100003").await;
        let id = c["id"].as_str().unwrap().to_owned();
        let all = join_all((1..=20).map(|i| place(&app, json!({ "customerId": id, "amount": (i * 1000).to_string() })))).await;
        assert_eq!(all.len(), 20);
        let t = totals(&app, &id).await;
        // 1,000 + 2,000 + … + 20,000
        assert_eq!((t["totalSpent"].as_str(), t["orderCount"].as_i64()), (Some("210000"), Some(20)), "{t}");
        let codes: std::collections::HashSet<String> = all.iter().map(|r| r["order"]["code"].as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 20, "codes are unique");
    }

    async fn bad_input_is_refused_with_the_field_and_writes_nothing(app) {
        catalog(&app).await;
        let c = app.customer("Chú Ba", "0905100004").await;
        let cid = c["id"].clone();
        let cases = [
            (json!({ "customerId": cid }), "input.items"),
            (json!({ "customerId": cid, "amount": "100", "items": [{ "sku": "TEA-1", "quantity": 1 }] }), "input.amount"),
            (json!({ "customerId": cid, "items": [{ "sku": "NOPE", "quantity": 1 }] }), "input.items.0.sku"),
            (json!({ "customerId": cid, "items": [{ "sku": "NOPE", "name": "x", "quantity": 1 }] }), "input.items.0.unitPrice"),
            (json!({ "customerId": cid, "items": [{ "quantity": 1, "unitPrice": "5" }] }), "input.items.0.name"),
            (json!({ "customerId": cid, "items": [{ "sku": "TEA-1", "quantity": 0 }] }), "input.items.0.quantity"),
            (json!({ "customerId": cid, "amount": "-5" }), "input.amount"),
            (json!({ "customerId": cid, "amount": "5", "orderedAt": "2099-01-01T00:00:00Z" }), "input.orderedAt"),
            (json!({ "amount": "5" }), "input.customerId"),
            (json!({ "phone": "12", "amount": "5" }), "input.phone"),
        ];
        for (input, at) in cases {
            let res = place_as(&app, &app.token(), input.clone()).await;
            assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some(at)), "{input} → {res}");
        }
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM orders").await, 0);
        let missing = place_as(&app, &app.token(), json!({ "customerId": "999999", "amount": "5" })).await;
        assert_eq!(code(&missing), Some("NOT_FOUND"));
    }

    async fn an_import_keeps_good_rows_reports_bad_ones_and_is_idempotent(app) {
        let c = app.customer("Cô Lan", "0905100005").await;
        const IMPORT: &str = "mutation($o: [CreateOrderInput!]!) { importOrders(orders: $o) { \
            created { externalId customer { phone } } existing { externalId } errors { index code field message } } }";
        let rows = json!([
            { "externalId": "shop-1", "customerId": c["id"], "amount": "100000", "channel": "SHOPEE" },
            { "externalId": "shop-2", "customerId": c["id"], "amount": "oops" },
            { "externalId": "shop-3", "phone": "0905100099", "customerName": "Khách Mới", "amount": "70000" },
            { "customerId": c["id"], "amount": "1" },
            { "externalId": "shop-5", "customerId": c["id"], "items": [{ "name": "x", "quantity": 0, "unitPrice": "1" }] },
        ]);
        // A Money that does not parse is refused by GraphQL for the whole call.
        let res = app.gql(IMPORT, json!({ "o": rows })).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
        let mut rows = rows;
        rows[1]["amount"] = json!("0");
        rows[1]["orderedAt"] = json!("2099-01-01T00:00:00Z");
        let res = app.gql(IMPORT, json!({ "o": rows })).await;
        let r = &res["data"]["importOrders"];
        assert_eq!(r["created"].as_array().unwrap().len(), 2, "{res}");
        assert_eq!(r["created"][1]["customer"]["phone"], "+84905100099", "a new phone makes a customer");
        let errors: Vec<(i64, &str)> = r["errors"].as_array().unwrap().iter()
            .map(|e| (e["index"].as_i64().unwrap(), e["field"].as_str().unwrap())).collect();
        assert_eq!(errors, [(1, "orders.1.orderedAt"), (3, "orders.3.externalId"), (4, "orders.4.items.0.quantity")], "{res}");

        // Again: nothing new.
        let res = app.gql(IMPORT, json!({ "o": rows })).await;
        let r = &res["data"]["importOrders"];
        assert_eq!(r["created"].as_array().unwrap().len(), 0, "{res}");
        assert_eq!(r["existing"].as_array().unwrap().len(), 2, "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM orders").await, 2);

        // An AGENT may not import.
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), IMPORT, json!({ "o": [] })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"));
    }

    async fn cancelled_and_returned_orders_leave_the_totals(app) {
        const SET: &str = "mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { status } }";
        let c = app.customer("Ông Sáu", "0905100006").await;
        let cid = c["id"].as_str().unwrap();
        let a = place(&app, json!({ "customerId": cid, "amount": "100000", "orderedAt": "2026-11-01T00:00:00Z" })).await;
        let b = place(&app, json!({ "customerId": cid, "amount": "40000", "orderedAt": "2026-11-10T00:00:00Z" })).await;
        let b_id = b["order"]["id"].clone();
        let res = app.gql(SET, json!({ "id": b_id, "s": "CANCELLED" })).await;
        assert_eq!(res["data"]["setOrderStatus"]["status"], "CANCELLED", "{res}");
        let t = totals(&app, cid).await;
        assert_eq!((t["totalSpent"].as_str(), t["orderCount"].as_i64()), (Some("100000"), Some(1)), "{t}");
        assert!(t["lastOrderAt"].as_str().unwrap().starts_with("2026-11-01"), "the cancelled order no longer counts: {t}");

        let a_id = a["order"]["id"].clone();
        let res = app.gql(SET, json!({ "id": a_id, "s": "RETURNED" })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "PENDING cannot be returned: {res}");
        app.gql(SET, json!({ "id": a_id, "s": "DELIVERED" })).await;
        app.gql(SET, json!({ "id": a_id, "s": "RETURNED" })).await;
        let t = totals(&app, cid).await;
        assert_eq!((t["totalSpent"].as_str(), t["orderCount"].as_i64(), t["lastOrderAt"].clone()), (Some("0"), Some(0), Value::Null), "{t}");
        let res = app.gql(SET, json!({ "id": b_id, "s": "PENDING" })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "CANCELLED is final: {res}");
    }

    async fn an_agent_orders_for_their_customers_only(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let mine = app.gql_as(Some(&agent), "mutation { createCustomer(input: {name: \"Của tôi\", phone: \"0905100007\"}) { id assignedAgent { id } } }", json!({})).await;
        let mine_id = mine["data"]["createCustomer"]["id"].clone();
        assert_eq!(mine["data"]["createCustomer"]["assignedAgent"]["id"], agent_id.as_str(), "{mine}");
        let other = app.customer("Người khác", "0905100008").await;
        let ok = place_as(&app, &agent, json!({ "customerId": mine_id, "amount": "1000" })).await;
        assert!(ok["errors"].is_null(), "{ok}");
        let res = place_as(&app, &agent, json!({ "customerId": other["id"], "amount": "1000" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        place(&app, json!({ "customerId": other["id"], "amount": "2000" })).await;
        let list = app.gql_as(Some(&agent), "{ orders(first: 10) { totalCount edges { node { amount } } } }", json!({})).await;
        assert_eq!(list["data"]["orders"]["totalCount"], 1, "{list}");
        let all = app.gql("{ orders(first: 10) { totalCount } }", json!({})).await;
        assert_eq!(all["data"]["orders"]["totalCount"], 2);
        let (_, viewer) = app.staff("VIEWER").await;
        let res = place_as(&app, &viewer, json!({ "customerId": mine_id, "amount": "1000" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"));
    }

    async fn packages_list_known_products(app) {
        catalog(&app).await;
        const SAVE: &str = "mutation($i: ProductInputGql!) { saveProduct(input: $i) { sku kind price components { sku quantity } } }";
        let res = app.gql(SAVE, json!({ "i": { "sku": "SET-1", "name": "Bộ trà", "kind": "PACKAGE", "price": "200000",
            "components": [{ "sku": "TEA-1", "quantity": 1 }, { "sku": "CUP-1", "quantity": 2 }] } })).await;
        assert_eq!(res["data"]["saveProduct"]["components"][1], json!({ "sku": "CUP-1", "quantity": 2 }), "{res}");
        let res = app.gql(SAVE, json!({ "i": { "sku": "SET-2", "name": "x", "kind": "PACKAGE", "price": "1",
            "components": [{ "sku": "NOPE", "quantity": 1 }] } })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("input.components.0.sku")), "{res}");
        // Saving a SKU again replaces it.
        let res = app.gql(SAVE, json!({ "i": { "sku": "TEA-1", "name": "Trà sen", "price": "130000", "active": false } })).await;
        assert_eq!(res["data"]["saveProduct"]["price"], "130000");
        let list = app.gql("{ products { sku } all: products(activeOnly: false) { sku } }", json!({})).await;
        assert_eq!(list["data"]["products"].as_array().unwrap().len(), 2, "{list}");
        assert_eq!(list["data"]["all"].as_array().unwrap().len(), 3, "{list}");
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), SAVE, json!({ "i": { "sku": "Z", "name": "z", "price": "1" } })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"));
    }
}
