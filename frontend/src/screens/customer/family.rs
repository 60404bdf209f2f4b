//! The "Family" panel of the customer 360 page: the customer's family
//! members with their birthdays, added, edited and removed in place (each
//! change lands in the timeline).

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Refresh;
use crate::{
    api::{Api, ApiError, Role},
    components::{
        form::{Field, FormError, FormState, SubmitButton},
        states::{Empty, ErrorNotice, Loading},
    },
    session::Session,
};

const OPERATIONS: &str = include_str!("family.graphql");

/// The relationships, as the server names them, and how the page says them.
const RELATIONSHIPS: [(&str, &str); 5] =
    [("SPOUSE", "Spouse"), ("CHILD", "Child"), ("PARENT", "Parent"), ("SIBLING", "Sibling"), ("OTHER", "Other")];

fn relationship_label(value: &str) -> String {
    RELATIONSHIPS.iter().find(|(r, _)| *r == value).map(|(_, l)| (*l).to_owned()).unwrap_or_else(|| value.to_owned())
}

/// A calendar day from the server (`2026-11-25`) as the page writes dates
/// (`25/11/2026`), without going through a time zone.
pub fn calendar_day(day: &str) -> String {
    match day.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => day.to_owned(),
    }
}

/// One family member.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub relationship: String,
    pub birthday: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithFamily {
    family_members: Vec<Member>,
}

/// What the form sends, for a new member or a change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberForm {
    pub name: String,
    pub relationship: String,
    pub birthday: String,
}

impl MemberForm {
    /// The input's fields; a blank birthday is `null` (none, or cleared).
    pub fn fields(&self) -> Value {
        let birthday = if self.birthday.trim().is_empty() { Value::Null } else { json!(self.birthday.trim()) };
        json!({ "name": self.name.trim(), "relationship": self.relationship, "birthday": birthday })
    }
}

impl Api {
    /// The customer's family members.
    pub async fn family(self, customer_id: String) -> Result<Vec<Member>, ApiError> {
        let c: WithFamily = self.operation(OPERATIONS, "CustomerFamily", json!({ "id": customer_id })).await?;
        Ok(c.family_members)
    }

    /// Adds a family member, or changes the one with `member_id`.
    pub async fn save_member(
        self,
        customer_id: String,
        member_id: Option<String>,
        form: MemberForm,
    ) -> Result<(), ApiError> {
        let mut input = form.fields();
        let _: serde::de::IgnoredAny = match member_id {
            Some(id) => {
                self.operation(OPERATIONS, "CustomerUpdateFamilyMember", json!({ "id": id, "input": input })).await?
            }
            None => {
                input["customerId"] = json!(customer_id);
                self.operation(OPERATIONS, "CustomerAddFamilyMember", json!({ "input": input })).await?
            }
        };
        Ok(())
    }

    /// Removes a family member.
    pub async fn remove_member(self, member_id: String) -> Result<(), ApiError> {
        let _: serde::de::IgnoredAny =
            self.operation(OPERATIONS, "CustomerRemoveFamilyMember", json!({ "id": member_id })).await?;
        Ok(())
    }
}

