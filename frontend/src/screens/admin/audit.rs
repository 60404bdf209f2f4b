//! The audit log tab: who changed what and when, newest first, narrowed
//! by action, entity or actor; each entry opens to the fields it changed.
//! "Verify chain" has the server recompute every hash and name the first
//! entry that was altered or removed.

use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::Value;

use super::api::{AuditEntry, AuditFilter, ChainReport};
use crate::{
    api::Api,
    components::{
        form::{FormError, FormState, SubmitButton},
        paged::Paged,
        scroll::LoadMore,
        states::ErrorNotice,
    },
    format,
};

/// One changed field: name, value before, value after (`—` when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The fields whose value differs between `before` and `after` (objects),
/// in the order they first appear; a non-object side counts as one field
/// named `value`.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    fn fields(value: Option<&Value>) -> Vec<(String, Value)> {
        match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(other) => vec![("value".to_owned(), other.clone())],
        }
    }
    fn shown(value: Option<&Value>) -> String {
        match value {
            None | Some(Value::Null) => "—".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }
    let before = fields(before);
    let after = fields(after);
    let mut names: Vec<&String> = before.iter().map(|(k, _)| k).collect();
    names.extend(after.iter().map(|(k, _)| k).filter(|k| !before.iter().any(|(b, _)| b == *k)));
    let find = |side: &[(String, Value)], name: &str| side.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (find(&before, name), find(&after, name));
            (b != a).then(|| FieldChange { field: name.clone(), before: shown(b.as_ref()), after: shown(a.as_ref()) })
        })
        .collect()
}

/// Where an entry's entity can be opened in the app, if anywhere.
pub fn entity_link(entity_type: &str, entity_id: Option<&str>) -> Option<String> {
    let id = entity_id.filter(|id| !id.is_empty())?;
    match entity_type {
        "customer" => Some(format!("/customers/{id}")),
        "ticket" => Some(format!("/tickets/{id}")),
        _ => None,
    }
}

/// The filters, the chain check and the entries.
#[component]
pub fn AuditLog() -> impl IntoView {
    let api = Api::current();
    let typed = RwSignal::new(AuditFilter::default());
    let applied = RwSignal::new(AuditFilter::default());
    let version = RwSignal::new(0u32);
    // `user:3` is shown as the person's name once the users are known.
    let users = LocalResource::new(move || api.admin_users());
    let names = Signal::derive(move || {
        let list = users.get().and_then(Result::ok).unwrap_or_default();
        list.into_iter().map(|u| (format!("user:{}", u.id), u.name)).collect::<Vec<_>>()
    });
    let (paged, more) =
        Paged::<AuditEntry>::new(version.into(), move |after| api.admin_audit_log(applied.get_untracked(), after));
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(typed.get_untracked());
        version.update(|v| *v += 1);
    };
    let input = move |id: &'static str,
                      label: &'static str,
                      placeholder: &'static str,
                      part: fn(&mut AuditFilter) -> &mut String| {
        view! {
            <label class="field audit-filter">
                <span class="field-label">{label}</span>
                <input id=id class="input" type="search" autocomplete="off" placeholder=placeholder
                    prop:value=move || typed.with(|f| part(&mut f.clone()).clone())
                    on:input=move |ev| typed.update(|f| *part(f) = event_target_value(&ev)) />
            </label>
        }
    };

    view! {
        <ChainCheck />
        <form id="audit-filters" class="toolbar audit-filters" on:submit=apply>
            {input("audit-action", "Action", "customer.update", |f| &mut f.action)}
            {input("audit-entity-type", "Entity", "customer", |f| &mut f.entity_type)}
            {input("audit-entity-id", "Entity id", "42", |f| &mut f.entity_id)}
            {input("audit-actor", "Actor", "user:1", |f| &mut f.actor)}
            <button class="btn" type="submit">"Filter"</button>
        </form>
        <section class="card list-card">
            {move || paged.state("No entries", "Nothing matches these filters.").unwrap_or_else(|| view! {
                <ul class="audit-list">
                    <For each=move || paged.items.get() key=|e| e.id.clone() let:entry>
                        <AuditRow entry names />
                    </For>
                </ul>
            }.into_any())}
            {move || paged.failure.get().filter(|_| !paged.items.with(Vec::is_empty))
                .map(|error| view! { <ErrorNotice error /> })}
            <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
        </section>
    }
}

