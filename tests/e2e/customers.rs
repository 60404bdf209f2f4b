//! The `customers` screen in the browser: filters kept in the URL, the
//! list growing as it scrolls, the "New customer" dialog and the CSV
//! import.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_file_is_imported_in_chunks_with_bad_rows_reported() {
    scenario("customers_import", |s| async move {
        // 1,203 rows: three chunks of at most 500; lines 2 and 1,000 are bad.
        let mut csv = String::from("phone,name,city\n");
        for i in 0..1_203 {
            match i {
                0 => csv.push_str("12345,Số sai,Huế\n"),
                998 => csv.push_str("0909000998,Ngày sai,\"Đà\nNẵng\",extra\n"),
                _ => csv.push_str(&format!("09090{i:05},Khách {i},Hà Nội\n")),
            }
        }
        // The quoted city spans two lines, so the rows after it are one line further down.
        csv = csv.replace("0909000998,Ngày sai,", "not-a-phone,Ngày sai,");
        let path = std::env::temp_dir().join(format!("crm360-e2e-{}.csv", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, &csv).unwrap();

        s.sign_in_as_admin().await;
        s.open("/customers").await;
        s.click("#import-csv").await;
        s.find("#import-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
        s.click("#import-start").await;
        // 1,201 customers created through three chunked calls: slow on a loaded debug build.
        s.wait_text_within(
            "#import-summary",
            "1.203 rows: 1.201 created, 0 already there, 2 skipped",
            std::time::Duration::from_secs(90),
        )
        .await;
        assert_eq!(s.script("return document.querySelector('#import-progress').value;").await, 100);
        let lines: Vec<String> = {
            let mut out = Vec::new();
            for row in s.all(".import-error td:first-child").await {
                out.push(row.text().await.unwrap());
            }
            out
        };
        assert_eq!(lines, ["2", "1000"], "file lines of the bad rows");
        let report = s.find("#import-report").await;
        assert!(report.attr("href").await.unwrap().unwrap_or_default().starts_with("blob:"));
        assert!(report.attr("download").await.unwrap().unwrap_or_default().ends_with(".csv.errors.csv"));
        let customers = crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM customers").await;
        assert_eq!(customers, 1_201);

        // The same file again adds nothing.
        s.click("#import-start").await;
        s.wait_text("#import-summary", "0 created, 1.201 already there, 2 skipped").await;
        assert_eq!(crate::helpers::count_of(&s.app, "SELECT COUNT(*) FROM customers").await, 1_201);
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
