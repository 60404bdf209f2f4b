//! The RFM tab: the thresholds that turn recency, frequency and money into
//! scores 5 to 2 (anything beyond the last is 1), checked here as the
//! server checks them, saved with `updateRfmConfig`; then "Recalculate
//! now" scores every customer again (the nightly job does it too).

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError, Money},
    components::{
        form::{FormState, SubmitButton},
        states::{ErrorNotice, Loading},
    },
    format,
};

const QUERIES: &str = include_str!("rfm.graphql");

/// The thresholds as the server sends them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RfmConfig {
    pub recency_days: Vec<i64>,
    pub frequency_min: Vec<i64>,
    pub monetary_min: Vec<Money>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RfmRun {
    pub scored: i64,
    pub tier_changes: i64,
}

impl Api {
    pub async fn admin_rfm_config(self) -> Result<RfmConfig, ApiError> {
        self.operation(QUERIES, "AdminRfmConfig", json!({})).await
    }

    pub async fn admin_update_rfm_config(self, input: serde_json::Value) -> Result<RfmConfig, ApiError> {
        self.operation(QUERIES, "AdminUpdateRfmConfig", json!({ "input": input })).await
    }

    pub async fn admin_recalculate_rfm(self) -> Result<RfmRun, ApiError> {
        self.operation(QUERIES, "AdminRecalculateRfm", json!({})).await
    }
}

/// The three rows of the form: server field, label, what a value means.
const ROWS: [(&str, &str, &str); 3] = [
    ("recencyDays", "Recency", "Most days since the last order"),
    ("frequencyMin", "Frequency", "Fewest orders in the last 90 days"),
    ("monetaryMin", "Monetary", "Least total spend (₫)"),
];

/// Reads the typed thresholds into `updateRfmConfig`'s input, or says
/// which row is wrong and why (the server's rules: recency increasing from
/// 0; frequency and money decreasing, the last at least 1).
pub fn check(typed: &[[String; 4]; 3]) -> Result<serde_json::Value, (&'static str, String)> {
    let whole = |row: usize, name: &'static str| -> Result<Vec<i64>, (&'static str, String)> {
        typed[row]
            .iter()
            .map(|t| {
                if row == 2 {
                    format::parse_amount(t)
                        .map_err(|m| (name, m.to_owned()))?
                        .parse::<i64>()
                        .map_err(|_| (name, "Too large".to_owned()))
                } else {
                    t.trim().parse::<i64>().map_err(|_| (name, "Whole numbers only".to_owned()))
                }
            })
            .collect()
    };
    let r = whole(0, "recencyDays")?;
    if r[0] < 0 || r.windows(2).any(|w| w[0] >= w[1]) {
        return Err(("recencyDays", "Four day counts, each larger than the one before (like 7, 14, 30, 60)".into()));
    }
    let f = whole(1, "frequencyMin")?;
    if f[3] < 1 || f.windows(2).any(|w| w[0] <= w[1]) {
        return Err((
            "frequencyMin",
            "Four order counts, each smaller than the one before, the last at least 1".into(),
        ));
    }
    let m = whole(2, "monetaryMin")?;
    if m.windows(2).any(|w| w[0] <= w[1]) {
        return Err(("monetaryMin", "Four amounts, each smaller than the one before".into()));
    }
    let money: Vec<String> = m.iter().map(ToString::to_string).collect();
    Ok(json!({ "recencyDays": r, "frequencyMin": f, "monetaryMin": money }))
}

/// The config as the form's text.
fn typed_of(c: &RfmConfig) -> [[String; 4]; 3] {
    let four = |v: Vec<String>| -> [String; 4] { std::array::from_fn(|i| v.get(i).cloned().unwrap_or_default()) };
    [
        four(c.recency_days.iter().map(ToString::to_string).collect()),
        four(c.frequency_min.iter().map(ToString::to_string).collect()),
        four(c.monetary_min.iter().map(|m| format::count(m.as_str().parse().unwrap_or(0))).collect()),
    ]
}

