//! Signing in and out, the session, the theme, the phone layout.

use crate::browser::{scenario, scenario_sized};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_signs_in_and_out() {
    scenario("sign_in_and_out", |s| async move {
        // Not signed in: the app sends you to the login page.
        s.open("/").await;
        s.find("#login-email").await;
        s.wait_path("/login").await;

        // A wrong password is explained next to the form.
        s.fill("#login-email", ADMIN_EMAIL).await;
        s.fill("#login-password", "wrong-password").await;
        s.click("button[type=submit]").await;
        s.wait_text(".banner-error", "invalid email or password").await;

        // The right one opens the dashboard, with the admin's navigation.
        s.fill("#login-password", ADMIN_PASSWORD).await;
        s.click("button[type=submit]").await;
        s.wait_path("/dashboard").await;
        s.wait_text(".topbar-nav", "Admin").await;

        // A reload keeps the session; signing out ends it.
        s.open("/customers").await;
        s.wait_text(".topbar", "Sign out").await;
        s.click_text(".topbar", "Sign out").await;
        s.wait_path("/login").await;
        s.wait_text(".banner-info", "signed out").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_sends_you_back_to_sign_in_with_a_message() {
    scenario("expired_session", |s| async move {
        s.sign_in_as_admin().await;
        // The server no longer accepts the token (as after its expiry).
        s.script("localStorage.setItem('crm360.token', 'expired-or-forged'); return null;").await;
        s.open("/customers").await;
        s.wait_path("/login").await;
        s.wait_text(".banner-info", "session has expired").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sees_no_admin_screens_and_the_theme_is_remembered() {
    scenario("agent_navigation_theme", |s| async move {
        let agent = serde_json::json!({ "i": {
            "email": "agent@test.local", "name": "Lan Agent", "role": "AGENT", "password": "password-1234"
        } });
        let res = s.app.gql("mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", agent).await;
        assert!(res["errors"].is_null(), "{res}");
        s.sign_in("agent@test.local", "password-1234").await;
        let nav = s.wait_text(".topbar-nav", "Tickets").await;
        assert!(!nav.contains("Admin"), "an agent has no admin screens: {nav}");
        s.click(".theme-toggle").await;
        let theme = s.script("return document.documentElement.dataset.theme;").await;
        s.open("/customers").await;
        s.find(".topbar").await;
        let after = s.script("return document.documentElement.dataset.theme;").await;
        assert_eq!(theme, after, "the theme survives a reload");
        assert!(theme == "dark" || theme == "light", "{theme}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_layout_keeps_the_navigation_reachable() {
    scenario_sized("phone_layout", (390, 844), |s| async move {
        s.sign_in_as_admin().await;
        s.open("/customers").await;
        s.find(".topbar-nav a[href='/customers']").await;
        let overflow = s.script("return document.documentElement.scrollWidth > window.innerWidth + 1;").await;
        assert_eq!(overflow, false, "nothing sticks out sideways at 390 px");
    })
    .await;
}
