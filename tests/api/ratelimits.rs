//! Rate limits per user, per API key and per client IP, shared across
//! instances through Redis; login throttling and lockout. Each scenario
//! runs on SQLite (limits in memory) and on PostgreSQL with Redis.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, code};
use crm360::config::Config;

const COUNT: &str = "{ customers { totalCount } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

/// POSTs `COUNT` with a credential and extra headers; the status, the
/// `Retry-After` header and the JSON answer.
async fn count(app: &TestApp, token: Option<&str>, forwarded_for: Option<&str>) -> (StatusCode, Option<u64>, Value) {
    let mut req = app.http.post(app.url("/graphql")).json(&json!({ "query": COUNT }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, retry, res.json().await.unwrap())
}

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.gql_as(None, LOGIN, json!({ "e": email, "p": password })).await
}

fn assert_rate_limited(status: StatusCode, retry: Option<u64>, body: &Value) -> u64 {
    assert_eq!(status, 429, "{body}");
    assert_eq!(code(body), Some("RATE_LIMITED"), "{body}");
    let after = body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or_else(|| panic!("retryAfter: {body}"));
    assert!(after >= 1);
    assert_eq!(retry, Some(after), "the Retry-After header says the same");
    after
}

crate::with_stores! {
    async fn a_user_over_their_limit_gets_429_with_retry_after_until_the_rate_refills(app, |c: &mut Config| {
        c.rate_limit_user_per_minute = 1;
        c.rate_limit_user_burst = 3;
    }) {
        let (_, other) = app.staff("VIEWER").await;
        app.clock.advance(chrono::Duration::seconds(120));
        let token = app.token();
        for _ in 0..3 {
            let (status, _, body) = count(&app, Some(&token), None).await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, retry, body) = count(&app, Some(&token), None).await;
        let after = assert_rate_limited(status, retry, &body);
        assert!((55..=60).contains(&after), "one operation a minute: {after}");
        assert_eq!(body["errors"][0]["extensions"]["limit"], "user");
        // Another user has their own budget.
        assert_eq!(count(&app, Some(&other), None).await.0, 200);
        // A minute later one more operation passes.
        app.clock.advance(chrono::Duration::seconds(61));
        assert_eq!(count(&app, Some(&token), None).await.0, 200);
        assert_eq!(count(&app, Some(&token), None).await.0, 429);
    }

    async fn an_api_key_has_its_own_limit(app, |c: &mut Config| {
        c.rate_limit_api_key_per_minute = 1;
        c.rate_limit_api_key_burst = 2;
    }) {
        let key = app.gql("mutation { createApiKey(input: { name: \"POS\", scope: READ }) { key } }", json!({})).await;
        let key = key["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
        assert_eq!(count(&app, Some(&key), None).await.0, 200);
        assert_eq!(count(&app, Some(&key), None).await.0, 200);
        let (status, retry, body) = count(&app, Some(&key), None).await;
        assert_rate_limited(status, retry, &body);
        assert_eq!(body["errors"][0]["extensions"]["limit"], "api_key");
        // Staff are not limited here (the user limit is off).
        for _ in 0..5 {
            assert_eq!(count(&app, Some(&app.token()), None).await.0, 200);
        }
    }

    async fn the_ip_limit_believes_x_forwarded_for_only_from_a_trusted_proxy(app, |c: &mut Config| {
        c.rate_limit_ip_per_minute = 1;
        c.rate_limit_ip_burst = 3;
        c.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
    }) {
        // Behind the (trusted, local) proxy each client has its own budget.
        for _ in 0..3 {
            assert_eq!(count(&app, None, Some("203.0.113.7")).await.0, 200);
        }
        let (status, retry, body) = count(&app, None, Some("203.0.113.7")).await;
        assert_rate_limited(status, retry, &body);
        assert_eq!(body["errors"][0]["extensions"]["limit"], "ip");
        assert_eq!(count(&app, None, Some("203.0.113.8")).await.0, 200);
        // A client cannot pose as someone else by prepending addresses.
        assert_eq!(count(&app, None, Some("198.51.100.1, 203.0.113.7")).await.0, 429);
        // Health and metrics are never limited.
        assert_eq!(app.http.get(app.url("/healthz")).header("x-forwarded-for", "203.0.113.7").send().await.unwrap().status(), 200);
    }

    async fn forwarded_for_is_ignored_without_trusted_proxies(app, |c: &mut Config| {
        c.rate_limit_ip_per_minute = 1;
        c.rate_limit_ip_burst = 3;
    }) {
        // The admin's login at startup was the first of this IP's three.
        assert_eq!(count(&app, None, Some("203.0.113.1")).await.0, 200);
        assert_eq!(count(&app, None, Some("203.0.113.2")).await.0, 200);
        assert_eq!(count(&app, None, Some("203.0.113.3")).await.0, 429);
    }

    async fn failed_logins_slow_down_then_lock_the_email_without_saying_whether_it_exists(app, |c: &mut Config| {
        c.login_delay_after_failures = 3;
        c.login_lockout_after_failures = 5;
        c.login_lockout_seconds = 900;
    }) {
        for email in [ADMIN_EMAIL, "nobody@test.local"] {
            for _ in 0..3 {
                assert_eq!(code(&login(&app, email, "wrong-password").await), Some("UNAUTHENTICATED"));
            }
            // The fourth attempt must wait a second, even with the right password.
            let res = login(&app, email, ADMIN_PASSWORD).await;
            assert_eq!(code(&res), Some("RATE_LIMITED"), "{email}: {res}");
            assert_eq!(res["errors"][0]["extensions"]["retryAfter"], 1, "{res}");
            assert_eq!(res["errors"][0]["message"], "too many failed sign-in attempts: try again in 1 seconds");
            app.clock.advance(chrono::Duration::seconds(1));
            assert_eq!(code(&login(&app, email, "wrong-password").await), Some("UNAUTHENTICATED"));
            let res = login(&app, email, "wrong-password").await;
            assert_eq!(res["errors"][0]["extensions"]["retryAfter"], 2, "then two: {res}");
            app.clock.advance(chrono::Duration::seconds(2));
            assert_eq!(code(&login(&app, email, "wrong-password").await), Some("UNAUTHENTICATED"));
            // Five failures: locked for the whole window.
            let res = login(&app, email, ADMIN_PASSWORD).await;
            assert_eq!(code(&res), Some("RATE_LIMITED"), "{res}");
            assert_eq!(res["errors"][0]["extensions"]["retryAfter"], 900, "{res}");
        }
        // The lockout of the real account is audited.
        let audit = app.gql("{ auditLog(first: 5, filter: { action: \"auth.lockout\" }) { totalCount edges { node { after } } } }", json!({})).await;
        assert_eq!(audit["data"]["auditLog"]["totalCount"], 1, "{audit}");
        assert!(!audit.to_string().contains(ADMIN_EMAIL), "the email is masked: {audit}");
        // After the window the right password works again.
        app.clock.advance(chrono::Duration::seconds(900));
        assert!(login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await["errors"].is_null());
    }

    async fn a_successful_login_clears_the_emails_failures(app, |c: &mut Config| {
        c.login_delay_after_failures = 3;
        c.login_lockout_after_failures = 5;
    }) {
        for _ in 0..2 {
            assert_eq!(code(&login(&app, ADMIN_EMAIL, "wrong-password").await), Some("UNAUTHENTICATED"));
        }
        assert!(login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await["errors"].is_null());
        // Counting starts again: three failures before any wait.
        for _ in 0..3 {
            assert_eq!(code(&login(&app, ADMIN_EMAIL, "wrong-password").await), Some("UNAUTHENTICATED"));
        }
        assert_eq!(code(&login(&app, ADMIN_EMAIL, "wrong-password").await), Some("RATE_LIMITED"));
    }

    async fn one_ip_failing_on_many_emails_is_locked_out(app, |c: &mut Config| {
        c.login_ip_lockout_after_failures = 4;
    }) {
        for i in 0..4 {
            let res = login(&app, &format!("guess{i}@test.local"), "wrong-password").await;
            assert_eq!(code(&res), Some("UNAUTHENTICATED"), "{res}");
        }
        let res = login(&app, "guess9@test.local", "wrong-password").await;
        assert_eq!(code(&res), Some("RATE_LIMITED"), "{res}");
        assert!(res["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 800);
    }
}

mod postgres_redis_instances {
    use super::*;

    /// Two instances on one database and one Redis: requests split
    /// between them spend one shared budget.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_limit_holds_across_two_instances_sharing_redis() {
        let Some(owner) = crate::helpers::spawn_app(Backend::Postgres).await else { return };
        if !crate::helpers::redis_available().await {
            return;
        }
        let mut config = crate::helpers::test_config(&owner.database_url);
        config.redis_url = Some(crate::helpers::redis_url());
        config.rate_limit_ip_per_minute = 1;
        config.rate_limit_ip_burst = 6;
        let a = crate::helpers::spawn_with(config.clone(), Backend::Postgres).await;
        let b = crate::helpers::spawn_with(config, Backend::Postgres).await;
        // Each start signed the admin in: two of the six are spent.
        let mut passed = 0;
        let mut refused = None;
        for i in 0..10 {
            let app = if i % 2 == 0 { &a } else { &b };
            let (status, retry, body) = count(app, Some(&app.token()), None).await;
            if status == 200 {
                passed += 1;
            } else {
                assert_rate_limited(status, retry, &body);
                refused.get_or_insert(i);
            }
        }
        assert_eq!(passed, 4, "one budget of six for both instances, not six each");
        assert_eq!(refused, Some(4));
        drop((a, b));
        drop(owner);
    }
}
