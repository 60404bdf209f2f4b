//! The dashboard's "Upcoming birthdays" card: customers' and their family
//! members' birthdays and customers' anniversaries in the next
//! [`DAYS`] days, each linking to the customer.

use leptos::prelude::*;
use leptos_router::components::A;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError},
    components::states::{ErrorNotice, Loading},
    screens::customer::calendar_day,
};

const QUERY: &str = include_str!("upcoming.graphql");

/// How many days ahead the card looks.
pub const DAYS: i32 = 7;

/// One date coming up.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpcomingDate {
    /// `BIRTHDAY` or `ANNIVERSARY`.
    pub kind: String,
    pub date: String,
    pub days_away: i64,
    pub years: i64,
    /// `CUSTOMER` or `FAMILY_MEMBER`.
    pub person: String,
    pub name: String,
    pub relationship: Option<String>,
    pub customer: CustomerRef,
}

/// The customer a date belongs to.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRef {
    pub id: String,
    pub name: String,
    pub member_code: String,
}

impl Api {
    /// Birthdays and anniversaries in the next `days` days.
    pub async fn upcoming_dates(self, days: i32) -> Result<Vec<UpcomingDate>, ApiError> {
        self.field(QUERY, json!({ "days": days })).await
    }
}

/// `Today`, `Tomorrow`, or `In 3 days`.
fn when(days_away: i64) -> String {
    match days_away {
        0 => "Today".to_owned(),
        1 => "Tomorrow".to_owned(),
        n => format!("In {n} days"),
    }
}

/// `Birthday, turns 36`, `Anniversary, 12 years`; with whose it is when a
/// family member's (`child of Chị Lan`).
fn what(u: &UpcomingDate) -> String {
    let occasion = match u.kind.as_str() {
        "ANNIVERSARY" => format!("Anniversary, {} years", u.years),
        _ => format!("Birthday, turns {}", u.years),
    };
    match (&u.relationship, u.person.as_str()) {
        (Some(r), "FAMILY_MEMBER") => {
            format!("{occasion} · {} of {}", crate::format::enum_label(r).to_lowercase(), u.customer.name)
        }
        _ => occasion,
    }
}

/// The card.
#[component]
pub fn UpcomingCard() -> impl IntoView {
    let api = Api::current();
    let dates = LocalResource::new(move || api.upcoming_dates(DAYS));
    let retry = Callback::new(move |()| dates.refetch());
    view! {
        <section class="card upcoming-card" id="upcoming-dates">
            <div class="card-body">
                <h2 class="card-title"><span>{format!("Upcoming birthdays, next {DAYS} days")}</span></h2>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match dates.await {
                            Err(error) => view! { <ErrorNotice error retry /> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <p class="muted upcoming-empty">"No birthdays or anniversaries coming up."</p>
                            }.into_any(),
                            Ok(list) => view! {
                                <ul class="upcoming-list">
                                    {list.into_iter().map(|u| {
                                        let (detail, day) = (what(&u), calendar_day(&u.date));
                                        view! {
                                            <li class="upcoming-item" class:today=u.days_away == 0>
                                                <span class="upcoming-when">
                                                    <strong>{when(u.days_away)}</strong>
                                                    <span class="muted small">{day}</span>
                                                </span>
                                                <span class="upcoming-who">
                                                    <A href=format!("/customers/{}", u.customer.id)>{u.name}</A>
                                                    <span class="muted small">{detail}</span>
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_birthday_says_whose_family() {
        let u = UpcomingDate {
            kind: "BIRTHDAY".into(),
            date: "2026-11-25".into(),
            days_away: 3,
            years: 6,
            person: "FAMILY_MEMBER".into(),
            name: "Bé Su".into(),
            relationship: Some("CHILD".into()),
            customer: CustomerRef { id: "1".into(), name: "Chị Lan".into(), member_code: "MEM-2026-0001".into() },
        };
        assert_eq!(what(&u), "Birthday, turns 6 · child of Chị Lan");
        assert_eq!(when(u.days_away), "In 3 days");
        assert_eq!(when(0), "Today");
    }
}
