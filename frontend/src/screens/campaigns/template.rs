//! The template editor: the message with buttons that insert each
//! `{{placeholder}}` at the cursor, the discount code, and the message as
//! the first customer of the audience would get it (rendered by the
//! server, a moment after the typing stops).

use std::time::Duration;

use leptos::{html, prelude::*, task::spawn_local};

use super::api::SampleCustomer;
use crate::api::{Api, ApiError};

/// How long the preview waits for the typing to pause.
const RENDER_DELAY: Duration = Duration::from_millis(350);

/// `text` with `insert` put over the selection `start..end` (UTF-16
/// offsets, as the browser counts them; none: at the end), and where the
/// cursor goes after it.
pub fn insert_at(text: &str, start: Option<u32>, end: Option<u32>, insert: &str) -> (String, u32) {
    let units: Vec<u16> = text.encode_utf16().collect();
    let len = units.len() as u32;
    let start = start.unwrap_or(len).min(len);
    let end = end.unwrap_or(start).clamp(start, len);
    let mut out: Vec<u16> = units[..start as usize].to_vec();
    out.extend(insert.encode_utf16());
    let cursor = out.len() as u32;
    out.extend_from_slice(&units[end as usize..]);
    (String::from_utf16_lossy(&out), cursor)
}

/// The message, its placeholders, the discount code and the live preview.
#[component]
pub fn TemplateEditor(
    template: RwSignal<String>,
    discount: RwSignal<String>,
    placeholders: Vec<String>,
    /// Whom the preview is rendered for.
    #[prop(into)]
    sample: Signal<Option<SampleCustomer>>,
    /// The form's errors for the template and the discount code.
    #[prop(into)]
    template_error: Signal<Option<String>>,
    #[prop(into)] discount_error: Signal<Option<String>>,
) -> impl IntoView {
    let api = Api::current();
    let area = NodeRef::<html::Textarea>::new();
    let rendered = RwSignal::new(None::<Result<String, ApiError>>);
    let sent = StoredValue::new(0u32);
    Effect::new(move |_| {
        let (text, code, who) = (template.get(), discount.get(), sample.get());
        sent.update_value(|n| *n += 1);
        let mine = sent.get_value();
        let Some(who) = who.filter(|_| !text.trim().is_empty()) else {
            rendered.set(None);
            return;
        };
        set_timeout(
            move || {
                if sent.try_get_value() != Some(mine) {
                    return;
                }
                let code = Some(code.trim().to_owned()).filter(|c| !c.is_empty());
                spawn_local(async move {
                    let result = api.render_template(text, code, who.id).await;
                    if sent.try_get_value() == Some(mine) {
                        let _ = rendered.try_set(Some(result));
                    }
                });
            },
            RENDER_DELAY,
        );
    });
    // An unknown placeholder is the template's error, whoever found it.
    let error = Signal::derive(move || {
        let from_preview = rendered.with(|r| match r {
            Some(Err(e)) if e.is_about("template") => Some(e.to_string()),
            _ => None,
        });
        from_preview.or_else(|| template_error.get())
    });
    let insert = move |placeholder: String| {
        let Some(el) = area.get_untracked() else { return };
        let start = el.selection_start().ok().flatten();
        let end = el.selection_end().ok().flatten();
        let (text, cursor) = insert_at(&el.value(), start, end, &placeholder);
        el.set_value(&text);
        template.set(text);
        let _ = el.focus();
        let _ = el.set_selection_range(cursor, cursor);
    };

    view! {
        <div class="field template-field" class:has-error=move || error.with(Option::is_some)>
            <label class="field-label" for="campaign-template">"Message"</label>
            <div class="placeholder-buttons" role="group" aria-label="Insert a placeholder">
                {placeholders.into_iter().map(|p| {
                    let label = p.clone();
                    view! {
                        <button type="button" class="btn btn-small placeholder-btn" data-placeholder=p.clone()
                            on:click=move |_| insert(p.clone())>{label}</button>
                    }
                }).collect_view()}
            </div>
            <textarea id="campaign-template" node_ref=area rows="4" prop:value=template.get_untracked()
                placeholder="Chào {{name}}, …" on:input=move |ev| template.set(event_target_value(&ev))></textarea>
            <span class="field-error" role="alert" id="template-error">{move || error.get()}</span>
        </div>
        <label class="field">
            <span class="field-label">"Discount code"</span>
            <input id="campaign-discount" type="text" prop:value=discount.get_untracked() autocomplete="off"
                on:input=move |ev| discount.set(event_target_value(&ev)) />
            <span class="field-hint">"Needed when the message uses {{discount_code}}."</span>
            <span class="field-error" role="alert">{move || discount_error.get()}</span>
        </label>
        <div class="template-preview" id="template-preview" aria-live="polite">
            <span class="template-preview-label muted">
                {move || match sample.get() {
                    Some(c) => format!("Preview for {}", c.name),
                    None => "Preview".to_owned(),
                }}
            </span>
            {move || match (rendered.get(), sample.with(Option::is_some)) {
                (_, false) => view! { <p class="muted">"No customer in the audience to preview with."</p> }.into_any(),
                (Some(Ok(text)), _) => view! { <p class="template-preview-text">{text}</p> }.into_any(),
                (Some(Err(e)), _) if e.is_about("template") => {
                    view! { <p class="muted">"Fix the message to see the preview."</p> }.into_any()
                }
                (Some(Err(e)), _) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                (None, _) => view! { <p class="muted">"Write a message to see it here."</p> }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::insert_at;

    #[test]
    fn a_placeholder_goes_where_the_cursor_is() {
        assert_eq!(insert_at("Chào !", Some(5), Some(5), "{{name}}"), ("Chào {{name}}!".to_owned(), 13));
        // Over a selection, and at the end when the browser says nothing.
        assert_eq!(insert_at("Hi XX", Some(3), Some(5), "{{tier}}").0, "Hi {{tier}}");
        assert_eq!(insert_at("Hi ", None, None, "{{city}}"), ("Hi {{city}}".to_owned(), 11));
        // Offsets past the end are clamped; an emoji counts two units.
        assert_eq!(insert_at("🎉", Some(9), None, "x"), ("🎉x".to_owned(), 3));
    }
}
