//! Logins, tokens, API keys and roles.

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, code};

crate::on_both! {
    async fn a_staff_member_logs_in_and_sees_who_they_are(app) {
        let res = app.gql_as(None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { email role } } }",
            json!({ "e": "  ADMIN@test.local ", "p": ADMIN_PASSWORD })).await;
        let login = &res["data"]["login"];
        assert_eq!(login["user"], json!({ "email": ADMIN_EMAIL, "role": "ADMIN" }));
        let token = login["token"].as_str().unwrap();
        let me = app.gql_as(Some(token), "{ me { email role } }", json!({})).await;
        assert_eq!(me["data"]["me"]["role"], "ADMIN");
    }

    async fn a_wrong_password_or_unknown_email_is_unauthenticated(app) {
        for (email, password) in [(ADMIN_EMAIL, "wrong-password"), ("nobody@test.local", ADMIN_PASSWORD)] {
            let res = app.gql_as(None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": password })).await;
            assert_eq!(code(&res), Some("UNAUTHENTICATED"), "{res}");
            assert_eq!(res["errors"][0]["message"], "invalid email or password");
        }
    }

    async fn missing_forged_and_expired_tokens_are_refused(app) {
        let none = app.gql_as(None, "{ customers { totalCount } }", json!({})).await;
        assert_eq!(code(&none), Some("UNAUTHENTICATED"));
        // Signed with another secret.
        let forged = {
            let mut parts: Vec<String> = app.token().split('.').map(str::to_owned).collect();
            parts[1] = parts[1].chars().rev().collect();
            parts.join(".")
        };
        for bad in [forged.as_str(), "garbage", "crm_0000"] {
            let res = app.gql_as(Some(bad), "{ customers { totalCount } }", json!({})).await;
            assert_eq!(code(&res), Some("UNAUTHENTICATED"), "{bad}: {res}");
        }
        // The token is valid until the server's clock passes its expiry.
        let ok = app.gql("{ customers { totalCount } }", json!({})).await;
        assert!(ok["errors"].is_null());
        app.clock.advance(chrono::Duration::minutes(61));
        let expired = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(code(&expired), Some("UNAUTHENTICATED"));
        assert!(expired["errors"][0]["message"].as_str().unwrap().contains("expired"), "{expired}");
    }

    async fn a_token_can_be_refreshed_before_it_expires(app) {
        app.clock.advance(chrono::Duration::minutes(50));
        let res = app.gql("mutation { refreshToken { token expiresAt } }", json!({})).await;
        let fresh = res["data"]["refreshToken"]["token"].as_str().unwrap().to_owned();
        app.clock.advance(chrono::Duration::minutes(30));
        let old = app.gql("{ me { email } }", json!({})).await;
        assert_eq!(code(&old), Some("UNAUTHENTICATED"));
        let new = app.gql_as(Some(&fresh), "{ me { email } }", json!({})).await;
        assert_eq!(new["data"]["me"]["email"], ADMIN_EMAIL);
    }

    async fn an_integrator_reads_with_a_read_key_and_writes_only_with_a_write_key(app) {
        app.customer("Bùi Gia Huy", "0909111222").await;
        let create = |scope: &str| app.gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id prefix scopes } } }",
            json!({ "i": { "name": format!("POS {scope}"), "scope": scope } }),
        );
        let read = create("READ").await;
        let read_key = read["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
        assert!(read_key.starts_with(read["data"]["createApiKey"]["apiKey"]["prefix"].as_str().unwrap()));
        let list = app.gql_as(Some(&read_key), "{ customers { totalCount edges { node { name wallet { realBalance } } } } }", json!({})).await;
        assert_eq!(list["data"]["customers"]["totalCount"], 1, "{list}");
        let write_attempt = app.gql_as(Some(&read_key), "mutation { createCustomer(input: { name: \"X\", phone: \"0909333444\" }) { id } }", json!({})).await;
        assert_eq!(code(&write_attempt), Some("FORBIDDEN"));

        let write = create("WRITE").await;
        let write_key = write["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
        let created = app.gql_as(Some(&write_key), "mutation { createCustomer(input: { name: \"X\", phone: \"0909333444\" }) { id } }", json!({})).await;
        assert!(created["errors"].is_null(), "{created}");
        let admin_only = app.gql_as(Some(&write_key), "{ users { email } }", json!({})).await;
        assert_eq!(code(&admin_only), Some("FORBIDDEN"), "a key is never an admin");

        // The key is stored hashed: it is nowhere in the key list.
        let keys = app.gql("{ apiKeys { id name revokedAt } }", json!({})).await;
        assert!(!keys.to_string().contains(&write_key));
        let revoke = app.gql("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": write["data"]["createApiKey"]["apiKey"]["id"] })).await;
        assert!(revoke["data"]["revokeApiKey"]["revokedAt"].is_string());
        let after = app.gql_as(Some(&write_key), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(code(&after), Some("UNAUTHENTICATED"));
    }

    async fn roles_guard_mutations_and_admin_fields(app) {
        let (_, viewer) = app.staff("VIEWER").await;
        let (_, manager) = app.staff("MANAGER").await;
        let read = app.gql_as(Some(&viewer), "{ customers { totalCount } }", json!({})).await;
        assert!(read["errors"].is_null());
        let write = app.gql_as(Some(&viewer), "mutation { createCustomer(input: { name: \"V\", phone: \"0909555666\" }) { id } }", json!({})).await;
        assert_eq!(code(&write), Some("FORBIDDEN"));
        for token in [&viewer, &manager] {
            let users = app.gql_as(Some(token), "{ users { email } }", json!({})).await;
            assert_eq!(code(&users), Some("FORBIDDEN"));
            let key = app.gql_as(Some(token), "mutation { createApiKey(input: { name: \"k\", scope: READ }) { key } }", json!({})).await;
            assert_eq!(code(&key), Some("FORBIDDEN"));
            let audit = app.gql_as(Some(token), "{ verifyAuditChain { valid } }", json!({})).await;
            assert_eq!(code(&audit), Some("FORBIDDEN"));
        }
        let dup = app.gql(
            "mutation { createUser(input: { email: \"ADMIN@test.local\", name: \"Dup\", role: AGENT, password: \"password-1234\" }) { id } }",
            json!({})).await;
        assert_eq!(code(&dup), Some("CONFLICT"));
        let weak = app.gql(
            "mutation { createUser(input: { email: \"weak@test.local\", name: \"Weak\", role: AGENT, password: \"short\" }) { id } }",
            json!({})).await;
        assert_eq!(code(&weak), Some("BAD_USER_INPUT"));
        assert_eq!(crate::helpers::field(&weak), Some("input.password"));
    }

    async fn an_admin_changes_a_role_and_disables_an_account_whose_tokens_then_stop(app) {
        const UPDATE: &str = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id name role active } }";
        let email = "lan.agent@test.local";
        let res = app.gql(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "email": email, "name": "Lan", "role": "AGENT", "password": "password-1234" } }),
        ).await;
        let id = res["data"]["createUser"]["id"].as_str().unwrap().to_owned();
        let token = app.login(email, "password-1234").await;
        assert_eq!(code(&app.gql_as(Some(&token), "{ users { email } }", json!({})).await), Some("FORBIDDEN"));

        // Promoted: the token she already has carries the new role at once.
        let res = app.gql(UPDATE, json!({ "id": id, "i": { "name": " Lan Nguyễn ", "role": "ADMIN" } })).await;
        assert_eq!(res["data"]["updateUser"], json!({ "id": id, "name": "Lan Nguyễn", "role": "ADMIN", "active": true }));
        let users = app.gql_as(Some(&token), "{ users { email } }", json!({})).await;
        assert!(users["errors"].is_null(), "{users}");

        // Disabled: her token stops working and she cannot sign in.
        let res = app.gql(UPDATE, json!({ "id": id, "i": { "active": false } })).await;
        assert_eq!(res["data"]["updateUser"]["active"], false, "{res}");
        assert_eq!(code(&app.gql_as(Some(&token), "{ me { id } }", json!({})).await), Some("UNAUTHENTICATED"));
        let login = app.gql_as(None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": email, "p": "password-1234" })).await;
        assert_eq!(code(&login), Some("UNAUTHENTICATED"));

        // Enabled again.
        app.gql(UPDATE, json!({ "id": id, "i": { "active": true, "role": "AGENT" } })).await;
        app.login(email, "password-1234").await;

        // Every change is in the audit log with before and after.
        let audit = app.gql(
            "{ auditLog(first: 10, filter: { action: \"user.update\" }) { totalCount edges { node { actor entityId before after } } } }",
            json!({})).await;
        assert_eq!(audit["data"]["auditLog"]["totalCount"], 3, "{audit}");
        let first = &audit["data"]["auditLog"]["edges"].as_array().unwrap().iter()
            .find(|e| e["node"]["before"]["role"] == "AGENT" && e["node"]["after"]["role"] == "ADMIN").unwrap()["node"];
        assert_eq!(first["entityId"], id.as_str());
        assert_eq!(first["before"], json!({ "name": "Lan", "role": "AGENT", "active": true }));
    }

    async fn an_admin_can_neither_demote_nor_disable_themselves(app) {
        const UPDATE: &str = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { role active } }";
        let me = app.gql("{ me { id } }", json!({})).await["data"]["me"]["id"].as_str().unwrap().to_owned();
        let res = app.gql(UPDATE, json!({ "id": me, "i": { "role": "MANAGER" } })).await;
        assert_eq!((code(&res), crate::helpers::field(&res)), (Some("CONFLICT"), Some("input.role")), "{res}");
        let res = app.gql(UPDATE, json!({ "id": me, "i": { "active": false } })).await;
        assert_eq!((code(&res), crate::helpers::field(&res)), (Some("CONFLICT"), Some("input.active")), "{res}");
        let res = app.gql(UPDATE, json!({ "id": me, "i": { "name": "  " } })).await;
        assert_eq!((code(&res), crate::helpers::field(&res)), (Some("BAD_USER_INPUT"), Some("input.name")), "{res}");
        let res = app.gql(UPDATE, json!({ "id": "999999", "i": { "name": "x" } })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");

        // Another admin may demote this one (one active admin remains), but
        // not the other way round any more.
        let (other, other_token) = app.staff("ADMIN").await;
        let res = app.gql_as(Some(&other_token), UPDATE, json!({ "id": me, "i": { "role": "MANAGER" } })).await;
        assert_eq!(res["data"]["updateUser"]["role"], "MANAGER", "{res}");
        let res = app.gql(UPDATE, json!({ "id": other, "i": { "active": false } })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&other_token), UPDATE, json!({ "id": other, "i": { "role": "AGENT" } })).await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");
    }
}
