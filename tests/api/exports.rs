//! CSV export over HTTP: `GET /exports/customers.csv` gives what the
//! `customers` query gives for the same filter and caller, and
//! `GET /exports/ledger.csv` a wallet's ledger with exact money; cells are
//! guarded against formulas; an export imports back unchanged.

use serde_json::{Value, json};

use crate::helpers::{TestApp, count_of};
use crate::imports::{get_text, records, upload};

async fn create(app: &TestApp, input: Value) -> String {
    let res =
        app.gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }", json!({ "i": input })).await;
    res["data"]["createCustomer"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

/// The column `name` of every data row.
fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

crate::on_both! {
    async fn the_customer_export_follows_the_filter_and_the_role(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let (_, viewer) = app.staff("VIEWER").await;
        create(&app, json!({ "name": "Vàng Một", "phone": "0907100001", "email": "vang@mail.vn", "tags": ["vip", "zalo"], "city": "Huế" })).await;
        create(&app, json!({ "name": "=cmd|' /C calc'!A0", "phone": "0907100002", "assignedAgentId": agent_id })).await;
        create(&app, json!({ "name": "Bạc Ba", "phone": "0907100003", "address": "12, Lê Lợi\n\"Tầng 2\"" })).await;
        app.exec("UPDATE customers SET tier = 'GOLD', total_spent = 1234567 WHERE phone IN ('+84907100001', '+84907100002')").await;

        let (status, text) = get_text(&app, Some(&app.token()), "/exports/customers.csv?tiers=GOLD&sort=NAME_ASC").await;
        assert_eq!(status, 200, "{text}");
        let rows = records(&text);
        assert_eq!(rows[0][..3], ["member_code", "name", "phone"]);
        assert_eq!(column(&rows, "phone"), ["+84907100002", "+84907100001"], "GOLD only, by name (`=` sorts first): {text}");
        assert_eq!(column(&rows, "name")[0], "'=cmd|' /C calc'!A0", "a formula is guarded");
        assert_eq!(column(&rows, "total_spent"), ["1234567", "1234567"], "money as exact decimals");
        assert_eq!(column(&rows, "tags")[1], "vip;zalo");
        assert_eq!(column(&rows, "real_balance")[1], "0");

        let (_, text) = get_text(&app, Some(&app.token()), "/exports/customers.csv?search=bac").await;
        let rows = records(&text);
        assert_eq!(column(&rows, "address"), ["12, Lê Lợi\n\"Tầng 2\""], "quoting survives: {text}");

        let (_, text) = get_text(&app, Some(&agent), "/exports/customers.csv").await;
        assert_eq!(column(&records(&text), "phone"), ["+84907100002"], "an agent exports their own customers");
        let (status, text) = get_text(&app, Some(&viewer), "/exports/customers.csv").await;
        assert_eq!((status, records(&text).len()), (200, 4));
        assert_eq!(get_text(&app, None, "/exports/customers.csv").await.0, 401);
        assert_eq!(get_text(&app, Some(&app.token()), "/exports/customers.csv?tiers=SHINY").await.0, 400);
    }

    async fn the_ledger_export_has_exact_money_and_respects_visibility(app) {
        let (_, agent) = app.staff("AGENT").await;
        let id = create(&app, json!({ "name": "Ví", "phone": "0907200001" })).await;
        for amount in ["150000", "2500"] {
            let res = app.gql(
                "mutation($i: DepositInput!) { deposit(input: $i) { transaction { code } } }",
                json!({ "i": { "customerId": id, "amount": amount, "source": "MANUAL" } }),
            ).await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let (status, text) = get_text(&app, Some(&app.token()), &format!("/exports/ledger.csv?customerId={id}")).await;
        assert_eq!(status, 200, "{text}");
        let rows = records(&text);
        assert_eq!(column(&rows, "amount"), ["2500", "150000"], "newest first: {text}");
        assert_eq!(column(&rows, "real_after"), ["152500", "150000"]);
        assert_eq!(column(&rows, "type"), ["DEPOSIT", "DEPOSIT"]);
        assert_eq!(column(&rows, "source"), ["MANUAL", "MANUAL"]);
        assert_eq!(get_text(&app, Some(&agent), &format!("/exports/ledger.csv?customerId={id}")).await.0, 403, "not the agent's customer");
        let range = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let (status, text) = get_text(&app, Some(&app.token()), &format!("/exports/ledger.csv?{range}")).await;
        assert_eq!((status, column(&records(&text), "amount")), (200, vec!["150000".to_owned(), "2500".to_owned()]), "every ledger, oldest first");
        assert_eq!(get_text(&app, Some(&agent), &format!("/exports/ledger.csv?{range}")).await.0, 403);
        assert_eq!(get_text(&app, Some(&app.token()), "/exports/ledger.csv").await.0, 400);
    }

    async fn an_export_imports_back_into_another_database_unchanged(app) {
        create(&app, json!({ "name": "Nguyễn Văn A", "phone": "0907300001", "email": "a@mail.vn", "city": "Hà Nội", "birthday": "1991-02-03", "tags": ["vip"] })).await;
        create(&app, json!({ "name": "-Trừ Đầu", "phone": "+84 90 730 0002", "address": "Số 5, \"Ngõ\" 7" })).await;
        let (_, text) = get_text(&app, Some(&app.token()), "/exports/customers.csv?sort=CREATED_ASC").await;

        let Some(other) = crate::helpers::spawn_app(app.backend).await else { return };
        let id = upload(&other, "customers", &text).await;
        let res = other.gql("mutation($id: ID!) { startImport(id: $id) { status } }", json!({ "id": id })).await;
        assert!(res["errors"].is_null(), "{res}");
        for _ in 0..100 {
            if count_of(&other, &format!("SELECT COUNT(*) FROM import_jobs WHERE id = {id} AND status = 'COMPLETED'")).await == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (_, again) = get_text(&other, Some(&other.token()), "/exports/customers.csv?sort=CREATED_ASC").await;
        let (a, b) = (records(&text), records(&again));
        for col in ["name", "phone", "email", "address", "city", "birthday", "tags"] {
            assert_eq!(column(&a, col), column(&b, col), "{col}: {again}");
        }
    }
}
