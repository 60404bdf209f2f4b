//! Wallets over GraphQL: deposits, FIFO withdrawals, virtual credits and
//! their expiry, adjustments, points, idempotency keys, the ledger, and the
//! ledger's invariants under concurrency.

use std::collections::HashSet;

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code, count_of, field, spawn_app_with};

pub const MOVEMENT: &str = "replayed transaction { id code type amount points realBalanceBefore realBalanceAfter \
     virtualBalanceBefore virtualBalanceAfter pointsBefore pointsAfter source reference note actor idempotencyKey \
     credits { creditId amount } } wallet { realBalance virtualBalance totalBalance points totalDeposited totalWithdrawn }";

/// Runs a wallet mutation (`deposit`, `withdraw`, …) with `input` as `token`.
pub async fn wallet_op(app: &TestApp, token: &str, op: &str, input: Value) -> Value {
    let input_type = match op {
        "deposit" => "DepositInput",
        "withdraw" => "WithdrawInput",
        "issueVirtualCredit" => "IssueVirtualCreditInput",
        "adjustWallet" => "AdjustWalletInput",
        "earnPoints" | "redeemPoints" => "PointsInput",
        other => panic!("unknown wallet operation {other}"),
    };
    app.gql_as(
        Some(token),
        &format!("mutation($i: {input_type}!) {{ {op}(input: $i) {{ {MOVEMENT} }} }}"),
        json!({ "i": input }),
    )
    .await
}

/// The same, as the admin; panics on an error.
async fn ok(app: &TestApp, op: &str, input: Value) -> Value {
    let res = wallet_op(app, &app.token(), op, input).await;
    assert!(res["errors"].is_null(), "{op}: {res}");
    res["data"][op].clone()
}

