//! What operators and newcomers touch: health, metrics, the SPA, GraphiQL,
//! the committed schema.

crate::on_both! {
    async fn the_spas_sign_in_and_customer_list_operations_run(app) {
        use serde_json::json;
        let login = app.gql_as(None, &spa_operation("api/login.graphql"), json!({ "email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD })).await;
        assert!(login["errors"].is_null(), "{login}");
        let token = login["data"]["login"]["token"].as_str().unwrap();
        let me = app.gql_as(Some(token), &spa_operation("api/me.graphql"), json!({})).await;
        assert!(me["errors"].is_null(), "{me}");
        app.customer("Phan Thị Thu", "0913000001").await;
        let list = app.gql_as(Some(token), &spa_operation("screens/customers/customers.graphql"), json!({ "first": 25, "search": "thu" })).await;
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

/// The text of one of the SPA's operation files, by its path under
/// `frontend/src/`.
fn spa_operation(path: &str) -> String {
    std::fs::read_to_string(frontend_src().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn frontend_src() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src")
}

/// Every `.graphql` file under `dir`, recursively.
fn graphql_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            graphql_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "graphql") {
            found.push(path);
        }
    }
}

/// Every operation the SPA sends is valid against the committed
/// `schema.graphql` (which a test keeps equal to the server's): fields,
/// arguments, variable types, fragments, all checked by an independent
/// GraphQL implementation (apollo-compiler). Operations must be named, and
/// no two may share a name.
#[test]
fn every_spa_operation_is_valid_against_schema_graphql() {
    use apollo_compiler::{ExecutableDocument, Schema};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sdl = std::fs::read_to_string(root.join("schema.graphql")).unwrap();
    let schema = Schema::parse_and_validate(sdl, "schema.graphql").unwrap_or_else(|e| panic!("schema.graphql: {e}"));
    let mut files = Vec::new();
    graphql_files(&frontend_src(), &mut files);
    files.sort();
    assert!(files.len() >= 3, "found the SPA's operations: {files:?}");
    let mut names = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let shown = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        match ExecutableDocument::parse_and_validate(&schema, text, &shown) {
            Err(errors) => problems.push(errors.to_string()),
            Ok(document) => {
                let document = document.into_inner();
                if document.operations.anonymous.is_some() {
                    problems.push(format!("{shown}: an anonymous operation; name it"));
                }
                for name in document.operations.named.keys() {
                    if let Some(other) = names.insert(name.to_string(), shown.clone()) {
                        problems.push(format!("{shown}: operation {name} is also in {other}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
