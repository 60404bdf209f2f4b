//! The "Interactions" panel of the customer 360 page: the calls, messages
//! and visits logged with the customer (newest first, by channel), and the
//! "Log interaction" form with its follow-up date. Logging one reloads the
//! page's activity (the timeline gains a line).

use leptos::{ev::SubmitEvent, prelude::*};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Refresh, api::PAGE_SIZE, family::calendar_day};
use crate::{
    api::{Api, ApiError, Connection, Page, Role},
    components::{
        form::{Field, FormError, FormState, SubmitButton},
        paged::Paged,
        scroll::LoadMore,
    },
    format,
    session::Session,
};

const OPERATIONS: &str = include_str!("interactions.graphql");

/// The channels, as the server names them, and how the page says them.
const CHANNELS: [(&str, &str); 5] =
    [("CALL", "Call"), ("WHATSAPP", "WhatsApp"), ("SMS", "SMS"), ("EMAIL", "Email"), ("VISIT", "Visit")];

fn channel_label(channel: &str) -> String {
    CHANNELS.iter().find(|(c, _)| *c == channel).map(|(_, l)| (*l).to_owned()).unwrap_or_else(|| channel.to_owned())
}

/// One logged interaction.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionRow {
    pub id: String,
    pub channel: String,
    pub direction: String,
    pub outcome: String,
    pub notes: Option<String>,
    pub follow_up_date: Option<String>,
    pub occurred_at: String,
    pub agent: Option<Agent>,
}

/// Who logged it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Agent {
    pub name: String,
}

/// What the form sends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewInteraction {
    pub channel: String,
    pub direction: String,
    pub outcome: String,
    pub notes: String,
    pub follow_up_date: String,
}

impl NewInteraction {
    /// The `LogInteractionInput`: blank notes and follow-up date are left out.
    pub fn to_input(&self, customer_id: &str) -> Value {
        let text = |s: &str| if s.trim().is_empty() { Value::Null } else { Value::String(s.trim().to_owned()) };
        json!({
            "customerId": customer_id,
            "channel": self.channel,
            "direction": self.direction,
            "outcome": self.outcome.trim(),
            "notes": text(&self.notes),
            "followUpDate": text(&self.follow_up_date),
        })
    }
}

impl Api {
    /// A page of the customer's interactions, of one channel when given.
    pub async fn interactions(
        self,
        customer_id: String,
        channel: Option<String>,
        after: Option<String>,
    ) -> Result<Page<InteractionRow>, ApiError> {
        let vars = json!({ "customerId": customer_id, "channel": channel, "first": PAGE_SIZE, "after": after });
        let list: Connection<InteractionRow> = self.operation(OPERATIONS, "CustomerInteractions", vars).await?;
        Ok(Page::from(list))
    }

    /// Logs an interaction.
    pub async fn log_interaction(self, customer_id: String, new: NewInteraction) -> Result<(), ApiError> {
        let vars = json!({ "input": new.to_input(&customer_id) });
        let _: serde::de::IgnoredAny = self.operation(OPERATIONS, "CustomerLogInteraction", vars).await?;
        Ok(())
    }
}

/// The panel: the form (for AGENTs and up) above the list.
#[component]
pub fn Interactions(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let session = Session::current();
    let can_write = Memo::new(move |_| session.user().is_some_and(|u| u.role.at_least(Role::Agent)));
    let channel = RwSignal::new(String::new());
    let version = Signal::derive(move || {
        channel.track();
        refresh.activity.get()
    });
    let list_id = id.clone();
    let (paged, more) = Paged::<InteractionRow>::new(version, move |after| {
        let chosen = Some(channel.get_untracked()).filter(|c| !c.is_empty());
        api.interactions(list_id.clone(), chosen, after)
    });

    view! {
        <Show when=move || can_write.get()>
            <LogForm id=id.clone() />
        </Show>
        <div class="toolbar">
            <select class="select" id="interaction-filter" aria-label="Channel"
                on:change=move |ev| channel.set(event_target_value(&ev))>
                <option value="">"All channels"</option>
                {CHANNELS.into_iter().map(|(c, l)| view! { <option value=c>{l}</option> }).collect_view()}
            </select>
        </div>
        {move || paged.state("No interactions yet", "Calls, messages and visits logged with this customer appear here.")
            .unwrap_or_else(|| view! {
                <ul class="interaction-list">
                    <For each=move || paged.items.get() key=|i| i.id.clone() let:i>
                        <InteractionItem i />
                    </For>
                </ul>
                <LoadMore has_more=paged.has_more loading=paged.loading on_more=more />
            }.into_any())}
    }
}

