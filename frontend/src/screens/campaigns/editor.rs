//! `/campaigns/new` and `/campaigns/:id/edit`: name and channel, the
//! audience (a saved segment, or rules built here with their live count),
//! the message with its preview, and the sending window. Saving makes a
//! DRAFT (rules not saved as a segment yet are saved on the way, named
//! after the campaign) and opens the campaign, where it is started.

use std::time::Duration;

use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};

use super::{
    api::{Campaign, CampaignInput, Channel, EditorSetup, Preview, Segment},
    builder::{Builder, GroupNode, GroupView},
    rules::{self, Rules},
    template::TemplateEditor,
};
use crate::{
    api::{Api, ApiError, Role},
    components::{
        form::{Field, FormError, FormState, SubmitButton},
        states::{ErrorNotice, Loading},
    },
    format,
    session::Session,
};

/// How long the audience count waits for the editing to pause.
const COUNT_DELAY: Duration = Duration::from_millis(350);

/// `/campaigns/new`.
#[component]
pub fn NewCampaignPage() -> impl IntoView {
    view! { <EditorLoader id=None /> }
}

/// `/campaigns/:id/edit`.
#[component]
pub fn EditCampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || view! { <EditorLoader id=Some(id.get()) /> }
}

/// Loads what the editor needs, then shows it.
#[component]
fn EditorLoader(id: Option<String>) -> impl IntoView {
    let api = Api::current();
    let session = Session::current();
    let allowed = session.user().is_some_and(|u| u.role.at_least(Role::Manager));
    if !allowed {
        return Either::Left(view! {
            <div class="banner banner-info" role="status">"Only managers create and edit campaigns."</div>
        });
    }
    let loaded = LocalResource::new(move || {
        let id = id.clone();
        async move {
            let setup = api.campaign_editor_setup().await?;
            let campaign = match id {
                Some(id) => Some(api.campaign(id).await?),
                None => None,
            };
            Ok::<_, ApiError>((setup, campaign))
        }
    });
    Either::Right(view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((_, Some(c))) if !c.status.editable() => view! {
                        <div class="banner banner-info" role="status">
                            "This campaign has started; it can no longer be edited. "
                            <A href=format!("/campaigns/{}", c.id)>"Open it"</A>
                        </div>
                    }.into_any(),
                    Ok((setup, campaign)) => view! { <Editor setup campaign /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    })
}

/// An RFC 3339 instant as a `datetime-local` value in the browser's zone.
fn to_local_input(timestamp: &str) -> String {
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(timestamp));
    if at.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        at.get_full_year(),
        at.get_month() + 1,
        at.get_date(),
        at.get_hours(),
        at.get_minutes()
    )
}

/// A `datetime-local` value (browser's zone) as RFC 3339; `Ok(None)` when
/// empty.
fn from_local_input(value: &str) -> Result<Option<String>, ()> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value.trim()));
    if at.get_time().is_nan() {
        return Err(());
    }
    Ok(Some(String::from(at.to_iso_string())))
}

