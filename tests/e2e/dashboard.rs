//! The dashboard: KPI cards from `kpis`, updated live when another client
//! changes the data, and the transfers chart.

use serde_json::json;

use crate::browser::scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_kpis_and_updates_live() {
    scenario("dashboard_live", |s| async move {
        s.app.customer("Ngô Bảo Châu", "0907000001").await;
        let lan = s.app.customer("Trần Thị Lan", "0907000002").await;
        s.sign_in_as_admin().await;
        s.open("/dashboard").await;
        s.wait_text("#kpi-customers .kpi-value", "2").await;
        s.wait_text("#kpi-customers .kpi-note", "+2 new today").await;
        s.wait_text("#kpi-wallet-real .kpi-value", "0 ₫").await;
        s.wait_text("#kpi-overdue-tickets .kpi-note", "Nothing overdue").await;
        assert_eq!(s.all("#kpi-overdue-tickets.kpi-danger").await.len(), 0);
        s.find("#dashboard-chart").await;
        assert_eq!(s.all("#dashboard-chart .chart-day").await.len(), 14, "one bar per day");

        // Another client adds a customer and deposits: the cards follow
        // without a reload.
        s.app.customer("Lý Thường Kiệt", "0907000003").await;
        let res = s
            .app
            .gql(
                "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
                json!({ "i": { "customerId": lan["id"], "amount": "250000" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        s.wait_text("#kpi-customers .kpi-value", "3").await;
        s.wait_text("#kpi-wallet-real .kpi-value", "250.000 ₫").await;

        // A card leads to its screen.
        s.click("#kpi-customers").await;
        s.wait_path("/customers").await;
    })
    .await;
}
