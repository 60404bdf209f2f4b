//! crm360 staff workspace: a Leptos client-side app compiled to WebAssembly.
//!
//! `backend/build.rs` builds this crate for `wasm32-unknown-unknown`, runs
//! wasm-bindgen on it and hands the result to the server, which embeds it.
//!
//! Where things are:
//! - [`app`]: the router and the top-level routes;
//! - [`api`]: the GraphQL client (operations live in `../graphql/*.graphql`);
//! - [`session`]: the signed-in user and their token (`localStorage`);
//! - [`pages`]: one module per screen; [`components`]: shared pieces;
//! - [`format`]: display helpers (money, counts).

mod api;
mod app;
mod components;
mod format;
mod pages;
mod session;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
