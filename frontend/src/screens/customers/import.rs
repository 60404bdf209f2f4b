//! "Import CSV": customers or orders from a file. The browser reads the
//! file, splits it at record boundaries into chunks of at most
//! [`CHUNK_ROWS`] rows (the header repeated in each), and sends them one
//! after the other through `importCsv`, so the progress bar moves per
//! chunk and a cancel stops between chunks. Bad rows come back with their
//! line in the file; the report of every skipped row downloads as CSV.

use leptos::{prelude::*, task::spawn_local};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Api, ApiError},
    components::{
        banner::{Banner, Tone},
        dialog::Dialog,
    },
    format,
};

const IMPORT: &str = include_str!("import.graphql");

/// Rows per `importCsv` call (the server takes up to 2,000).
pub const CHUNK_ROWS: usize = 500;
/// Bytes per call, well under the server's request size limit.
pub const CHUNK_BYTES: usize = 128 * 1024;

/// A part of the file: the header, then whole records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The file line of the first record.
    pub first_line: u64,
    pub rows: usize,
    pub text: String,
}

/// Splits CSV `text` into chunks of at most `max_rows` records and about
/// `max_bytes` (a record longer than that goes alone). A newline inside
/// quotes belongs to its record; blank lines are dropped (their lines
/// still count). `None` when there is no header.
pub fn split(text: &str, max_rows: usize, max_bytes: usize) -> Option<(String, Vec<Chunk>)> {
    // (first line, text) of each record.
    let mut records: Vec<(u64, &str)> = Vec::new();
    let (mut start, mut line, mut record_line, mut quoted) = (0, 1u64, 1u64, false);
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' => {
                line += 1;
                if !quoted {
                    records.push((record_line, &text[start..=i]));
                    start = i + 1;
                    record_line = line;
                }
            }
            _ => {}
        }
    }
    if start < text.len() {
        records.push((record_line, &text[start..]));
    }
    let mut records = records.into_iter().filter(|(_, r)| !r.trim().is_empty());
    let (_, header) = records.next()?;
    let header = if header.ends_with('\n') { header.to_owned() } else { format!("{header}\n") };
    let mut chunks: Vec<Chunk> = Vec::new();
    for (first_line, record) in records {
        let fits = chunks
            .last()
            .is_some_and(|c| c.rows < max_rows && c.text.len() + record.len() <= max_bytes.max(header.len()));
        if !fits {
            chunks.push(Chunk { first_line, rows: 0, text: header.clone() });
        }
        let chunk = chunks.last_mut().expect("pushed above");
        chunk.rows += 1;
        chunk.text.push_str(record);
        if !record.ends_with('\n') {
            chunk.text.push('\n');
        }
    }
    Some((header, chunks))
}

/// The report of skipped rows as CSV (`line,column,message`).
pub fn report_csv(errors: &[RowError]) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let mut out = String::from("line,column,message\n");
    for e in errors {
        out.push_str(&format!("{},{},{}\n", e.line, quote(e.column.as_deref().unwrap_or("")), quote(&e.message)));
    }
    out
}

/// A skipped row.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What one call did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ImportResult {
    pub rows: u64,
    pub created: u64,
    pub existing: u64,
    pub errors: Vec<RowError>,
}

impl ImportResult {
    fn add(&mut self, other: ImportResult) {
        self.rows += other.rows;
        self.created += other.created;
        self.existing += other.existing;
        self.errors.extend(other.errors);
    }
}

impl Api {
    /// Imports one chunk.
    async fn import_csv(self, kind: &'static str, chunk: Chunk) -> Result<ImportResult, ApiError> {
        self.field(IMPORT, json!({ "kind": kind, "csv": chunk.text, "firstLine": chunk.first_line })).await
    }
}

/// Where an import is.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Choosing,
    Running { done_rows: usize, total_rows: usize },
    Finished { cancelled: bool },
}

/// The dialog. `on_done` runs after an import that created something.
#[component]
pub fn ImportDialog(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    view! {
        <Dialog open title="Import CSV">
            <ImportForm open on_done />
        </Dialog>
    }
}

