//! The period and time zone the analytics screen shows, as kept in its URL
//! (`?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=Area/City`): reading them, checking
//! a range typed by a person, the presets, and "today" in a time zone.
//! Everything but [`today_in`] is plain logic, tested below.

use crate::components::chart::{date_text, parse_date};

/// The longest period the server accepts, in days.
pub const MAX_DAYS: i64 = 92;

/// The preset periods: days ending today, and their label.
pub const PRESETS: [(i64, &str); 3] = [(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days")];

/// The period shown when the URL names none.
pub const DEFAULT_DAYS: i64 = 30;

/// Time zones offered besides the business one (the server's default).
pub const TIME_ZONES: [&str; 7] =
    ["UTC", "Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "America/New_York"];

/// What the URL asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// `Ok(None)`: no period in the URL (the default one); `Err`: a period
    /// that cannot be shown, and why.
    pub period: Result<Option<(String, String)>, &'static str>,
    /// `None`: the business time zone.
    pub tz: Option<String>,
}

impl Selection {
    /// Reads the URL's `from`, `to` and `tz`.
    pub fn from_query(from: Option<&str>, to: Option<&str>, tz: Option<&str>) -> Self {
        let period = match (from.map(str::trim).filter(|s| !s.is_empty()), to.map(str::trim).filter(|s| !s.is_empty()))
        {
            (None, None) => Ok(None),
            (from, to) => check(from.unwrap_or_default(), to.unwrap_or_default()).map(Some),
        };
        let tz = tz.map(str::trim).filter(|tz| is_zone_name(tz)).map(str::to_owned);
        Selection { period, tz }
    }
}

/// Whether `name` looks like an IANA time zone name (`UTC`,
/// `America/Argentina/Buenos_Aires`); the server has the last word.
fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
}

/// A range typed by a person (`YYYY-MM-DD`, as date inputs give it), or
/// what is wrong with it.
pub fn check(from: &str, to: &str) -> Result<(String, String), &'static str> {
    let first = parse_date(from.trim()).ok_or("Choose a valid start date.")?;
    let last = parse_date(to.trim()).ok_or("Choose a valid end date.")?;
    if last < first {
        return Err("The start date must not be after the end date.");
    }
    if last - first + 1 > MAX_DAYS {
        return Err("Choose at most 92 days at once.");
    }
    Ok((date_text(first), date_text(last)))
}

/// The `days` days ending `today`.
pub fn preset(days: i64, today: &str) -> Option<(String, String)> {
    let last = parse_date(today)?;
    Some((date_text(last - (days - 1)), date_text(last)))
}

/// Which preset `from`–`to` is when today is `today`.
pub fn preset_of(from: &str, to: &str, today: &str) -> Option<i64> {
    PRESETS.iter().map(|(days, _)| *days).find(|days| preset(*days, today).is_some_and(|(f, t)| f == from && t == to))
}

/// The URL query of a period and time zone.
pub fn to_query(from: &str, to: &str, tz: Option<&str>) -> String {
    match tz {
        Some(tz) => format!("from={from}&to={to}&tz={}", tz.replace('+', "%2B")),
        None => format!("from={from}&to={to}"),
    }
}

/// The time zones the picker offers: the business one first (value
/// `None`), the usual others, and the one in the URL if it is none of those.
pub fn zone_choices(business: Option<&str>, chosen: Option<&str>) -> Vec<Option<String>> {
    let mut choices = vec![None];
    let others = TIME_ZONES.iter().copied().chain(chosen).filter(|tz| Some(*tz) != business);
    for tz in others {
        if !choices.iter().any(|c| c.as_deref() == Some(tz)) {
            choices.push(Some(tz.to_owned()));
        }
    }
    choices
}

/// `YYYY-MM-DD` from the parts `Intl.DateTimeFormat` gives.
fn date_of_parts(year: &str, month: &str, day: &str) -> Option<String> {
    let text = format!("{year:0>4}-{month:0>2}-{day:0>2}");
    parse_date(&text).map(date_text)
}