#[component]
fn InteractionItem(i: InteractionRow) -> impl IntoView {
    view! {
        <li class="interaction-item">
            <div class="row">
                <span class="badge">{channel_label(&i.channel)}</span>
                <span class="muted">{format::enum_label(&i.direction)}</span>
                <strong class="interaction-outcome">{i.outcome.clone()}</strong>
                {i.follow_up_date.as_deref().map(|d| view! {
                    <span class="badge badge-warning interaction-follow-up">{format!("Follow up {}", calendar_day(d))}</span>
                })}
            </div>
            {i.notes.clone().map(|n| view! { <p class="interaction-notes">{n}</p> })}
            <p class="muted small">
                <span title=format::datetime(&i.occurred_at)>{format::ago(&i.occurred_at)}</span>
                {i.agent.as_ref().map(|a| format!(" · {}", a.name))}
            </p>
        </li>
    }
}

/// "Log interaction": channel, direction, outcome, notes, follow-up date.
#[component]
fn LogForm(id: String) -> impl IntoView {
    let api = Api::current();
    let refresh = expect_context::<Refresh>();
    let form = FormState::new(&["channel", "direction", "outcome", "notes", "followUpDate", "occurredAt"]);
    let channel = RwSignal::new("CALL".to_owned());
    let direction = RwSignal::new("OUTBOUND".to_owned());
    let outcome = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let follow_up = RwSignal::new(String::new());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let new = NewInteraction {
            channel: channel.get_untracked(),
            direction: direction.get_untracked(),
            outcome: outcome.get_untracked(),
            notes: notes.get_untracked(),
            follow_up_date: follow_up.get_untracked(),
        };
        if new.outcome.trim().is_empty() {
            return form.reject("outcome", "Say how it went (reached, no answer…).");
        }
        form.submit(api.log_interaction(id.clone(), new), move |()| {
            outcome.set(String::new());
            notes.set(String::new());
            follow_up.set(String::new());
            refresh.activity.update(|v| *v += 1);
        });
    };
    let text = |id: &'static str, value: RwSignal<String>, kind: &'static str| {
        view! { <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) /> }
    };

    view! {
        <form class="form interaction-form" on:submit=submit novalidate>
            <div class="grid-3">
                <Field label="Channel" error=form.error_for("channel")>
                    <select id="interaction-channel" prop:value=move || channel.get()
                        on:change=move |ev| channel.set(event_target_value(&ev))>
                        {CHANNELS.into_iter().map(|(c, l)| view! { <option value=c>{l}</option> }).collect_view()}
                    </select>
                </Field>
                <Field label="Direction" error=form.error_for("direction")>
                    <select id="interaction-direction" prop:value=move || direction.get()
                        on:change=move |ev| direction.set(event_target_value(&ev))>
                        <option value="OUTBOUND">"Outbound (we reached out)"</option>
                        <option value="INBOUND">"Inbound (they contacted us)"</option>
                    </select>
                </Field>
                <Field label="Follow-up date" error=form.error_for("followUpDate") hint="Optional; today or later">
                    {text("interaction-follow-up", follow_up, "date")}
                </Field>
            </div>
            <Field label="Outcome" error=form.error_for("outcome") hint="A few words: reached, no answer, asked for a quote">
                {text("interaction-outcome", outcome, "text")}
            </Field>
            <Field label="Notes" error=form.error_for("notes")>
                <textarea id="interaction-notes" prop:value=move || notes.get()
                    on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </Field>
            <FormError form />
            <div class="dialog-actions"><SubmitButton form label="Log interaction" /></div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_optional_fields_are_sent_as_null() {
        let new = NewInteraction {
            channel: "SMS".into(),
            direction: "INBOUND".into(),
            outcome: " asked ".into(),
            notes: "  ".into(),
            follow_up_date: "2026-11-25".into(),
        };
        let input = new.to_input("7");
        assert_eq!(input["outcome"], "asked");
        assert_eq!(input["notes"], Value::Null);
        assert_eq!(input["followUpDate"], "2026-11-25");
        assert_eq!(channel_label("WHATSAPP"), "WhatsApp");
    }
}
