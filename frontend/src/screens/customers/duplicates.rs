//! `/customers/duplicates` (MANAGER and above): groups of customers that
//! look like one person, with the reason (same phone however written, same
//! email, same name with the same city or birthday), and the merge dialog:
//! choose who stays, see what will move (`mergePreview`), confirm, then go
//! to the customer that stayed.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError, Connection, Money, Page, Role},
    components::{
        dialog::Dialog,
        form::{Field, FormError, FormState, SubmitButton},
        states::{Empty, ErrorNotice, Loading},
    },
    format,
    session::Session,
};

const DOCUMENT: &str = include_str!("duplicates.graphql");

/// Groups per page.
const PAGE_SIZE: i32 = 50;

/// The wallet figures shown beside each customer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balances {
    pub real_balance: Money,
    pub virtual_balance: Money,
}

/// A member of a group.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub member_code: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub city: Option<String>,
    pub order_count: i64,
    pub created_at: String,
    pub wallet: Balances,
}

/// Customers that look like one person.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub reasons: Vec<String>,
    pub keys: Vec<String>,
    pub size: i64,
    pub customers: Vec<Member>,
}

/// What one table would move.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Move {
    pub table: String,
    pub label: String,
    pub moved: i64,
    pub kept: i64,
}

/// What a merge would do.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub moves: Vec<Move>,
    pub real_balance: Money,
    pub virtual_balance: Money,
    pub points: i64,
}

#[derive(Clone, Debug, Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Merged {
    survivor: IdOnly,
}

/// A reason as people say it.
pub fn reason_label(reason: &str) -> &'static str {
    match reason {
        "PHONE" => "Same phone",
        "EMAIL" => "Same email",
        "NAME_CITY" => "Same name and city",
        "NAME_BIRTHDAY" => "Same name and birthday",
        _ => "Similar",
    }
}

impl Api {
    /// A page of likely duplicate groups.
    pub async fn duplicate_customers(self, after: Option<String>) -> Result<Page<Group>, ApiError> {
        let connection: Connection<Group> =
            self.operation(DOCUMENT, "DuplicateCustomers", json!({ "first": PAGE_SIZE, "after": after })).await?;
        Ok(connection.into())
    }

    /// What merging `duplicate` into `survivor` would move.
    pub async fn merge_preview(self, survivor: String, duplicate: String) -> Result<Preview, ApiError> {
        self.operation(DOCUMENT, "MergePreview", json!({ "survivorId": survivor, "duplicateId": duplicate })).await
    }

    /// Merges `duplicate` into `survivor`; returns the survivor's id.
    pub async fn merge_customers(
        self,
        survivor: String,
        duplicate: String,
        reason: String,
    ) -> Result<String, ApiError> {
        let reason = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
        let merged: Merged = self
            .operation(
                DOCUMENT,
                "MergeCustomers",
                json!({ "survivorId": survivor, "duplicateId": duplicate, "reason": reason }),
            )
            .await?;
        Ok(merged.survivor.id)
    }
}

