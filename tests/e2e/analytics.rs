//! The analytics screen: exact figures of a known dataset for a period in
//! the URL, the presets and the time zone changing the URL and the
//! figures, a range refused before asking the server, live reloads, and
//! nobody below MANAGER let in.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};

use crate::browser::{Session, scenario};

/// The business time zone of the test server (Asia/Ho_Chi_Minh), which
/// has no daylight saving time.
fn business(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(7)).date_naive()
}

/// `hour`:00 business time on `day`.
fn business_time(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn order(s: &Session, customer: &Value, amount: &str, at: DateTime<Utc>, status: &str) {
    let res = s
        .app
        .gql(
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } } }",
            json!({ "i": { "customerId": customer["id"], "amount": amount, "status": status,
                "orderedAt": at.to_rfc3339_opts(SecondsFormat::Secs, true) } }),
        )
        .await;
    assert!(res["errors"].is_null(), "createOrder: {res}");
}

async fn deposit(s: &Session, customer: &Value, amount: &str) {
    let res = s
        .app
        .gql(
            "mutation($i: DepositInput!) { deposit(input: $i) { transaction { id } } }",
            json!({ "i": { "customerId": customer["id"], "amount": amount } }),
        )
        .await;
    assert!(res["errors"].is_null(), "deposit: {res}");
}

