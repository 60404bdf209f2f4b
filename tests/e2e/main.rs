//! The staff workspace in a real browser: headless Chromium driven over
//! WebDriver (chromedriver), against the real server on SQLite, one file
//! per screen.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; `.ci/run` installs them). Without them
//! every test is skipped with a notice, unless `CRM360_REQUIRE_BROWSER=1`.
//! When the server was built with `CRM360_SKIP_SPA=1` there is no app to
//! test: skipped the same way. A failing test leaves a screenshot in
//! `target/e2e-screenshots/<test>.png`.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod browser;

mod admin;
mod analytics;
mod bench;
mod call_tasks;
mod campaigns;
mod customer;
mod customers;
mod dashboard;
mod engagement;
mod exports;
mod login;
mod merge;
mod shots;
mod tickets;
mod transfers;
mod webhooks;
