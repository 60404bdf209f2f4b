//! The analytics charts, inline SVG on the shared frame and axis of
//! [`crate::components::chart`]: revenue (bars) and orders (a line) per
//! day, the wallets' money per day, and horizontal bars for distributions
//! (segments, tiers, the lifecycle funnel, tickets), plus the agents'
//! table. Each chart has a title for screen readers and says so when there
//! is nothing to draw.

use leptos::prelude::*;

use super::api::{Agent, Day, WalletDay};
use crate::{
    components::{
        chart::{self, Frame, axis, compact, long_date, short_date},
        states::Empty,
    },
    format,
};

/// The days charts: room for money on the left and a count on the right.
const DAYS: Frame = Frame { width: 960.0, height: 280.0, left: 52.0, right: 40.0, top: 12.0, bottom: 28.0 };
/// Date labels along the x axis, at most.
const DATE_LABELS: usize = 12;

/// The date labels under day columns.
fn date_labels(frame: Frame, dates: &[&str]) -> impl IntoView + use<> {
    let every = chart::label_every(dates.len(), DATE_LABELS);
    let n = dates.len();
    dates
        .iter()
        .enumerate()
        .filter(|(i, _)| chart::labelled(*i, n, every))
        .map(|(i, date)| {
            view! {
                <text class="chart-axis" x=frame.middle(n, i) y=frame.height - 8.0 text-anchor="middle">
                    {short_date(date)}
                </text>
            }
        })
        .collect_view()
}

/// A chart's frame: heading, the drawing (or the empty state) and a legend.
#[component]
fn ChartCard(id: &'static str, title: &'static str, #[prop(optional)] wide: bool, children: Children) -> impl IntoView {
    let heading = format!("{id}-title");
    view! {
        <section class="card analytics-card" class:analytics-wide=wide id=id aria-labelledby=heading.clone()>
            <div class="card-body">
                <h2 class="card-title" id=heading.clone()>{title}</h2>
                {children()}
            </div>
        </section>
    }
}

/// The `<svg>` of a chart, named for screen readers by `<title>`.
fn svg(frame: Frame, title: String, body: impl IntoView) -> impl IntoView {
    view! {
        <svg viewBox=frame.view_box() role="img" preserveAspectRatio="xMidYMid meet">
            <title>{title}</title>
            {body}
        </svg>
    }
}

// ---------------------------------------------------------- revenue

/// Revenue per day as bars (left axis) and orders as a line (right axis).
#[component]
pub fn RevenueChart(days: Vec<Day>) -> impl IntoView {
    let revenue: Vec<i64> = days.iter().map(|d| chart::amount(d.revenue.as_str())).collect();
    let orders: Vec<i64> = days.iter().map(|d| d.orders).collect();
    let empty = orders.iter().all(|n| *n == 0) && revenue.iter().all(|r| *r == 0);
    let (money_top, money_step) = axis(revenue.iter().copied().max().unwrap_or(0));
    let (count_top, count_step) = axis(orders.iter().copied().max().unwrap_or(0));
    let n = days.len();
    let title = format!(
        "Revenue and orders per day, {} to {}: {} orders",
        days.first().map(|d| long_date(&d.date)).unwrap_or_default(),
        days.last().map(|d| long_date(&d.date)).unwrap_or_default(),
        format::count(orders.iter().sum()),
    );
    let columns = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let bar = DAYS.column(n, i, 0, 1, revenue[i], money_top);
            let slot = DAYS.slot(n);
            view! {
                <g class="chart-day" data-date=day.date.clone() data-orders=day.orders data-revenue=day.revenue.0.clone()>
                    <title>
                        {format!("{}: {} — {} orders", long_date(&day.date), day.revenue.display(), day.orders)}
                    </title>
                    <rect class="chart-hit" x=DAYS.middle(n, i) - slot / 2.0 y=DAYS.top width=slot height=DAYS.plot_height() />
                    <rect class="bar-revenue" x=bar.x y=bar.y width=bar.width height=bar.height rx="2" />
                </g>
            }
        })
        .collect_view();
    let dots = orders
        .iter()
        .enumerate()
        .map(|(i, count)| {
            view! { <circle class="chart-dot" cx=DAYS.middle(n, i) cy=DAYS.y_of(*count, count_top) r="3.5" /> }
        })
        .collect_view();
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    let body = view! {
        {chart::grid(DAYS, money_top, money_step, compact, false)}
        {chart::grid(DAYS, count_top, count_step, format::count, true)}
        {chart::baseline(DAYS)}
        {columns}
        <polyline class="chart-line" points=DAYS.line(&orders, count_top) />
        {dots}
        {date_labels(DAYS, &dates)}
    };
    view! {
        <ChartCard id="chart-revenue" title="Revenue and orders" wide=true>
            {if empty {
                view! { <Empty title="No orders in this period" /> }.into_any()
            } else {
                view! {
                    <figure class="analytics-chart">
                        <div class="chart-scroll">{svg(DAYS, title, body)}</div>
                        <figcaption class="chart-legend">
                            <span><i class="swatch bar-revenue"></i>"Revenue (left)"</span>
                            <span><i class="swatch swatch-line"></i>"Orders (right)"</span>
                        </figcaption>
                    </figure>
                }
                .into_any()
            }}
        </ChartCard>
    }
}

