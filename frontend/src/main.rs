//! crm360 staff workspace: a Leptos client-side app compiled to WebAssembly.
//!
//! `backend/build.rs` builds this crate for `wasm32-unknown-unknown`, runs
//! wasm-bindgen on it and hands the result to the server, which embeds it.
//!
//! Where things are:
//! - [`app`]: the router and the top-level routes;
//! - [`api`]: the GraphQL client, HTTP and live (WebSocket) — the only
//!   module that talks to the server;
//! - [`screens`]: one folder per screen (its routes' components, its
//!   `api.rs` calls and `.graphql` operations, its `style.css`);
//! - [`components`]: pieces shared by screens (shell, dialog, form fields);
//! - [`session`]: the signed-in user and their token (`localStorage`);
//! - [`theme`]: light and dark; [`format`]: money, dates, counts.
//!
//! `frontend/README.md` has the recipe for adding a screen.

mod api;
mod app;
mod components;
mod format;
mod phone;
mod screens;
mod session;
mod theme;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    mark_first_render();
}

/// `performance.mark("crm360-first-render")` once the first view is in the
/// page (mounting is synchronous), for the first-render benchmark
/// (`tests/e2e/bench.rs`).
fn mark_first_render() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else { return };
    let performance = js_sys::Reflect::get(&window, &"performance".into()).ok();
    let mark = performance.as_ref().and_then(|p| js_sys::Reflect::get(p, &"mark".into()).ok());
    if let (Some(performance), Some(Ok(mark))) = (performance, mark.map(|m| m.dyn_into::<js_sys::Function>())) {
        let _ = mark.call1(&performance, &"crm360-first-render".into());
    }
}
