//! Engagement on the customer page and the dashboard: logging an
//! interaction with a follow-up date (listed, and in the timeline), a bad
//! follow-up date refused next to its field, and a family member whose
//! birthday comes in three days showing on the dashboard's upcoming card.

use std::time::Duration;

use chrono::Datelike;
use crm360::clock::Clock;

use crate::browser::{Session, scenario};

/// Sets a date input the way a date picker does (typing into one depends
/// on the browser's locale).
async fn set_date(s: &Session, css: &str, day: chrono::NaiveDate) {
    s.find(css).await;
    s.script(&format!(
        "const e = document.querySelector('{css}'); e.value = '{day}'; \
         e.dispatchEvent(new Event('input', {{ bubbles: true }})); return null;"
    ))
    .await;
}

/// Saves what the browser shows to `target/e2e-screenshots/shots/<name>.png`.
async fn shoot(s: &Session, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots/shots");
    std::fs::create_dir_all(&dir).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(dir.join(format!("{name}.png")), s.c.screenshot().await.unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_and_a_family_birthday_are_logged_on_the_customer_page() {
    scenario("engagement", |s| async move {
        let customer = s.app.customer("Trần Thị Lan", "0907111222").await;
        let id = customer["id"].as_str().unwrap();
        let today = s.app.clock.now().with_timezone(&s.app.ctx.tz).date_naive();
        let in_three_days = today + chrono::Duration::days(3);
        s.sign_in_as_admin().await;
        s.open(&format!("/customers/{id}")).await;
        s.wait_text("#customer-name", "Trần Thị Lan").await;
        s.click("#tab-interactions").await;
        s.wait_text(".panels", "No interactions yet").await;

        // A follow-up date in the past is refused next to that field.
        s.fill("#interaction-outcome", "reached").await;
        set_date(&s, "#interaction-follow-up", today - chrono::Duration::days(1)).await;
        s.click_text(".interaction-form", "Log interaction").await;
        s.wait_text(".field.has-error .field-error", "cannot be in the past").await;
        let beside =
            s.script("return document.querySelector('.field.has-error #interaction-follow-up') !== null;").await;
        assert_eq!(beside, serde_json::json!(true), "the error is under the follow-up date");
        assert!(s.all(".interaction-item").await.is_empty(), "nothing was logged");

        // Logged with a follow-up date in three days.
        s.select("#interaction-channel", "CALL").await;
        s.select("#interaction-direction", "OUTBOUND").await;
        s.fill("#interaction-notes", "wants the blue vase").await;
        set_date(&s, "#interaction-follow-up", in_three_days).await;
        s.click_text(".interaction-form", "Log interaction").await;
        s.wait_count(".interaction-item", 1).await;
        s.wait_text(".interaction-item", "reached").await;
        s.wait_text(".interaction-item", "wants the blue vase").await;
        s.wait_text(".interaction-follow-up", &format!("Follow up {}", in_three_days.format("%d/%m/%Y"))).await;
        assert!(s.all(".field.has-error").await.is_empty(), "the error went away");
        s.script("document.querySelector('.interaction-list').scrollIntoView({ block: 'center' }); return null;").await;
        shoot(&s, "engagement-interactions").await;
        s.script("window.scrollTo(0, 0); return null;").await;

        s.click("#tab-timeline").await;
        s.wait_text(".timeline", &format!("Call (outbound): reached, follow up {in_three_days}")).await;

        // A child whose birthday comes in three days.
        s.click("#tab-family").await;
        s.wait_text(".panels", "No family members").await;
        s.fill("#family-name", "Bé Su").await;
        s.select("#family-relationship", "CHILD").await;
        let birthday = in_three_days.with_year(2020).unwrap();
        set_date(&s, "#family-birthday", birthday).await;
        s.click_text(".family-form", "Add family member").await;
        s.wait_count(".family-item", 1).await;
        s.wait_text(".family-item", "Bé Su").await;
        s.wait_text(".family-item", &format!("Born {}", birthday.format("%d/%m/%Y"))).await;
        shoot(&s, "engagement-family").await;

        // The dashboard's card names her, with her parent.
        s.open("/dashboard").await;
        s.wait_text("#upcoming-dates", "Bé Su").await;
        let card = s.wait_text("#upcoming-dates", "In 3 days").await;
        assert!(card.contains("child of Trần Thị Lan"), "{card}");
        assert!(card.contains(&format!("turns {}", in_three_days.year() - 2020)), "{card}");
        shoot(&s, "engagement-dashboard").await;
    })
    .await;
}
