//! `/login`: the sign-in form.

use leptos::{either::Either, ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::{components::Redirect, hooks::use_navigate};

use crate::{
    api::{Api, ApiError},
    app::replace,
    components::banner::{Banner, Tone},
    session::Session,
};

/// Email and password form. Signed-in visitors go straight to the dashboard.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::current();
    if session.is_signed_in_untracked() {
        return Either::Left(view! { <Redirect path="/dashboard" options=replace() /> });
    }
    Either::Right(view! { <LoginForm /> })
}

#[component]
fn LoginForm() -> impl IntoView {
    let session = Session::current();
    let api = Api::current();
    let navigate = use_navigate();

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // Field messages appear after the first attempt, then follow the typing.
    let attempted = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);

    let email_error = move || {
        attempted
            .get()
            .then(|| check_email(&email.read()))
            .flatten()
            .map(str::to_owned)
            .or_else(|| field_failure(failure, "email"))
    };
    let password_error = move || {
        attempted
            .get()
            .then(|| check_password(&password.read()))
            .flatten()
            .map(str::to_owned)
            .or_else(|| field_failure(failure, "password"))
    };
    // Failures not tied to a field (wrong password, server down) go above
    // the form.
    let form_error = move || {
        failure.with(|failure| match failure {
            Some(error) if error.is("BAD_USER_INPUT") && error.field().is_some() => None,
            Some(other) => Some(other.to_string()),
            None => None,
        })
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        attempted.set(true);
        failure.set(None);
        session.dismiss_notice();
        let address = email.get_untracked().trim().to_owned();
        let secret = password.get_untracked();
        if check_email(&address).is_some() || check_password(&secret).is_some() {
            return;
        }
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api.login(address, secret).await {
                Ok(auth) => {
                    session.sign_in(auth);
                    navigate("/dashboard", Default::default());
                }
                Err(error) => {
                    failure.set(Some(error));
                    pending.set(false);
                }
            }
        });
    };

    view! {
        <main class="centered login">
            <div class="card narrow">
                <div class="login-brand">
                    <span class="brand-mark" aria-hidden="true">"c"</span>
                    <span class="brand-name">"crm360"</span>
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"Use your staff account."</p>

                {move || session.notice().map(|notice| view! { <Banner tone=Tone::Info>{notice}</Banner> })}
                {move || form_error().map(|error| view! { <Banner tone=Tone::Error>{error}</Banner> })}

                <form class="form" on:submit=on_submit novalidate=true>
                    <div class="field" class:has-error=move || email_error().is_some()>
                        <label for="login-email">"Email"</label>
                        <input
                            id="login-email"
                            type="email"
                            name="email"
                            autocomplete="username"
                            inputmode="email"
                            autofocus=true
                            placeholder="you@company.vn"
                            aria-invalid=move || email_error().is_some().to_string()
                            aria-describedby="login-email-error"
                            bind:value=email
                        />
                        <p class="field-error" id="login-email-error">{email_error}</p>
                    </div>
                    <div class="field" class:has-error=move || password_error().is_some()>
                        <label for="login-password">"Password"</label>
                        <input
                            id="login-password"
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            aria-invalid=move || password_error().is_some().to_string()
                            aria-describedby="login-password-error"
                            bind:value=password
                        />
                        <p class="field-error" id="login-password-error">{password_error}</p>
                    </div>
                    <button
                        class="btn btn-primary btn-block"
                        type="submit"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().to_string()
                    >
                        {move || {
                            if pending.get() {
                                Either::Left(view! { <span class="spinner" aria-hidden="true"></span> "Signing in…" })
                            } else {
                                Either::Right("Sign in")
                            }
                        }}
                    </button>
                </form>
            </div>
        </main>
    }
}

/// The server's complaint about one input, if that is what it was.
fn field_failure(failure: RwSignal<Option<ApiError>>, name: &str) -> Option<String> {
    failure.with(|failure| failure.as_ref().filter(|e| e.is_about(name)).map(ToString::to_string))
}

fn check_email(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        Some("Enter your email address.")
    } else if !looks_like_email(email) {
        Some("Enter a valid email address, like name@company.vn.")
    } else {
        None
    }
}

fn check_password(password: &str) -> Option<&'static str> {
    password.is_empty().then_some("Enter your password.")
}

/// `local@domain.tld`: one `@`, no spaces, and a dot inside the domain. The
/// server does the real check; this only catches typos early.
fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shape() {
        for good in ["an@crm360.vn", "a.b+c@mail.example.com", "x@y.z"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in ["", "an", "an@", "@crm360.vn", "an@crm360", "an@@crm360.vn", "an@crm360.", "a n@crm.vn", "an@.vn"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn both_fields_are_required() {
        assert_eq!(check_email("  "), Some("Enter your email address."));
        assert!(check_email("an@crm360.vn").is_none());
        assert_eq!(check_password(""), Some("Enter your password."));
        assert!(check_password(" ").is_none());
    }
}
