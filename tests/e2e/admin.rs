//! The `admin` screen in the browser: staff users and roles, API keys shown
//! once and revoked, the audit log and its chain check, and nobody but an
//! admin let in.

use serde_json::json;

use crate::browser::scenario;
use crate::helpers::code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_user_changes_the_role_and_disables_the_account() {
    scenario("admin_users", |s| async move {
        s.sign_in_as_admin().await;
        s.open("/admin").await;
        // The admin's own row has no role select and no "Disable".
        s.wait_text(".user-row", "(you)").await;
        assert!(s.all(".user-row .user-role").await.is_empty(), "an admin cannot change their own role here");

        // The form checks before sending, and shows the server's refusal by field.
        s.click("#new-user").await;
        s.fill("#new-user-email", "lan@test.local").await;
        s.fill("#new-user-name", "Lan Nguyễn").await;
        s.fill("#new-user-password", "short").await;
        s.click_text(".dialog", "Create user").await;
        s.wait_text(".field.has-error .field-error", "10 characters").await;
        s.fill("#new-user-email", crate::helpers::ADMIN_EMAIL).await;
        s.fill("#new-user-password", "password-1234").await;
        s.click_text(".dialog", "Create user").await;
        s.wait_text(".field.has-error .field-error", "already exists").await;
        s.fill("#new-user-email", "lan@test.local").await;
        s.select("#new-user-role", "VIEWER").await;
        s.click_text(".dialog", "Create user").await;
        s.wait_gone(".dialog").await;
        s.wait_count(".user-row", 2).await;
        let lan = ".user-row[data-email='lan@test.local']";
        s.wait_text(lan, "Never").await;
        let token = s.app.login("lan@test.local", "password-1234").await;
        let me = s.app.gql_as(Some(&token), "{ me { role } }", json!({})).await;
        assert_eq!(me["data"]["me"]["role"], "VIEWER", "{me}");

        // Promoted to manager from the list; it applies to her next request.
        s.select(&format!("{lan} .user-role"), "MANAGER").await;
        let mut role = json!(null);
        for _ in 0..50 {
            role = s.app.gql_as(Some(&token), "{ me { role } }", json!({})).await["data"]["me"]["role"].clone();
            if role == "MANAGER" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(role, "MANAGER");

        // Disabled: her token stops working; enabled again, it works.
        s.click(&format!("{lan} .user-disable")).await;
        s.wait_text(&format!("{lan} .user-status"), "Disabled").await;
        let refused = s.app.gql_as(Some(&token), "{ me { role } }", json!({})).await;
        assert_eq!(code(&refused), Some("UNAUTHENTICATED"), "{refused}");
        s.click(&format!("{lan} .user-enable")).await;
        s.wait_text(&format!("{lan} .user-status"), "Active").await;
        s.app.login("lan@test.local", "password-1234").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_shown_once_works_and_stops_working_when_revoked() {
    scenario("admin_api_keys", |s| async move {
        s.sign_in_as_admin().await;
        s.open("/admin/keys").await;
        s.wait_text(".list-card", "No API keys yet").await;
        s.click("#new-api-key").await;
        s.click_text(".dialog", "Create key").await;
        s.wait_text(".field.has-error .field-error", "what the key is for").await;
        s.fill("#new-key-name", "POS sync").await;
        s.click("#key-scope-read-and-write").await;
        s.click_text(".dialog", "Create key").await;
        s.wait_text(".created-key", "will not be shown again").await;
        let key = s.script("return document.querySelector('#created-key').value;").await;
        let key = key.as_str().expect("the key in the dialog").to_owned();
        s.click("#created-key-done").await;
        s.wait_gone(".dialog").await;

        // The list shows the prefix only, and the key works with write access.
        let row = s.wait_text(".key-row[data-name='POS sync']", "Read and write").await;
        assert!(!row.contains(&key), "the list never shows the whole key");
        let prefix = s.text(".key-row[data-name='POS sync'] .mono").await;
        assert!(key.starts_with(prefix.trim_end_matches('…')), "{key} / {prefix}");
        let created = s
            .app
            .gql_as(
                Some(&key),
                "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                json!({ "i": { "name": "Từ POS", "phone": "0905550001" } }),
            )
            .await;
        assert!(created["errors"].is_null(), "{created}");

        // Revoked after confirming: it is refused from then on.
        s.click(".key-row[data-name='POS sync'] .key-revoke").await;
        s.wait_text(".dialog", "cannot be undone").await;
        s.click_text(".dialog", "Revoke key").await;
        s.wait_gone(".dialog").await;
        s.wait_text(".key-row[data-name='POS sync'] .key-status", "Revoked").await;
        let refused = s.app.gql_as(Some(&key), "{ customers(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_lists_filters_and_verifies_the_chain() {
    scenario("admin_audit", |s| async move {
        let customer = s.app.customer("Bà Audit", "0905550002").await;
        let update = s
            .app
            .gql(
                "mutation($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { id } }",
                json!({ "id": customer["id"], "i": { "city": "Huế" } }),
            )
            .await;
        assert!(update["errors"].is_null(), "{update}");
        s.sign_in_as_admin().await;
        s.open("/admin/audit").await;
        s.wait_text(".audit-list", "customer.update").await;

        // Narrowed to one action; the entry opens to the field that changed.
        s.fill("#audit-action", "customer.update").await;
        s.click_text("#audit-filters", "Filter").await;
        s.wait_count(".audit-entry", 1).await;
        s.click(".audit-entry summary").await;
        let detail = s.wait_text(".audit-entry .audit-changes", "Huế").await;
        assert!(detail.contains("city"), "{detail}");
        assert!(s.text(".audit-entry .audit-actor").await.contains("Admin"), "the actor is shown by name");

        // The chain is intact.
        s.click_text("#verify-chain", "Verify chain").await;
        s.wait_text("#chain-report", "intact").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_is_not_an_admin_is_kept_out() {
    scenario("admin_forbidden", |s| async move {
        s.app
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": "manager@test.local", "name": "Minh", "role": "MANAGER", "password": "password-1234" } }),
            )
            .await;
        s.sign_in("manager@test.local", "password-1234").await;
        s.open("/admin/users").await;
        s.wait_text(".admin-forbidden", "Only admins").await;
        assert!(s.all(".user-row").await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_runs_a_job_now_and_clears_a_fraud_flag() {
    scenario("admin_jobs_flags", |s| async move {
        let c = s.app.customer("Rửa Tiền", "0905550003").await;
        for _ in 0..6 {
            let res = s
                .app
                .gql(
                    "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
                    json!({ "i": { "customerId": c["id"], "amount": "6000000" } }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
        }
        s.sign_in_as_admin().await;
        s.open("/admin/jobs").await;
        s.wait_text(".job-row[data-job='fraud'] .job-last", "Never").await;
        s.click(".job-row[data-job='fraud'] .job-run").await;
        s.wait_text(".job-row[data-job='fraud'] .job-last", "1 customers flagged").await;

        s.open("/admin/flags").await;
        s.wait_text(".admin-flags", "6 large movements within an hour").await;
        s.click(".flag-clear").await;
        s.click_text(".dialog", "Clear flag").await;
        s.wait_text(".field.has-error .field-error", "Say why").await;
        s.fill("#clear-flag-reason", "payroll deposits, checked with the bank").await;
        s.click_text(".dialog", "Clear flag").await;
        s.wait_gone(".dialog").await;
        s.wait_text(".list-card", "No open flags").await;
        let state = s.app.gql("query($id: ID!) { customer(id: $id) { status } }", json!({ "id": c["id"] })).await;
        assert_eq!(state["data"]["customer"]["status"], "ACTIVE", "{state}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_the_rfm_thresholds_and_recalculates() {
    scenario("admin_rfm", |s| async move {
        // Five delivered orders today: F = 3 under the default thresholds (3 to 5 orders).
        let c = s.app.customer("Chị Năm", "0906500001").await;
        for i in 0..5 {
            let res = s
                .app
                .gql(
                    "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
                    json!({ "i": { "customerId": c["id"], "amount": "100000", "externalId": format!("rfm-{i}") } }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
        }
        let scores = || async {
            let res = s.app.gql("query($id: ID!) { customer(id: $id) { rfm { f } } }", json!({ "id": c["id"] })).await;
            res["data"]["customer"]["rfm"]["f"].as_i64()
        };
        assert_eq!(scores().await, Some(3));

        s.sign_in_as_admin().await;
        s.open("/admin/rfm").await;
        assert_eq!(s.find("#rfm-recencyDays-0").await.prop("value").await.unwrap().as_deref(), Some("7"));
        assert_eq!(s.find("#rfm-monetaryMin-0").await.prop("value").await.unwrap().as_deref(), Some("10.000.001"));

        // Out of order: refused before sending, next to its row.
        s.fill("#rfm-recencyDays-1", "5").await;
        s.click_text("#rfm-form", "Save thresholds").await;
        s.wait_text(".rfm-row[data-field=recencyDays] .field-error", "larger than the one before").await;
        let config = s.app.gql("{ rfmConfig { recencyDays frequencyMin } }", json!({})).await;
        assert_eq!(config["data"]["rfmConfig"]["recencyDays"], json!([7, 14, 30, 60]), "nothing saved");

        s.fill("#rfm-recencyDays-1", "14").await;
        for (j, v) in ["5", "4", "3", "2"].iter().enumerate() {
            s.fill(&format!("#rfm-frequencyMin-{j}"), v).await;
        }
        s.click_text("#rfm-form", "Save thresholds").await;
        s.wait_text("#rfm-saved", "Saved").await;
        assert!(s.all(".rfm-row .field-error").await.is_empty());
        let config = s.app.gql("{ rfmConfig { recencyDays frequencyMin } }", json!({})).await;
        assert_eq!(config["data"]["rfmConfig"]["frequencyMin"], json!([5, 4, 3, 2]), "{config}");

        s.click("#rfm-recalculate").await;
        s.wait_text("#rfm-run", "Scored 1 customer").await;
        assert_eq!(scores().await, Some(5), "five orders now score F5");
    })
    .await;
}