/// One entry: a summary line that opens to its changed fields and hash.
#[component]
fn AuditRow(entry: AuditEntry, names: Signal<Vec<(String, String)>>) -> impl IntoView {
    let changed = changes(entry.before.as_ref(), entry.after.as_ref());
    let entity = match &entry.entity_id {
        Some(id) => format!("{} {id}", entry.entity_type),
        None => entry.entity_type.clone(),
    };
    let link = entity_link(&entry.entity_type, entry.entity_id.as_deref());
    let actor = entry.actor.clone();
    let actor_title = actor.clone();
    view! {
        <li class="audit-entry" data-action=entry.action.clone()>
            <details>
                <summary>
                    <span class="mono audit-action">{entry.action.clone()}</span>
                    <span class="audit-entity">{entity}</span>
                    <span class="muted audit-actor" title=actor_title>
                        {move || names.with(|n| n.iter().find(|(key, _)| *key == actor).map(|(_, name)| name.clone()))
                            .unwrap_or_else(|| actor.clone())}
                    </span>
                    <time class="muted audit-time" datetime=entry.created_at.clone()>{format::datetime(&entry.created_at)}</time>
                </summary>
                <div class="audit-detail">
                    {if changed.is_empty() {
                        view! { <p class="muted">"No field values recorded."</p> }.into_any()
                    } else {
                        view! {
                            <table class="table audit-changes">
                                <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                                <tbody>
                                    {changed.into_iter().map(|c| view! {
                                        <tr>
                                            <td class="mono" data-label="Field">{c.field}</td>
                                            <td data-label="Before">{c.before}</td>
                                            <td data-label="After">{c.after}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <p class="muted small">
                        {format!("Entry {} · chain {} · ", entry.id, entry.chain)}
                        <span class="mono" title="SHA-256 of this entry and the one before it">{entry.hash.chars().take(16).collect::<String>()}"…"</span>
                        {link.map(|href| view! { " · " <A href=href>"Open"</A> })}
                    </p>
                </div>
            </details>
        </li>
    }
}

/// The "Verify chain" button and what it found.
#[component]
fn ChainCheck() -> impl IntoView {
    let api = Api::current();
    let form = FormState::new(&[]);
    let report = RwSignal::new(None::<ChainReport>);
    let verify = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        report.set(None);
        form.submit(api.admin_verify_audit_chain(), move |found| report.set(Some(found)));
    };
    view! {
        <form id="verify-chain" class="card chain-check" on:submit=verify>
            <div class="card-body row">
                <div class="chain-text">
                    <strong>"Tamper check"</strong>
                    <p class="muted small">"Each entry carries a hash of itself and the one before. Recomputing them shows whether anything was altered or removed."</p>
                </div>
                <SubmitButton form label="Verify chain" busy_label="Checking…" class="btn" />
            </div>
            {move || report.get().map(|r| {
                let tone = if r.valid { "banner-info" } else { "banner-error" };
                let text = if r.valid {
                    format!("All {} entries are intact.", format::count(r.checked))
                } else {
                    let at = r.first_broken_id.map(|id| format!(" First broken entry: {id}.")).unwrap_or_default();
                    format!("The audit log was altered: {}.{at}", r.message)
                };
                view! { <div id="chain-report" class=format!("banner {tone}") role="status">{text}</div> }
            })}
            <FormError form />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_changed_fields_are_listed_in_their_order() {
        let before = json!({ "name": "Lan", "role": "AGENT", "active": true });
        let after = json!({ "name": "Lan", "role": "ADMIN", "active": true, "city": "Huế" });
        let found = changes(Some(&before), Some(&after));
        assert_eq!(
            found,
            vec![
                FieldChange { field: "role".into(), before: "AGENT".into(), after: "ADMIN".into() },
                FieldChange { field: "city".into(), before: "—".into(), after: "Huế".into() },
            ]
        );
    }

    #[test]
    fn a_creation_lists_every_field_and_a_bare_value_is_one_field() {
        let after = json!({ "name": "POS", "write": false });
        assert_eq!(changes(None, Some(&after)).len(), 2);
        assert_eq!(
            changes(Some(&json!(5)), Some(&json!(6)))[0],
            FieldChange { field: "value".into(), before: "5".into(), after: "6".into() }
        );
        assert!(changes(None, None).is_empty());
    }

    #[test]
    fn customers_and_tickets_open_in_the_app() {
        assert_eq!(entity_link("customer", Some("7")).as_deref(), Some("/customers/7"));
        assert_eq!(entity_link("ticket", Some("3")).as_deref(), Some("/tickets/3"));
        assert_eq!(entity_link("user", Some("3")), None);
        assert_eq!(entity_link("customer", None), None);
    }
}
