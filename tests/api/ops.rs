//! What operators and newcomers touch: health, metrics, the SPA, GraphiQL,
//! the committed schema.

crate::on_both! {
    async fn the_spas_graphql_operations_are_valid_against_the_server(app) {
        use serde_json::json;
        let op = |name: &str| std::fs::read_to_string(format!("{}/../frontend/graphql/{name}.graphql", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let login = app.gql_as(None, &op("login"), json!({ "email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD })).await;
        assert!(login["errors"].is_null(), "{login}");
        let token = login["data"]["login"]["token"].as_str().unwrap();
        let me = app.gql_as(Some(token), &op("me"), json!({})).await;
        assert!(me["errors"].is_null(), "{me}");
        app.customer("Phan Thị Thu", "0913000001").await;
        let list = app.gql_as(Some(token), &op("customers"), json!({ "first": 25, "search": "thu" })).await;
        assert!(list["errors"].is_null(), "{list}");
        assert_eq!(list["data"]["customers"]["totalCount"], 1);
    }

    async fn seeding_is_idempotent_and_gives_unique_member_codes(app) {
        let first = crm360::seed::customers(&app.ctx, 700, false).await.unwrap();
        assert_eq!((first.added, first.existing), (700, 0));
        let again = crm360::seed::customers(&app.ctx, 750, false).await.unwrap();
        assert_eq!((again.added, again.existing), (50, 700));
        let res = app.gql("{ customers(first: 100, sort: NAME_ASC) { totalCount edges { node { memberCode phone wallet { realBalance } } } } }", serde_json::json!({})).await;
        assert_eq!(res["data"]["customers"]["totalCount"], 750, "{res}");
        let codes: std::collections::HashSet<_> = res["data"]["customers"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["memberCode"].as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 100);
        let report = app.gql("{ verifyAuditChain { valid } }", serde_json::json!({})).await;
        assert_eq!(report["data"]["verifyAuditChain"]["valid"], true);
    }

    async fn health_readiness_and_metrics_answer(app) {
        let health = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let ready: serde_json::Value = app.http.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["status"], "ready");
        assert_eq!(ready["database"], "ok");
        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("crm360_http_requests_total"), "{metrics}");
        assert!(metrics.contains("crm360_db_queries_total"));
        let res = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert!(res.headers().contains_key("x-request-id"), "every response carries a request id");
    }

    async fn the_spa_is_served_at_the_root_and_for_client_routes(app) {
        for path in ["/", "/customers", "/login"] {
            let res = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("text/html"), "{path}: {ct}");
            let body = res.text().await.unwrap();
            assert!(body.contains("crm360"), "{path}: {body}");
        }
        let post = app.http.post(app.url("/customers")).send().await.unwrap();
        assert_eq!(post.status(), 405, "the SPA answers GET only");
        let graphiql = app.http.get(app.url("/graphql")).send().await.unwrap().text().await.unwrap();
        assert!(graphiql.to_lowercase().contains("graphiql"));
    }
}

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
        .expect("schema.graphql at the repository root");
    assert!(
        committed == crm360::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- export-schema --out schema.graphql` and commit it"
    );
}
