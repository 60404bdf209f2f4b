//! Likely duplicates and the merge dialog: two customers with the same
//! phone written two ways appear as a group, a manager merges them, the
//! survivor shows the moved balance and orders, the duplicate says where
//! it went.

use serde_json::json;

use crate::browser::scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_merges_two_customers_with_the_same_phone() {
    scenario("merge_duplicates", |s| async move {
        let keep = s.app.customer("Ngô Bảo Châu", "0906111222").await;
        let dup = s.app.customer("Ngo Bao Chau", "0906333444").await;
        let (keep_id, dup_id) = (keep["id"].as_str().unwrap().to_owned(), dup["id"].as_str().unwrap().to_owned());
        // The duplicate's number as a legacy import stored it: the same
        // number as the survivor's, written another way.
        s.app.exec(&format!("UPDATE customers SET phone = '+84 0906 111 222' WHERE id = {dup_id}")).await;
        let res = s
            .app
            .gql(
                "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
                json!({ "i": { "customerId": dup_id, "amount": "250000" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        let res = s
            .app
            .gql(
                "mutation($i: CreateOrderInput!) { createOrder(input: $i) { created } }",
                json!({ "i": { "customerId": dup_id, "amount": "120000", "status": "DELIVERED" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        s.sign_in_as_admin().await;

        s.open("/customers").await;
        s.click("#duplicates-link").await;
        s.wait_path("/customers/duplicates").await;
        s.wait_text("#duplicate-group-0", "Same phone").await;
        s.wait_text("#duplicate-group-0", "+84906111222").await;
        s.wait_text("#duplicate-group-0", "Ngo Bao Chau").await;

        s.click("#duplicate-group-0 .merge-open").await;
        s.select("#merge-survivor", &keep_id).await;
        s.select("#merge-duplicate", &dup_id).await;
        s.wait_text("#merge-moves-wallet", "250.000 ₫").await;
        s.wait_text("#merge-preview", "Orders: 1").await;
        s.fill("#merge-reason", "same phone").await;
        s.click("#merge-form button[type=submit]").await;

        s.wait_path(&format!("/customers/{keep_id}")).await;
        s.wait_text("#customer-name", "Ngô Bảo Châu").await;
        s.wait_text("#wallet-real", "250.000 ₫").await;

        s.open(&format!("/customers/{dup_id}")).await;
        s.wait_text("#merged-into", "Merged into").await;
        s.wait_text("#merged-into", "Ngô Bảo Châu").await;
        s.wait_text("#wallet-real", "0 ₫").await;

        s.open("/customers/duplicates").await;
        s.wait_text(".duplicates", "No likely duplicates").await;
    })
    .await;
}
