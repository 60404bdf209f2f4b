//! Infinite scroll: a marker at the end of a list that asks for the next
//! page when it scrolls into view, with a button for keyboards and for
//! screens too tall to scroll.

use leptos::{html, prelude::*};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{IntersectionObserver, IntersectionObserverEntry};

/// Put after the last row. `on_more` runs when the marker comes into view
/// (or the button is pressed) while `has_more` and not `loading`.
#[component]
pub fn LoadMore(
    #[prop(into)] has_more: Signal<bool>,
    #[prop(into)] loading: Signal<bool>,
    on_more: Callback<()>,
) -> impl IntoView {
    let marker = NodeRef::<html::Div>::new();
    let request = move || {
        if has_more.get_untracked() && !loading.get_untracked() {
            on_more.run(());
        }
    };

    Effect::new(move |_| {
        let Some(element) = marker.get() else { return };
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries
                .iter()
                .filter_map(|entry| entry.dyn_into::<IntersectionObserverEntry>().ok())
                .any(|entry| entry.is_intersecting());
            if visible {
                request();
            }
        });
        if let Ok(observer) = IntersectionObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&element);
            // The observer and its callback live as long as the marker.
            let observer = send_wrapper::SendWrapper::new((observer, callback));
            on_cleanup(move || observer.0.disconnect());
        }
    });

    view! {
        <div class="load-more" node_ref=marker>
            <Show when=move || has_more.get()>
                <button class="btn" type="button" disabled=move || loading.get() on:click=move |_| request()>
                    {move || if loading.get() { "Loading…" } else { "Load more" }}
                </button>
            </Show>
        </div>
    }
}
