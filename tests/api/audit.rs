//! The hash-chained audit log.

use sea_orm::ConnectionTrait;
use serde_json::json;

crate::on_both! {
    async fn every_mutation_leaves_an_audit_row_and_the_chain_verifies(app) {
        let c = app.customer("Hồ Xuân Mai", "0910000001").await;
        app.gql("mutation($id: ID!) { updateCustomer(id: $id, input: { city: \"Đà Nẵng\" }) { id } }", json!({ "id": c["id"] })).await;
        app.gql("mutation($id: ID!) { addCustomerNote(customerId: $id, body: \"hello\") { id } }", json!({ "id": c["id"] })).await;
        let log = app.gql("{ auditLog(first: 50) { totalCount edges { node { action actor chain hash prevHash } } } }", json!({})).await;
        let actions: Vec<&str> = log["data"]["auditLog"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["action"].as_str().unwrap()).collect();
        // newest first; the admin was created and logged in at startup
        assert_eq!(actions, ["note.add", "customer.update", "customer.create", "auth.login", "user.create"]);
        // Each row links to the one before it in its chain (newest first here).
        let edges = log["data"]["auditLog"]["edges"].as_array().unwrap();
        for chain in 1..=16 {
            let rows: Vec<_> = edges.iter().map(|e| &e["node"]).filter(|n| n["chain"] == chain).collect();
            for pair in rows.windows(2) {
                assert_eq!(pair[0]["prevHash"], pair[1]["hash"], "each row links to the one before in its chain");
            }
            if let Some(oldest) = rows.last() {
                assert_eq!(oldest["prevHash"], "0".repeat(64), "a chain starts at the genesis hash");
            }
        }
        let report = app.gql("{ verifyAuditChain { valid checked firstBrokenId } }", json!({})).await;
        assert_eq!(report["data"]["verifyAuditChain"], json!({ "valid": true, "checked": 5, "firstBrokenId": null }));
    }

    async fn tampering_with_a_row_is_detected_where_it_happened(app) {
        let c = app.customer("Ngô Bảo Châu", "0910000002").await;
        app.gql("mutation($id: ID!) { updateCustomer(id: $id, input: { city: \"Hà Nội\" }) { id } }", json!({ "id": c["id"] })).await;
        let rows = app.gql("{ auditLog(filter: { action: \"customer.create\" }) { edges { node { id } } } }", json!({})).await;
        let id = rows["data"]["auditLog"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
        // Someone with database access rewrites history.
        app.ctx.db.conn().execute_unprepared(&format!("UPDATE audit_log SET actor = 'user:999' WHERE id = {id}")).await.unwrap();
        let report = app.gql("{ verifyAuditChain { valid firstBrokenId message } }", json!({})).await;
        assert_eq!(report["data"]["verifyAuditChain"]["valid"], false);
        assert_eq!(report["data"]["verifyAuditChain"]["firstBrokenId"], id);
        // Deleting the newest row is detected too.
        let other = crate::helpers::spawn_app(app.backend).await.unwrap();
        other.customer("X", "0910000003").await;
        other.ctx.db.conn().execute_unprepared("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)").await.unwrap();
        let report = other.gql("{ verifyAuditChain { valid message } }", json!({})).await;
        assert_eq!(report["data"]["verifyAuditChain"]["valid"], false, "{report}");
    }
}