/// The form.
#[component]
fn Editor(setup: EditorSetup, campaign: Option<Campaign>) -> impl IntoView {
    let api = Api::current();
    let navigate = use_navigate();
    let EditorSetup { segment_fields, template_placeholders, segments: saved } = setup;
    let fields = StoredValue::new(segment_fields);
    let segments = RwSignal::new(saved);
    let editing = campaign.as_ref().map(|c| c.id.clone());

    let name = RwSignal::new(campaign.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let channel = RwSignal::new(campaign.as_ref().map(|c| c.channel).unwrap_or_default());
    let template = RwSignal::new(campaign.as_ref().map(|c| c.template.clone()).unwrap_or_default());
    let discount = RwSignal::new(campaign.as_ref().and_then(|c| c.discount_code.clone()).unwrap_or_default());
    let local = |at: Option<&String>| at.map(|t| to_local_input(t)).unwrap_or_default();
    let starts = RwSignal::new(local(campaign.as_ref().and_then(|c| c.starts_at.as_ref())));
    let ends = RwSignal::new(local(campaign.as_ref().and_then(|c| c.ends_at.as_ref())));

    // The audience: the segment picked (with the rules it was saved with)
    // and the rules as edited.
    let picked = RwSignal::new(campaign.as_ref().map(|c| c.segment.id.clone()));
    let picked_rules = RwSignal::new(None::<Rules>);
    let root = RwSignal::new(GroupNode::from_rules(&Rules::default(), &[]));
    let pick = move |id: Option<String>| {
        let rules = id
            .as_ref()
            .and_then(|id| segments.with_untracked(|l| l.iter().find(|s| s.id == *id).map(|s| s.rules.clone())));
        let shown = rules.clone().unwrap_or_default();
        root.set(fields.with_value(|f| GroupNode::from_rules(&shown, f)));
        picked_rules.set(rules);
        picked.set(id);
    };
    pick(picked.get_untracked());
    let rules = Memo::new(move |_| fields.with_value(|f| root.get().rules(f)));
    let modified = Memo::new(move |_| picked_rules.with(|p| p.as_ref() != Some(&rules.get())));

    let builder = Builder { fields, error: RwSignal::new(None), read_only: false };
    let preview = RwSignal::new(None::<Preview>);
    let counting = RwSignal::new(false);
    let sent = StoredValue::new(0u32);
    Effect::new(move |_| {
        let rules = rules.get();
        sent.update_value(|n| *n += 1);
        let mine = sent.get_value();
        counting.set(true);
        set_timeout(
            move || {
                if sent.try_get_value() != Some(mine) {
                    return;
                }
                spawn_local(async move {
                    let result = api.preview_segment(rules).await;
                    if sent.try_get_value() != Some(mine) {
                        return;
                    }
                    let _ = counting.try_set(false);
                    match result {
                        Ok(p) => {
                            let _ = preview.try_set(Some(p));
                            let _ = builder.error.try_set(None);
                        }
                        Err(e) => {
                            let _ = builder.error.try_set(Some(e));
                        }
                    }
                });
            },
            COUNT_DELAY,
        );
    });
    let sample = Signal::derive(move || preview.with(|p| p.as_ref().and_then(|p| p.sample.first().cloned())));

    let form = FormState::new(&["name", "channel", "segmentId", "template", "discountCode", "startsAt", "endsAt"]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let campaign_name = name.get_untracked().trim().to_owned();
        if campaign_name.is_empty() {
            form.reject("name", "Give the campaign a name");
            return;
        }
        let (Ok(starts_at), Ok(ends_at)) =
            (from_local_input(&starts.get_untracked()), from_local_input(&ends.get_untracked()))
        else {
            form.reject("startsAt", "Pick a date and a time");
            return;
        };
        let segment = picked.get_untracked().filter(|_| !modified.get_untracked());
        let rules = rules.get_untracked();
        let input = CampaignInput {
            name: campaign_name.clone(),
            channel: channel.get_untracked(),
            segment_id: String::new(),
            template: template.get_untracked(),
            discount_code: Some(discount.get_untracked().trim().to_owned()).filter(|c| !c.is_empty()),
            starts_at,
            ends_at,
        };
        let id = editing.clone();
        let navigate = navigate.clone();
        let call = async move {
            let segment_id = match segment {
                Some(id) => id,
                None => {
                    save_rules(api, format!("{campaign_name} audience"), rules, segments, builder, picked, picked_rules)
                        .await
                        .map_err(|e| ApiError::invalid("segmentId", e.to_string()))?
                }
            };
            api.save_campaign(id, CampaignInput { segment_id, ..input }).await
        };
        form.submit(call, move |id| navigate(&format!("/campaigns/{id}"), Default::default()));
    };

    let placeholders = template_placeholders;
    view! {
        <div class="page-header">
            <div>
                <h1>{if campaign.is_some() { "Edit campaign" } else { "New campaign" }}</h1>
                <p class="muted">"Choose who gets it, write the message, then start it from the campaign's page."</p>
            </div>
            <A href="/campaigns" attr:class="btn btn-ghost">"All campaigns"</A>
        </div>
        <form class="campaign-editor" on:submit=submit novalidate>
            <section class="card">
                <div class="card-body grid-2">
                    <Field label="Name" error=form.error_for("name")>
                        <input id="campaign-name" type="text" prop:value=name.get_untracked() autocomplete="off"
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </Field>
                    <Field label="Channel" error=form.error_for("channel")>
                        <select id="campaign-channel" on:change=move |ev| channel.set(Channel::from_graphql(&event_target_value(&ev)))>
                            {Channel::ALL.into_iter().map(|c| view! {
                                <option value=c.as_graphql() selected=channel.get_untracked() == c>{c.label()}</option>
                            }).collect_view()}
                        </select>
                    </Field>
                </div>
            </section>

            <section class="card segment-card">
                <div class="card-body">
                    <h2 class="card-title">"Audience"</h2>
                    <SegmentBar segments picked picked_rules modified pick rules builder />
                    <span class="field-error" role="alert" id="segment-error">{move || form.error_for("segmentId").get()}</span>
                    <div class="segment-layout">
                        <div class="segment-rules">
                            {move || {
                                let node = root.get();
                                view! { <GroupView node builder path=Signal::derive(|| "rules".to_owned()) depth=1 /> }
                            }}
                        </div>
                        <AudienceCount preview counting error=builder.error />
                    </div>
                </div>
            </section>

            <section class="card">
                <div class="card-body">
                    <h2 class="card-title">"Message"</h2>
                    <TemplateEditor template discount placeholders sample
                        template_error=form.error_for("template") discount_error=form.error_for("discountCode") />
                </div>
            </section>

            <section class="card">
                <div class="card-body">
                    <h2 class="card-title">"Sending window"</h2>
                    <div class="grid-2">
                        <Field label="Starts" error=form.error_for("startsAt") hint="Empty: when started">
                            <input id="campaign-starts" type="datetime-local" prop:value=starts.get_untracked()
                                on:input=move |ev| starts.set(event_target_value(&ev)) />
                        </Field>
                        <Field label="Ends" error=form.error_for("endsAt") hint="Messages not sent by then expire">
                            <input id="campaign-ends" type="datetime-local" prop:value=ends.get_untracked()
                                on:input=move |ev| ends.set(event_target_value(&ev)) />
                        </Field>
                    </div>
                </div>
            </section>

            <FormError form />
            <div class="page-actions">
                <SubmitButton form label=if campaign.is_some() { "Save changes" } else { "Create draft" } />
            </div>
        </form>
    }
}

/// Saves `rules` as the segment `name`, and makes it the one picked. A
/// refused rule is shown at the rule.
async fn save_rules(
    api: Api,
    name: String,
    rules: Rules,
    segments: RwSignal<Vec<Segment>>,
    builder: Builder,
    picked: RwSignal<Option<String>>,
    picked_rules: RwSignal<Option<Rules>>,
) -> Result<String, ApiError> {
    match api.save_segment(name, rules.clone()).await {
        Ok(saved) => {
            let id = saved.id.clone();
            segments.update(|l| l.push(Segment { id: saved.id, name: saved.name, rules: rules.clone() }));
            picked_rules.set(Some(rules));
            picked.set(Some(id.clone()));
            Ok(id)
        }
        Err(e) if e.field().is_some_and(|f| rules::rule_path(f).is_some()) => {
            builder.error.set(Some(e));
            Err(ApiError::invalid("rules", "Fix the marked rule first."))
        }
        Err(e) => Err(e),
    }
}

/// The saved segments to start from, and "Save segment as…".
#[component]
fn SegmentBar(
    segments: RwSignal<Vec<Segment>>,
    picked: RwSignal<Option<String>>,
    picked_rules: RwSignal<Option<Rules>>,
    modified: Memo<bool>,
    pick: impl Fn(Option<String>) + Copy + Send + Sync + 'static,
    rules: Memo<Rules>,
    builder: Builder,
) -> impl IntoView {
    let api = Api::current();
    let saving = RwSignal::new(false);
    let segment_name = RwSignal::new(String::new());
    let form = FormState::new(&["name"]);
    let save = move |_| {
        let name = segment_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            form.reject("name", "Name the segment");
            return;
        }
        let rules = rules.get_untracked();
        // The new segment becomes the one picked; its rules are those shown.
        form.submit(save_rules(api, name, rules, segments, builder, picked, picked_rules), move |_| {
            saving.set(false);
            segment_name.set(String::new());
        });
    };
    view! {
        <div class="segment-bar">
            <label class="segment-pick">
                <span class="field-label">"Saved segment"</span>
                <select id="segment-pick" on:change=move |ev| {
                    let id = event_target_value(&ev);
                    pick(Some(id).filter(|id| !id.is_empty()));
                }>
                    <option value="" selected=move || picked.with(Option::is_none)>"New rules"</option>
                    {move || segments.get().into_iter().map(|s| {
                        let id = s.id.clone();
                        view! { <option value=s.id selected=move || picked.with(|p| p.as_ref() == Some(&id))>{s.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Show when=move || modified.get() && picked.with(Option::is_some)>
                <span class="badge badge-warning" id="segment-modified">"Modified: saved as a new segment"</span>
            </Show>
            <button type="button" class="btn btn-small" id="segment-save-as" on:click=move |_| saving.update(|s| *s = !*s)>
                "Save segment as…"
            </button>
        </div>
        <Show when=move || saving.get()>
            <div class="segment-save row">
                <Field label="Segment name" error=form.error_for("name")>
                    <input id="segment-name" type="text" prop:value=segment_name.get_untracked() autocomplete="off"
                        on:input=move |ev| segment_name.set(event_target_value(&ev)) />
                </Field>
                <button type="button" class="btn btn-primary" id="segment-save" disabled=move || form.busy.get()
                    on:click=save>"Save segment"</button>
            </div>
            <FormError form />
        </Show>
    }
}

/// The live size of the audience and a few of its customers.
#[component]
fn AudienceCount(
    preview: RwSignal<Option<Preview>>,
    counting: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    view! {
        <aside class="audience" class:is-refreshing=move || counting.get() aria-live="polite">
            <div class="audience-count" id="audience-count">
                {move || match (error.get(), preview.get()) {
                    (Some(_), _) => "Audience: —".to_owned(),
                    (None, Some(p)) => format!(
                        "Audience: {} {}",
                        format::count(p.count),
                        if p.count == 1 { "customer" } else { "customers" }
                    ),
                    (None, None) => "Audience: counting…".to_owned(),
                }}
            </div>
            {move || error.get().map(|e| {
                let message = if e.field().is_some_and(|f| rules::rule_path(f).is_some()) {
                    "Fix the marked rule to count the audience.".to_owned()
                } else {
                    e.to_string()
                };
                view! { <p class="field-error">{message}</p> }
            })}
            <ul class="audience-sample">
                {move || preview.get().filter(|_| error.with(Option::is_none)).map(|p| {
                    p.sample.into_iter().map(|c| view! {
                        <li class="audience-customer"><span>{c.name}</span> " " <span class="muted">{c.phone}</span></li>
                    }).collect_view()
                })}
            </ul>
        </aside>
    }
}