// ----------------------------------------------------------- wallets

/// The wallet series: label and CSS class, in drawing order.
const WALLET_SERIES: [(&str, &str); 4] = [
    ("Deposited", "bar-deposited"),
    ("Withdrawn", "bar-withdrawn"),
    ("Credits issued", "bar-credits-issued"),
    ("Credits expired", "bar-credits-expired"),
];

fn wallet_values(day: &WalletDay) -> [i64; 4] {
    [&day.deposited, &day.withdrawn, &day.credits_issued, &day.credits_expired].map(|m| chart::amount(m.as_str()))
}

/// Deposits, withdrawals, credits issued and credits expired per day, side
/// by side.
#[component]
pub fn WalletChart(days: Vec<WalletDay>) -> impl IntoView {
    let values: Vec<[i64; 4]> = days.iter().map(wallet_values).collect();
    let empty = values.iter().flatten().all(|v| *v == 0);
    let (top, step) = axis(values.iter().flatten().copied().max().unwrap_or(0));
    let n = days.len();
    let columns = days
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (day, v))| {
            let bars = WALLET_SERIES
                .iter()
                .enumerate()
                .map(|(k, (_, class))| {
                    let r = DAYS.column(n, i, k, WALLET_SERIES.len(), v[k], top);
                    view! { <rect class=*class x=r.x y=r.y width=r.width height=r.height rx="1" /> }
                })
                .collect_view();
            let slot = DAYS.slot(n);
            let text = format!(
                "{}: deposited {}, withdrawn {}, credits issued {}, credits expired {}, corrections {}",
                long_date(&day.date),
                day.deposited.display(),
                day.withdrawn.display(),
                day.credits_issued.display(),
                day.credits_expired.display(),
                day.corrections.display(),
            );
            view! {
                <g class="chart-day" data-date=day.date.clone()>
                    <title>{text}</title>
                    <rect class="chart-hit" x=DAYS.middle(n, i) - slot / 2.0 y=DAYS.top width=slot height=DAYS.plot_height() />
                    {bars}
                </g>
            }
        })
        .collect_view();
    let dates: Vec<&str> = days.iter().map(|d| d.date.as_str()).collect();
    let total = |k: usize| values.iter().map(|v| v[k]).sum::<i64>();
    let title = format!(
        "Wallet money per day: {} deposited, {} withdrawn, {} credits issued, {} credits expired",
        format::vnd(&total(0).to_string()),
        format::vnd(&total(1).to_string()),
        format::vnd(&total(2).to_string()),
        format::vnd(&total(3).to_string()),
    );
    let body = view! {
        {chart::grid(DAYS, top, step, compact, false)}
        {chart::baseline(DAYS)}
        {columns}
        {date_labels(DAYS, &dates)}
    };
    view! {
        <ChartCard id="chart-wallet" title="Wallet money per day" wide=true>
            {if empty {
                view! { <Empty title="No wallet movements in this period" /> }.into_any()
            } else {
                view! {
                    <figure class="analytics-chart">
                        <div class="chart-scroll">{svg(DAYS, title, body)}</div>
                        <figcaption class="chart-legend">
                            {WALLET_SERIES
                                .iter()
                                .map(|(label, class)| view! { <span><i class=format!("swatch {class}")></i>{*label}</span> })
                                .collect_view()}
                        </figcaption>
                    </figure>
                }
                .into_any()
            }}
        </ChartCard>
    }
}

// ---------------------------------------------------- horizontal bars

/// One bar of a distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The enum value (`CHAMPIONS`), kept as `data-key`.
    pub key: String,
    pub label: String,
    /// Drawn length.
    pub value: i64,
    /// What the bar says (`12`, `3 h 10 min`).
    pub text: String,
}

impl Row {
    /// A count, labelled.
    pub fn count(key: &str, label: String, count: i64) -> Self {
        Row { key: key.to_owned(), label, value: count, text: format::count(count) }
    }
}

const BARS_WIDTH: f64 = 420.0;
const BARS_LABEL: f64 = 132.0;
const BARS_VALUE: f64 = 88.0;
const BARS_ROW: f64 = 28.0;
const BARS_THICK: f64 = 16.0;

