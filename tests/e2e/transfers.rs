//! The `transfers` screen in the browser: a transfer the bank reported is
//! linked to a customer by phone (with a deposit), then taken back.

use serde_json::json;

use crate::browser::scenario;

/// Stores an incoming transfer as the SePay webhook would (the browser
/// tests' server has no webhook secret, so this goes through the service).
async fn bank_reports(app: &crate::helpers::TestApp, id: i64, content: &str, amount: i64) {
    let now = (chrono::Utc::now() + chrono::Duration::hours(7)).format("%Y-%m-%d %H:%M:%S").to_string();
    let body = json!({
        "id": id, "gateway": "Vietcombank", "transactionDate": now, "accountNumber": "0123499999",
        "code": null, "content": content, "transferType": "in", "transferAmount": amount,
        "accumulated": 19_077_000, "subAccount": null, "referenceCode": format!("MBVCB.{id}"), "description": "",
    });
    let ctx = &app.ctx;
    let incoming = crm360::bank::sepay::parse(body.to_string().as_bytes(), ctx.tz, ctx.now()).unwrap();
    crm360::bank::service::receive(ctx, incoming).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_transfer_is_linked_by_phone_then_unlinked() {
    scenario("transfers_link_unlink", |s| async move {
        bank_reports(&s.app, 880001, "thanh toan don hang", 250_000).await;
        s.app.customer("Phan Thị Nhận", "0906555444").await;
        s.sign_in_as_admin().await;
        s.open("/transfers").await;
        s.click("#transfers-tab-all").await;
        s.wait_count("tr.transfer-row", 1).await;
        s.click("button.transfer-link").await;
        s.fill("#link-phone", "0906555444").await;
        s.wait_text("#link-preview", "Phan Thị Nhận").await;
        s.click_text(".dialog", "Link transfer").await;
        s.wait_gone(".dialog").await;
        s.wait_text("tr.transfer-row .transfer-status", "Linked").await;
        s.wait_text("tr.transfer-row", "Phan Thị Nhận").await;

        s.click("button.transfer-unlink").await;
        s.click_text(".dialog", "Unlink").await;
        s.wait_text(".field.has-error .field-error", "why").await;
        s.fill("#unlink-reason", "wrong customer").await;
        s.click_text(".dialog", "Unlink").await;
        s.wait_gone(".dialog").await;
        s.wait_text("tr.transfer-row .transfer-status", "Unlinked").await;
    })
    .await;
}