/// The panel: the list, then the form (add, or edit the member chosen).
#[component]
pub fn Family(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let session = Session::current();
    let can_write = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Agent)));
    let members = LocalResource::new({
        let id = id.clone();
        move || {
            refresh.activity.track();
            api.family(id.clone())
        }
    });
    // The member being edited (`None`: the form adds one).
    let editing = RwSignal::new(None::<Member>);
    let removal = RwSignal::new(None::<ApiError>);
    let remove = move |member: Member| {
        spawn_local(async move {
            match api.remove_member(member.id.clone()).await {
                Ok(()) => {
                    if editing.get_untracked().is_some_and(|m| m.id == member.id) {
                        editing.set(None);
                    }
                    removal.set(None);
                    refresh.activity.update(|v| *v += 1);
                }
                Err(error) => removal.set(Some(error)),
            }
        });
    };

    view! {
        {move || removal.get().map(|error| view! { <ErrorNotice error /> })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match members.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.is_empty() => {
                        view! { <Empty title="No family members" hint="Add a spouse, children or parents to remember their birthdays." /> }.into_any()
                    }
                    Ok(list) => view! {
                        <ul class="family-list">
                            {list.into_iter().map(|m| {
                                let (edit, gone) = (m.clone(), m.clone());
                                view! {
                                    <li class="family-item">
                                        <strong class="family-name">{m.name.clone()}</strong>
                                        <span class="badge">{relationship_label(&m.relationship)}</span>
                                        <span class="muted">{m.birthday.as_deref().map(|b| format!("Born {}", calendar_day(b)))
                                            .unwrap_or_else(|| "Birthday not known".to_owned())}</span>
                                        <Show when=move || can_write.get()>
                                            <span class="row family-actions">
                                                <button class="btn btn-small btn-ghost family-edit" type="button"
                                                    on:click={let edit = edit.clone(); move |_| editing.set(Some(edit.clone()))}>"Edit"</button>
                                                <button class="btn btn-small btn-ghost family-remove" type="button"
                                                    on:click={let gone = gone.clone(); move |_| remove(gone.clone())}>"Remove"</button>
                                            </span>
                                        </Show>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
        <Show when=move || can_write.get()>
            {let id = id.clone(); move || {
                let chosen = editing.get();
                view! { <MemberEditor customer_id=id.clone() chosen editing /> }
            }}
        </Show>
    }
}

/// Adds a member, or edits `chosen` (rebuilt when `editing` changes).
#[component]
fn MemberEditor(customer_id: String, chosen: Option<Member>, editing: RwSignal<Option<Member>>) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let form = FormState::new(&["name", "relationship", "birthday"]);
    let name = RwSignal::new(chosen.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let relationship =
        RwSignal::new(chosen.as_ref().map(|m| m.relationship.clone()).unwrap_or_else(|| "SPOUSE".to_owned()));
    let birthday = RwSignal::new(chosen.as_ref().and_then(|m| m.birthday.clone()).unwrap_or_default());
    let member_id = chosen.as_ref().map(|m| m.id.clone());
    let is_edit = member_id.is_some();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let values = MemberForm {
            name: name.get_untracked(),
            relationship: relationship.get_untracked(),
            birthday: birthday.get_untracked(),
        };
        if values.name.trim().is_empty() {
            return form.reject("name", "Write the name first.");
        }
        form.submit(api.save_member(customer_id.clone(), member_id.clone(), values), move |()| {
            name.set(String::new());
            birthday.set(String::new());
            editing.set(None);
            refresh.activity.update(|v| *v += 1);
        });
    };

    view! {
        <form class="form family-form" on:submit=submit novalidate>
            <h3 class="family-form-title">{if is_edit { "Edit family member" } else { "Add a family member" }}</h3>
            <div class="grid-3">
                <Field label="Name" error=form.error_for("name")>
                    <input id="family-name" type="text" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </Field>
                <Field label="Relationship" error=form.error_for("relationship")>
                    <select id="family-relationship" prop:value=move || relationship.get()
                        on:change=move |ev| relationship.set(event_target_value(&ev))>
                        {RELATIONSHIPS.into_iter().map(|(r, l)| view! { <option value=r>{l}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Birthday" error=form.error_for("birthday") hint="Optional">
                    <input id="family-birthday" type="date" prop:value=move || birthday.get()
                        on:input=move |ev| birthday.set(event_target_value(&ev)) />
                </Field>
            </div>
            <FormError form />
            <div class="dialog-actions">
                {is_edit.then(|| view! {
                    <button class="btn" type="button" on:click=move |_| editing.set(None)>"Cancel"</button>
                })}
                <SubmitButton form label=if is_edit { "Save" } else { "Add family member" } />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_are_written_day_first_without_a_time_zone() {
        assert_eq!(calendar_day("2026-01-02"), "02/01/2026");
        assert_eq!(calendar_day("soon"), "soon");
    }

    #[test]
    fn a_blank_birthday_is_sent_as_null() {
        let form = MemberForm { name: " Bé Na ".into(), relationship: "CHILD".into(), birthday: " ".into() };
        assert_eq!(form.fields(), json!({ "name": "Bé Na", "relationship": "CHILD", "birthday": null }));
    }
}
