//! Bad requests get clear errors with codes and the server stays healthy;
//! DataLoaders keep the query count flat.

use serde_json::json;

use crate::helpers::code;

crate::on_both! {
    async fn malformed_json_is_a_bad_request_with_a_code(app) {
        let res = app.http.post(app.url("/graphql")).header("content-type", "application/json")
            .body("{\"query\": \"{ me { email } }\"").send().await.unwrap();
        assert_eq!(res.status(), 400);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    }

    async fn an_oversized_body_is_refused_before_it_is_read(app) {
        let huge = "x".repeat(app.ctx.config.max_body_bytes + 1);
        let res = app.http.post(app.url("/graphql")).bearer_auth(app.token())
            .json(&json!({ "query": format!("{{ customers(search: \"{huge}\") {{ totalCount }} }}") }))
            .send().await.unwrap();
        assert_eq!(res.status(), 413);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(code(&body), Some("BAD_USER_INPUT"));
        assert!(app.http.get(app.url("/healthz")).send().await.unwrap().status().is_success());
    }

    async fn too_deep_and_too_costly_queries_are_refused_and_the_server_stays_healthy(app) {
        let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}", "ofType { ".repeat(12), "} ".repeat(12));
        let deep = deep.as_str();
        let res = app.gql(deep, json!({})).await;
        assert!(res["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{res}");
        assert_eq!(code(&res), Some("BAD_USER_INPUT"));
        let costly = "{ customers(first: 100) { edges { node { timeline(first: 100) { edges { node { summary kind actor } } } } } } }";
        let res = app.gql(costly, json!({})).await;
        assert!(res["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{res}");
        assert_eq!(code(&res), Some("BAD_USER_INPUT"));
        let ok = app.gql("{ customers { totalCount } }", json!({})).await;
        assert!(ok["errors"].is_null());
    }

    async fn validation_errors_carry_a_code(app) {
        for q in ["{ nope }", "{ customers(first: \"x\") { totalCount } }", "query { customers { edges { node { unknownField } } } }"] {
            let res = app.gql(q, json!({})).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{q}: {res}");
        }
    }

    async fn listing_customers_with_notes_wallets_and_agents_costs_a_constant_number_of_queries(app) {
        let (agent_id, _) = app.staff("AGENT").await;
        for i in 0..25 {
            let res = app.gql(
                "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
                json!({ "i": { "name": format!("Khách {i}"), "phone": format!("09110000{i:02}"), "assignedAgentId": agent_id } }),
            ).await;
            let id = res["data"]["createCustomer"]["id"].clone();
            app.gql("mutation($id: ID!) { addCustomerNote(customerId: $id, body: \"note\") { id } }", json!({ "id": id })).await;
        }
        let q = "query($n: Int) { customers(first: $n) { edges { node { name wallet { realBalance points } notes { body author { name } } assignedAgent { name } } } } }";
        let mut costs = Vec::new();
        for n in [2, 25] {
            let before = app.queries();
            let res = app.gql(q, json!({ "n": n })).await;
            assert!(res["errors"].is_null(), "{res}");
            assert_eq!(res["data"]["customers"]["edges"].as_array().unwrap().len(), n as usize);
            costs.push(app.queries() - before);
        }
        // page + wallets + notes + users. A DataLoader batch window is a few
        // milliseconds, so on a saturated machine (CI on 2 cores) a batch can
        // split in two or three: the bound is the same small number for 2
        // rows as for 25, where one query per row for any of the three
        // associations would cost 27 or more.
        assert!(costs.iter().all(|c| (3..=10).contains(c)), "the cost does not grow with the page: {costs:?}");
    }
}
