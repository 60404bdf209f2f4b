//! The SPA in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real server.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; `.ci/run` installs them). Without them
//! the test is skipped with a notice, unless `CRM360_REQUIRE_BROWSER=1`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    url: String,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn start_driver() -> Option<Driver> {
    let present = std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        if std::env::var("CRM360_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("CRM360_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing");
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: the browser test — {CHROMIUM} / {CHROMEDRIVER} not installed \
             (apt-get install chromium chromium-driver; .ci/run does it)\n"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = std::env::temp_dir().join(format!("crm360-chromium-{}", uuid::Uuid::new_v4()));
    Some(Driver { child, url, profile })
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,800",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_signs_in_and_searches_the_customer_list() {
    let Some(driver) = start_driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.customer("Nguyễn Thị Hương", "0901000001").await;
    app.customer("Trần Văn Hùng", "0912000002").await;
    app.customer("Lê Hoàng Yến", "0983000003").await;
    let c = browser(&driver).await;
    let wait = || c.wait().at_most(Duration::from_secs(20));

    // Not signed in: the app sends you to the login page.
    c.goto(&app.url("/")).await.unwrap();
    wait().for_element(Locator::Css("#login-email")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));

    // A wrong password is explained next to the form.
    c.find(Locator::Css("#login-email")).await.unwrap().send_keys(ADMIN_EMAIL).await.unwrap();
    c.find(Locator::Css("#login-password")).await.unwrap().send_keys("wrong-password").await.unwrap();
    c.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    let banner = wait().for_element(Locator::Css(".banner-error")).await.unwrap();
    assert_eq!(banner.text().await.unwrap(), "invalid email or password");

    // The right one opens the customer list with the server's customers.
    let password = c.find(Locator::Css("#login-password")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys(ADMIN_PASSWORD).await.unwrap();
    c.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait().for_element(Locator::Css("tbody tr")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/customers"));
    let rows = c.find_all(Locator::Css("tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 3);
    let page = c.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    for name in ["Nguyễn Thị Hương", "Trần Văn Hùng", "Lê Hoàng Yến"] {
        assert!(page.contains(name), "{name} in {page}");
    }

    // Search as you type (accents not needed).
    c.find(Locator::Css(".search input")).await.unwrap().send_keys("hung").await.unwrap();
    let mut rows = 0;
    for _ in 0..100 {
        rows = c.find_all(Locator::Css("tbody tr")).await.unwrap().len();
        if rows == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows, 1);
    let row = c.find(Locator::Css("tbody tr")).await.unwrap().text().await.unwrap();
    assert!(row.contains("Trần Văn Hùng"), "{row}");
    c.close().await.unwrap();
}
