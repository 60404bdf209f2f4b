//! The `customers` screen in the browser: filters kept in the URL, the
//! list growing as it scrolls, the "New customer" dialog and the CSV
//! import wizard (upload, column mapping, live progress, error report).

use crate::browser::scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_filters_and_scrolls() {
    scenario("customers_filter_scroll", |s| async move {
        for i in 0..30 {
            s.app.customer(&format!("Khách {i:02}"), &format!("09031{i:05}")).await;
        }
        // Tiers come from RFM; make three customers GOLD straight in the database.
        {
            use sea_orm::ConnectionTrait;
            let db = s.app.ctx.db.conn();
            db.execute_unprepared(
                "UPDATE customers SET tier = 'GOLD' WHERE name IN ('Khách 01', 'Khách 02', 'Khách 03')",
            )
            .await
            .unwrap();
        }
        s.sign_in_as_admin().await;
        s.open("/customers").await;
        s.wait_count("tbody tr.customer-row", 25).await;
        // Scrolling to the end loads the rest.
        s.script("document.querySelector('.load-more').scrollIntoView(); return null;").await;
        s.wait_count("tbody tr.customer-row", 30).await;

        s.select("#filter-tier", "GOLD").await;
        s.wait_count("tbody tr.customer-row", 3).await;
        assert!(s.script("return location.search;").await.as_str().unwrap().contains("tier=GOLD"));
        // A reload keeps the filter.
        s.open("/customers?tier=GOLD").await;
        s.wait_count("tbody tr.customer-row", 3).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_customer_is_created_with_phone_validation() {
    scenario("customers_create", |s| async move {
        s.app.customer("Đã Có", "0907777777").await;
        s.sign_in_as_admin().await;
        s.open("/customers").await;
        s.click("#new-customer").await;
        s.fill("#new-customer-name", "Mới Tạo").await;
        s.fill("#new-customer-phone", "12345").await;
        s.click_text(".dialog", "Create customer").await;
        s.wait_text(".field.has-error .field-error", "0901234567").await;

        s.fill("#new-customer-phone", "0907777777").await;
        s.click_text(".dialog", "Create customer").await;
        s.wait_text(".field.has-error .field-error", "already exists").await;

        s.fill("#new-customer-phone", "0908888888").await;
        s.click_text(".dialog", "Create customer").await;
        s.wait_gone(".dialog").await;
        let path = s.script("return location.pathname;").await;
        assert!(path.as_str().unwrap().starts_with("/customers/"), "{path}");
    })
    .await;
}

/// Keeps every Blob the page turns into an object URL in `window.__blobs`.
const SPY: &str = "window.__blobs = []; const original = URL.createObjectURL;
    URL.createObjectURL = (blob) => { window.__blobs.push(blob); return original.call(URL, blob); };
    return null;";

/// Uploads `path` in the import wizard and maps its first column (a header
/// the server does not recognise) to the phone, which it must be told; the
/// preview then finds `problems` in the sample.
async fn upload_and_map_phone(s: &crate::browser::Session, path: &std::path::Path, problems: usize) {
    s.find("#import-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
    s.click("#import-upload").await;
    s.find(".import-problem[data-kind=MISSING_COLUMN]").await;
    assert!(!s.find("#import-start").await.is_enabled().await.unwrap(), "no phone column: the import cannot start");
    s.select("#import-map-0", "phone").await;
    s.find(&format!("#import-problem-count[data-count='{problems}']")).await;
    assert!(s.all(".import-problem[data-kind=MISSING_COLUMN]").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_wizard_maps_columns_follows_progress_and_reports_bad_rows() {
    scenario("customers_import", |s| async move {
        // 1,203 rows; the phone column's header ("Liên hệ") is no known
        // alias; lines 2 and 1,000 are bad.
        let mut csv = String::from("Liên hệ,name,city\n");
        for i in 0..1_203 {
            match i {
                0 => csv.push_str("12345,Số sai,Huế\n"),
                998 => csv.push_str("not-a-phone,Ngày sai,\"Đà\nNẵng\"\n"),
                _ => csv.push_str(&format!("09090{i:05},Khách {i},Hà Nội\n")),
            }
        }
        let path = std::env::temp_dir().join(format!("crm360-e2e-{}.csv", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, &csv).unwrap();

        s.sign_in_as_admin().await;
        s.open("/customers").await;
        s.click("#import-csv").await;
        upload_and_map_phone(&s, &path, 2).await;
        let text = s.text("#import-problem-count").await;
        assert_eq!(text, "2 problems in the first 1.000 rows");
        let problems: Vec<String> = {
            let mut out = Vec::new();
            for p in s.all(".import-problem").await {
                out.push(p.text().await.unwrap());
            }
            out
        };
        assert!(problems[0].starts_with("Line 2, Liên hệ: "), "{problems:?}");
        assert!(problems[1].starts_with("Line 1000, Liên hệ: "), "{problems:?}");

        s.click("#import-start").await;
        // The result comes from the progress subscription's final event.
        s.wait_text_within(
            "#import-summary",
            "1.203 rows: 1.201 created, 0 already there, 2 skipped",
            std::time::Duration::from_secs(90),
        )
        .await;
        assert_eq!(s.script("return document.querySelector('#import-progress').value;").await, 100);
        assert_eq!(s.script("return document.querySelector('#import-status').dataset.status;").await, "COMPLETED");
        let lines: Vec<String> = {
            let mut out = Vec::new();
            for row in s.all(".import-error td:first-child").await {
                out.push(row.text().await.unwrap());
            }
            out
        };
        assert_eq!(lines, ["2", "1000"], "file lines of the bad rows");
        assert_eq!(crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM customers").await, 1_201);

        // The error report is the server's CSV, fetched with the session.
        s.script(SPY).await;
        s.click("#import-report").await;
        s.wait_text("#import-report-status", "Exported 2 rows").await;
        let report = s.script("const b = window.__blobs; return b[b.length - 1].text();").await;
        let report = report.as_str().unwrap();
        assert!(report.contains("12345") && report.contains("not-a-phone"), "{report}");

        // The same file again adds nothing: every phone is already there.
        s.click("#import-again").await;
        // The sample's 998 good rows are customers already there now.
        upload_and_map_phone(&s, &path, 1_000).await;
        assert_eq!(
            s.all(".import-problem[data-kind=EXISTING]").await.len(),
            18,
            "20 problems shown, the bad rows first"
        );
        s.click("#import-start").await;
        s.wait_text_within(
            "#import-summary",
            "0 created, 1.201 already there, 2 skipped",
            std::time::Duration::from_secs(90),
        )
        .await;
        assert_eq!(crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM customers").await, 1_201);

        // Back from the mapping step cancels the uploaded job.
        s.click("#import-again").await;
        s.find("#import-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
        s.click("#import-upload").await;
        s.click("#import-back").await;
        s.find("#import-upload").await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM import_jobs WHERE status = 'CANCELLED'").await != 1
        {
            assert!(tokio::time::Instant::now() < deadline, "the abandoned upload was not cancelled");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }

        // The first step lists the recent imports; the first one shows its result again.
        s.wait_count(".import-recent-row", 3).await;
        s.wait_text(".import-recent-row", "cancelled").await;
        s.click("#import-recent-1").await;
        s.wait_text("#import-summary", "1.203 rows: 1.201 created, 0 already there, 2 skipped").await;
        assert_eq!(s.script("return document.querySelector('#import-status').dataset.status;").await, "COMPLETED");
        let _ = std::fs::remove_file(path);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_managers_see_the_import() {
    scenario("customers_import_agent", |s| async move {
        s.app
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                serde_json::json!({ "i": { "email": "agent@test.local", "name": "An", "role": "AGENT", "password": "password-1234" } }),
            )
            .await;
        s.sign_in("agent@test.local", "password-1234").await;
        s.open("/customers").await;
        s.find("#new-customer").await;
        assert!(s.all("#import-csv").await.is_empty(), "an agent has no import button");
    })
    .await;
}