/// The page.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let allowed = Memo::new(move |_| session.user().is_some_and(|user| user.role.at_least(Role::Manager)));
    let version = RwSignal::new(0u32);
    let groups = LocalResource::new(move || {
        version.track();
        async move { api.duplicate_customers(None).await }
    });
    let chosen = RwSignal::new(None::<Group>);
    let open = RwSignal::new(false);
    let pick = Callback::new(move |group: Group| {
        chosen.set(Some(group));
        open.set(true);
    });

    view! {
        <div class="page-header">
            <div>
                <p class="muted"><A href="/customers">"← Customers"</A></p>
                <h1>"Likely duplicates"</h1>
                <p class="muted">
                    "Customers with the same phone (however it was written), the same email, or the same name with the same city or birthday."
                </p>
            </div>
        </div>
        <Show
            when=move || allowed.get()
            fallback=|| view! { <Empty title="Only managers review duplicates" /> }
        >
            <section class="card duplicates">
                {move || match groups.get() {
                    None => view! { <Loading label="Looking for duplicates…" /> }.into_any(),
                    Some(Err(error)) => {
                        view! { <ErrorNotice error retry=Callback::new(move |()| groups.refetch()) /> }.into_any()
                    }
                    Some(Ok(page)) if page.items.is_empty() => {
                        view! { <Empty title="No likely duplicates" hint="Every customer looks like a different person." /> }
                            .into_any()
                    }
                    Some(Ok(page)) => {
                        let total = page.total_count.unwrap_or(page.items.len() as i64);
                        view! {
                            <p class="muted" id="duplicates-count">{format!("{} groups", format::count(total))}</p>
                            <ul class="duplicate-groups stack">
                                {page
                                    .items
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, group)| view! { <GroupCard index=i group pick /> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </section>
            <Dialog open title="Merge customers" wide=true>
                {move || chosen.get().map(|group| view! { <MergeForm group open /> })}
            </Dialog>
        </Show>
    }
}

/// One group: the reasons, what they share, the members, and "Merge…".
#[component]
fn GroupCard(index: usize, group: Group, pick: Callback<Group>) -> impl IntoView {
    let reasons = group
        .reasons
        .iter()
        .zip(group.keys.iter())
        .map(|(reason, key)| {
            view! {
                <span class="duplicate-reason">
                    <span class="badge badge-warning">{reason_label(reason)}</span>
                    " "
                    <span class="mono muted">{key.clone()}</span>
                </span>
            }
        })
        .collect_view();
    let more = (group.size > group.customers.len() as i64)
        .then(|| view! { <p class="muted">{format!("{} customers in all", group.size)}</p> });
    let rows = group
        .customers
        .clone()
        .into_iter()
        .map(|c| {
            view! {
                <tr>
                    <td><A href=format!("/customers/{}", c.id)>{c.name.clone()}</A></td>
                    <td class="mono">{c.member_code.clone()}</td>
                    <td class="mono">{c.phone.clone()}</td>
                    <td>{c.email.clone().unwrap_or_default()}</td>
                    <td>{c.city.clone().unwrap_or_default()}</td>
                    <td class="num">{c.order_count}</td>
                    <td class="num">{c.wallet.real_balance.display()}</td>
                    <td>{format::date(&c.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let open_with = group.clone();
    view! {
        <li class="duplicate-group" id=format!("duplicate-group-{index}")>
            <div class="row duplicate-head">
                <div class="row">{reasons}</div>
                <button class="btn btn-small merge-open" type="button" on:click=move |_| pick.run(open_with.clone())>
                    "Merge…"
                </button>
            </div>
            <table class="table">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Member code"</th>
                        <th>"Phone"</th>
                        <th>"Email"</th>
                        <th>"City"</th>
                        <th class="num">"Orders"</th>
                        <th class="num">"Balance"</th>
                        <th>"Since"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {more}
        </li>
    }
}

/// The dialog's form: who stays, who is merged away, what moves, confirm.
#[component]
fn MergeForm(group: Group, open: RwSignal<bool>) -> impl IntoView {
    let api = Api::current();
    let navigate = use_navigate();
    let form = FormState::new(&["survivorId", "duplicateId", "reason"]);
    let members = StoredValue::new(group.customers.clone());
    // By default the oldest stays and the newest goes.
    let survivor = RwSignal::new(group.customers.first().map(|c| c.id.clone()).unwrap_or_default());
    let duplicate = RwSignal::new(group.customers.last().map(|c| c.id.clone()).unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let preview = LocalResource::new(move || {
        let (s, d) = (survivor.get(), duplicate.get());
        async move { if s == d { None } else { Some(api.merge_preview(s, d).await) } }
    });
    let name_of = move |id: String| {
        members.with_value(|m| m.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_default())
    };
    let options = move || {
        members.with_value(|m| {
            m.iter()
                .map(|c| view! { <option value=c.id.clone()>{format!("{} · {} · {}", c.name, c.member_code, c.phone)}</option> })
                .collect_view()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (s, d) = (survivor.get(), duplicate.get());
        if s == d {
            form.reject("duplicateId", "Choose two different customers");
            return;
        }
        let navigate = navigate.clone();
        form.submit(api.merge_customers(s, d, reason.get()), move |id| {
            open.set(false);
            navigate(&format!("/customers/{id}"), Default::default());
        });
    };
    view! {
        <form id="merge-form" class="stack" novalidate on:submit=submit>
            <Field label="Keep" error=form.error_for("survivorId") hint="This customer stays, with everything moved in">
                <select id="merge-survivor" class="select" prop:value=move || survivor.get()
                    on:change=move |ev| survivor.set(event_target_value(&ev))>
                    {options}
                </select>
            </Field>
            <Field label="Merge away" error=form.error_for("duplicateId") hint="This customer becomes a link to the one kept">
                <select id="merge-duplicate" class="select" prop:value=move || duplicate.get()
                    on:change=move |ev| duplicate.set(event_target_value(&ev))>
                    {options}
                </select>
            </Field>
            <div class="merge-preview" id="merge-preview">
                {move || match preview.get() {
                    None => view! { <Loading label="Counting what moves…" /> }.into_any(),
                    Some(None) => view! { <p class="muted">"Choose two different customers."</p> }.into_any(),
                    Some(Some(Err(error))) => view! { <ErrorNotice error /> }.into_any(),
                    Some(Some(Ok(p))) => {
                        let to = name_of(survivor.get_untracked());
                        let rows = p
                            .moves
                            .iter()
                            .filter(|m| m.moved > 0 || m.kept > 0)
                            .map(|m| {
                                let kept = (m.kept > 0).then(|| format!(" ({} already there, kept apart)", m.kept));
                                view! { <li data-table=m.table.clone()>{format!("{}: {}", m.label, m.moved)}{kept}</li> }
                            })
                            .collect_view();
                        view! {
                            <p>{format!("Moves to {to}:")}</p>
                            <ul class="merge-moves">
                                <li id="merge-moves-wallet">
                                    {format!(
                                        "Wallet: {} real, {} virtual credit (expiry dates kept), {} points",
                                        p.real_balance.display(),
                                        p.virtual_balance.display(),
                                        p.points,
                                    )}
                                </li>
                                {rows}
                            </ul>
                            <p class="muted">"The merge cannot be undone. The customer merged away keeps a link to the one kept."</p>
                        }
                            .into_any()
                    }
                }}
            </div>
            <Field label="Reason (optional)" error=form.error_for("reason")>
                <input id="merge-reason" class="input" type="text" prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev)) />
            </Field>
            <FormError form />
            <div class="dialog-actions">
                <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                <SubmitButton form label="Merge" busy_label="Merging…" class="btn-danger" />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_words() {
        for r in ["PHONE", "EMAIL", "NAME_CITY", "NAME_BIRTHDAY"] {
            assert_ne!(reason_label(r), "Similar", "{r}");
        }
    }
}