#[component]
pub fn Rfm() -> impl IntoView {
    let api = Api::current();
    let version = RwSignal::new(0u32);
    let config = LocalResource::new(move || {
        version.track();
        api.admin_rfm_config()
    });
    let retry = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <p class="muted">
            "Each customer with orders gets a score from 5 (best) to 1 for recency, frequency and money, from these thresholds. "
            "The scores give the segment, the tier (Platinum, Gold, Silver) and the customer type. A value beyond the last column scores 1."
        </p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match config.await {
                    Ok(c) => view! { <RfmForm config=c /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RfmForm(config: RfmConfig) -> impl IntoView {
    let api = Api::current();
    let typed: [[RwSignal<String>; 4]; 3] = typed_of(&config).map(|row| row.map(RwSignal::new));
    let form = FormState::new(&["recencyDays", "frequencyMin", "monetaryMin"]);
    let saved = RwSignal::new(false);
    let recalc = FormState::new(&[]);
    let run = RwSignal::new(None::<RfmRun>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let values = typed.map(|row| row.map(|s| s.get_untracked()));
        match check(&values) {
            Err((field, message)) => form.reject(field, message),
            Ok(input) => form.submit(api.admin_update_rfm_config(input), move |c| {
                let fresh = typed_of(&c);
                for (row, values) in typed.iter().zip(fresh) {
                    for (cell, value) in row.iter().zip(values) {
                        cell.set(value);
                    }
                }
                saved.set(true);
            }),
        }
    };
    let recalculate = move |_| {
        run.set(None);
        recalc.submit(api.admin_recalculate_rfm(), move |r| run.set(Some(r)));
    };

    view! {
        <section class="card rfm-card">
            <form id="rfm-form" novalidate on:submit=submit>
                <div class="table-wrap">
                    <table class="table rfm-table">
                        <thead><tr>
                            <th scope="col">"Threshold"</th>
                            {[5, 4, 3, 2].into_iter().map(|s| view! { <th scope="col">{format!("Score {s}")}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {ROWS.into_iter().enumerate().map(|(i, (field, label, hint))| {
                                let error = form.error_for(field);
                                view! {
                                    <tr class="rfm-row" class:has-error=move || error.get().is_some() data-field=field>
                                        <th scope="row">
                                            <div>{label}</div>
                                            <div class="muted small">{hint}</div>
                                            {move || error.get().map(|m| view! { <div class="field-error" role="alert">{m}</div> })}
                                        </th>
                                        {typed[i].into_iter().enumerate().map(|(j, cell)| view! {
                                            <td>
                                                <input class="input rfm-input" id=format!("rfm-{field}-{j}") inputmode="numeric"
                                                    aria-label=format!("{label}, score {}", 5 - j)
                                                    prop:value=move || cell.get()
                                                    on:input=move |ev| cell.set(event_target_value(&ev)) />
                                            </td>
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {move || form.general_error().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
                <div class="rfm-actions">
                    <Show when=move || saved.get()>
                        <span id="rfm-saved" class="muted" role="status">"Saved. Scores change at the next recalculation."</span>
                    </Show>
                    <SubmitButton form label="Save thresholds" busy_label="Saving…" />
                </div>
            </form>
        </section>
        <section class="card rfm-card">
            <div class="rfm-actions">
                <p class="muted">"Recalculation scores every customer with the thresholds in force. It also runs nightly."</p>
                <button id="rfm-recalculate" class="btn" type="button" disabled=move || recalc.busy.get() on:click=recalculate>
                    {move || if recalc.busy.get() { "Recalculating…" } else { "Recalculate now" }}
                </button>
            </div>
            {move || recalc.general_error().map(|m| view! { <div class="banner banner-error" role="alert">{m}</div> })}
            {move || run.get().map(|r| view! {
                <p id="rfm-run" role="status">
                    {format!(
                        "Scored {} {}; {} tier {}",
                        format::count(r.scored),
                        if r.scored == 1 { "customer" } else { "customers" },
                        format::count(r.tier_changes),
                        if r.tier_changes == 1 { "change" } else { "changes" },
                    )}
                </p>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(rows: [[&str; 4]; 3]) -> [[String; 4]; 3] {
        rows.map(|r| r.map(str::to_owned))
    }

    #[test]
    fn the_defaults_pass_and_become_the_input() {
        let input = check(&typed([
            ["7", "14", "30", "60"],
            ["11", "6", "3", "2"],
            ["10.000.001", "5.000.000", "2.000.000", "500.000"],
        ]));
        assert_eq!(
            input.unwrap(),
            json!({ "recencyDays": [7, 14, 30, 60], "frequencyMin": [11, 6, 3, 2],
                "monetaryMin": ["10000001", "5000000", "2000000", "500000"] })
        );
    }

    #[test]
    fn each_row_is_checked_like_the_server_does() {
        let base = [["7", "14", "30", "60"], ["11", "6", "3", "2"], ["4", "3", "2", "1"]];
        let mut r = base;
        r[0] = ["7", "7", "30", "60"];
        assert_eq!(check(&typed(r)).unwrap_err().0, "recencyDays");
        let mut f = base;
        f[1] = ["11", "6", "3", "0"];
        assert_eq!(check(&typed(f)).unwrap_err().0, "frequencyMin");
        let mut m = base;
        m[2] = ["1", "2", "3", "4"];
        assert_eq!(check(&typed(m)).unwrap_err().0, "monetaryMin");
        let mut x = base;
        x[1] = ["eleven", "6", "3", "2"];
        assert_eq!(check(&typed(x)).unwrap_err().0, "frequencyMin");
    }
}
