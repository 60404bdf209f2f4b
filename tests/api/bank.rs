//! Bank transfers: the SePay webhook (secret, body checks, exactly once),
//! matching by transfer code and phone, PENDING and UNLINKED transfers
//! settled by a person, unlinking with the reversal of the deposit, the
//! daily statistics, and what an AGENT sees.
//!
//! These servers run with a webhook secret, which the shared test
//! configuration does not set: see [`spawn`].

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{self, Backend, TestApp, code, field};

const SECRET: &str = "bank-webhook-secret-for-tests";

const TRANSFER: &str = "id providerId gateway accountNumber direction amount content referenceCode transferredAt \
     receivedAt status matchMethod candidates customerId customer { id name phone transferCode } \
     depositTransaction { code type amount source reference } linkedBy linkedAt";

/// Starts a server whose bank webhook accepts [`SECRET`] on a fresh
/// database; `None` when PostgreSQL is wanted but unavailable.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    helpers::spawn_app_with(backend, |c| c.bank_webhook_secret = Some(SECRET.to_owned().into())).await
}

/// Like `on_both!`, on servers from [`spawn`].
macro_rules! bank_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = super::spawn(Backend::Sqlite).await.unwrap();
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($app) = super::spawn(Backend::Postgres).await else { return };
                    $body
                }
            )*
        }
    };
}

/// Now, as SePay writes it: business-local (Asia/Ho_Chi_Minh, UTC+7).
fn local_now() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A SePay body for an incoming transfer.
fn sepay(id: i64, content: &str, amount: i64) -> Value {
    json!({
        "id": id, "gateway": "Vietcombank", "transactionDate": local_now(), "accountNumber": "0123499999",
        "code": null, "content": content, "transferType": "in", "transferAmount": amount,
        "accumulated": 19_077_000, "subAccount": null, "referenceCode": format!("MBVCB.{id}"), "description": "",
    })
}

/// Posts a raw body to the webhook with these headers; (status, JSON).
async fn post_raw(app: &TestApp, headers: &[(&str, &str)], body: String) -> (u16, Value) {
    let mut req = app.http.post(app.url("/webhooks/bank")).header("content-type", "application/json").body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("POST /webhooks/bank");
    let status = res.status().as_u16();
    (status, res.json().await.expect("a JSON answer"))
}

/// Posts `body` with the right secret; (status, JSON).
async fn hook(app: &TestApp, body: &Value) -> (u16, Value) {
    post_raw(app, &[("authorization", &format!("Apikey {SECRET}"))], body.to_string()).await
}

