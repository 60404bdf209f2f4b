//! A modal dialog: a titled panel over the page, closed by its button,
//! Escape or a click outside. Its content is built each time it opens, so
//! a form inside starts empty every time.

use leptos::{ev, prelude::*};

/// Shows `children` in a modal while `open` is true.
#[component]
pub fn Dialog(
    open: RwSignal<bool>,
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// `wide` for forms with two columns.
    #[prop(optional)]
    wide: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let close = move || open.set(false);
    let handle = window_event_listener(ev::keydown, move |event| {
        if event.key() == "Escape" && open.get_untracked() {
            close();
        }
    });
    on_cleanup(move || handle.remove());
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| close()>
                <div
                    class="dialog"
                    class:dialog-wide=wide
                    role="dialog"
                    aria-modal="true"
                    aria-label=move || title.get()
                    on:click=|event| event.stop_propagation()
                >
                    <header class="dialog-head">
                        <h2>{move || title.get()}</h2>
                        <button class="btn btn-ghost btn-icon" type="button" aria-label="Close" on:click=move |_| close()>
                            "✕"
                        </button>
                    </header>
                    <div class="dialog-body">{children.with_value(|children| children())}</div>
                </div>
            </div>
        </Show>
    }
}
