//! Driving the SPA: chromedriver, a headless Chromium per test, and the
//! few verbs the scenarios are written in (sign in, fill, click, wait for
//! text), each waiting up to [`PATIENCE`] for the app to catch up.
//!
//! [`scenario`] starts the server and the browser, runs the test, and on
//! failure saves a screenshot before failing.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a step waits for the page before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// At most two browsers at once: this runs on two cores.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

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

fn skip(why: &str) {
    if std::env::var("CRM360_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("CRM360_REQUIRE_BROWSER=1 but {why}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: a browser test — {why}\n");
}

fn browser_present() -> bool {
    std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists()
}

/// On a fresh Debian machine where we are root, installs Chromium and
/// ChromeDriver once (about 30 s), unless `CRM360_INSTALL_BROWSER=0`.
fn install_browser() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let allowed = std::env::var("CRM360_INSTALL_BROWSER").map_or(true, |v| v != "0");
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
        if browser_present() || !allowed || !root || !std::path::Path::new("/usr/bin/apt-get").exists() {
            return;
        }
        eprintln!("installing chromium and chromium-driver for the browser tests (CRM360_INSTALL_BROWSER=0 to skip)");
        let installed = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver",
            ])
            .stdout(Stdio::null())
            .status();
        if !installed.is_ok_and(|s| s.success()) {
            eprintln!("could not install chromium: the browser tests will be skipped");
        }
    });
}

async fn start_driver() -> Option<Driver> {
    install_browser();
    if !browser_present() {
        skip(&format!(
            "{CHROMIUM} / {CHROMEDRIVER} not installed (apt-get install chromium chromium-driver; .ci/run does it)"
        ));
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

async fn connect(driver: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", format!("--window-size={width},{height}"),
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

/// One browser on one app: what a scenario gets.
pub struct Session {
    pub c: Client,
    pub app: TestApp,
}

/// Runs `test` with a fresh server (SQLite) and a 1280×800 browser.
pub async fn scenario<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()>,
{
    scenario_sized(name, (1280, 800), test).await;
}

/// [`scenario`] with another window size (390×844 is a phone).
pub async fn scenario_sized<F, Fut>(name: &str, (width, height): (u32, u32), test: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()>,
{
    let _permit = BROWSERS.acquire().await.unwrap();
    let Some(driver) = start_driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let index = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    if !index.contains("_bg.wasm") {
        skip("the server was built with CRM360_SKIP_SPA=1, so there is no app to test");
        return;
    }
    let c = connect(&driver, width, height).await;
    let outcome = AssertUnwindSafe(test(Session { c: c.clone(), app })).catch_unwind().await;
    if let Err(panic) = outcome {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{name}.png"));
        if let Ok(png) = c.screenshot().await {
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot of the failure: {}", path.display());
        }
        let _ = c.close().await;
        std::panic::resume_unwind(panic);
    }
    let _ = c.close().await;
}

// Not every screen's tests use every verb.
#[allow(dead_code)]
impl Session {
    /// The app's URL for `path`.
    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// Opens `path`.
    pub async fn open(&self, path: &str) {
        self.c.goto(&self.url(path)).await.unwrap();
    }

    /// Signs in through the form and waits for the dashboard.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.open("/login").await;
        self.fill("#login-email", email).await;
        self.fill("#login-password", password).await;
        self.click("button[type=submit]").await;
        self.wait_path("/dashboard").await;
    }

    /// Signs in as the seeded admin.
    pub async fn sign_in_as_admin(&self) {
        self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Every element matching `css` now (possibly none).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(css)).await.unwrap()
    }

    /// Types `text` into the input `css` after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks the button (or link) inside `scope` whose text is `label`.
    pub async fn click_text(&self, scope: &str, label: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            for element in self.all(&format!("{scope} button, {scope} a")).await {
                if element.text().await.is_ok_and(|t| t.trim() == label) && element.is_enabled().await.unwrap_or(false)
                {
                    element.click().await.unwrap();
                    return;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "no enabled button or link “{label}” in {scope}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Chooses the option with value `value` in the `<select>` `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until the text of `css` contains `expected`; returns the text.
    pub async fn wait_text(&self, css: &str, expected: &str) -> String {
        self.wait_text_within(css, expected, PATIENCE).await
    }

    /// [`Session::wait_text`] for work known to take long (a bulk import on
    /// a busy 2-core machine).
    pub async fn wait_text_within(&self, css: &str, expected: &str, patience: Duration) -> String {
        let deadline = tokio::time::Instant::now() + patience;
        let mut last = String::new();
        loop {
            if let Ok(element) = self.c.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(expected) {
                    return text;
                }
                last = text;
            }
            assert!(tokio::time::Instant::now() < deadline, "{css} never showed “{expected}”; last seen: “{last}”");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` matches exactly `n` elements.
    pub async fn wait_count(&self, css: &str, n: usize) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let seen = self.all(css).await.len();
            if seen == n {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{css}: {seen} elements, expected {n}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until nothing matches `css` (a dialog closed, a row left).
    pub async fn wait_gone(&self, css: &str) {
        self.wait_count(css, 0).await;
    }

    /// Waits until the page's path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let current = self.c.current_url().await.unwrap();
            if current.path() == path {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "still at {current}, expected {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.c.execute(js, vec![]).await.unwrap()
    }
}
