//! The `customers` screen in the browser: filters kept in the URL, the
//! list growing as it scrolls, and the "New customer" dialog.

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
