//! The dashboard's chart: incoming bank transfers per day, as stacked bars
//! (linked / pending / unlinked) drawn in inline SVG with the theme's
//! colours, plus the date arithmetic that picks its days.

use leptos::prelude::*;

use super::api::DayTransfers;
use crate::format;

/// Days the chart shows, today included.
pub const DAYS: i64 = 14;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// Horizontal grid lines above zero.
const TICKS: i64 = 4;

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

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

fn date_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first and last day (`YYYY-MM-DD`) of the `n` days ending `today`.
pub fn range_ending(today: &str, n: i64) -> Option<(String, String)> {
    let last = parse_date(today)?;
    Some((date_text(last - (n - 1)), date_text(last)))
}

/// `21/11` for `2026-11-21`.
fn short_date(date: &str) -> String {
    match (date.get(8..10), date.get(5..7)) {
        (Some(d), Some(m)) => format!("{d}/{m}"),
        _ => date.to_owned(),
    }
}

/// `21/11/2026` for `2026-11-21`.
fn long_date(date: &str) -> String {
    match date.get(0..4) {
        Some(year) if date.len() == 10 => format!("{}/{year}", short_date(date)),
        _ => date.to_owned(),
    }
}

// --------------------------------------------------------------- geometry

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

/// Which part of a bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Linked,
    Pending,
    Unlinked,
}

impl Part {
    /// The CSS class that colours it.
    fn class(self) -> &'static str {
        match self {
            Part::Linked => "bar-linked",
            Part::Pending => "bar-pending",
            Part::Unlinked => "bar-unlinked",
        }
    }
}

/// One rectangle of a stacked bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub part: Part,
    pub y: f64,
    pub height: f64,
}

/// One day's bar: where it stands and its segments, bottom up.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    /// Centre, for the date label.
    pub middle: f64,
    pub segments: Vec<Segment>,
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The y coordinate of `value` on an axis topping at `top`.
fn y_of(value: i64, top: i64) -> f64 {
    TOP + plot_height() * (1.0 - value as f64 / top.max(1) as f64)
}

/// The bars of `days` on an axis topping at `top`; empty parts are left out.
pub fn bars(days: &[DayTransfers], top: i64) -> Vec<Bar> {
    let slot = (WIDTH - LEFT - RIGHT) / days.len().max(1) as f64;
    let width = (slot * 0.62).min(44.0);
    days.iter()
        .enumerate()
        .map(|(i, day)| {
            let middle = LEFT + slot * (i as f64 + 0.5);
            let mut base = 0;
            let segments = [
                (Part::Linked, day.linked_count),
                (Part::Pending, day.pending_count),
                (Part::Unlinked, day.unlinked_count),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(part, n)| {
                let (y0, y1) = (y_of(base, top), y_of(base + n, top));
                base += n;
                Segment { part, y: y1, height: y0 - y1 }
            })
            .collect();
            Bar { x: middle - width / 2.0, width, middle, segments }
        })
        .collect()
}

fn total(day: &DayTransfers) -> i64 {
    day.linked_count + day.pending_count + day.unlinked_count
}

/// The tooltip of a day's bar.
fn describe(day: &DayTransfers) -> String {
    format!(
        "{}: {} transfers — linked {} ({}), pending {} ({}), unlinked {} ({})",
        long_date(&day.date),
        total(day),
        day.linked_count,
        day.linked_amount.display(),
        day.pending_count,
        day.pending_amount.display(),
        day.unlinked_count,
        day.unlinked_amount.display(),
    )
}

// ------------------------------------------------------------------ view

