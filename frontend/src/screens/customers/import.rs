//! "Import CSV": a wizard over the server's asynchronous import.
//!
//! 1. **Upload**: the chosen file goes as it is to `POST /imports` (the
//!    browser sends it from disk; the page never reads it), which answers
//!    with the job's id.
//! 2. **Mapping and preview**: `importJob { preview }` suggests a field for
//!    each column and lists the problems in the first 1,000 rows. Every
//!    change of the mapping asks again, so the problems shown are the ones
//!    the import will meet. Customers already there are left or updated.
//! 3. **Progress**: `startImport`, then the `importProgress` subscription
//!    moves the bar (the part of the file committed) until the job ends;
//!    Stop is `cancelImport`.
//! 4. **Result**: the totals, the first refused rows, and the whole error
//!    report from `GET /imports/{id}/errors.csv` (the lists' export button).
//!
//! The import runs on the server: closing the dialog does not stop it, and
//! the first step lists the recent imports to go back to one.

use gloo_net::http::Request;
use leptos::{prelude::*, task::spawn_local};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    api::{Api, ApiError, live, operation_text, plain_http, protocol_error},
    components::{
        banner::{Banner, Tone},
        dialog::Dialog,
        export::ExportButton,
    },
    format,
    session::Session,
};

const IMPORT: &str = include_str!("import.graphql");

/// A CSV column and the field it feeds (`None`: not imported).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ColumnMapping {
    pub column: String,
    pub field: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct PreviewRow {
    line: i64,
    cells: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct ImportField {
    name: String,
    required: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct Problem {
    kind: String,
    line: Option<i64>,
    column: Option<String>,
    message: String,
}

/// What the import would do, judged on the first rows.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Preview {
    header: Vec<String>,
    rows: Vec<PreviewRow>,
    mapping: Vec<ColumnMapping>,
    fields: Vec<ImportField>,
    problems: Vec<Problem>,
    problem_count: i64,
    sample_rows: i64,
    complete: bool,
}

/// The job's totals, live.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Progress {
    pub status: String,
    pub rows_read: i64,
    pub created: i64,
    pub existing: i64,
    pub updated: i64,
    pub failed: i64,
    pub bytes_read: i64,
    pub bytes: i64,
    pub error: Option<String>,
}

impl Progress {
    fn ended(&self) -> bool {
        matches!(self.status.as_str(), "COMPLETED" | "FAILED" | "CANCELLED")
    }

    /// How far through the file, in percent (bytes committed).
    pub fn percent(&self) -> i64 {
        if self.ended() && self.status == "COMPLETED" {
            100
        } else if self.bytes > 0 {
            (self.bytes_read.clamp(0, self.bytes) * 100) / self.bytes
        } else {
            0
        }
    }

    /// "1.203 rows: 1.201 created, 0 already there, 2 skipped" (the
    /// updated ones when there are some).
    pub fn summary(&self) -> String {
        let updated =
            if self.updated > 0 { format!(", {} updated", format::count(self.updated)) } else { String::new() };
        format!(
            "{} rows: {} created, {} already there{updated}, {} skipped",
            format::count(self.rows_read),
            format::count(self.created),
            format::count(self.existing),
            format::count(self.failed),
        )
    }
}

/// A refused row.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct RowError {
    line: i64,
    column: Option<String>,
    message: String,
}

/// How the job ended.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    #[serde(flatten)]
    totals: Progress,
    errors_csv_url: String,
    errors: Vec<RowError>,
}

/// An import of the last few, to go back to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recent {
    id: String,
    kind: String,
    file_name: String,
    status: String,
    rows_read: i64,
    failed: i64,
}

/// `mapping` with `column` feeding `field`; a field feeds one column only,
/// so the column that had it before is left out.
pub fn remap(mapping: &[ColumnMapping], column: usize, field: Option<String>) -> Vec<ColumnMapping> {
    mapping
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let field = if i == column {
                field.clone()
            } else if m.field.is_some() && m.field == field {
                None
            } else {
                m.field.clone()
            };
            ColumnMapping { column: m.column.clone(), field }
        })
        .collect()
}

/// What the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Customers,
    Orders,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Orders => "orders",
        }
    }
}

