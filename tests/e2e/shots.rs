//! Screenshots of every screen on the demo data, wide and phone-sized,
//! light and dark, for people to look at (not a test: it asserts only that
//! each screen rendered). Run with `just screenshots`:
//! `cargo test -p crm360-tests --test e2e -- --ignored screenshots`;
//! the images go to `target/e2e-screenshots/shots/`.

use std::time::Duration;

use crate::browser::{Session, scenario_sized};

/// Path, what proves it rendered, and the image name.
const SCREENS: &[(&str, &str, &str)] = &[
    ("/dashboard", ".kpi-value", "dashboard"),
    ("/customers", ".customer-row", "customers"),
    ("/tickets", ".ticket-card", "tickets-board"),
    ("/tickets?view=list", ".ticket-row", "tickets-list"),
    ("/transfers", ".transfer-stats", "transfers"),
    ("/analytics", "#kpi-revenue", "analytics"),
    ("/admin/users", ".user-row", "admin-users"),
    ("/admin/keys", ".list-card", "admin-keys"),
    ("/admin/audit", ".audit-entry", "admin-audit"),
];

async fn shoot(s: &Session, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots/shots");
    std::fs::create_dir_all(&dir).unwrap();
    // Let transitions and live updates settle.
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(dir.join(format!("{name}.png")), s.c.screenshot().await.unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a tool for looking at the screens, run by `just screenshots`"]
async fn screenshots() {
    for (size_name, size) in [("wide", (1280, 900)), ("phone", (390, 844))] {
        for theme in ["light", "dark"] {
            scenario_sized("screenshots", size, |s| async move {
                crm360::seed::demo_if_empty(&s.app.ctx).await.unwrap();
                s.sign_in_as_admin().await;
                s.script(&format!("localStorage.setItem('crm360.theme', '{theme}'); return null;")).await;
                for (path, ready, name) in SCREENS {
                    s.open(path).await;
                    s.find(ready).await;
                    shoot(&s, &format!("{name}-{size_name}-{theme}")).await;
                }
                let first = s.app.gql("{ customers(first: 1) { edges { node { id } } } }", serde_json::json!({})).await;
                let id = first["data"]["customers"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
                s.open(&format!("/customers/{id}")).await;
                s.find(".wallet-card").await;
                shoot(&s, &format!("customer-{size_name}-{theme}")).await;
            })
            .await;
        }
    }
}
