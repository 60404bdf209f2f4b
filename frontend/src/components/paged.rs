//! A list loaded page by page from a Relay connection: the rows so far,
//! the cursor, loading / loaded / failed, started over whenever a version
//! signal moves (a filter changed, a live event arrived). Pair it with
//! [`crate::components::scroll::LoadMore`].

use std::future::Future;

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{ApiError, Page},
    components::states::{Empty, ErrorNotice, Loading},
};

/// A list loaded page by page, started over when `version` moves.
pub struct Paged<T: Send + Sync + 'static> {
    pub items: RwSignal<Vec<T>>,
    pub cursor: RwSignal<Option<String>>,
    pub has_more: RwSignal<bool>,
    pub loading: RwSignal<bool>,
    pub loaded: RwSignal<bool>,
    pub failure: RwSignal<Option<ApiError>>,
}

impl<T: Send + Sync + 'static> Clone for Paged<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Paged<T> {}

impl<T: Clone + Send + Sync + 'static> Paged<T> {
    /// Loads the first page now and whenever `version` changes; `fetch`
    /// gets the cursor to start after.
    pub fn new<F, Fut>(version: Signal<u32>, fetch: F) -> (Self, Callback<()>)
    where
        F: Fn(Option<String>) -> Fut + Clone + 'static,
        Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
    {
        let paged = Paged {
            items: RwSignal::new(Vec::new()),
            cursor: RwSignal::new(None),
            has_more: RwSignal::new(false),
            loading: RwSignal::new(false),
            loaded: RwSignal::new(false),
            failure: RwSignal::new(None),
        };
        let load = move |fresh: bool, fetch: F| {
            if paged.loading.get_untracked() && !fresh {
                return;
            }
            paged.loading.set(true);
            let after = if fresh { None } else { paged.cursor.get_untracked() };
            spawn_local(async move {
                let result = fetch(after).await;
                let _ = paged.loading.try_set(false);
                match result {
                    Ok(page) => {
                        let more = page.has_more();
                        paged.cursor.set(page.end_cursor);
                        paged.has_more.set(more);
                        paged.items.update(|items| {
                            if fresh {
                                items.clear();
                            }
                            items.extend(page.items);
                        });
                        paged.failure.set(None);
                        paged.loaded.set(true);
                    }
                    Err(error) => {
                        let _ = paged.failure.try_set(Some(error));
                    }
                }
            });
        };
        let first = fetch.clone();
        Effect::new(move |_| {
            version.track();
            load(true, first.clone());
        });
        let fetch = StoredValue::new_local(fetch);
        let more = Callback::new(move |()| load(false, fetch.get_value()));
        (paged, more)
    }

    /// Loading, error or empty state, else `None` (show the rows).
    pub fn state(self, empty: &'static str, hint: &'static str) -> Option<AnyView> {
        if let Some(error) = self.failure.get().filter(|_| self.items.with(Vec::is_empty)) {
            return Some(view! { <ErrorNotice error /> }.into_any());
        }
        if !self.loaded.get() {
            return Some(view! { <Loading /> }.into_any());
        }
        self.items.with(Vec::is_empty).then(|| view! { <Empty title=empty hint=hint /> }.into_any())
    }
}