/// Sends `file` to `POST /imports`; the new job's id.
async fn upload(session: Session, kind: Kind, file: web_sys::File) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Uploaded {
        id: String,
    }
    let name = String::from(js_sys::encode_uri_component(&file.name()));
    let url = format!("/imports?kind={}&filename={name}", kind.path());
    let request = Request::post(&url).header("Content-Type", "text/csv").header("Accept", "application/json");
    let body = plain_http(session, request, Some(file.into())).await?;
    serde_json::from_str::<Uploaded>(&body)
        .map(|u| u.id)
        .map_err(|e| protocol_error(format_args!("unexpected answer to the upload: {e}")))
}

impl Api {
    async fn import_preview(self, id: &str, mapping: Option<&[ColumnMapping]>) -> Result<Preview, ApiError> {
        #[derive(Deserialize)]
        struct Job {
            preview: Preview,
        }
        let job: Job = self.operation(IMPORT, "ImportPreview", json!({ "id": id, "mapping": mapping })).await?;
        Ok(job.preview)
    }

    async fn start_import(self, id: &str, mapping: &[ColumnMapping], on_duplicate: &str) -> Result<(), ApiError> {
        let variables = json!({ "id": id, "mapping": mapping, "onDuplicate": on_duplicate });
        self.operation::<serde_json::Value>(IMPORT, "StartImport", variables).await.map(drop)
    }

    async fn cancel_import(self, id: &str) -> Result<(), ApiError> {
        self.operation::<serde_json::Value>(IMPORT, "CancelImport", json!({ "id": id })).await.map(drop)
    }

    async fn recent_imports(self) -> Result<Vec<Recent>, ApiError> {
        self.operation(IMPORT, "RecentImports", json!({})).await
    }

    async fn import_outcome(self, id: &str) -> Result<Outcome, ApiError> {
        self.operation(IMPORT, "ImportOutcome", json!({ "id": id })).await
    }
}

/// Where the wizard is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Choose,
    Mapping { id: String },
    Running { id: String },
    Finished,
}

/// The dialog. `on_done` runs after an import that created or updated
/// something.
#[component]
pub fn ImportDialog(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    view! {
        <Dialog open title="Import CSV" wide=true>
            <ImportWizard open on_done />
        </Dialog>
    }
}