/// Reads the chosen file's text.
async fn read(input: &web_sys::HtmlInputElement) -> Result<(String, String), String> {
    let file = input.files().and_then(|files| files.get(0)).ok_or("Choose a CSV file first")?;
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "The file could not be read".to_owned())?
        .as_string()
        .ok_or("The file is not text")?;
    Ok((file.name(), text))
}

/// A download link's address for `text` (revoked when the dialog closes).
fn download_url(text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

#[component]
fn ImportForm(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let kind = RwSignal::new("CUSTOMERS");
    let input = NodeRef::<leptos::html::Input>::new();
    let file_name = RwSignal::new(None::<String>);
    let stage = RwSignal::new(Stage::Choosing);
    let result = RwSignal::new(ImportResult::default());
    let failure = RwSignal::new(None::<String>);
    let cancel = StoredValue::new(false);
    let report = RwSignal::new(None::<String>);
    on_cleanup(move || {
        if let Some(url) = report.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(element) = input.get_untracked() else { return };
        failure.set(None);
        spawn_local(async move {
            let (name, text) = match read(&element).await {
                Ok(read) => read,
                Err(message) => {
                    let _ = failure.try_set(Some(message));
                    return;
                }
            };
            let Some((_, chunks)) = split(&text, CHUNK_ROWS, CHUNK_BYTES).filter(|(_, c)| !c.is_empty()) else {
                let _ = failure.try_set(Some(format!("{name} has no rows under its header")));
                return;
            };
            let total_rows = chunks.iter().map(|c| c.rows).sum();
            let kind = kind.get_untracked();
            cancel.set_value(false);
            let _ = result.try_set(ImportResult::default());
            let _ = stage.try_set(Stage::Running { done_rows: 0, total_rows });
            let mut done_rows = 0;
            let mut cancelled = false;
            for chunk in chunks {
                if cancel.try_get_value().unwrap_or(true) {
                    cancelled = true;
                    break;
                }
                let rows = chunk.rows;
                match api.import_csv(kind, chunk).await {
                    Ok(part) => {
                        let _ = result.try_update(|r| r.add(part));
                    }
                    Err(error) => {
                        let _ = failure.try_set(Some(error.to_string()));
                        cancelled = true;
                        break;
                    }
                }
                done_rows += rows;
                let _ = stage.try_set(Stage::Running { done_rows, total_rows });
            }
            let errors = result.with_untracked(|r| r.errors.clone());
            if !errors.is_empty() {
                let _ = report.try_set(download_url(&report_csv(&errors)));
            }
            let _ = stage.try_set(Stage::Finished { cancelled });
            if result.with_untracked(|r| r.created > 0) {
                on_done.run(());
            }
        });
    };

    let running = Memo::new(move |_| matches!(stage.get(), Stage::Running { .. }));
    let percent = Memo::new(move |_| match stage.get() {
        Stage::Running { done_rows, total_rows } if total_rows > 0 => done_rows * 100 / total_rows,
        Stage::Running { .. } | Stage::Choosing => 0,
        Stage::Finished { .. } => 100,
    });

    view! {
        <form id="import-form" class="stack" novalidate on:submit=start>
            <fieldset class="import-kind" prop:disabled=move || running.get()>
                <legend>"What the file holds"</legend>
                <label><input type="radio" name="import-kind" id="import-kind-customers"
                    prop:checked=move || kind.get() == "CUSTOMERS" on:change=move |_| kind.set("CUSTOMERS") />
                    " Customers"</label>
                <label><input type="radio" name="import-kind" id="import-kind-orders"
                    prop:checked=move || kind.get() == "ORDERS" on:change=move |_| kind.set("ORDERS") />
                    " Orders"</label>
            </fieldset>
            <p class="muted import-columns">
                {move || if kind.get() == "CUSTOMERS" {
                    "Columns: phone (required), name, email, city, address, birthday (YYYY-MM-DD), tags (separated by ;). A phone already known is left as it is."
                } else {
                    "Columns: external_id and phone (required), customer_name, ordered_at, status, channel, amount or sku / item_name / quantity / unit_price, note. An external id already imported is left as it is."
                }}
            </p>
            <input id="import-file" class="input" type="file" accept=".csv,text/csv" node_ref=input
                prop:disabled=move || running.get()
                on:change=move |_| {
                    let name = input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0)).map(|f| f.name());
                    file_name.set(name);
                    stage.set(Stage::Choosing);
                } />
            <Show when=move || !matches!(stage.get(), Stage::Choosing)>
                <div class="import-progress">
                    <progress id="import-progress" max="100" prop:value=move || percent.get() as f64></progress>
                    <span id="import-status" aria-live="polite">
                        {move || match stage.get() {
                            Stage::Running { done_rows, total_rows } => format!(
                                "Imported {} of {} rows…", format::count(done_rows as i64), format::count(total_rows as i64)),
                            Stage::Finished { cancelled: true } => "Stopped".to_owned(),
                            _ => "Done".to_owned(),
                        }}
                    </span>
                </div>
            </Show>
            <Show when=move || matches!(stage.get(), Stage::Finished { .. })>
                <p id="import-summary">
                    {move || result.with(|r| format!(
                        "{} rows: {} created, {} already there, {} skipped",
                        format::count(r.rows as i64), format::count(r.created as i64),
                        format::count(r.existing as i64), format::count(r.errors.len() as i64)))}
                </p>
                {move || result.with(|r| (!r.errors.is_empty()).then(|| {
                    let shown: Vec<RowError> = r.errors.iter().take(10).cloned().collect();
                    view! {
                        <table class="table import-errors">
                            <thead><tr><th scope="col">"Line"</th><th scope="col">"Column"</th><th scope="col">"Problem"</th></tr></thead>
                            <tbody>
                                {shown.into_iter().map(|e| view! {
                                    <tr class="import-error">
                                        <td class="mono">{e.line}</td>
                                        <td>{e.column.unwrap_or_default()}</td>
                                        <td>{e.message}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                }))}
                {move || report.get().map(|url| view! {
                    <a id="import-report" class="btn btn-ghost" href=url
                        download=move || format!("{}.errors.csv", file_name.get().unwrap_or_else(|| "import".into()))>
                        "Download the error report"
                    </a>
                })}
            </Show>
            {move || failure.get().map(|message| view! { <Banner tone=Tone::Error>{message}</Banner> })}
            <div class="dialog-actions">
                {move || if running.get() {
                    view! {
                        <button id="import-cancel" class="btn btn-ghost" type="button"
                            on:click=move |_| cancel.set_value(true)>"Stop"</button>
                    }.into_any()
                } else {
                    view! {
                        <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Close"</button>
                    }.into_any()
                }}
                <button id="import-start" class="btn btn-primary" type="submit"
                    prop:disabled=move || running.get() || file_name.get().is_none()>
                    {move || if running.get() { "Importing…" } else { "Import" }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_repeat_the_header_and_keep_file_lines() {
        let text = "phone,name\n0901,A\n\n0902,\"B\nC\"\n0903,D\n0904,E";
        let (header, chunks) = split(text, 2, 1024).unwrap();
        assert_eq!(header, "phone,name\n");
        assert_eq!(
            chunks,
            vec![
                Chunk { first_line: 2, rows: 2, text: "phone,name\n0901,A\n0902,\"B\nC\"\n".into() },
                Chunk { first_line: 6, rows: 2, text: "phone,name\n0903,D\n0904,E\n".into() },
            ],
            "the blank line 3 is dropped but counted; the quoted newline stays in its record"
        );
    }

    #[test]
    fn chunks_also_break_on_size_and_crlf_is_kept() {
        let text = "p\r\n1111\r\n2222\r\n3333\r\n";
        let (_, chunks) = split(text, 100, 12).unwrap();
        assert_eq!(chunks.iter().map(|c| (c.first_line, c.rows)).collect::<Vec<_>>(), vec![(2, 1), (3, 1), (4, 1)]);
        assert_eq!(chunks[0].text, "p\r\n1111\r\n");
        assert!(split("", 10, 10).is_none());
        assert_eq!(split("phone\n", 10, 10).unwrap().1, vec![]);
    }

    #[test]
    fn the_report_quotes_what_needs_it() {
        let errors = vec![
            RowError { line: 3, column: Some("phone".into()), message: "not a phone".into() },
            RowError { line: 9, column: None, message: "unreadable row: \"x\", y".into() },
        ];
        assert_eq!(
            report_csv(&errors),
            "line,column,message\n3,phone,not a phone\n9,,\"unreadable row: \"\"x\"\", y\"\n"
        );
    }
}
