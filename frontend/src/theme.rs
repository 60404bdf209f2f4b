//! Light and dark theme. The choice is kept in `localStorage` and applied
//! as `data-theme` on `<html>`, where `style.css` swaps its colour
//! variables; without a choice the system preference wins.

use leptos::prelude::*;

const THEME_KEY: &str = "crm360.theme";

/// The two looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The other one.
    pub fn toggled(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// Reactive handle on the theme, provided by [`crate::app::App`].
#[derive(Clone, Copy, Debug)]
pub struct ThemeChoice(RwSignal<Theme>);

impl ThemeChoice {
    /// The saved theme, else the system's; applies it at once.
    pub fn restore() -> Self {
        let saved = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten());
        let theme = match saved.as_deref() {
            Some("dark") => Theme::Dark,
            Some("light") => Theme::Light,
            _ if prefers_dark() => Theme::Dark,
            _ => Theme::Light,
        };
        apply(theme);
        ThemeChoice(RwSignal::new(theme))
    }

    /// The provided handle.
    pub fn current() -> Self {
        expect_context()
    }

    /// The theme (tracked).
    pub fn get(self) -> Theme {
        self.0.get()
    }

    /// Switches between light and dark and remembers the choice.
    pub fn toggle(self) {
        let theme = self.0.get_untracked().toggled();
        if let Some(storage) = storage() {
            let _ = storage.set_item(THEME_KEY, theme.as_str());
        }
        apply(theme);
        self.0.set(theme);
    }
}

fn apply(theme: Theme) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
}

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|query| query.matches())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
