//! The dashboard's chart: incoming bank transfers per day, as stacked bars
//! (linked / pending / unlinked) drawn in inline SVG with the theme's
//! colours, on the frame, axis and dates of [`crate::components::chart`].

use leptos::prelude::*;

use super::api::DayTransfers;
use crate::{
    components::chart::{self, Frame, axis, long_date, short_date},
    format,
};

/// Days the chart shows, today included.
pub const DAYS: i64 = 14;

const FRAME: Frame = Frame::DAYS;

pub use chart::range_ending;

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

/// The bars of `days` on an axis topping at `top`; empty parts are left out.
pub fn bars(days: &[DayTransfers], top: i64) -> Vec<Bar> {
    let width = (FRAME.slot(days.len()) * 0.62).min(44.0);
    days.iter()
        .enumerate()
        .map(|(i, day)| {
            let middle = FRAME.middle(days.len(), i);
            let mut base = 0;
            let segments = [
                (Part::Linked, day.linked_count),
                (Part::Pending, day.pending_count),
                (Part::Unlinked, day.unlinked_count),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(part, n)| {
                let (y0, y1) = (FRAME.y_of(base, top), FRAME.y_of(base + n, top));
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
    let every = chart::label_every(days.len(), 10);
    let count = days.len();
    let grid = chart::grid(FRAME, top, step, format::count, false);
    let columns = days
        .iter()
        .zip(bars)
        .enumerate()
        .map(|(i, (day, bar))| {
            // Labels from the newest day backwards, so today always has one.
            let label = chart::labelled(i, count, every).then(|| {
                view! {
                    <text class="chart-axis" x=bar.middle y=FRAME.height - 8.0 text-anchor="middle">
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
                    <rect class="chart-hit" x=bar.x y=FRAME.top width=bar.width height=FRAME.plot_height() />
                    {segments}
                    {label}
                </g>
            }
        })
        .collect_view();
    let label = format!("Incoming bank transfers per day over the last {} days: {sum} in all", days.len());
    view! {
        <figure class="transfer-chart">
            <div class="chart-scroll">
                <svg
                    id="dashboard-chart"
                    viewBox=FRAME.view_box()
                    role="img"
                    aria-label=label
                    preserveAspectRatio="xMidYMid meet"
                >
                    {grid}
                    {chart::baseline(FRAME)}
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
    fn bars_stack_linked_then_pending_then_unlinked() {
        let bars = bars(&[day("2026-11-20", 2, 1, 0), day("2026-11-21", 0, 0, 0)], 4);
        assert_eq!(bars.len(), 2);
        let parts: Vec<Part> = bars[0].segments.iter().map(|s| s.part).collect();
        assert_eq!(parts, [Part::Linked, Part::Pending]);
        let (linked, pending) = (&bars[0].segments[0], &bars[0].segments[1]);
        assert!((linked.height - FRAME.plot_height() / 2.0).abs() < 1e-9);
        assert!((pending.y + pending.height - linked.y).abs() < 1e-9, "pending sits on linked");
        assert!((linked.y + linked.height - FRAME.baseline()).abs() < 1e-9, "linked sits on the baseline");
        assert!(bars[1].segments.is_empty());
        assert!(bars[0].middle < bars[1].middle);
    }
}