#[component]
fn ImportWizard(open: RwSignal<bool>, on_done: Callback<()>) -> impl IntoView {
    let api = Api::current();
    let stage = RwSignal::new(Stage::Choose);
    let kind = RwSignal::new(Kind::Customers);
    let file_name = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let preview = RwSignal::new(None::<Preview>);
    let on_duplicate = RwSignal::new("SKIP");
    let progress = RwSignal::new(None::<Progress>);
    let outcome = RwSignal::new(None::<Outcome>);
    // Only the answer to the latest preview request is shown.
    let asked = StoredValue::new(0u32);

    let load_preview = move |id: String, mapping: Option<Vec<ColumnMapping>>| {
        asked.update_value(|n| *n += 1);
        let ticket = asked.get_value();
        busy.set(true);
        spawn_local(async move {
            let answer = api.import_preview(&id, mapping.as_deref()).await;
            if asked.try_get_value() != Some(ticket) {
                return;
            }
            match answer {
                Ok(p) => {
                    let _ = preview.try_set(Some(p));
                    let _ = failure.try_set(None);
                }
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    let show_outcome = move |id: String| {
        spawn_local(async move {
            match api.import_outcome(&id).await {
                Ok(o) => {
                    let changed = o.totals.created > 0 || o.totals.updated > 0;
                    let _ = outcome.try_set(Some(o));
                    if changed {
                        on_done.run(());
                    }
                }
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
            let _ = stage.try_set(Stage::Finished);
        });
    };

    // A job of the recent list: where it is now.
    let open_recent = move |job: Recent| {
        kind.set(if job.kind == "ORDERS" { Kind::Orders } else { Kind::Customers });
        file_name.set(Some(job.file_name));
        failure.set(None);
        match job.status.as_str() {
            "UPLOADED" => {
                stage.set(Stage::Mapping { id: job.id.clone() });
                load_preview(job.id, None);
            }
            "QUEUED" | "RUNNING" => {
                progress.set(None);
                stage.set(Stage::Running { id: job.id });
            }
            _ => show_outcome(job.id),
        }
    };

    let restart = move || {
        let _ = stage.try_set(Stage::Choose);
        let _ = preview.try_set(None);
        let _ = progress.try_set(None);
        let _ = outcome.try_set(None);
        let _ = failure.try_set(None);
        let _ = file_name.try_set(None);
    };

    view! {
        <div id="import-wizard" class="stack">
            <ol class="steps import-steps" aria-label="Steps">
                {[("Upload", 0), ("Columns", 1), ("Import", 2), ("Result", 3)].into_iter().map(|(label, n)| {
                    let at = move || match stage.get() {
                        Stage::Choose => 0,
                        Stage::Mapping { .. } => 1,
                        Stage::Running { .. } => 2,
                        Stage::Finished => 3,
                    };
                    let (current, done) = (move || at() == n, move || at() > n);
                    view! { <li class:current=current class:done=done>{label}</li> }
                }).collect_view()}
            </ol>
            {move || match stage.get() {
                Stage::Choose => view! {
                    <Choose kind file_name busy failure on_uploaded=Callback::new(move |id: String| {
                        stage.set(Stage::Mapping { id: id.clone() });
                        load_preview(id, None);
                    }) />
                    <RecentImports on_open=Callback::new(open_recent) />
                }.into_any(),
                Stage::Mapping { id } => view! {
                    <Mapping id kind preview on_duplicate busy failure
                        on_change=Callback::new(move |(id, mapping): (String, Vec<ColumnMapping>)| load_preview(id, Some(mapping)))
                        on_back=Callback::new(move |id: String| {
                            // The uploaded file is of no more use (cancelled
                            // before the recent list is read again).
                            busy.set(true);
                            spawn_local(async move {
                                let _ = api.cancel_import(&id).await;
                                let _ = busy.try_set(false);
                                restart();
                            });
                        })
                        on_started=Callback::new(move |id: String| {
                            progress.set(None);
                            stage.set(Stage::Running { id });
                        }) />
                }.into_any(),
                Stage::Running { id } => view! {
                    <Running id progress failure on_end=Callback::new(show_outcome) />
                }.into_any(),
                Stage::Finished => view! { <Finished outcome file_name /> }.into_any(),
            }}
            {move || failure.get().map(|error| view! {
                <Banner tone=Tone::Error><span id="import-failure">{error.to_string()}</span></Banner>
            })}
            <Show when=move || stage.get() == Stage::Finished>
                <div class="dialog-actions">
                    <button id="import-again" class="btn btn-ghost" type="button" on:click=move |_| restart()>
                        "Import another file"
                    </button>
                    <button class="btn btn-primary" type="button" on:click=move |_| open.set(false)>"Close"</button>
                </div>
            </Show>
        </div>
    }
}

/// Step 1: what the file holds, and the file.
#[component]
fn Choose(
    kind: RwSignal<Kind>,
    file_name: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<ApiError>>,
    on_uploaded: Callback<String>,
) -> impl IntoView {
    let session = Session::current();
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(file) = input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            failure.set(Some(ApiError::invalid("file", "Choose a CSV file first")));
            return;
        };
        busy.set(true);
        failure.set(None);
        let kind = kind.get_untracked();
        spawn_local(async move {
            let answer = upload(session, kind, file).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(id) => on_uploaded.run(id),
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
        });
    };
    view! {
        <form id="import-form" class="stack" novalidate on:submit=submit>
            <fieldset class="import-kind" prop:disabled=move || busy.get()>
                <legend>"What the file holds"</legend>
                <label><input type="radio" name="import-kind" id="import-kind-customers"
                    prop:checked=move || kind.get() == Kind::Customers on:change=move |_| kind.set(Kind::Customers) />
                    " Customers"</label>
                <label><input type="radio" name="import-kind" id="import-kind-orders"
                    prop:checked=move || kind.get() == Kind::Orders on:change=move |_| kind.set(Kind::Orders) />
                    " Orders"</label>
            </fieldset>
            <p class="muted import-columns">
                {move || if kind.get() == Kind::Customers {
                    "A phone column is required; name, email, city, address, birthday and tags are taken when there. You choose the columns on the next step."
                } else {
                    "An order id and a phone column are required; date, status, channel, amount or the item columns are taken when there. You choose the columns on the next step."
                }}
            </p>
            <input id="import-file" class="input" type="file" accept=".csv,text/csv" node_ref=input
                prop:disabled=move || busy.get()
                on:change=move |_| {
                    let name = input.get_untracked().and_then(|i| i.files()).and_then(|f| f.get(0)).map(|f| f.name());
                    file_name.set(name);
                } />
            <div class="dialog-actions">
                <button id="import-upload" class="btn btn-primary" type="submit"
                    prop:disabled=move || busy.get() || file_name.get().is_none()>
                    {move || if busy.get() { "Uploading…" } else { "Upload and preview" }}
                </button>
            </div>
        </form>
    }
}

/// The last imports (they run on the server whether or not this dialog is
/// open): one goes back to where that import is.
#[component]
fn RecentImports(on_open: Callback<Recent>) -> impl IntoView {
    let api = Api::current();
    let recent = RwSignal::new(Vec::<Recent>::new());
    spawn_local(async move {
        if let Ok(jobs) = api.recent_imports().await {
            let _ = recent.try_set(jobs);
        }
    });
    move || {
        let jobs = recent.get();
        (!jobs.is_empty()).then(|| {
            view! {
                <div class="import-recent">
                    <h3 class="small">"Recent imports"</h3>
                    <table class="table">
                        <tbody>
                            {jobs.into_iter().map(|job| {
                                let label = match job.status.as_str() {
                                    "UPLOADED" => "Choose columns",
                                    "QUEUED" | "RUNNING" => "Follow",
                                    _ => "Show",
                                };
                                let status = job.status.to_lowercase();
                                let detail = (job.status != "UPLOADED").then(|| format!(
                                    "{} rows, {} skipped", format::count(job.rows_read), format::count(job.failed)));
                                let id = format!("import-recent-{}", job.id);
                                view! {
                                    <tr class="import-recent-row">
                                        <td>{job.file_name.clone()}</td>
                                        <td class="muted">{status}</td>
                                        <td class="muted">{detail}</td>
                                        <td>
                                            <button id=id class="btn btn-ghost btn-small" type="button"
                                                on:click=move |_| on_open.run(job.clone())>{label}</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })
    }
}

/// Step 2: a field for each column, the first rows, and the problems.
#[allow(clippy::too_many_arguments)]
#[component]
fn Mapping(
    id: String,
    kind: RwSignal<Kind>,
    preview: RwSignal<Option<Preview>>,
    on_duplicate: RwSignal<&'static str>,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<ApiError>>,
    on_change: Callback<(String, Vec<ColumnMapping>)>,
    on_back: Callback<String>,
    on_started: Callback<String>,
) -> impl IntoView {
    let api = Api::current();
    let id = StoredValue::new(id);
    let missing = Memo::new(move |_| {
        preview.with(|p| p.as_ref().is_none_or(|p| p.problems.iter().any(|x| x.kind == "MISSING_COLUMN")))
    });
    let start = move |_| {
        let Some(mapping) = preview.with_untracked(|p| p.as_ref().map(|p| p.mapping.clone())) else { return };
        busy.set(true);
        failure.set(None);
        let id = id.get_value();
        let on_duplicate = on_duplicate.get_untracked();
        spawn_local(async move {
            let answer = api.start_import(&id, &mapping, on_duplicate).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(()) => on_started.run(id),
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                }
            }
        });
    };
    let table = move || {
        preview.get().map(|p| {
            let Preview { header, rows, mapping, fields, .. } = p;
            let example = |i: usize| rows.first().and_then(|r| r.cells.get(i).cloned()).unwrap_or_default();
            let fields = StoredValue::new(fields);
            let current = StoredValue::new(mapping.clone());
            view! {
                <table id="import-mapping" class="table import-mapping">
                    <thead><tr>
                        <th scope="col">"Column in the file"</th>
                        <th scope="col">"First row"</th>
                        <th scope="col">"Imported as"</th>
                    </tr></thead>
                    <tbody>
                        {mapping.into_iter().enumerate().map(|(i, m)| {
                            let value = m.field.clone().unwrap_or_default();
                            view! {
                                <tr class="mapping-row">
                                    <th scope="row">{m.column.clone()}</th>
                                    <td class="muted">{example(i)}</td>
                                    <td>
                                        <select id=format!("import-map-{i}") class="select mapping-field"
                                            data-column=m.column.clone() aria-label=format!("Field for {}", m.column)
                                            prop:value=value.clone()
                                            on:change=move |ev| {
                                                let field = Some(event_target_value(&ev)).filter(|f| !f.is_empty());
                                                let next = current.with_value(|c| remap(c, i, field));
                                                on_change.run((id.get_value(), next));
                                            }>
                                            <option value="" selected=value.is_empty()>"— not imported —"</option>
                                            {fields.get_value().into_iter().map(|f| {
                                                let selected = f.name == value;
                                                let label = if f.required { format!("{} (required)", f.name) } else { f.name.clone() };
                                                view! { <option value=f.name selected=selected>{label}</option> }
                                            }).collect_view()}
                                        </select>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <details class="import-sample">
                    <summary>{format!("The first {} rows", rows.len())}</summary>
                    <div class="table-scroll">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Line"</th>
                                {header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td class="mono">{r.line}</td>
                                        {r.cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </details>
            }
        })
    };
    let problems = move || {
        preview.get().map(|p| {
            let scope = if p.complete {
                format!("in all {} rows", format::count(p.sample_rows))
            } else {
                format!("in the first {} rows", format::count(p.sample_rows))
            };
            let heading = match p.problem_count {
                0 => format!("No problems {scope}"),
                1 => format!("1 problem {scope}"),
                n => format!("{} problems {scope}", format::count(n)),
            };
            let shown = p.problems.into_iter().take(20).collect::<Vec<_>>();
            view! {
                <div class="import-problems">
                    <p id="import-problem-count" class="import-problem-count"
                        data-count=p.problem_count.to_string()>{heading}</p>
                    <ul class="import-problem-list">
                        {shown.into_iter().map(|x| {
                            let place = match (x.line, x.column) {
                                (Some(line), Some(column)) => format!("Line {line}, {column}: "),
                                (Some(line), None) => format!("Line {line}: "),
                                (None, Some(column)) => format!("{column}: "),
                                (None, None) => String::new(),
                            };
                            view! {
                                <li class="import-problem" data-kind=x.kind.clone()
                                    class:import-problem-blocking=x.kind == "MISSING_COLUMN">
                                    {place}{x.message}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    };
    view! {
        <div class="stack import-preview" aria-busy=move || busy.get().to_string()>
            {table}
            {problems}
            <Show when=move || kind.get() == Kind::Customers>
                <fieldset class="import-kind">
                    <legend>"Customers already there (same phone or email)"</legend>
                    <label><input type="radio" name="import-dup" id="import-dup-skip"
                        prop:checked=move || on_duplicate.get() == "SKIP" on:change=move |_| on_duplicate.set("SKIP") />
                        " Leave them as they are"</label>
                    <label><input type="radio" name="import-dup" id="import-dup-update"
                        prop:checked=move || on_duplicate.get() == "UPDATE" on:change=move |_| on_duplicate.set("UPDATE") />
                        " Update them from the file"</label>
                </fieldset>
            </Show>
            <div class="dialog-actions">
                <button id="import-back" class="btn btn-ghost" type="button" prop:disabled=move || busy.get()
                    on:click=move |_| on_back.run(id.get_value())>"Back"</button>
                <button id="import-start" class="btn btn-primary" type="button"
                    prop:disabled=move || busy.get() || missing.get()
                    title=move || missing.get().then_some("Choose a column for every required field")
                    on:click=start>
                    "Start import"
                </button>
            </div>
        </div>
    }
}

/// Step 3: the bar, moved by `importProgress` until the job ends.
#[component]
fn Running(
    id: String,
    progress: RwSignal<Option<Progress>>,
    failure: RwSignal<Option<ApiError>>,
    on_end: Callback<String>,
) -> impl IntoView {
    let api = Api::current();
    let stopping = RwSignal::new(false);
    let query = operation_text(IMPORT, "ImportProgress").unwrap_or_default();
    {
        let id = id.clone();
        let ended = StoredValue::new(false);
        live::use_subscription_with_errors(
            query,
            json!({ "id": id }),
            move |p: Progress| {
                let end = p.ended();
                progress.set(Some(p));
                if end && !ended.get_value() {
                    ended.set_value(true);
                    on_end.run(id.clone());
                }
            },
            move |error| failure.set(Some(error)),
        );
    }
    let id = StoredValue::new(id);
    let stop = move |_| {
        stopping.set(true);
        spawn_local(async move {
            if let Err(error) = api.cancel_import(&id.get_value()).await {
                let _ = failure.try_set(Some(error));
                let _ = stopping.try_set(false);
            }
        });
    };
    view! {
        <div class="stack">
            <div class="import-progress">
                <progress id="import-progress" max="100"
                    prop:value=move || progress.with(|p| p.as_ref().map_or(0, Progress::percent)) as f64></progress>
                <span id="import-status" aria-live="polite">
                    {move || match progress.get() {
                        None => "Starting…".to_owned(),
                        Some(p) if p.status == "QUEUED" => "Waiting for the server…".to_owned(),
                        Some(p) => format!("Read {} rows ({} %)…", format::count(p.rows_read), p.percent()),
                    }}
                </span>
            </div>
            <p class="muted small">"The import runs on the server: you may close this window, it goes on."</p>
            <div class="dialog-actions">
                <button id="import-cancel" class="btn btn-ghost" type="button"
                    prop:disabled=move || stopping.get() on:click=stop>
                    {move || if stopping.get() { "Stopping…" } else { "Stop" }}
                </button>
            </div>
        </div>
    }
}

/// Step 4: the totals, the first refused rows, and the report.
#[component]
fn Finished(outcome: RwSignal<Option<Outcome>>, file_name: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        outcome.get().map(|o| {
            let Outcome { totals, errors, .. } = o;
            let status = match totals.status.as_str() {
                "COMPLETED" => "Done".to_owned(),
                "CANCELLED" => "Stopped: the rows before the stop stay imported".to_owned(),
                _ => format!("Failed: {}", totals.error.clone().unwrap_or_default()),
            };
            let failed = totals.failed;
            view! {
                <div class="stack">
                    <div class="import-progress">
                        <progress id="import-progress" max="100" prop:value=totals.percent() as f64></progress>
                        <span id="import-status" data-status=totals.status.clone()>{status}</span>
                    </div>
                    <p id="import-summary">{totals.summary()}</p>
                    {(!errors.is_empty()).then(|| view! {
                        <table class="table import-errors">
                            <thead><tr><th scope="col">"Line"</th><th scope="col">"Column"</th><th scope="col">"Problem"</th></tr></thead>
                            <tbody>
                                {errors.into_iter().map(|e| view! {
                                    <tr class="import-error">
                                        <td class="mono">{e.line}</td>
                                        <td>{e.column.unwrap_or_default()}</td>
                                        <td>{e.message}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    {(failed > 0).then(|| view! {
                        <p>
                            <ExportButton id="import-report"
                                label=format!("Download the error report ({} rows)", format::count(failed))
                                url=move |()| outcome.with_untracked(|o| o.as_ref().map(|o| o.errors_csv_url.clone()).unwrap_or_default())
                                filename=move |()| format!("{}.errors.csv", file_name.get_untracked().unwrap_or_else(|| "import".into()))
                            />
                        </p>
                    })}
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(fields: &[(&str, Option<&str>)]) -> Vec<ColumnMapping> {
        fields.iter().map(|(c, f)| ColumnMapping { column: (*c).into(), field: f.map(Into::into) }).collect()
    }

    #[test]
    fn a_field_moves_to_the_column_chosen() {
        let before = mapping(&[("Mobile", None), ("Phone (old)", Some("phone")), ("Name", Some("name"))]);
        assert_eq!(
            remap(&before, 0, Some("phone".into())),
            mapping(&[("Mobile", Some("phone")), ("Phone (old)", None), ("Name", Some("name"))]),
            "the column that had the field loses it"
        );
        assert_eq!(
            remap(&before, 2, None),
            mapping(&[("Mobile", None), ("Phone (old)", Some("phone")), ("Name", None)]),
            "not imported touches no other column"
        );
    }

    #[test]
    fn progress_reads_as_percent_and_summary() {
        let mut p = Progress {
            status: "RUNNING".into(),
            rows_read: 1_203,
            created: 1_201,
            failed: 2,
            bytes_read: 250,
            bytes: 1_000,
            ..Progress::default()
        };
        assert_eq!(p.percent(), 25);
        assert_eq!(p.summary(), "1.203 rows: 1.201 created, 0 already there, 2 skipped");
        p.updated = 7;
        assert_eq!(p.summary(), "1.203 rows: 1.201 created, 0 already there, 7 updated, 2 skipped");
        p.status = "COMPLETED".into();
        assert_eq!(p.percent(), 100, "a completed job is all the way, whatever the bytes say");
        p.status = "CANCELLED".into();
        assert_eq!(p.percent(), 25);
        assert_eq!(Progress { bytes: 0, ..p }.percent(), 0);
    }
}