async fn wallet(app: &TestApp, customer_id: &str) -> Value {
    let res = app
        .gql(
            "query($c: ID!) { wallet(customerId: $c) { realBalance virtualBalance totalBalance points totalDeposited \
             totalWithdrawn virtualCredits { id amount remaining status reason sourceReference expiresAt } } }",
            json!({ "c": customer_id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["wallet"].clone()
}

async fn ledger_len(app: &TestApp, customer_id: &str) -> i64 {
    let res = app
        .gql("query($c: ID!) { wallet(customerId: $c) { transactions { totalCount } } }", json!({ "c": customer_id }))
        .await;
    res["data"]["wallet"]["transactions"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{res}"))
}

async fn new_customer(app: &TestApp, phone: &str) -> String {
    app.customer("Lê Văn Ví", phone).await["id"].as_str().unwrap().to_owned()
}

/// Checks the ledger against the wallets with SQL: every balance equals the
/// sum of its ledger deltas, each row starts where the previous one of its
/// wallet ended, nothing is negative, the virtual balance equals the active
/// credits, and each idempotency key appears once. Returns the ledger size.
pub async fn assert_ledger_invariants(app: &TestApp) -> i64 {
    let db = app.ctx.db.conn();
    let one = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    let scalar = |row: Option<sea_orm::QueryResult>| -> i64 { row.unwrap().try_get_by_index::<i64>(0).unwrap() };
    let broken_sums = scalar(
        db.query_one_raw(one(
            "SELECT COUNT(*) FROM wallets w LEFT JOIN (SELECT wallet_id, SUM(real_after - real_before) AS r, \
             SUM(virtual_after - virtual_before) AS v, SUM(points_after - points_before) AS p \
             FROM wallet_transactions GROUP BY wallet_id) t ON t.wallet_id = w.id \
             WHERE w.real_balance <> COALESCE(t.r, 0) OR w.virtual_balance <> COALESCE(t.v, 0) \
             OR w.points <> COALESCE(t.p, 0) OR w.real_balance < 0 OR w.virtual_balance < 0 OR w.points < 0",
        ))
        .await
        .unwrap(),
    );
    assert_eq!(broken_sums, 0, "wallets whose balances differ from the sum of their ledger");
    let broken_chain = scalar(
        db.query_one_raw(one("SELECT COUNT(*) FROM (SELECT real_before, virtual_before, points_before, \
             LAG(real_after) OVER (PARTITION BY wallet_id ORDER BY id) AS pr, \
             LAG(virtual_after) OVER (PARTITION BY wallet_id ORDER BY id) AS pv, \
             LAG(points_after) OVER (PARTITION BY wallet_id ORDER BY id) AS pp \
             FROM wallet_transactions) x \
             WHERE pr IS NOT NULL AND (real_before <> pr OR virtual_before <> pv OR points_before <> pp)"))
            .await
            .unwrap(),
    );
    assert_eq!(broken_chain, 0, "ledger rows that do not start where the previous one ended (a lost update)");
    let virtual_mismatch = scalar(
        db.query_one_raw(one(
            "SELECT COUNT(*) FROM wallets w WHERE w.virtual_balance <> COALESCE((SELECT SUM(remaining) \
             FROM virtual_credits c WHERE c.wallet_id = w.id AND c.status = 'ACTIVE'), 0)",
        ))
        .await
        .unwrap(),
    );
    assert_eq!(virtual_mismatch, 0, "wallets whose virtual balance differs from their active credits");
    let dup_keys = scalar(
        db.query_one_raw(one("SELECT COUNT(*) FROM (SELECT idempotency_key FROM wallet_transactions \
             WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key HAVING COUNT(*) > 1) d"))
            .await
            .unwrap(),
    );
    assert_eq!(dup_keys, 0, "idempotency keys applied more than once");
    scalar(db.query_one_raw(one("SELECT COUNT(*) FROM wallet_transactions")).await.unwrap())
}

crate::on_both! {
    async fn a_withdrawal_spends_the_earliest_expiring_credit_first_then_real_money(app) {
        let c = new_customer(&app, "0901000001").await;
        let d = ok(&app, "deposit", json!({ "customerId": c, "amount": "100000", "reference": "cash" })).await;
        assert_eq!(d["replayed"], false);
        assert_eq!(d["transaction"]["type"], "DEPOSIT");
        assert_eq!(d["transaction"]["source"], "MANUAL");
        assert!(d["transaction"]["code"].as_str().unwrap().starts_with("TRX-"), "{d}");
        assert_eq!(d["wallet"]["realBalance"], "100000");
        let late = ok(&app, "issueVirtualCredit",
            json!({ "customerId": c, "amount": "30000", "reason": "late delivery", "lifetimeDays": 10 })).await;
        let soon = ok(&app, "issueVirtualCredit",
            json!({ "customerId": c, "amount": "20000", "reason": "broken item", "sourceReference": "TV-2026-00001", "lifetimeDays": 5 })).await;
        assert_eq!(soon["wallet"]["virtualBalance"], "50000");
        assert_eq!(soon["transaction"]["type"], "CREDIT_ISSUED");
        let soon_id = soon["transaction"]["credits"][0]["creditId"].clone();
        let late_id = late["transaction"]["credits"][0]["creditId"].clone();

        let w = ok(&app, "withdraw", json!({ "customerId": c, "amount": "60000", "reference": "ORD-1" })).await;
        let t = &w["transaction"];
        assert_eq!(t["type"], "WITHDRAW");
        assert_eq!(t["credits"], json!([{ "creditId": soon_id, "amount": "20000" }, { "creditId": late_id, "amount": "30000" }]));
        assert_eq!((t["virtualBalanceBefore"].as_str(), t["virtualBalanceAfter"].as_str()), (Some("50000"), Some("0")));
        assert_eq!((t["realBalanceBefore"].as_str(), t["realBalanceAfter"].as_str()), (Some("100000"), Some("90000")));
        assert_eq!(w["wallet"], json!({ "realBalance": "90000", "virtualBalance": "0", "totalBalance": "90000",
            "points": 0, "totalDeposited": "100000", "totalWithdrawn": "60000" }));
        let credits = wallet(&app, &c).await["virtualCredits"].clone();
        assert!(credits.as_array().unwrap().iter().all(|c| c["status"] == "USED" && c["remaining"] == "0"), "{credits}");

        // A partial spend leaves the credit active with the rest.
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "10000", "reason": "goodwill" })).await;
        let w = ok(&app, "withdraw", json!({ "customerId": c, "amount": "4000" })).await;
        assert_eq!(w["wallet"]["virtualBalance"], "6000");
        assert_eq!(w["wallet"]["realBalance"], "90000");
        assert_eq!(assert_ledger_invariants(&app).await, 6);
    }

    async fn insufficient_funds_names_what_is_available_and_changes_nothing(app) {
        let c = new_customer(&app, "0901000002").await;
        ok(&app, "deposit", json!({ "customerId": c, "amount": "5000" })).await;
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "2000", "reason": "promo" })).await;
        let mut events = app.ctx.bus.subscribe().0;
        let before = wallet(&app, &c).await;
        let res = wallet_op(&app, &app.token(), "withdraw", json!({ "customerId": c, "amount": "7001" })).await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["available"], "7000");
        assert!(res["data"].is_null(), "{res}");
        assert_eq!(wallet(&app, &c).await, before);
        assert_eq!(ledger_len(&app, &c).await, 2);
        assert!(events.try_recv().is_err(), "a refused withdrawal published an event");
        // Exactly everything is fine.
        let w = ok(&app, "withdraw", json!({ "customerId": c, "amount": "7000" })).await;
        assert_eq!(w["wallet"]["totalBalance"], "0");
    }

    async fn bad_amounts_and_inputs_are_refused_with_the_field(app) {
        let c = new_customer(&app, "0901000003").await;
        for amount in ["0", "-5", "1000000000000001"] {
            let res = wallet_op(&app, &app.token(), "deposit", json!({ "customerId": c, "amount": amount })).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{amount}: {res}");
            assert_eq!(field(&res), Some("input.amount"), "{amount}: {res}");
        }
        // Not an exact amount of the currency (VND has no decimals), not a
        // number, a JSON number, or beyond 64 bits: refused by the scalar.
        for amount in [json!("1.5"), json!("1e6"), json!("abc"), json!(1000), json!("99999999999999999999")] {
            let res = wallet_op(&app, &app.token(), "deposit", json!({ "customerId": c, "amount": amount })).await;
            assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{amount}: {res}");
            assert!(res["errors"][0]["message"].as_str().unwrap().contains("\"Money\""), "{res}");
        }
        let res = wallet_op(&app, &app.token(), "issueVirtualCredit",
            json!({ "customerId": c, "amount": "100", "reason": "  " })).await;
        assert_eq!(field(&res), Some("input.reason"), "{res}");
        let res = wallet_op(&app, &app.token(), "issueVirtualCredit",
            json!({ "customerId": c, "amount": "100", "reason": "x", "lifetimeDays": 0 })).await;
        assert_eq!(field(&res), Some("input.lifetimeDays"), "{res}");
        let res = wallet_op(&app, &app.token(), "deposit", json!({ "customerId": "999999", "amount": "100" })).await;
        assert_eq!(code(&res), Some("NOT_FOUND"), "{res}");
        let res = wallet_op(&app, &app.token(), "deposit", json!({ "customerId": "abc", "amount": "100" })).await;
        assert_eq!(field(&res), Some("input.customerId"), "{res}");
        assert_eq!(ledger_len(&app, &c).await, 0);
    }

    async fn an_idempotency_key_applies_once_and_refuses_a_different_request(app) {
        let c = new_customer(&app, "0901000004").await;
        let input = json!({ "customerId": c, "amount": "25000", "idempotencyKey": "pos-42" });
        let first = ok(&app, "deposit", input.clone()).await;
        let again = ok(&app, "deposit", input.clone()).await;
        assert_eq!(again["replayed"], true);
        assert_eq!(again["transaction"], first["transaction"]);
        assert_eq!(again["wallet"]["realBalance"], "25000");
        let res = wallet_op(&app, &app.token(), "deposit",
            json!({ "customerId": c, "amount": "26000", "idempotencyKey": "pos-42" })).await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");
        assert_eq!(field(&res), Some("input.idempotencyKey"));
        let res = wallet_op(&app, &app.token(), "withdraw",
            json!({ "customerId": c, "amount": "25000", "idempotencyKey": "pos-42" })).await;
        assert_eq!(code(&res), Some("CONFLICT"), "{res}");

        // Twenty simultaneous retries of one withdrawal: one applies.
        let input = json!({ "customerId": c, "amount": "1000", "idempotencyKey": "pos-43" });
        let admin = app.token();
        let results = join_all((0..20).map(|_| wallet_op(&app, &admin, "withdraw", input.clone()))).await;
        let codes: HashSet<_> = results.iter().map(|r| r["data"]["withdraw"]["transaction"]["code"].clone()).collect();
        assert_eq!(codes.len(), 1, "{results:?}");
        assert_eq!(results.iter().filter(|r| r["data"]["withdraw"]["replayed"] == false).count(), 1);
        assert_eq!(wallet(&app, &c).await["realBalance"], "24000");
        assert_eq!(assert_ledger_invariants(&app).await, 2);
    }

    async fn adjustments_need_a_manager_and_a_reason(app) {
        let c = new_customer(&app, "0901000005").await;
        let (_, agent) = app.staff("AGENT").await;
        let (_, manager) = app.staff("MANAGER").await;
        let res = wallet_op(&app, &agent, "adjustWallet", json!({ "customerId": c, "amount": "100", "reason": "x" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = wallet_op(&app, &manager, "adjustWallet", json!({ "customerId": c, "amount": "100", "reason": "" })).await;
        assert_eq!(field(&res), Some("input.reason"), "{res}");
        let res = wallet_op(&app, &manager, "adjustWallet",
            json!({ "customerId": c, "amount": "5000", "reason": "opening balance from the old system" })).await;
        let t = &res["data"]["adjustWallet"]["transaction"];
        assert_eq!(t["type"], "ADJUSTMENT");
        assert_eq!(t["note"], "opening balance from the old system");
        let res = wallet_op(&app, &manager, "adjustWallet",
            json!({ "customerId": c, "amount": "-6000", "reason": "typo" })).await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        let res = wallet_op(&app, &manager, "adjustWallet",
            json!({ "customerId": c, "amount": "-2000", "reason": "typo" })).await;
        assert_eq!(res["data"]["adjustWallet"]["wallet"]["realBalance"], "3000", "{res}");
        assert_eq!(res["data"]["adjustWallet"]["transaction"]["amount"], "2000");
    }

    async fn points_are_earned_and_redeemed_on_their_own_counter(app) {
        let c = new_customer(&app, "0901000006").await;
        let e = ok(&app, "earnPoints", json!({ "customerId": c, "points": 120, "reference": "ORD-7" })).await;
        assert_eq!(e["transaction"]["type"], "POINTS_EARNED");
        assert_eq!(e["transaction"]["points"], 120);
        assert_eq!(e["transaction"]["amount"], "0");
        let res = wallet_op(&app, &app.token(), "redeemPoints", json!({ "customerId": c, "points": 121 })).await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["available"], "120");
        let r = ok(&app, "redeemPoints", json!({ "customerId": c, "points": 100 })).await;
        assert_eq!(r["wallet"]["points"], 20);
        assert_eq!(r["wallet"]["realBalance"], "0");
        let res = wallet_op(&app, &app.token(), "earnPoints", json!({ "customerId": c, "points": 0 })).await;
        assert_eq!(field(&res), Some("input.points"), "{res}");
        assert_eq!(assert_ledger_invariants(&app).await, 2);
    }

    async fn the_ledger_is_a_filtered_connection_and_each_movement_is_in_timeline_and_audit(app) {
        let c = new_customer(&app, "0901000007").await;
        for i in 1..=5 {
            ok(&app, "deposit", json!({ "customerId": c, "amount": format!("{}", i * 1000),
                "source": if i % 2 == 0 { "BANK_TRANSFER" } else { "MANUAL" } })).await;
        }
        ok(&app, "withdraw", json!({ "customerId": c, "amount": "500" })).await;
        app.advance(chrono::Duration::days(3)).await;
        ok(&app, "earnPoints", json!({ "customerId": c, "points": 5 })).await;
        let q = "query($c: ID!, $f: WalletTransactionFilter, $after: String) { wallet(customerId: $c) { \
                 transactions(first: 2, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } \
                 edges { node { code type source amount } } } } }";
        let page = app.gql(q, json!({ "c": c, "f": { "types": ["DEPOSIT"] } })).await;
        let conn = &page["data"]["wallet"]["transactions"];
        assert_eq!(conn["totalCount"], 5, "{page}");
        assert_eq!(conn["edges"][0]["node"]["amount"], "5000", "newest first");
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        let next = app.gql(q, json!({ "c": c, "f": { "types": ["DEPOSIT"] }, "after": conn["pageInfo"]["endCursor"] })).await;
        assert_eq!(next["data"]["wallet"]["transactions"]["edges"][0]["node"]["amount"], "3000", "{next}");
        let bank = app.gql(q, json!({ "c": c, "f": { "sources": ["BANK_TRANSFER"] } })).await;
        assert_eq!(bank["data"]["wallet"]["transactions"]["totalCount"], 2);
        let recent = app.gql(q, json!({ "c": c, "f": { "from": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339() } })).await;
        assert_eq!(recent["data"]["wallet"]["transactions"]["totalCount"], 1, "{recent}");
        assert_eq!(recent["data"]["wallet"]["transactions"]["edges"][0]["node"]["type"], "POINTS_EARNED");

        let timeline = app.gql("query($c: ID!) { customer(id: $c) { timeline(first: 3) { edges { node { kind summary } } } } }",
            json!({ "c": c })).await;
        let kinds: Vec<_> = timeline["data"]["customer"]["timeline"]["edges"].as_array().unwrap()
            .iter().map(|e| e["node"]["kind"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds, ["wallet.points_earned", "wallet.withdrawn", "wallet.deposited"]);
        let audit = count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'wallet_transaction'").await;
        assert_eq!(audit, 7);
        let verify = app.gql("{ verifyAuditChain { valid } }", json!({})).await;
        assert_eq!(verify["data"]["verifyAuditChain"]["valid"], true, "{verify}");
    }

    async fn agents_move_money_only_for_their_own_customers(app) {
        let (agent_id, agent) = app.staff("AGENT").await;
        let (_, viewer) = app.staff("VIEWER").await;
        let theirs = app.gql("mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Của Agent", "phone": "0901000008", "assignedAgentId": agent_id } })).await;
        let theirs = theirs["data"]["createCustomer"]["id"].as_str().unwrap().to_owned();
        let other = new_customer(&app, "0901000009").await;
        let res = wallet_op(&app, &agent, "deposit", json!({ "customerId": theirs, "amount": "100" })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["deposit"]["transaction"]["actor"], format!("user:{agent_id}"));
        let res = wallet_op(&app, &agent, "deposit", json!({ "customerId": other, "amount": "100" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = wallet_op(&app, &viewer, "deposit", json!({ "customerId": other, "amount": "100" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&agent), "query($c: ID!) { wallet(customerId: $c) { realBalance } }", json!({ "c": other })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        assert_eq!(ledger_len(&app, &other).await, 0);
    }

    async fn movements_publish_wallet_events_after_commit(app) {
        let c = new_customer(&app, "0901000010").await;
        let mut events = app.ctx.bus.subscribe().0;
        ok(&app, "deposit", json!({ "customerId": c, "amount": "9000" })).await;
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "1000", "reason": "sorry" })).await;
        ok(&app, "withdraw", json!({ "customerId": c, "amount": "2000" })).await;
        let mut kinds = Vec::new();
        while let Ok(Ok(e)) = tokio::time::timeout(std::time::Duration::from_secs(2), events.recv()).await {
            assert_eq!(e.customer_id, Some(c.parse().unwrap()));
            kinds.push(e.kind);
            if kinds.len() == 4 {
                break;
            }
        }
        assert_eq!(kinds, ["wallet.deposited", "wallet.credit_issued", "wallet.withdrawn", "wallet.credit_used"]);
    }

    async fn the_admin_expiry_run_expires_overdue_credits_once(app) {
        let c = new_customer(&app, "0901000011").await;
        ok(&app, "deposit", json!({ "customerId": c, "amount": "1000" })).await;
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "3000", "reason": "a", "lifetimeDays": 1 })).await;
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "4000", "reason": "b", "lifetimeDays": 15 })).await;
        ok(&app, "withdraw", json!({ "customerId": c, "amount": "1000" })).await; // 1000 from the 1-day credit
        let run = "mutation { runCreditExpiry { credits amount wallets } }";
        let (_, manager) = app.staff("MANAGER").await;
        assert_eq!(code(&app.gql_as(Some(&manager), run, json!({})).await), Some("FORBIDDEN"));
        let none = app.gql(run, json!({})).await;
        assert_eq!(none["data"]["runCreditExpiry"], json!({ "credits": 0, "amount": "0", "wallets": 0 }), "{none}");

        app.advance(chrono::Duration::days(2)).await;
        let res = app.gql(run, json!({})).await;
        assert_eq!(res["data"]["runCreditExpiry"], json!({ "credits": 1, "amount": "2000", "wallets": 1 }), "{res}");
        let w = wallet(&app, &c).await;
        assert_eq!(w["virtualBalance"], "4000");
        assert_eq!(w["realBalance"], "1000");
        let statuses: Vec<_> = w["virtualCredits"].as_array().unwrap().iter().map(|c| c["status"].clone()).collect();
        assert_eq!(statuses, [json!("EXPIRED"), json!("ACTIVE")]);
        let expired = app.gql("query($c: ID!) { wallet(customerId: $c) { transactions(filter: { types: [CREDIT_EXPIRED] }) \
            { edges { node { amount actor source virtualBalanceBefore virtualBalanceAfter } } } } }", json!({ "c": c })).await;
        assert_eq!(expired["data"]["wallet"]["transactions"]["edges"][0]["node"],
            json!({ "amount": "2000", "actor": "system", "source": "SYSTEM", "virtualBalanceBefore": "6000", "virtualBalanceAfter": "4000" }));
        let again = app.gql(run, json!({})).await;
        assert_eq!(again["data"]["runCreditExpiry"]["credits"], 0);
        assert_eq!(assert_ledger_invariants(&app).await, 5);
    }

    async fn a_credit_past_its_date_is_never_spent_even_before_the_job_runs(app) {
        let c = new_customer(&app, "0901000012").await;
        ok(&app, "deposit", json!({ "customerId": c, "amount": "500" })).await;
        ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "3000", "reason": "a", "lifetimeDays": 1 })).await;
        app.advance(chrono::Duration::hours(25)).await;
        let res = wallet_op(&app, &app.token(), "withdraw", json!({ "customerId": c, "amount": "600" })).await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["available"], "500");
        let w = ok(&app, "withdraw", json!({ "customerId": c, "amount": "500" })).await;
        assert_eq!(w["transaction"]["credits"], json!([]));
        assert_eq!(w["wallet"]["virtualBalance"], "0");
        // The expiry was written before the withdrawal, by the system.
        let types = app.gql("query($c: ID!) { wallet(customerId: $c) { transactions { edges { node { type } } } } }",
            json!({ "c": c })).await;
        let types: Vec<_> = types["data"]["wallet"]["transactions"]["edges"].as_array().unwrap()
            .iter().map(|e| e["node"]["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(types, ["WITHDRAW", "CREDIT_EXPIRED", "CREDIT_ISSUED", "DEPOSIT"]);
        assert_eq!(assert_ledger_invariants(&app).await, 4);
    }

    async fn concurrent_movements_keep_every_ledger_invariant(app) {
        // Four wallets, hammered at once through the API: deposits,
        // withdrawals (some refused), credit issues, retries of the same
        // idempotency key, and expiry runs racing with withdrawals that
        // expire the same credits.
        let mut customers = Vec::new();
        for i in 0..4 {
            customers.push(new_customer(&app, &format!("09020000{i:02}")).await);
        }
        for c in &customers {
            for _ in 0..3 {
                ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "700", "reason": "old", "lifetimeDays": 1 })).await;
            }
        }
        app.advance(chrono::Duration::days(2)).await; // those 12 credits are now overdue
        let mut calls = Vec::new();
        for i in 0..160usize {
            let c = &customers[i % customers.len()];
            let (op, input) = match i % 8 {
                0..=2 => ("deposit", json!({ "customerId": c, "amount": format!("{}", 1000 + i * 7), "idempotencyKey": format!("d-{i}") })),
                3..=4 => ("withdraw", json!({ "customerId": c, "amount": format!("{}", 1500 + i * 3), "idempotencyKey": format!("w-{i}") })),
                5 => ("issueVirtualCredit", json!({ "customerId": c, "amount": "900", "reason": "r", "idempotencyKey": format!("v-{i}") })),
                6 => ("withdraw", json!({ "customerId": c, "amount": "400" })),
                _ => ("deposit", json!({ "customerId": c, "amount": "300", "idempotencyKey": format!("d-{}", i - 7) })),
            };
            calls.push((op, input));
        }
        // The last kind repeats an earlier deposit's key with a different
        // amount: CONFLICT, or applied if it won the race; every retry below
        // repeats a request exactly.
        let retries: Vec<_> = calls.iter().filter(|(op, i)| *op == "deposit" && i["amount"] != "300").take(20).cloned().collect();
        calls.extend(retries);
        let expiry = (0..6).map(|_| app.gql("mutation { runCreditExpiry { credits } }", json!({})));
        let admin = app.token();
        let ops = calls.iter().map(|(op, input)| wallet_op(&app, &admin, op, input.clone()));
        let (results, expiries) = tokio::join!(join_all(ops), join_all(expiry));

        let mut applied = 0;
        for ((op, _), res) in calls.iter().zip(&results) {
            match code(res) {
                None => {
                    if res["data"][op]["replayed"] == false {
                        applied += 1;
                    }
                }
                Some("INSUFFICIENT_FUNDS") | Some("CONFLICT") => {}
                Some(other) => panic!("{op}: unexpected {other}: {res}"),
            }
        }
        for e in &expiries {
            assert!(code(e).is_none() || code(e) == Some("CONFLICT"), "{e}");
        }
        let rows = assert_ledger_invariants(&app).await;
        let expired = count_of(&app, "SELECT COUNT(*) FROM wallet_transactions WHERE kind = 'CREDIT_EXPIRED'").await;
        assert_eq!(expired, 12, "each overdue credit expires exactly once");
        assert_eq!(rows, 12 + expired + applied, "one ledger row per applied call (12 setup credits)");
        let keys = count_of(&app, "SELECT COUNT(DISTINCT idempotency_key) FROM wallet_transactions WHERE idempotency_key IS NOT NULL").await;
        let succeeded: HashSet<_> = calls.iter().zip(&results)
            .filter(|(_, res)| code(res).is_none())
            .filter_map(|((_, i), _)| i["idempotencyKey"].as_str())
            .collect();
        assert_eq!(keys as usize, succeeded.len(), "every key that succeeded is in the ledger exactly once");
    }
}

async fn the_hourly_schedule_expires_credits_when_the_clock_passes_the_hour(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.jobs_enabled = true).await else { return };
    let c = new_customer(&app, "0901000013").await;
    ok(&app, "issueVirtualCredit", json!({ "customerId": c, "amount": "3000", "reason": "a", "lifetimeDays": 1 }))
        .await;
    // No real waiting for an hour: the scheduler reads the server's
    // clock, which the test moves past the expiry and the next full hour.
    app.advance(chrono::Duration::hours(26)).await;
    let mut expired = false;
    for _ in 0..100 {
        if wallet(&app, &c).await["virtualBalance"] == "0" {
            expired = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(expired, "the scheduled expiry did not run");
    assert_eq!(count_of(&app, "SELECT COUNT(*) FROM wallet_transactions WHERE kind = 'CREDIT_EXPIRED'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_hourly_schedule_expires_credits_when_the_clock_passes_the_hour() {
    the_hourly_schedule_expires_credits_when_the_clock_passes_the_hour(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_hourly_schedule_expires_credits_when_the_clock_passes_the_hour() {
    the_hourly_schedule_expires_credits_when_the_clock_passes_the_hour(Backend::Postgres).await;
}
