//! What every inline-SVG chart shares: the date arithmetic of its days, the
//! frame it is drawn in (a `viewBox`, so it scales with its box), a y axis
//! that tops at a round number, its grid, compact labels, and the grey
//! placeholder shown while it loads. Colours come from the theme's CSS.

use leptos::prelude::*;

use crate::format;

/// Horizontal grid lines above zero.
pub const TICKS: i64 = 4;

// ------------------------------------------------------------------ dates

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// `YYYY-MM-DD` as days since 1970-01-01; `None` for anything else,
/// including days a month does not have (`2026-02-30`).
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        text.get(range).filter(|s| s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<i64>().ok())
    };
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
pub fn date_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first and last day (`YYYY-MM-DD`) of the `n` days ending `today`.
pub fn range_ending(today: &str, n: i64) -> Option<(String, String)> {
    let last = parse_date(today)?;
    Some((date_text(last - (n - 1)), date_text(last)))
}

/// `21/11` for `2026-11-21`.
pub fn short_date(date: &str) -> String {
    match (date.get(8..10), date.get(5..7)) {
        (Some(d), Some(m)) => format!("{d}/{m}"),
        _ => date.to_owned(),
    }
}

/// `21/11/2026` for `2026-11-21`.
pub fn long_date(date: &str) -> String {
    match date.get(0..4) {
        Some(year) if date.len() == 10 => format!("{}/{year}", short_date(date)),
        _ => date.to_owned(),
    }
}

/// Every how many days a date label fits when `n` days share the x axis
/// and at most `max` labels do.
pub fn label_every(n: usize, max: usize) -> usize {
    n.div_ceil(max.max(1)).max(1)
}

/// Whether day `i` of `n` gets a date label: counted from the newest day
/// backwards, so the last day always has one.
pub fn labelled(i: usize, n: usize, every: usize) -> bool {
    (n.saturating_sub(1).saturating_sub(i)).is_multiple_of(every.max(1))
}

// ------------------------------------------------------------------ axis

/// The top of the y axis and its step: a round number (1, 2 or 5 × 10ⁿ)
/// times [`TICKS`], at least `max`.
pub fn axis(max: i64) -> (i64, i64) {
    let rough = (max.max(1) + TICKS - 1) / TICKS;
    let mut magnitude = 1;
    while magnitude * 10 <= rough {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10].into_iter().map(|f| f * magnitude).find(|s| *s >= rough).unwrap_or(10 * magnitude);
    (step * TICKS, step)
}

/// A number short enough for an axis: `950`, `12K`, `1,5M`, `2B` (the
/// decimal comma of [`format`]).
pub fn compact(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    let (unit, suffix) = match n {
        0..1_000 => return format!("{sign}{n}"),
        1_000..1_000_000 => (1_000, "K"),
        1_000_000..1_000_000_000 => (1_000_000, "M"),
        _ => (1_000_000_000, "B"),
    };
    let tenths = (n * 10 + unit / 2) / unit;
    match tenths % 10 {
        0 => format!("{sign}{}{suffix}", format::count((tenths / 10) as i64)),
        d => format!("{sign}{},{d}{suffix}", format::count((tenths / 10) as i64)),
    }
}

/// An amount of the `Money` scalar (whole minor units) as a number for
/// drawing; 0 for anything else. Only for geometry: labels use the text.
pub fn amount(money: &str) -> i64 {
    let whole = money.trim().split('.').next().unwrap_or_default();
    whole.parse().unwrap_or(0)
}

// ----------------------------------------------------------------- frame

/// The box a chart is drawn in, in `viewBox` units, and its margins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// The wide chart of days: room for axis labels left and dates below.
    pub const DAYS: Frame = Frame { width: 960.0, height: 280.0, left: 44.0, right: 8.0, top: 12.0, bottom: 28.0 };

    /// The `viewBox` attribute.
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }

    /// Height of the area inside the margins.
    pub fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }

    /// The y of zero.
    pub fn baseline(&self) -> f64 {
        self.top + self.plot_height()
    }

    /// The y coordinate of `value` on an axis topping at `top`.
    pub fn y_of(&self, value: i64, top: i64) -> f64 {
        self.top + self.plot_height() * (1.0 - value as f64 / top.max(1) as f64)
    }

    /// The width each of `n` days gets.
    pub fn slot(&self, n: usize) -> f64 {
        (self.width - self.left - self.right) / n.max(1) as f64
    }

    /// The centre of day `i` of `n`.
    pub fn middle(&self, n: usize, i: usize) -> f64 {
        self.left + self.slot(n) * (i as f64 + 0.5)
    }
}