/// The page's query parameter `key`.
async fn param(s: &Session, key: &str) -> Option<String> {
    let url = s.c.current_url().await.unwrap();
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// Waits until the URL's `from`, `to` and `tz` are these.
async fn wait_query(s: &Session, from: NaiveDate, to: NaiveDate, tz: Option<&str>) {
    let want = (Some(from.to_string()), Some(to.to_string()), tz.map(str::to_owned));
    let deadline = tokio::time::Instant::now() + crate::browser::PATIENCE;
    loop {
        let seen = (param(s, "from").await, param(s, "to").await, param(s, "tz").await);
        if seen == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "URL query {seen:?}, expected {want:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sets a date input the way a date picker does.
async fn set_date(s: &Session, css: &str, date: NaiveDate) {
    s.find(css).await;
    let js = format!(
        "const i = document.querySelector('{css}'); i.value = '{date}'; \
         i.dispatchEvent(new Event('input', {{ bubbles: true }})); return null;"
    );
    s.script(&js).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_adds_up_a_period_follows_the_picker_and_updates_live() {
    scenario("analytics", |s| async move {
        let now = s.app.ctx.now();
        let today = business(now);
        let (from, to) = (today - Duration::days(2), today);

        let one = s.app.customer("Chị Một", "0906800001").await;
        let two = s.app.customer("Anh Hai", "0906800002").await;
        // 03:00 business time on the first day: the evening before in UTC.
        order(&s, &one, "100000", business_time(from, 3), "DELIVERED").await;
        order(&s, &one, "250000", business_time(today - Duration::days(1), 12), "DELIVERED").await;
        order(&s, &two, "50000", business_time(today - Duration::days(1), 10), "CANCELLED").await;
        order(&s, &two, "150000", now - Duration::minutes(1), "PENDING").await;
        deposit(&s, &one, "300000").await;
        let deadline = (now + Duration::days(2)).to_rfc3339();
        let res = s
            .app
            .gql(
                "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }",
                json!({ "i": { "customerId": two["id"], "type": "BOOM", "carrierDeadline": deadline,
                    "description": "Khách không nhận hàng" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "createTicket: {res}");

        // From the home dashboard: the last 30 business days by default.
        s.sign_in_as_admin().await;
        s.click("#open-analytics").await;
        s.wait_path("/analytics").await;
        s.wait_count("#chart-revenue .chart-day", 30).await;
        s.wait_text("#preset-30[aria-pressed='true']", "Last 30 days").await;
        s.wait_text("#kpi-revenue .kpi-value", "500.000 ₫").await;
        assert_eq!(s.all(".topbar-nav a[href='/analytics']").await.len(), 1, "in the navigation");

        // A period of three days from the URL, counted in business time.
        s.open(&format!("/analytics?from={from}&to={to}")).await;
        s.wait_text("#kpi-orders .kpi-value", "3").await;
        s.wait_text("#kpi-revenue .kpi-value", "500.000 ₫").await;
        s.wait_text("#kpi-aov .kpi-value", "166.666 ₫").await;
        s.wait_text("#kpi-customers .kpi-value", "2 / 2").await;
        s.wait_text("#kpi-wallet .kpi-value", "300.000 ₫").await;
        s.wait_count("#chart-revenue .chart-day", 3).await;
        let first = s.find("#chart-revenue .chart-day").await.attr("data-revenue").await.unwrap();
        assert_eq!(first.as_deref(), Some("100000"), "the early order is on the first day in business time");
        s.find("#analytics-shown[data-tz='Asia/Ho_Chi_Minh']").await;
        assert!(!s.all("#chart-segments .hbar-row").await.is_empty(), "segment bars");
        s.find("#chart-tickets .hbar-row[data-key='NEW'][data-value='1']").await;
        s.find("#chart-wallet .chart-day").await;
        assert!(s.all(".analytics-presets [aria-pressed='true']").await.is_empty(), "three days is no preset");

        // In UTC the 03:00 order belongs to the day before the period.
        s.select("#period-tz", "UTC").await;
        wait_query(&s, from, to, Some("UTC")).await;
        s.wait_text("#kpi-revenue .kpi-value", "400.000 ₫").await;
        s.wait_text("#kpi-orders .kpi-value", "2").await;
        s.find("#analytics-shown[data-tz='UTC']").await;

        // A preset keeps the time zone and ends today there.
        s.click("#preset-7").await;
        let utc_today = now.date_naive();
        wait_query(&s, utc_today - Duration::days(6), utc_today, Some("UTC")).await;
        s.wait_count("#chart-revenue .chart-day", 7).await;
        s.wait_text("#kpi-revenue .kpi-value", "500.000 ₫").await;
        s.wait_text("#preset-7[aria-pressed='true']", "Last 7 days").await;

        // Back to business time: still the last 7 days, there.
        s.select("#period-tz", "").await;
        wait_query(&s, today - Duration::days(6), today, None).await;
        s.find("#analytics-shown[data-tz='Asia/Ho_Chi_Minh']").await;

        // A reversed or too long range is refused without asking the server.
        let before = s.c.current_url().await.unwrap();
        set_date(&s, "#period-from", today).await;
        set_date(&s, "#period-to", today - Duration::days(3)).await;
        let queries = s.app.queries();
        s.click("#period-apply").await;
        s.wait_text("#period-error", "must not be after").await;
        set_date(&s, "#period-from", today - Duration::days(100)).await;
        set_date(&s, "#period-to", today).await;
        s.click("#period-apply").await;
        s.wait_text("#period-error", "at most 92 days").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(s.app.queries(), queries, "nothing was asked of the server");
        assert_eq!(s.c.current_url().await.unwrap(), before);
        set_date(&s, "#period-from", from).await;
        s.click("#period-apply").await;
        wait_query(&s, from, today, None).await;
        s.wait_gone("#period-error").await;
        s.wait_count("#chart-revenue .chart-day", 3).await;

        // Live: another client's order, then a deposit, each reloads the figures.
        order(&s, &two, "80000", now, "DELIVERED").await;
        s.wait_text("#kpi-revenue .kpi-value", "580.000 ₫").await;
        s.wait_text("#kpi-orders .kpi-value", "4").await;
        deposit(&s, &two, "20000").await;
        s.wait_text("#kpi-wallet .kpi-value", "320.000 ₫").await;
        assert_eq!(param(&s, "from").await, Some(from.to_string()), "a live reload keeps the period");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_kept_out_of_analytics() {
    scenario("analytics_forbidden", |s| async move {
        let res = s
            .app
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": "agent@test.local", "name": "Ánh", "role": "AGENT", "password": "password-1234" } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
        s.sign_in("agent@test.local", "password-1234").await;
        s.find(".topbar-nav a[href='/customers']").await;
        assert!(s.all(".topbar-nav a[href='/analytics']").await.is_empty(), "no link for an agent");
        assert!(s.all("#open-analytics").await.is_empty(), "nor on the dashboard");
        s.open("/analytics").await;
        s.wait_text(".analytics-forbidden", "Only managers and admins").await;
        assert!(s.all("#kpi-revenue, #period-tz").await.is_empty(), "no figures, no picker");
    })
    .await;
}
