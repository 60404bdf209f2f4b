//! Loading, empty and failed states, the same on every screen.

use leptos::prelude::*;

use crate::api::ApiError;

/// A spinner with a line of text, for anything that takes a moment.
#[component]
pub fn Loading(#[prop(optional)] label: Option<&'static str>) -> impl IntoView {
    let label = label.unwrap_or("Loading…");
    view! {
        <div class="loading" aria-busy="true">
            <span class="spinner spinner-muted" aria-hidden="true"></span>
            <span class="muted">{label}</span>
        </div>
    }
}

/// Nothing to show, said kindly, with a hint of what to do.
#[component]
pub fn Empty(title: &'static str, #[prop(optional, into)] hint: Option<String>) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            {hint.map(|hint| view! { <p class="muted">{hint}</p> })}
        </div>
    }
}

/// A failed load, with a retry button when `retry` is given.
#[component]
pub fn ErrorNotice(error: ApiError, #[prop(optional)] retry: Option<Callback<()>>) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert">
            <span>{error.to_string()}</span>
            {retry.map(|retry| view! {
                <button class="btn btn-small" type="button" on:click=move |_| retry.run(())>"Try again"</button>
            })}
        </div>
    }
}
