//! Forms: a labelled field with its error, and the state of one submission.
//!
//! A form keeps a [`FormState`]; [`FormState::submit`] runs the call,
//! disables the buttons meanwhile and keeps the server's error. Each
//! [`Field`] shows the error whose `extensions.field` names it (the
//! server's `input.amount` belongs to the field `amount`), or the form's own
//! check before sending; anything else goes to the banner from
//! [`FormState::general_error`].

use std::future::Future;

use leptos::{prelude::*, task::spawn_local};

use crate::api::ApiError;

/// The state of one form: whether it is sending, and what went wrong.
#[derive(Clone, Copy, Debug)]
pub struct FormState {
    /// The last failure (the server's, or a check before sending).
    pub failure: RwSignal<Option<ApiError>>,
    /// A call is on its way.
    pub busy: RwSignal<bool>,
    /// The inputs of this form, by the name the server uses.
    fields: &'static [&'static str],
}

impl FormState {
    /// A form with these inputs (named as the server names them).
    pub fn new(fields: &'static [&'static str]) -> Self {
        FormState { failure: RwSignal::new(None), busy: RwSignal::new(false), fields }
    }

    /// The message for the input `name`, if the last failure is about it.
    pub fn error_for(self, name: &'static str) -> Signal<Option<String>> {
        let failure = self.failure;
        Signal::derive(move || failure.with(|f| f.as_ref().filter(|e| e.is_about(name)).map(ToString::to_string)))
    }

    /// The message of a failure about none of this form's inputs.
    pub fn general_error(self) -> Option<String> {
        self.failure.with(|failure| {
            failure.as_ref().filter(|e| !self.fields.iter().any(|f| e.is_about(f))).map(ToString::to_string)
        })
    }

    /// Refuses to send: shows `message` next to the input `field`.
    pub fn reject(self, field: &'static str, message: impl Into<String>) {
        self.failure.set(Some(ApiError::invalid(field, message)));
    }

    /// Forgets the last failure.
    pub fn clear(self) {
        self.failure.set(None);
    }

    /// Runs `call` unless one is already on its way; `on_success` gets its
    /// answer, a failure stays in [`FormState::failure`].
    pub fn submit<T, Fut, F>(self, call: Fut, on_success: F)
    where
        T: 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
        F: FnOnce(T) + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.failure.set(None);
        spawn_local(async move {
            let result = call.await;
            // The form may be gone (dialog closed) by the time the answer comes.
            let _ = self.busy.try_set(false);
            match result {
                Ok(value) => on_success(value),
                Err(error) => {
                    let _ = self.failure.try_set(Some(error));
                }
            }
        });
    }
}

/// Whether `text` looks like an email address (something@something); the
/// server has the last word.
pub fn looks_like_email(text: &str) -> bool {
    let text = text.trim();
    text.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

/// A labelled input (the children) with a hint and an error below it.
#[component]
pub fn Field(
    /// The label text.
    label: &'static str,
    /// The error to show, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// A short help text under the input.
    #[prop(optional)]
    hint: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <label class="field" class:has-error=move || error.with(Option::is_some)>
            <span class="field-label">{label}</span>
            {children()}
            {hint.map(|hint| view! { <span class="field-hint">{hint}</span> })}
            <span class="field-error" role="alert">{move || error.get()}</span>
        </label>
    }
}

/// The banner above a form's buttons for failures not tied to an input.
#[component]
pub fn FormError(form: FormState) -> impl IntoView {
    move || {
        form.general_error().map(|message| {
            view! { <div class="banner banner-error form-error" role="alert">{message}</div> }
        })
    }
}

/// A submit button that shows a spinner and is disabled while sending.
#[component]
pub fn SubmitButton(
    form: FormState,
    /// Text while idle.
    label: &'static str,
    /// Text while sending.
    #[prop(optional)]
    busy_label: Option<&'static str>,
    /// Extra classes (`btn-danger`, …); defaults to the primary style.
    #[prop(optional)]
    class: Option<&'static str>,
) -> impl IntoView {
    let class = format!("btn {}", class.unwrap_or("btn-primary"));
    view! {
        <button type="submit" class=class disabled=move || form.busy.get()>
            {move || {
                if form.busy.get() {
                    view! { <span class="spinner" aria-hidden="true"></span> {busy_label.unwrap_or("Saving…")} }.into_any()
                } else {
                    label.into_any()
                }
            }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn an_email_has_something_on_both_sides_of_one_at() {
        assert!(looks_like_email(" lan@crm360.vn "));
        assert!(!looks_like_email("lan.crm360.vn"));
        assert!(!looks_like_email("@crm360.vn"));
        assert!(!looks_like_email("lan@"));
        assert!(!looks_like_email("lan@a@b"));
    }
}
