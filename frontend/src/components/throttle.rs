//! Reloading on live events without flooding the server: however many
//! events arrive, the figures are reloaded at most once per
//! [`RELOAD_EVERY_MS`], and an event never goes unanswered.

use leptos::prelude::*;

/// The fewest milliseconds between two reloads of the figures.
pub const RELOAD_EVERY_MS: f64 = 1_000.0;

/// At most one reload per [`RELOAD_EVERY_MS`]: events arriving meanwhile
/// share the reload already scheduled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Throttle {
    /// When the last reload started (ms).
    last: Option<f64>,
    scheduled: bool,
}

impl Throttle {
    /// An event came at `now`: the delay before reloading, or `None` when a
    /// reload is already scheduled.
    pub fn request(&mut self, now: f64) -> Option<f64> {
        if self.scheduled {
            return None;
        }
        self.scheduled = true;
        Some(self.last.map_or(0.0, |last| (last + RELOAD_EVERY_MS - now).max(0.0)))
    }

    /// The scheduled reload starts at `now`.
    pub fn ran(&mut self, now: f64) {
        self.scheduled = false;
        self.last = Some(now);
    }

    /// An event came: runs `reload` now or when the throttle allows, unless
    /// a reload is already scheduled; nothing once the owner (the page
    /// holding `state`) is gone.
    pub fn schedule(state: StoredValue<Throttle>, reload: impl FnOnce() + 'static) {
        let Some(delay) = state.try_update_value(|t| t.request(js_sys::Date::now())).flatten() else { return };
        set_timeout(
            move || {
                if state.try_update_value(|t| t.ran(js_sys::Date::now())).is_some() {
                    reload();
                }
            },
            std::time::Duration::from_millis(delay as u64),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_reload_at_most_once_a_second() {
        let mut t = Throttle::default();
        assert_eq!(t.request(10_000.0), Some(0.0), "the first event reloads at once");
        assert_eq!(t.request(10_100.0), None, "already scheduled");
        t.ran(10_000.0);
        assert_eq!(t.request(10_300.0), Some(700.0), "waits for the second to pass");
        assert_eq!(t.request(10_400.0), None);
        t.ran(11_000.0);
        assert_eq!(t.request(13_000.0), Some(0.0), "long after: at once");
    }
}
