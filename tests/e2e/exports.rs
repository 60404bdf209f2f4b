//! "Export CSV" in the browser: the customer list's export follows its
//! search, and a wallet's ledger exports its movements. The file's text is
//! read back from the Blob the page hands to `URL.createObjectURL`.

use serde_json::json;

use crate::browser::{Session, scenario};

/// Keeps every Blob the page turns into an object URL in `window.__blobs`.
const SPY: &str = "window.__blobs = []; const original = URL.createObjectURL;
    URL.createObjectURL = (blob) => { window.__blobs.push(blob); return original.call(URL, blob); };
    return null;";

/// The text of the last Blob downloaded.
async fn last_download(s: &Session) -> String {
    let text = s.script("const b = window.__blobs; return b.length ? b[b.length - 1].text() : null;").await;
    text.as_str().expect("a Blob was downloaded").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_list_exports_what_its_search_shows() {
    scenario("exports_customers", |s| async move {
        for (i, name) in ["Xuất Một", "Xuất Hai", "Xuất Ba", "Khác Bốn", "Khác Năm"].iter().enumerate() {
            s.app.customer(name, &format!("090444{i:04}")).await;
        }
        s.sign_in_as_admin().await;
        s.open("/customers?q=Xu%E1%BA%A5t").await;
        s.wait_count("tbody tr.customer-row", 3).await;
        s.script(SPY).await;
        s.click("#export-customers").await;
        s.wait_text("#export-customers-status", "Exported 3 rows").await;
        let rows = s.script("return document.querySelector('#export-customers-status').dataset.rows;").await;
        assert_eq!(rows, json!("3"));
        let csv = last_download(&s).await;
        assert_eq!(csv.lines().count(), 4, "a header and three customers:\n{csv}");
        assert!(csv.contains("Xuất Hai") && !csv.contains("Khác"), "{csv}");

        // Without the search, all five.
        s.open("/customers").await;
        s.wait_count("tbody tr.customer-row", 5).await;
        s.script(SPY).await;
        s.click("#export-customers").await;
        s.wait_text("#export-customers-status", "Exported 5 rows").await;
        assert!(last_download(&s).await.contains("Khác Năm"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_ledger_is_exported() {
    scenario("exports_ledger", |s| async move {
        let customer = s.app.customer("Sổ Cái", "0904550001").await;
        let id = customer["id"].as_str().unwrap().to_owned();
        for amount in ["150000", "20000"] {
            let res = s
                .app
                .gql(
                    "mutation($i: DepositInput!) { deposit(input: $i) { __typename } }",
                    json!({ "i": { "customerId": id, "amount": amount } }),
                )
                .await;
            assert!(res.get("errors").is_none(), "{res}");
        }
        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.wait_text("#wallet-real", "170.000 ₫").await;
        s.script(SPY).await;
        s.click("#export-ledger").await;
        s.wait_text("#export-ledger-status", "Exported 2 rows").await;
        let csv = last_download(&s).await;
        assert!(csv.contains("150000") && csv.contains("20000"), "{csv}");
    })
    .await;
}
