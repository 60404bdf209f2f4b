//! First-render benchmark (not a test: `#[ignore]`, run by `just bench-spa`
//! or `cargo test --release -p crm360-tests --test e2e -- --ignored
//! first_render --nocapture`). Loads the sign-in page 20 times in headless
//! Chromium, each time in a fresh tab of a browser whose cache is cleared
//! first, and reports when the app's first view was in the page
//! (`performance.mark("crm360-first-render")`, set by `frontend/src/main.rs`
//! right after mounting) and the first contentful paint, both from the start
//! of navigation. Then the same with a warm cache.

use crate::browser::scenario;

const RUNS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored"]
async fn first_render() {
    scenario("bench_first_render", |s| async move {
        for cache in ["cold", "warm"] {
            let mut render = Vec::new();
            let mut paint = Vec::new();
            for _ in 0..RUNS {
                if cache == "cold" {
                    // A fresh origin state: the next navigation fetches everything.
                    s.c.goto("about:blank").await.unwrap();
                    s.c.issue_cmd(ClearCache).await.expect("clear the browser cache");
                }
                s.open("/login").await;
                s.find("#login-email").await;
                let times = s
                    .script(
                        "const r = performance.getEntriesByName('crm360-first-render')[0];
                         const p = performance.getEntriesByName('first-contentful-paint')[0];
                         return [r ? r.startTime : null, p ? p.startTime : null];",
                    )
                    .await;
                render.push(times[0].as_f64().unwrap_or(f64::NAN));
                paint.push(times[1].as_f64().unwrap_or(f64::NAN));
            }
            report(cache, "first render", &mut render);
            report(cache, "first contentful paint", &mut paint);
        }
    })
    .await;
}

fn report(cache: &str, what: &str, samples: &mut Vec<f64>) {
    // Chromium does not always report a paint entry (a reload of the same
    // page from a warm cache may paint nothing new).
    let total = samples.len();
    samples.retain(|t| !t.is_nan());
    if samples.is_empty() {
        println!("{cache} cache, {what}: not reported by the browser ({total} loads)");
        return;
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{cache} cache, {what}: median {:.0} ms, p90 {:.0} ms, max {:.0} ms ({} of {total} loads)",
        at(0.5),
        at(0.9),
        at(1.0),
        samples.len()
    );
}

/// Chromium's `Network.clearBrowserCache`, through chromedriver's CDP
/// endpoint.
#[derive(Debug)]
struct ClearCache;

impl fantoccini::wd::WebDriverCompatibleCommand for ClearCache {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(r#"{"cmd":"Network.clearBrowserCache","params":{}}"#.to_owned()))
    }
}
