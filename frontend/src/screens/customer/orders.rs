//! The "Orders" panel of the customer 360 page: totals, RFM scores and
//! segment, drop-off risk, fraud flags with their evidence, and the latest
//! orders. Reloads with the page's activity version (a new order lands in
//! the timeline).

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Refresh;
use crate::{
    api::{Api, ApiError, Connection, Money},
    components::states::{Empty, ErrorNotice, Loading},
    format,
};

const QUERY: &str = include_str!("orders.graphql");

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersView {
    pub total_spent: Money,
    pub order_count: i64,
    pub last_order_at: Option<String>,
    pub drop_off_risk: Option<String>,
    pub rfm: Option<Rfm>,
    pub flags: Vec<Flag>,
    pub orders: Connection<OrderRow>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Rfm {
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub score: String,
    pub segment: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    pub id: String,
    pub rule: String,
    pub evidence: Value,
    pub raised_at: String,
    pub cleared_at: Option<String>,
    pub clear_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRow {
    pub id: String,
    pub code: String,
    pub ordered_at: String,
    pub channel: String,
    pub status: String,
    pub amount: Money,
    pub item_count: i64,
}

impl Api {
    /// Orders, RFM and flags of one customer.
    pub async fn customer_orders(self, id: String) -> Result<OrdersView, ApiError> {
        self.field(QUERY, json!({ "id": id })).await
    }
}

/// A flag's evidence in words.
pub fn evidence_text(rule: &str, e: &Value) -> String {
    let n = |k: &str| e[k].as_i64().unwrap_or(0);
    let len = |k: &str| e[k].as_array().map_or(0, Vec::len);
    match rule {
        "HIGH_RETURN_RATE" => {
            format!("{} of {} orders returned in {} days", n("returned"), n("orders"), n("windowDays"))
        }
        "WALLET_ABUSE" => format!("{} large movements within an hour", len("transactions")),
        "SELF_DEALING" => format!("{} deposit-then-withdraw cycles in {} days", len("cycles"), n("windowDays")),
        _ => e.to_string(),
    }
}

/// The panel.
#[component]
pub fn Orders(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let data = LocalResource::new(move || {
        refresh.activity.track();
        api.customer_orders(id.clone())
    });
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <OrdersBody v /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrdersBody(v: OrdersView) -> impl IntoView {
    let rows: Vec<OrderRow> = v.orders.edges.into_iter().map(|e| e.node).collect();
    let total = v.orders.total_count.unwrap_or(rows.len() as i64);
    view! {
        <div class="stack orders-panel">
            <dl class="order-facts">
                <div><dt class="muted">"Spent"</dt><dd id="orders-spent">{v.total_spent.display()}</dd></div>
                <div><dt class="muted">"Orders"</dt><dd>{format::count(v.order_count)}</dd></div>
                <div><dt class="muted">"Last order"</dt>
                    <dd>{v.last_order_at.as_deref().map(format::date).unwrap_or_else(|| "—".to_owned())}</dd></div>
                <div><dt class="muted">"RFM"</dt>
                    <dd id="orders-rfm">{match &v.rfm {
                        Some(r) => format!("R{} F{} M{} · {} · {}", r.r, r.f, r.m, r.score, format::enum_label(&r.segment)),
                        None => "No order yet".to_owned(),
                    }}</dd></div>
                {v.drop_off_risk.map(|risk| view! {
                    <div><dt class="muted">"Drop-off risk"</dt>
                        <dd><span class="badge badge-warning">{format::enum_label(&risk)}</span></dd></div>
                })}
            </dl>
            {(!v.flags.is_empty()).then(|| view! {
                <ul class="flag-list">
                    {v.flags.into_iter().map(|f| {
                        let open = f.cleared_at.is_none();
                        view! {
                            <li class="flag" class:open=open>
                                <span class=if open { "badge badge-danger" } else { "badge" }>{format::enum_label(&f.rule)}</span>
                                <span>{evidence_text(&f.rule, &f.evidence)}</span>
                                <span class="muted">{format::date(&f.raised_at)}</span>
                                {f.clear_reason.map(|r| view! { <span class="muted">{format!("Cleared: {r}")}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {if rows.is_empty() {
                view! { <Empty title="No orders" hint="Orders placed or imported for this customer appear here." /> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table orders-table">
                            <thead><tr>
                                <th scope="col">"Order"</th>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Channel"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col" class="num">"Amount"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|o| view! {
                                    <tr class="order-row">
                                        <td class="mono" data-label="Order">{o.code.clone()}</td>
                                        <td data-label="Date">{format::date(&o.ordered_at)}</td>
                                        <td data-label="Channel">{format::enum_label(&o.channel)}</td>
                                        <td data-label="Status"><span class="badge">{format::enum_label(&o.status)}</span></td>
                                        <td class="num" data-label="Amount">{o.amount.display()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {(total > 20).then(|| view! { <p class="muted small">{format!("Latest 20 of {} orders", format::count(total))}</p> })}
                }.into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_said_in_words() {
        let e = json!({ "windowDays": 7, "orders": 3, "returned": 2 });
        assert_eq!(evidence_text("HIGH_RETURN_RATE", &e), "2 of 3 orders returned in 7 days");
        let e = json!({ "transactions": ["a", "b", "c", "d", "e", "f"] });
        assert_eq!(evidence_text("WALLET_ABUSE", &e), "6 large movements within an hour");
    }
}
