//! Customer 360: find a customer, move money through the dialogs, see
//! changes made elsewhere appear live, notes and the profile.

use serde_json::json;

use crate::browser::scenario;

/// Deposits through the API as the admin (another client).
async fn deposit_via_api(s: &crate::browser::Session, customer_id: &str, amount: &str) {
    let res = s
        .app
        .gql(
            "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
            json!({ "i": { "customerId": customer_id, "amount": amount } }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_finds_a_customer_deposits_and_sees_the_balance_change() {
    scenario("customer_deposit", |s| async move {
        let customer = s.app.customer("Võ Thị Sáu", "0905111222").await;
        s.app.customer("Đặng Văn Lâm", "0905333444").await;
        s.sign_in_as_admin().await;

        // Find her in the list and open her page.
        s.open("/customers").await;
        s.fill(".search input", "sau").await;
        s.wait_count("tbody tr", 1).await;
        let links = s.all("tbody tr a.customer-link").await;
        if let Some(link) = links.first() {
            link.click().await.unwrap();
        } else {
            s.open(&format!("/customers/{}", customer["id"].as_str().unwrap())).await;
        }
        s.wait_text("#customer-name", "Võ Thị Sáu").await;
        s.wait_text("#wallet-real", "0 ₫").await;
        s.wait_text("#transfer-code", "").await;
        assert_eq!(s.all(".qr svg").await.len(), 1, "the transfer code is drawn as a QR code");

        // A bad amount is refused next to the field, before anything is sent.
        s.click("#wallet-deposit").await;
        s.fill("#money-amount", "12k").await;
        s.click("#money-continue").await;
        s.wait_text(".field.has-error .field-error", "digits only").await;

        // Deposit 150.000 ₫ with confirmation.
        s.fill("#money-amount", "150.000").await;
        s.fill("#money-note", "cash at the counter").await;
        s.click("#money-continue").await;
        s.wait_text("#money-confirmation", "Deposit 150.000 ₫ into Võ Thị Sáu's wallet?").await;
        s.click_text(".dialog", "Confirm").await;
        s.wait_gone(".dialog").await;
        s.wait_text("#wallet-real", "150.000 ₫").await;
        s.wait_text(".ledger tbody", "cash at the counter").await;
        s.wait_count(".ledger-row", 1).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_beyond_the_balance_is_refused_next_to_the_amount() {
    scenario("customer_withdraw_refused", |s| async move {
        let customer = s.app.customer("Lý Thường Kiệt", "0906111222").await;
        let id = customer["id"].as_str().unwrap();
        deposit_via_api(&s, id, "20000").await;
        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.wait_text("#wallet-real", "20.000 ₫").await;

        s.click("#wallet-withdraw").await;
        s.fill("#money-amount", "50000").await;
        s.click("#money-continue").await;
        s.wait_text("#money-confirmation", "Withdraw 50.000 ₫").await;
        s.click_text(".dialog", "Confirm").await;
        // Back on the first step, the reason under the amount.
        let error = s.wait_text(".field.has-error .field-error", "available: 20.000 ₫").await;
        assert!(!error.is_empty());
        s.click_text(".dialog", "Cancel").await;
        s.wait_gone(".dialog").await;
        s.wait_text("#wallet-real", "20.000 ₫").await;
        let rows = crate::helpers::count_of(
            &s.app,
            &format!("SELECT COUNT(*) FROM wallet_transactions WHERE customer_id = '{id}'"),
        )
        .await;
        assert_eq!(rows, 1, "only the first deposit is in the ledger");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_made_through_the_api_appears_live() {
    scenario("customer_live_deposit", |s| async move {
        let customer = s.app.customer("Bà Triệu", "0907111222").await;
        let id = customer["id"].as_str().unwrap().to_owned();
        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.wait_text("#wallet-real", "0 ₫").await;
        s.wait_text(".topbar", "Live").await;

        // Another client deposits: the page follows without a reload.
        let before = s.script("return performance.getEntriesByType('navigation').length;").await;
        deposit_via_api(&s, &id, "75000").await;
        s.wait_text("#wallet-real", "75.000 ₫").await;
        s.wait_count(".ledger-row", 1).await;
        deposit_via_api(&s, &id, "25000").await;
        s.wait_text("#wallet-real", "100.000 ₫").await;
        let after = s.script("return performance.getEntriesByType('navigation').length;").await;
        assert_eq!(before, after, "no reload happened");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_are_added_and_pinned_and_the_profile_edit_shows_server_errors() {
    scenario("customer_notes_profile", |s| async move {
        let customer = s.app.customer("Trưng Trắc", "0908111222").await;
        let taken = s.app.customer("Trưng Nhị", "0908333444").await;
        assert!(taken["id"].is_string());
        let id = customer["id"].as_str().unwrap();
        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.wait_text("#customer-name", "Trưng Trắc").await;

        // Notes: an empty one is refused, then one is added and pinned.
        s.click("#tab-notes").await;
        s.click_text(".note-form", "Add note").await;
        s.wait_text(".note-form .field-error", "Write the note first").await;
        s.fill("#note-body", "Prefers calls after 6 pm").await;
        s.click_text(".note-form", "Add note").await;
        s.wait_text(".notes", "Prefers calls after 6 pm").await;
        s.click(".note-pin").await;
        s.wait_count(".note.pinned", 1).await;

        // Profile: the server refuses an email it cannot read, by the field.
        s.click("#profile-edit").await;
        s.fill("#profile-email", "tr@c").await;
        s.click_text(".dialog", "Save").await;
        s.wait_text(".field.has-error .field-error", "").await;
        let field = s.text(".field.has-error .field-label").await;
        assert_eq!(field, "Email");
        // A good change is saved and shown.
        s.fill("#profile-email", "trac@example.vn").await;
        s.fill("#profile-city", "Hà Nội").await;
        s.click_text(".dialog", "Save").await;
        s.wait_gone(".dialog").await;
        s.wait_text(".profile-card", "trac@example.vn").await;
        s.wait_text(".profile-card", "Hà Nội").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orders_tab_shows_totals_rfm_flags_and_orders() {
    scenario("customer_orders", |s| async move {
        let customer = s.app.customer("Bà Năm", "0905666777").await;
        let id = customer["id"].as_str().unwrap().to_owned();
        for (k, amount) in ["1200000", "800000", "300000"].iter().enumerate() {
            let res = s
                .app
                .gql(
                    "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                    json!({ "i": { "customerId": id, "amount": amount, "status": "DELIVERED", "channel": "SHOPEE",
                                   "externalId": format!("e2e-{k}") } }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
            if k < 2 {
                let order = res["data"]["createOrder"]["order"]["id"].clone();
                s.app
                    .gql(
                        "mutation($id: ID!) { setOrderStatus(id: $id, status: RETURNED) { id } }",
                        json!({ "id": order }),
                    )
                    .await;
            }
        }
        let run = s.app.gql("mutation { runFraudRules { flagged } }", json!({})).await;
        assert_eq!(run["data"]["runFraudRules"]["flagged"], 1, "{run}");

        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.click("#tab-orders").await;
        s.wait_count(".order-row", 3).await;
        // Only the order that was not returned counts.
        assert_eq!(s.text("#orders-spent").await, "300.000 ₫");
        let rfm = s.text("#orders-rfm").await;
        assert!(rfm.starts_with("R5 F1 M1"), "{rfm}");
        s.wait_text(".flag", "2 of 3 orders returned in 7 days").await;
    })
    .await;
}