/// Stacked bars of the incoming transfers per day, with axes and a legend.
#[component]
pub fn TransferChart(days: Vec<DayTransfers>) -> impl IntoView {
    let max = days.iter().map(total).max().unwrap_or(0);
    let sum: i64 = days.iter().map(total).sum();
    let (top, step) = axis(max);
    let bars = bars(&days, top);
    // Every other date on narrow charts keeps the labels apart.
    let label_every = if days.len() > 10 { 2 } else { 1 };
    let last = days.len().saturating_sub(1);
    let grid = (0..=TICKS)
        .map(|i| {
            let value = i * step;
            let y = y_of(value, top);
            view! {
                <line class="chart-grid" x1=LEFT x2=WIDTH - RIGHT y1=y y2=y />
                <text class="chart-axis" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{format::count(value)}</text>
            }
        })
        .collect_view();
    let columns = days
        .iter()
        .zip(bars)
        .enumerate()
        .map(|(i, (day, bar))| {
            // Labels from the newest day backwards, so today always has one.
            let label = (last - i).is_multiple_of(label_every).then(|| {
                view! {
                    <text class="chart-axis" x=bar.middle y=HEIGHT - 8.0 text-anchor="middle">
                        {short_date(&day.date)}
                    </text>
                }
            });
            let segments = bar
                .segments
                .iter()
                .map(|s| {
                    view! { <rect class=s.part.class() x=bar.x y=s.y width=bar.width height=s.height rx="2" /> }
                })
                .collect_view();
            view! {
                <g class="chart-day" data-date=day.date.clone() data-total=total(day)>
                    <title>{describe(day)}</title>
                    // A transparent full-height target so the tooltip works on empty days.
                    <rect class="chart-hit" x=bar.x y=TOP width=bar.width height=plot_height() />
                    {segments}
                    {label}
                </g>
            }
        })
        .collect_view();
    let label = format!("Incoming bank transfers per day over the last {} days: {sum} in all", days.len());
    let baseline = TOP + plot_height();
    view! {
        <figure class="transfer-chart">
            <div class="chart-scroll">
                <svg
                    id="dashboard-chart"
                    viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                    role="img"
                    aria-label=label
                    preserveAspectRatio="xMidYMid meet"
                >
                    {grid}
                    <line class="chart-baseline" x1=LEFT x2=WIDTH - RIGHT y1=baseline y2=baseline />
                    {columns}
                </svg>
            </div>
            <figcaption class="chart-legend">
                <span><i class="swatch bar-linked"></i>"Linked"</span>
                <span><i class="swatch bar-pending"></i>"Pending"</span>
                <span><i class="swatch bar-unlinked"></i>"Unlinked"</span>
                {(sum == 0).then(|| view! { <span class="muted">"No incoming transfers in these days."</span> })}
            </figcaption>
        </figure>
    }
}

/// A grey placeholder the size of the chart.
#[component]
pub fn ChartSkeleton() -> impl IntoView {
    view! { <div class="chart-skeleton" aria-busy="true" aria-label="Loading the chart"></div> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Money;

    fn day(date: &str, linked: i64, pending: i64, unlinked: i64) -> DayTransfers {
        let zero = || Money("0".into());
        DayTransfers {
            date: date.into(),
            linked_count: linked,
            linked_amount: zero(),
            pending_count: pending,
            pending_amount: zero(),
            unlinked_count: unlinked,
            unlinked_amount: zero(),
        }
    }

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
    fn the_axis_tops_at_a_round_number() {
        assert_eq!(axis(0), (4, 1));
        assert_eq!(axis(3), (4, 1));
        assert_eq!(axis(5), (8, 2));
        assert_eq!(axis(17), (20, 5));
        assert_eq!(axis(41), (80, 20));
        assert_eq!(axis(1_000), (2_000, 500));
    }

    #[test]
    fn bars_stack_linked_then_pending_then_unlinked() {
        let bars = bars(&[day("2026-11-20", 2, 1, 0), day("2026-11-21", 0, 0, 0)], 4);
        assert_eq!(bars.len(), 2);
        let parts: Vec<Part> = bars[0].segments.iter().map(|s| s.part).collect();
        assert_eq!(parts, [Part::Linked, Part::Pending]);
        let (linked, pending) = (&bars[0].segments[0], &bars[0].segments[1]);
        assert!((linked.height - plot_height() / 2.0).abs() < 1e-9);
        assert!((pending.y + pending.height - linked.y).abs() < 1e-9, "pending sits on linked");
        assert!((linked.y + linked.height - (TOP + plot_height())).abs() < 1e-9, "linked sits on the baseline");
        assert!(bars[1].segments.is_empty());
        assert!(bars[0].middle < bars[1].middle);
    }

    #[test]
    fn dates_are_shortened_for_the_axis() {
        assert_eq!(short_date("2026-11-21"), "21/11");
        assert_eq!(short_date("x"), "x");
        assert_eq!(long_date("2026-11-21"), "21/11/2026");
    }
}
