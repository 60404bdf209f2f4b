//! Time as a dependency: services and jobs ask the clock, so tests can move
//! time instead of sleeping.

use std::sync::Arc;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Tells the time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant (UTC).
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that tests set and advance by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clock shared by the application.
pub type SharedClock = Arc<dyn Clock>;

/// The UTC instant the business-local `day` starts (the earlier one when a
/// DST change repeats midnight; an error if a time zone skips it).
pub fn day_start(tz: chrono_tz::Tz, day: chrono::NaiveDate) -> crate::error::AppResult<DateTime<Utc>> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(|| anyhow::anyhow!("midnight exists"))?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| crate::error::AppError::Internal(anyhow::anyhow!("{day} has no midnight in {tz}")))
}
