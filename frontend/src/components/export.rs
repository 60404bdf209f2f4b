//! "Export CSV": fetches one of the server's `/exports/*.csv` with the
//! session's bearer token (a plain link could not carry it) and saves the
//! answer as a file through an object URL.

use gloo_net::http::Request;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::{
    api::{ApiError, plain_http, protocol_error},
    components::banner::{Banner, Tone},
    format,
    session::Session,
};

/// Downloads the CSV at `url` as `filename`; returns how many data rows it
/// held (records after the header; quoted newlines stay in their record).
pub async fn download_csv(session: Session, url: &str, filename: &str) -> Result<usize, ApiError> {
    let body = plain_http(session, Request::get(url).header("Accept", "text/csv"), None).await?;
    save(&body, filename).ok_or_else(|| protocol_error(format_args!("cannot save {filename}")))?;
    Ok(count_records(&body).saturating_sub(1))
}

/// Hands `text` to the browser as a download named `filename`.
fn save(text: &str, filename: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let document = web_sys::window()?.document()?;
    let link = document.create_element("a").ok()?;
    link.set_attribute("href", &url).ok()?;
    link.set_attribute("download", filename).ok()?;
    link.set_attribute("hidden", "").ok()?;
    document.body()?.append_child(&link).ok()?;
    link.dyn_ref::<web_sys::HtmlElement>()?.click();
    link.remove();
    // The click has started the download; the URL is no longer needed.
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

/// CSV records in `text` (a trailing newline does not start one).
fn count_records(text: &str) -> usize {
    let mut records = 0;
    let mut quoted = false;
    let mut in_record = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_record = true;
            }
            '\n' if !quoted => {
                if in_record {
                    records += 1;
                }
                in_record = false;
            }
            '\r' if !quoted => {}
            _ => in_record = true,
        }
    }
    records + usize::from(in_record)
}

/// A button that downloads `url()` as `filename()`, then says how many
/// rows it saved (`#<id>-status`), or shows why the server refused. The
/// lists' "Export CSV", and the import's error report.
#[component]
pub fn ExportButton(
    /// The button's `id`.
    id: &'static str,
    /// The export's address when clicked (with the current filters).
    #[prop(into)]
    url: Callback<(), String>,
    /// The file's name when clicked.
    #[prop(into)]
    filename: Callback<(), String>,
    /// The button's text ("Export CSV" by default).
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| "Export CSV".to_owned());
    let session = Session::current();
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<usize>);
    let failure = RwSignal::new(None::<ApiError>);
    let export = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        done.set(None);
        failure.set(None);
        let (url, filename) = (url.run(()), filename.run(()));
        spawn_local(async move {
            match download_csv(session, &url, &filename).await {
                Ok(rows) => {
                    let _ = done.try_set(Some(rows));
                }
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <span class="export">
            <button id=id class="btn btn-ghost" type="button" prop:disabled=move || busy.get() on:click=export>
                {move || if busy.get() { "Exporting…".to_owned() } else { label.clone() }}
            </button>
            <span id=format!("{id}-status") class="muted small export-status" aria-live="polite"
                data-rows=move || done.get().map(|rows| rows.to_string())>
                {move || done.get().map(|rows| format!("Exported {} rows", format::count(rows as i64)))}
            </span>
        </span>
        {move || failure.get().map(|error| view! {
            <Banner tone=Tone::Error><span class="export-error">{error.to_string()}</span></Banner>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_counted_with_quoted_newlines() {
        assert_eq!(count_records(""), 0);
        assert_eq!(count_records("a,b\n"), 1);
        assert_eq!(count_records("a,b\r\n1,\"x\ny\"\r\n2,z"), 3);
        assert_eq!(count_records("a\n\n1\n"), 2);
    }
}