/// Posts `body` and expects it to be stored; returns the transfer's id.
async fn received(app: &TestApp, body: &Value) -> String {
    let (status, res) = hook(app, body).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["success"], true, "{res}");
    assert!(res["duplicate"].is_null(), "{res}");
    res["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

async fn transfer(app: &TestApp, id: &str) -> Value {
    let res =
        app.gql(&format!("query($id: ID!) {{ bankTransfer(id: $id) {{ {TRANSFER} }} }}"), json!({ "id": id })).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["bankTransfer"].clone()
}

async fn count(app: &TestApp) -> i64 {
    let res = app.gql("{ bankTransfers { totalCount } }", json!({})).await;
    res["data"]["bankTransfers"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{res}"))
}

/// The real balance and the ledger (newest first) of a customer's wallet.
async fn wallet(app: &TestApp, customer_id: &Value) -> (String, Vec<Value>) {
    let res = app
        .gql(
            "query($c: ID!) { wallet(customerId: $c) { realBalance \
             transactions(first: 50) { edges { node { type amount source reference } } } } }",
            json!({ "c": customer_id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let w = &res["data"]["wallet"];
    let ledger = w["transactions"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    (w["realBalance"].as_str().unwrap().to_owned(), ledger)
}

async fn transfer_code(app: &TestApp, customer_id: &Value) -> String {
    let res = app.gql("query($id: ID!) { customer(id: $id) { transferCode } }", json!({ "id": customer_id })).await;
    res["data"]["customer"]["transferCode"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

const LINK: &str = "mutation($id: ID!, $p: String!, $d: Boolean) { linkBankTransfer(id: $id, phone: $p, autoDeposit: $d) { id status matchMethod customer { id phone } depositTransaction { amount source } } }";
const RESOLVE: &str = "mutation($id: ID!, $c: ID!) { resolvePendingTransfer(id: $id, customerId: $c) { id status matchMethod customer { id } depositTransaction { amount source } } }";
const UNLINK: &str = "mutation($id: ID!, $r: String!) { unlinkBankTransfer(id: $id, reason: $r) { id status customer { id } depositTransaction { code } } }";

bank_tests! {
    async fn the_webhook_refuses_a_wrong_or_missing_secret_and_stores_nothing(app) {
        let body = sepay(1, "chuyen tien 0901234567", 100_000).to_string();
        let wrong_apikey = format!("Apikey {SECRET}x");
        let bearer = format!("Bearer {SECRET}");
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![],
            vec![("authorization", wrong_apikey.as_str())],
            vec![("authorization", "Apikey ")],
            vec![("authorization", bearer.as_str())],
            vec![("x-webhook-secret", "nope")],
        ];
        for headers in cases {
            let (status, res) = post_raw(&app, &headers, body.clone()).await;
            assert_eq!(status, 401, "{headers:?}: {res}");
            assert_eq!(res["success"], false);
            assert_eq!(res["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{res}");
        }
        assert_eq!(count(&app).await, 0, "nothing stored");
        let none = app.gql("{ customerByPhone(phone: \"0901234567\") { id } }", json!({})).await;
        assert!(none["data"]["customerByPhone"].is_null(), "no customer created: {none}");

        let (status, res) = post_raw(&app, &[("x-webhook-secret", SECRET)], body.clone()).await;
        assert_eq!((status, res["success"].clone()), (200, json!(true)), "{res}");
        assert_eq!(count(&app).await, 1);

        // A server with no secret configured refuses every call.
        let unconfigured = helpers::spawn_app(app.backend).await.unwrap();
        let (status, res) = post_raw(&unconfigured, &[("authorization", &format!("Apikey {SECRET}"))], body).await;
        assert_eq!(status, 401, "{res}");
        assert_eq!(count(&unconfigured).await, 0);
    }

    async fn a_body_that_is_not_a_transfer_is_a_400_and_stores_nothing(app) {
        let mut no_id = sepay(1, "x", 1000);
        no_id.as_object_mut().unwrap().remove("id");
        let cases = [
            ("{\"id\": 1, ".to_owned(), "body"),
            ("[]".to_owned(), "body"),
            (no_id.to_string(), "id"),
            (sepay(2, "x", 0).to_string(), "transferAmount"),
            (sepay(3, "x", -500).to_string(), "transferAmount"),
            (json!({ "id": 4, "transferType": "in", "transferAmount": "lots" }).to_string(), "transferAmount"),
            (json!({ "id": 5, "transferType": "up", "transferAmount": 10 }).to_string(), "transferType"),
        ];
        for (body, expected) in cases {
            let (status, res) = post_raw(&app, &[("authorization", &format!("Apikey {SECRET}"))], body.clone()).await;
            assert_eq!(status, 400, "{body}: {res}");
            assert_eq!(res["success"], false);
            assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{res}");
            assert_eq!(res["errors"][0]["extensions"]["field"], expected, "{res}");
        }
        assert_eq!(count(&app).await, 0);
    }

    async fn a_transfer_code_in_the_content_links_and_deposits_at_once(app) {
        let c = app.customer("Nguyễn Văn An", "0901234567").await;
        let code = transfer_code(&app, &c["id"]).await;
        assert_eq!(code, format!("N2{:06}", c["id"].as_str().unwrap().parse::<i64>().unwrap()));
        // Lower case, glued to other words by dots, with another phone around:
        // the code wins.
        let id = received(&app, &sepay(92704, &format!("MBVCB.3278907687.{}.CT tu 0912345678", code.to_lowercase()), 2_277_000)).await;
        let t = transfer(&app, &id).await;
        assert_eq!(t["providerId"], "92704");
        assert_eq!(t["gateway"], "Vietcombank");
        assert_eq!(t["direction"], "IN");
        assert_eq!(t["amount"], "2277000");
        assert_eq!(t["status"], "LINKED");
        assert_eq!(t["matchMethod"], "TRANSFER_CODE");
        assert_eq!(t["candidates"], json!([]));
        assert_eq!(t["customer"]["id"], c["id"]);
        assert_eq!(t["customer"]["transferCode"], code);
        assert_eq!(t["linkedBy"], "system");
        assert!(t["linkedAt"].is_string());
        let deposit = &t["depositTransaction"];
        assert_eq!(deposit["type"], "DEPOSIT");
        assert_eq!(deposit["amount"], "2277000");
        assert_eq!(deposit["source"], "BANK_TRANSFER");
        assert_eq!(deposit["reference"], format!("bank_transfer:{id}"));
        let (balance, ledger) = wallet(&app, &c["id"]).await;
        assert_eq!(balance, "2277000");
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0]["source"], "BANK_TRANSFER");
        let other = app.gql("{ customerByPhone(phone: \"0912345678\") { id } }", json!({})).await;
        assert!(other["data"]["customerByPhone"].is_null(), "the phone was not used: {other}");
        let tl = app.gql("query($id: ID!) { customer(id: $id) { timeline { edges { node { kind summary } } } } }", json!({ "id": c["id"] })).await;
        let kinds: Vec<String> = tl["data"]["customer"]["timeline"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["kind"].as_str().unwrap().to_owned()).collect();
        assert!(kinds.contains(&"bank_transfer.linked".to_owned()) && kinds.contains(&"wallet.deposited".to_owned()), "{kinds:?}");
        let audit = app.gql("query($id: String) { auditLog(filter: { entityType: \"bank_transfer\", entityId: $id }) { edges { node { action actor } } } }", json!({ "id": id })).await;
        assert_eq!(audit["data"]["auditLog"]["edges"][0]["node"], json!({ "action": "bank_transfer.receive", "actor": "system" }), "{audit}");
    }

    async fn a_code_of_an_unknown_customer_falls_back_to_the_phone(app) {
        let id = received(&app, &sepay(7, "N2999999 sdt +84 912 345 678", 150_000)).await;
        let t = transfer(&app, &id).await;
        assert_eq!(t["status"], "LINKED");
        assert_eq!(t["matchMethod"], "PHONE");
        assert_eq!(t["customer"]["phone"], "+84912345678");
    }

    async fn a_single_phone_in_the_content_creates_the_customer_and_deposits(app) {
        let id = received(&app, &sepay(10, "nap tien vi sdt 0912.345.678 cam on", 500_000)).await;
        let t = transfer(&app, &id).await;
        assert_eq!(t["status"], "LINKED");
        assert_eq!(t["matchMethod"], "PHONE");
        assert_eq!(t["customer"]["phone"], "+84912345678");
        assert_eq!(t["customer"]["name"], "Customer 0912345678");
        assert_eq!(t["depositTransaction"]["amount"], "500000");
        let (balance, _) = wallet(&app, &t["customer"]["id"]).await;
        assert_eq!(balance, "500000");
        // The same phone written another way next time: the same customer.
        let id2 = received(&app, &sepay(11, "CK 84912345678", 20_000)).await;
        assert_eq!(transfer(&app, &id2).await["customer"]["id"], t["customer"]["id"]);
        let (balance, ledger) = wallet(&app, &t["customer"]["id"]).await;
        assert_eq!((balance.as_str(), ledger.len()), ("520000", 2));
    }

    async fn several_phones_make_the_transfer_pending_until_a_person_resolves_it(app) {
        let id = received(&app, &sepay(20, "ck cho 0901111111 hoac 0902222222", 300_000)).await;
        let t = transfer(&app, &id).await;
        assert_eq!(t["status"], "PENDING");
        assert_eq!(t["matchMethod"], Value::Null);
        assert_eq!(t["candidates"], json!(["+84901111111", "+84902222222"]));
        assert!(t["customer"].is_null() && t["depositTransaction"].is_null(), "{t}");
        let pending = app.gql("{ bankTransfers(filter: { statuses: [PENDING] }) { totalCount edges { node { id } } } }", json!({})).await;
        assert_eq!(pending["data"]["bankTransfers"]["totalCount"], 1);

        let c = app.customer("Bình", "0902222222").await;
        let res = app.gql(RESOLVE, json!({ "id": id, "c": c["id"] })).await;
        assert!(res["errors"].is_null(), "{res}");
        let r = &res["data"]["resolvePendingTransfer"];
        assert_eq!(r["status"], "LINKED");
        assert_eq!(r["matchMethod"], "MANUAL");
        assert_eq!(r["customer"]["id"], c["id"]);
        assert_eq!(r["depositTransaction"], json!({ "amount": "300000", "source": "BANK_TRANSFER" }));
        assert_eq!(wallet(&app, &c["id"]).await.0, "300000");
        assert!(transfer(&app, &id).await["linkedBy"].as_str().unwrap().starts_with("user:"));

        let again = app.gql(RESOLVE, json!({ "id": id, "c": c["id"] })).await;
        assert_eq!(code(&again), Some("CONFLICT"), "{again}");
        let link = app.gql(LINK, json!({ "id": id, "p": "0901111111" })).await;
        assert_eq!(code(&link), Some("CONFLICT"), "{link}");
        assert_eq!(wallet(&app, &c["id"]).await.0, "300000", "deposited once");
        let missing = app.gql(RESOLVE, json!({ "id": id, "c": "987654" })).await;
        assert_eq!(code(&missing), Some("CONFLICT"), "already linked comes first");
        let id2 = received(&app, &sepay(21, "0901111111 0903333333", 1_000)).await;
        let missing = app.gql(RESOLVE, json!({ "id": id2, "c": "987654" })).await;
        assert_eq!(code(&missing), Some("NOT_FOUND"), "{missing}");
    }

    async fn an_unknown_transfer_stays_unlinked_until_linked_by_phone(app) {
        let id = received(&app, &sepay(30, "thanh toan don hang 2277000", 400_000)).await;
        let t = transfer(&app, &id).await;
        assert_eq!((t["status"].as_str(), t["candidates"].clone()), (Some("UNLINKED"), json!([])));

        let bad = app.gql(LINK, json!({ "id": id, "p": "12345" })).await;
        assert_eq!((code(&bad), field(&bad)), (Some("BAD_USER_INPUT"), Some("phone")), "{bad}");
        let missing = app.gql(LINK, json!({ "id": "424242", "p": "0903333333" })).await;
        assert_eq!(code(&missing), Some("NOT_FOUND"));

        let res = app.gql(LINK, json!({ "id": id, "p": "+84 90 333 3333" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let l = &res["data"]["linkBankTransfer"];
        assert_eq!((l["status"].as_str(), l["matchMethod"].as_str()), (Some("LINKED"), Some("MANUAL")));
        assert_eq!(l["customer"]["phone"], "+84903333333", "created from the phone");
        assert_eq!(l["depositTransaction"]["amount"], "400000", "autoDeposit defaults to true");
        assert_eq!(wallet(&app, &l["customer"]["id"]).await.0, "400000");

        // Linked without a deposit: the wallet does not move.
        let id2 = received(&app, &sepay(31, "khong ro", 90_000)).await;
        let res = app.gql(LINK, json!({ "id": id2, "p": "0903333333", "d": false })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["linkBankTransfer"]["status"], "LINKED");
        assert!(res["data"]["linkBankTransfer"]["depositTransaction"].is_null());
        assert_eq!(wallet(&app, &l["customer"]["id"]).await.0, "400000");
        // Unlinking it has nothing to reverse.
        let res = app.gql(UNLINK, json!({ "id": id2, "r": "not theirs" })).await;
        assert_eq!(res["data"]["unlinkBankTransfer"]["status"], "UNLINKED", "{res}");
        let (balance, ledger) = wallet(&app, &l["customer"]["id"]).await;
        assert_eq!((balance.as_str(), ledger.len()), ("400000", 1));
    }

    async fn concurrent_links_of_one_transfer_deposit_once(app) {
        let id = received(&app, &sepay(35, "khong ro", 250_000)).await;
        let calls = (0..6).map(|_| app.gql(LINK, json!({ "id": id, "p": "0904444444" })));
        let results = join_all(calls).await;
        let ok = results.iter().filter(|r| r["errors"].is_null()).count();
        assert_eq!(ok, 1, "{results:?}");
        assert!(results.iter().filter(|r| !r["errors"].is_null()).all(|r| code(r) == Some("CONFLICT")), "{results:?}");
        let t = transfer(&app, &id).await;
        let (balance, ledger) = wallet(&app, &t["customer"]["id"]).await;
        assert_eq!((balance.as_str(), ledger.len()), ("250000", 1));
    }

    async fn an_outgoing_transfer_is_stored_but_never_matched_or_deposited(app) {
        let c = app.customer("Chi", "0905555555").await;
        let mut body = sepay(40, &format!("hoan tien {}", transfer_code(&app, &c["id"]).await), 100_000);
        body["transferType"] = json!("out");
        let id = received(&app, &body).await;
        let t = transfer(&app, &id).await;
        assert_eq!((t["direction"].as_str(), t["status"].as_str()), (Some("OUT"), Some("UNLINKED")));
        assert!(t["customer"].is_null());
        let link = app.gql(LINK, json!({ "id": id, "p": "0905555555" })).await;
        assert_eq!(code(&link), Some("BAD_USER_INPUT"), "{link}");
        let resolve = app.gql(RESOLVE, json!({ "id": id, "c": c["id"] })).await;
        assert_eq!(code(&resolve), Some("BAD_USER_INPUT"), "{resolve}");
        assert_eq!(wallet(&app, &c["id"]).await, ("0".to_owned(), vec![]));
    }

    async fn a_replayed_webhook_is_stored_once_and_deposited_once(app) {
        let body = sepay(50, "nap 0906666666", 120_000);
        let id = received(&app, &body).await;
        let (status, res) = hook(&app, &body).await;
        assert_eq!(status, 200);
        assert_eq!((res["success"].clone(), res["duplicate"].clone(), res["id"].clone()), (json!(true), json!(true), json!(id)));

        // Ten at once, for a transfer that also creates its customer.
        let body = sepay(51, "nap 0907777777", 80_000);
        let results = join_all((0..10).map(|_| hook(&app, &body))).await;
        assert!(results.iter().all(|(s, r)| *s == 200 && r["success"] == true), "{results:?}");
        let fresh = results.iter().filter(|(_, r)| r["duplicate"].is_null()).count();
        assert_eq!(fresh, 1, "one stored, the rest are duplicates: {results:?}");
        let ids: std::collections::HashSet<_> = results.iter().map(|(_, r)| r["id"].clone()).collect();
        assert_eq!(ids.len(), 1);

        assert_eq!(count(&app).await, 2);
        let c = app.gql("{ customerByPhone(phone: \"0907777777\") { id } }", json!({})).await;
        let (balance, ledger) = wallet(&app, &c["data"]["customerByPhone"]["id"]).await;
        assert_eq!((balance.as_str(), ledger.len()), ("80000", 1), "deposited once");
        let customers = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(customers["data"]["customers"]["totalCount"], 2);
    }

    async fn unlinking_reverses_the_deposit(app) {
        let c = app.customer("Dũng", "0908888888").await;
        let id = received(&app, &sepay(60, &transfer_code(&app, &c["id"]).await, 500_000)).await;
        assert_eq!(wallet(&app, &c["id"]).await.0, "500000");

        let (_, agent) = app.staff("AGENT").await;
        let refused = app.gql_as(Some(&agent), UNLINK, json!({ "id": id, "r": "wrong customer" })).await;
        assert_eq!(code(&refused), Some("FORBIDDEN"), "unlinking needs a manager: {refused}");
        let empty = app.gql(UNLINK, json!({ "id": id, "r": "  " })).await;
        assert_eq!((code(&empty), field(&empty)), (Some("BAD_USER_INPUT"), Some("reason")));

        let res = app.gql(UNLINK, json!({ "id": id, "r": "paid for someone else" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let u = &res["data"]["unlinkBankTransfer"];
        assert_eq!(u["status"], "UNLINKED");
        assert!(u["customer"].is_null() && u["depositTransaction"].is_null(), "{u}");
        let (balance, ledger) = wallet(&app, &c["id"]).await;
        assert_eq!(balance, "0");
        assert_eq!(ledger[0], json!({ "type": "REVERSAL", "amount": "500000", "source": "BANK_TRANSFER", "reference": format!("bank_transfer:{id}") }));

        let again = app.gql(UNLINK, json!({ "id": id, "r": "again" })).await;
        assert_eq!(code(&again), Some("INVALID_TRANSITION"), "{again}");
        // It can be linked again, to the right customer.
        let res = app.gql(LINK, json!({ "id": id, "p": "0909999999" })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(wallet(&app, &res["data"]["linkBankTransfer"]["customer"]["id"]).await.0, "500000");
    }

    async fn unlinking_is_refused_when_the_customer_already_spent_the_money(app) {
        let c = app.customer("Em", "0910000001").await;
        let id = received(&app, &sepay(70, &transfer_code(&app, &c["id"]).await, 300_000)).await;
        let spent = app.gql(
            "mutation($i: WithdrawInput!) { withdraw(input: $i) { transaction { code } } }",
            json!({ "i": { "customerId": c["id"], "amount": "200000" } }),
        ).await;
        assert!(spent["errors"].is_null(), "{spent}");
        let res = app.gql(UNLINK, json!({ "id": id, "r": "mistake" })).await;
        assert_eq!(code(&res), Some("INSUFFICIENT_FUNDS"), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("already spent"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["available"], "100000");
        let t = transfer(&app, &id).await;
        assert_eq!(t["status"], "LINKED", "nothing changed");
        assert_eq!(t["customer"]["id"], c["id"]);
        let (balance, ledger) = wallet(&app, &c["id"]).await;
        assert_eq!((balance.as_str(), ledger.len()), ("100000", 2));
    }

    async fn stats_count_and_sum_per_business_day(app) {
        let c = app.customer("Giang", "0910000002").await;
        let code = transfer_code(&app, &c["id"]).await;
        let at = |id: i64, content: &str, amount: i64, date: &str| {
            let mut b = sepay(id, content, amount);
            b["transactionDate"] = json!(date);
            b
        };
        // 23:30 and 00:30 local are different business days, though the
        // same UTC day.
        received(&app, &at(80, &code, 1_000, "2026-03-01 23:30:00")).await;
        received(&app, &at(81, &code, 2_000, "2026-03-02 00:30:00")).await;
        received(&app, &at(82, "khong ro", 300, "2026-03-02 10:00:00")).await;
        received(&app, &at(83, "0901111111 0902222222", 40, "2026-03-02 11:00:00")).await;
        let mut out = at(84, "chi tien", 5, "2026-03-02 12:00:00");
        out["transferType"] = json!("out");
        received(&app, &out).await;
        received(&app, &at(85, "khong ro", 9, "2026-03-04 00:00:00")).await;

        let q = "query($f: NaiveDate!, $t: NaiveDate!) { bankTransferStats(from: $f, to: $t) { date linkedCount linkedAmount pendingCount pendingAmount unlinkedCount unlinkedAmount } }";
        let res = app.gql(q, json!({ "f": "2026-03-01", "t": "2026-03-03" })).await;
        assert!(res["errors"].is_null(), "{res}");
        assert_eq!(res["data"]["bankTransferStats"], json!([
            { "date": "2026-03-01", "linkedCount": 1, "linkedAmount": "1000", "pendingCount": 0, "pendingAmount": "0", "unlinkedCount": 0, "unlinkedAmount": "0" },
            { "date": "2026-03-02", "linkedCount": 1, "linkedAmount": "2000", "pendingCount": 1, "pendingAmount": "40", "unlinkedCount": 1, "unlinkedAmount": "300" },
            { "date": "2026-03-03", "linkedCount": 0, "linkedAmount": "0", "pendingCount": 0, "pendingAmount": "0", "unlinkedCount": 0, "unlinkedAmount": "0" },
        ]));
        let too_long = app.gql(q, json!({ "f": "2025-01-01", "t": "2026-03-01" })).await;
        assert_eq!(crate::helpers::code(&too_long), Some("BAD_USER_INPUT"));
        let backwards = app.gql(q, json!({ "f": "2026-03-02", "t": "2026-03-01" })).await;
        assert_eq!(crate::helpers::code(&backwards), Some("BAD_USER_INPUT"));
    }

    async fn the_list_filters_by_status_customer_date_and_text_newest_first(app) {
        let c = app.customer("Hà", "0910000003").await;
        let code = transfer_code(&app, &c["id"]).await;
        let mut old = sepay(90, &code, 10);
        old["transactionDate"] = json!("2025-12-31 12:00:00");
        let first = received(&app, &old).await;
        received(&app, &sepay(91, "Thanh Toan Hoa Don", 20)).await;
        let last = received(&app, &sepay(92, &format!("{code} lan 2"), 30)).await;
        let q = "query($f: BankTransferFilter, $n: Int, $a: String) { bankTransfers(filter: $f, first: $n, after: $a) { totalCount edges { node { id providerId } } pageInfo { hasNextPage endCursor } } }";
        let list = |f: Value| app.gql(q, json!({ "f": f }));
        let ids = |res: &Value| -> Vec<String> {
            res["data"]["bankTransfers"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).iter()
                .map(|e| e["node"]["providerId"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(ids(&list(json!({})).await), ["92", "91", "90"]);
        assert_eq!(ids(&list(json!({ "statuses": ["LINKED"] })).await), ["92", "90"]);
        assert_eq!(ids(&list(json!({ "customerId": c["id"] })).await), ["92", "90"]);
        assert_eq!(ids(&list(json!({ "search": "hoa don" })).await), ["91"], "any case");
        assert_eq!(ids(&list(json!({ "search": "mbvcb.90" })).await), ["90"], "the reference too");
        assert_eq!(ids(&list(json!({ "to": "2026-01-01T00:00:00Z" })).await), ["90"]);
        let page = app.gql(q, json!({ "n": 2 })).await;
        assert_eq!(ids(&page), ["92", "91"]);
        assert_eq!(page["data"]["bankTransfers"]["pageInfo"]["hasNextPage"], true);
        let next = app.gql(q, json!({ "n": 2, "a": page["data"]["bankTransfers"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(ids(&next), ["90"]);
        assert_eq!(next["data"]["bankTransfers"]["edges"][0]["node"]["id"], json!(first));
        assert_ne!(first, last);
    }

    async fn an_agent_sees_their_customers_transfers_and_the_unclaimed_ones(app) {
        let (_, agent) = app.staff("AGENT").await;
        let (_, viewer) = app.staff("VIEWER").await;
        let mine = app.gql_as(Some(&agent),
            "mutation { createCustomer(input: { name: \"Mine\", phone: \"0911000001\" }) { id transferCode } }",
            json!({})).await;
        let mine = mine["data"]["createCustomer"].clone();
        let theirs = app.customer("Theirs", "0911000002").await;
        let mine_id = received(&app, &sepay(100, mine["transferCode"].as_str().unwrap(), 1_000)).await;
        let theirs_id = received(&app, &sepay(101, &transfer_code(&app, &theirs["id"]).await, 2_000)).await;
        let unlinked_id = received(&app, &sepay(102, "khong ro", 3_000)).await;
        let pending_id = received(&app, &sepay(103, "0901111111 0902222222", 4_000)).await;

        let list = app.gql_as(Some(&agent), "{ bankTransfers { totalCount edges { node { id customer { name } } } } }", json!({})).await;
        let seen: Vec<Value> = list["data"]["bankTransfers"]["edges"].as_array().unwrap_or_else(|| panic!("{list}")).iter()
            .map(|e| e["node"]["id"].clone()).collect();
        assert_eq!(seen, [json!(pending_id), json!(unlinked_id), json!(mine_id)]);
        assert_eq!(list["data"]["bankTransfers"]["totalCount"], 3);
        assert_eq!(list["data"]["bankTransfers"]["edges"][2]["node"]["customer"]["name"], "Mine");
        let forbidden = app.gql_as(Some(&agent), "query($id: ID!) { bankTransfer(id: $id) { id } }", json!({ "id": theirs_id })).await;
        assert_eq!(code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
        let stats = app.gql_as(Some(&agent),
            "query($d: NaiveDate!) { bankTransferStats(from: $d, to: $d) { linkedCount linkedAmount unlinkedCount pendingCount } }",
            json!({ "d": local_now()[..10].to_owned() })).await;
        assert_eq!(stats["data"]["bankTransferStats"][0], json!({ "linkedCount": 1, "linkedAmount": "1000", "unlinkedCount": 1, "pendingCount": 1 }), "{stats}");
        let all = app.gql("{ bankTransfers { totalCount } }", json!({})).await;
        assert_eq!(all["data"]["bankTransfers"]["totalCount"], 4, "a manager or admin sees everything");

        // The agent settles the unclaimed ones, but not onto another agent's customer.
        let res = app.gql_as(Some(&agent), LINK, json!({ "id": unlinked_id, "p": "0911000002" })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        let res = app.gql_as(Some(&agent), RESOLVE, json!({ "id": pending_id, "c": mine["id"] })).await;
        assert!(res["errors"].is_null(), "{res}");
        let res = app.gql_as(Some(&agent), LINK, json!({ "id": unlinked_id, "p": "0911000003" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let list = app.gql_as(Some(&agent), "{ bankTransfers { totalCount } }", json!({})).await;
        assert_eq!(list["data"]["bankTransfers"]["totalCount"], 3, "the new customer is the agent's");

        let viewer_list = app.gql_as(Some(&viewer), "{ bankTransfers { totalCount } }", json!({})).await;
        assert_eq!(code(&viewer_list), Some("FORBIDDEN"));
    }
}