/// A rectangle in `viewBox` units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Frame {
    /// The bar of `value` (an axis topping at `top`) for day `i` of `n`;
    /// with `parts` bars side by side per day, the `part`-th of them.
    pub fn column(&self, n: usize, i: usize, part: usize, parts: usize, value: i64, top: i64) -> Rect {
        let group = (self.slot(n) * 0.7).min(56.0);
        let width = group / parts.max(1) as f64;
        let x = self.middle(n, i) - group / 2.0 + width * part as f64;
        let y = self.y_of(value.clamp(0, top.max(1)), top);
        let gap = if parts > 1 { (width * 0.15).min(2.0) } else { 0.0 };
        Rect { x, y, width: (width - gap).max(0.5), height: self.baseline() - y }
    }

    /// The points (`x,y x,y …`) of a line through `values`, one per day.
    pub fn line(&self, values: &[i64], top: i64) -> String {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", self.middle(values.len(), i), self.y_of(*v, top)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The grid lines of an axis topping at `top` in steps of `step`, with
/// their values on the left (or, with `right`, on the right, for a second
/// axis sharing the lines).
pub fn grid(frame: Frame, top: i64, step: i64, label: fn(i64) -> String, right: bool) -> impl IntoView {
    (0..=top / step.max(1))
        .map(|i| {
            let value = i * step;
            let y = frame.y_of(value, top);
            let (x, anchor) = if right { (frame.width - frame.right + 6.0, "start") } else { (frame.left - 6.0, "end") };
            view! {
                {(!right).then(|| view! { <line class="chart-grid" x1=frame.left x2=frame.width - frame.right y1=y y2=y /> })}
                <text class="chart-axis" x=x y=y + 4.0 text-anchor=anchor>{label(value)}</text>
            }
        })
        .collect_view()
}

/// The line at zero.
pub fn baseline(frame: Frame) -> impl IntoView {
    let y = frame.baseline();
    view! { <line class="chart-baseline" x1=frame.left x2=frame.width - frame.right y1=y y2=y /> }
}

/// A grey placeholder the size of a chart.
#[component]
pub fn ChartSkeleton() -> impl IntoView {
    view! { <div class="chart-skeleton" aria-busy="true" aria-label="Loading the chart"></div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_ends_today_across_months_and_years() {
        assert_eq!(range_ending("2026-11-21", 14), Some(("2026-11-08".into(), "2026-11-21".into())));
        assert_eq!(range_ending("2026-03-05", 14), Some(("2026-02-20".into(), "2026-03-05".into())));
        assert_eq!(range_ending("2024-03-01", 2), Some(("2024-02-29".into(), "2024-03-01".into())));
        assert_eq!(range_ending("2027-01-03", 7), Some(("2026-12-28".into(), "2027-01-03".into())));
        assert_eq!(range_ending("not a date", 14), None);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn only_real_days_parse() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("2024-02-29").map(date_text).as_deref(), Some("2024-02-29"));
        for odd in ["2026-02-30", "2026-13-01", "2026-1-01", "2026-01-01x", "", "abcd-ef-gh", "+202-01-01"] {
            assert_eq!(parse_date(odd), None, "{odd}");
        }
    }

    #[test]
    fn the_axis_tops_at_a_round_number() {
        assert_eq!(axis(0), (4, 1));
        assert_eq!(axis(3), (4, 1));
        assert_eq!(axis(5), (8, 2));
        assert_eq!(axis(17), (20, 5));
        assert_eq!(axis(41), (80, 20));
        assert_eq!(axis(1_000), (2_000, 500));
    }

    #[test]
    fn dates_are_shortened_for_the_axis() {
        assert_eq!(short_date("2026-11-21"), "21/11");
        assert_eq!(short_date("x"), "x");
        assert_eq!(long_date("2026-11-21"), "21/11/2026");
    }

    #[test]
    fn labels_thin_out_from_the_newest_day() {
        assert_eq!(label_every(14, 10), 2);
        assert_eq!(label_every(7, 12), 1);
        assert_eq!(label_every(92, 12), 8);
        assert_eq!(label_every(0, 12), 1);
        assert!(labelled(13, 14, 2) && !labelled(12, 14, 2) && labelled(11, 14, 2));
        assert!(labelled(0, 1, 1));
    }

    #[test]
    fn axis_labels_are_compact() {
        assert_eq!(compact(0), "0");
        assert_eq!(compact(950), "950");
        assert_eq!(compact(12_000), "12K");
        assert_eq!(compact(1_500_000), "1,5M");
        assert_eq!(compact(1_049_999), "1M");
        assert_eq!(compact(2_000_000_000), "2B");
        assert_eq!(compact(1_234_000_000_000), "1.234B");
        assert_eq!(compact(-2_500), "-2,5K");
    }

    #[test]
    fn money_text_is_read_for_drawing() {
        assert_eq!(amount("1250000"), 1_250_000);
        assert_eq!(amount("-300"), -300);
        assert_eq!(amount("12.50"), 12);
        assert_eq!(amount("x"), 0);
    }

    #[test]
    fn the_frame_places_days_and_values() {
        let f = Frame::DAYS;
        assert!((f.y_of(0, 4) - f.baseline()).abs() < 1e-9);
        assert!((f.y_of(4, 4) - f.top).abs() < 1e-9);
        assert!((f.middle(2, 1) - (f.left + f.slot(2) * 1.5)).abs() < 1e-9);
        assert_eq!(f.view_box(), "0 0 960 280");
    }

    #[test]
    fn columns_stand_on_the_baseline_side_by_side() {
        let f = Frame::DAYS;
        let full = f.column(4, 0, 0, 1, 8, 8);
        assert!((full.y - f.top).abs() < 1e-9 && (full.height - f.plot_height()).abs() < 1e-9);
        let empty = f.column(4, 1, 0, 1, 0, 8);
        assert!(empty.height.abs() < 1e-9);
        let (a, b) = (f.column(4, 2, 0, 2, 2, 8), f.column(4, 2, 1, 2, 4, 8));
        assert!(a.x + a.width <= b.x, "parts do not overlap");
        assert!((b.height - 2.0 * a.height).abs() < 1e-9);
        assert!(a.x < f.middle(4, 2) && b.x + b.width > f.middle(4, 2), "the group is centred on its day");
        assert!(f.column(4, 3, 0, 1, 50, 8).y >= f.top, "never above the frame");
        assert_eq!(
            f.line(&[0, 8], 8),
            format!("{:.1},{:.1} {:.1},{:.1}", f.middle(2, 0), f.baseline(), f.middle(2, 1), f.top)
        );
    }
}
