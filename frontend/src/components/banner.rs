//! Full-width messages above a form or a list.

use leptos::prelude::*;

/// How a [`Banner`] looks and how assistive technology announces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Something failed (announced immediately).
    Error,
    /// Something worth knowing (announced politely).
    Info,
}

/// A message box; put the text (and any action button) inside.
#[component]
pub fn Banner(tone: Tone, children: Children) -> impl IntoView {
    let (class, role) = match tone {
        Tone::Error => ("banner banner-error", "alert"),
        Tone::Info => ("banner banner-info", "status"),
    };
    view! {
        <div class=class role=role>
            {children()}
        </div>
    }
}