/// Where the bar of `value` goes (x, width) when the largest is `max`;
/// a funnel centres its bars.
pub fn bar_span(value: i64, max: i64, funnel: bool) -> (f64, f64) {
    let room = BARS_WIDTH - BARS_LABEL - BARS_VALUE;
    let width = room * value.max(0) as f64 / max.max(1) as f64;
    let x = if funnel { BARS_LABEL + (room - width) / 2.0 } else { BARS_LABEL };
    (x, width)
}

/// Horizontal bars, one per row; a funnel keeps the rows' order and
/// centres them.
#[component]
pub fn Bars(
    id: &'static str,
    title: &'static str,
    rows: Vec<Row>,
    empty: &'static str,
    #[prop(optional)] funnel: bool,
    #[prop(optional)] class: Option<fn(&str) -> &'static str>,
) -> impl IntoView {
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0);
    let frame = Frame {
        width: BARS_WIDTH,
        height: rows.len() as f64 * BARS_ROW + 4.0,
        left: 0.0,
        right: 0.0,
        top: 0.0,
        bottom: 0.0,
    };
    let summary = rows.iter().map(|r| format!("{} {}", r.label, r.text)).collect::<Vec<_>>().join(", ");
    let drawn = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let y = 2.0 + i as f64 * BARS_ROW;
            let (x, width) = bar_span(row.value, max, funnel);
            let bar_class = format!("hbar {}", class.map_or("", |c| c(&row.key)));
            view! {
                <g class="hbar-row" data-key=row.key.clone() data-value=row.value>
                    <title>{format!("{}: {}", row.label, row.text)}</title>
                    <text class="chart-label" x="0" y=y + BARS_ROW / 2.0 + 4.0>{row.label.clone()}</text>
                    <rect class="hbar-track" x=BARS_LABEL y=y + (BARS_ROW - BARS_THICK) / 2.0
                        width=BARS_WIDTH - BARS_LABEL - BARS_VALUE height=BARS_THICK rx="3" />
                    <rect class=bar_class x=x y=y + (BARS_ROW - BARS_THICK) / 2.0 width=width height=BARS_THICK rx="3" />
                    <text class="chart-value" x=BARS_WIDTH - 2.0 y=y + BARS_ROW / 2.0 + 4.0 text-anchor="end">
                        {row.text.clone()}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <ChartCard id=id title=title>
            {if max == 0 {
                view! { <Empty title=empty /> }.into_any()
            } else {
                view! {
                    <figure class="analytics-chart analytics-bars">
                        {svg(frame, format!("{title}: {summary}"), drawn)}
                    </figure>
                }
                .into_any()
            }}
        </ChartCard>
    }
}

// ------------------------------------------------------------ agents

/// Per agent: completed in the period, average times, open and overdue now.
#[component]
pub fn AgentsTable(agents: Vec<Agent>) -> impl IntoView {
    let time = |seconds: Option<i64>| seconds.map_or_else(|| "—".to_owned(), format::duration);
    let rows = agents
        .into_iter()
        .map(|a| {
            let late = a.overdue > 0;
            view! {
                <tr class="agent-row" data-user=a.user_id.clone()>
                    <td>{a.name.clone()}</td>
                    <td class="num agent-completed">{format::count(a.completed)}</td>
                    <td class="num">{time(a.average_resolution_seconds)}</td>
                    <td class="num">{time(a.average_first_response_seconds)}</td>
                    <td class="num agent-open">{format::count(a.open)}</td>
                    <td class="num agent-overdue" class:text-danger=late>{format::count(a.overdue)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table agents-table">
                <caption class="visually-hidden">"Tickets per agent"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Agent"</th>
                        <th scope="col" class="num">"Completed"</th>
                        <th scope="col" class="num">"Avg resolution"</th>
                        <th scope="col" class="num">"Avg first response"</th>
                        <th scope="col" class="num">"Open now"</th>
                        <th scope="col" class="num">"Overdue"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The agents' table in its card, or the empty state.
#[component]
pub fn AgentsCard(agents: Vec<Agent>) -> impl IntoView {
    view! {
        <ChartCard id="chart-agents" title="Tickets per agent" wide=true>
            {if agents.is_empty() {
                view! { <Empty title="No tickets assigned in this period" /> }.into_any()
            } else {
                view! { <AgentsTable agents /> }.into_any()
            }}
        </ChartCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_share_of_the_largest() {
        let room = BARS_WIDTH - BARS_LABEL - BARS_VALUE;
        assert_eq!(bar_span(10, 10, false), (BARS_LABEL, room));
        assert_eq!(bar_span(5, 10, false), (BARS_LABEL, room / 2.0));
        assert_eq!(bar_span(0, 0, false), (BARS_LABEL, 0.0));
        let (x, width) = bar_span(5, 10, true);
        assert!((x - (BARS_LABEL + room / 4.0)).abs() < 1e-9, "a funnel centres its bars");
        assert!((width - room / 2.0).abs() < 1e-9);
    }
}