/// Today (`YYYY-MM-DD`) in the time zone `tz` by the browser's clock;
/// `None` when the browser does not know the zone.
pub fn today_in(tz: &str) -> Option<String> {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let get = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).ok();
    let intl = get(&js_sys::global().into(), "Intl")?;
    let constructor = get(&intl, "DateTimeFormat")?.dyn_into::<js_sys::Function>().ok()?;
    let options = Object::new();
    for (key, value) in [("timeZone", tz), ("year", "numeric"), ("month", "2-digit"), ("day", "2-digit")] {
        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    // `construct` and `apply` report a RangeError (an unknown zone) as an
    // `Err` instead of throwing through the wasm code.
    let format = Reflect::construct(&constructor, &Array::of2(&JsValue::from_str("en-US"), &options)).ok()?;
    let to_parts = get(&format, "formatToParts")?.dyn_into::<js_sys::Function>().ok()?;
    let parts = Reflect::apply(&to_parts, &format, &Array::of1(&js_sys::Date::new_0())).ok()?;
    let part = |name: &str| {
        Array::from(&parts)
            .iter()
            .find(|p| get(p, "type").and_then(|t| t.as_string()).as_deref() == Some(name))
            .and_then(|p| get(&p, "value")?.as_string())
    };
    date_of_parts(&part("year")?, &part("month")?, &part("day")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(from: &str, to: &str) -> Result<Option<(String, String)>, &'static str> {
        Ok(Some((from.to_owned(), to.to_owned())))
    }

    #[test]
    fn the_url_gives_the_period_and_the_zone() {
        let s = Selection::from_query(Some("2026-11-01"), Some("2026-11-30"), Some("Asia/Tokyo"));
        assert_eq!(s.period, some("2026-11-01", "2026-11-30"));
        assert_eq!(s.tz.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(Selection::from_query(None, None, None), Selection { period: Ok(None), tz: None });
        assert_eq!(Selection::from_query(Some(""), Some(" "), Some("")).period, Ok(None));
        assert!(Selection::from_query(Some("2026-11-01"), None, None).period.is_err(), "half a period");
        assert!(Selection::from_query(Some("2026-12-01"), Some("2026-11-01"), None).period.is_err());
        assert_eq!(Selection::from_query(None, None, Some("<script>")).tz, None);
        assert_eq!(Selection::from_query(None, None, Some("Etc/GMT+7")).tz.as_deref(), Some("Etc/GMT+7"));
    }

    #[test]
    fn a_typed_range_is_checked_before_asking_the_server() {
        assert_eq!(check("2026-11-01", "2026-11-01"), Ok(("2026-11-01".into(), "2026-11-01".into())));
        assert_eq!(check("", "2026-11-01"), Err("Choose a valid start date."));
        assert_eq!(check("2026-11-01", "2026-02-30"), Err("Choose a valid end date."));
        assert_eq!(check("2026-11-02", "2026-11-01"), Err("The start date must not be after the end date."));
        assert!(check("2026-01-01", "2026-04-02").is_ok(), "92 days");
        assert_eq!(check("2026-01-01", "2026-04-03"), Err("Choose at most 92 days at once."));
    }

    #[test]
    fn presets_end_today() {
        assert_eq!(preset(7, "2026-03-02"), Some(("2026-02-24".into(), "2026-03-02".into())));
        assert_eq!(preset(90, "2026-11-21"), Some(("2026-08-24".into(), "2026-11-21".into())));
        assert_eq!(preset_of("2026-02-24", "2026-03-02", "2026-03-02"), Some(7));
        assert_eq!(preset_of("2026-02-24", "2026-03-02", "2026-03-03"), None, "yesterday's week");
        for (days, _) in PRESETS {
            assert!(days <= MAX_DAYS);
        }
    }

    #[test]
    fn the_query_keeps_the_zone_readable() {
        assert_eq!(to_query("2026-11-01", "2026-11-07", None), "from=2026-11-01&to=2026-11-07");
        assert_eq!(to_query("a", "b", Some("Asia/Tokyo")), "from=a&to=b&tz=Asia/Tokyo");
        assert_eq!(to_query("a", "b", Some("Etc/GMT+7")), "from=a&to=b&tz=Etc/GMT%2B7");
    }

    #[test]
    fn the_zone_picker_lists_the_business_zone_once() {
        let choices = zone_choices(Some("Asia/Ho_Chi_Minh"), None);
        assert_eq!(choices[0], None);
        assert_eq!(choices.len(), TIME_ZONES.len(), "the business zone is not listed twice");
        assert!(!choices.contains(&Some("Asia/Ho_Chi_Minh".into())));
        let choices = zone_choices(None, Some("Australia/Sydney"));
        assert_eq!(choices.len(), TIME_ZONES.len() + 2);
        assert_eq!(choices.last().unwrap().as_deref(), Some("Australia/Sydney"));
    }

    #[test]
    fn intl_parts_make_a_date() {
        assert_eq!(date_of_parts("2026", "03", "02").as_deref(), Some("2026-03-02"));
        assert_eq!(date_of_parts("2026", "3", "2").as_deref(), Some("2026-03-02"));
        assert_eq!(date_of_parts("2026", "02", "30"), None);
    }
}
