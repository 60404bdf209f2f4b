//! Persisted queries: Apollo's automatic persisted queries (APQ) and a
//! safelist of registered operations.
//!
//! Modes (`persisted_queries`):
//! - `apq` (default): a request may carry
//!   `extensions.persistedQuery {version: 1, sha256Hash}`. Without a query
//!   it runs the query stored under that hash, or fails with
//!   `PersistedQueryNotFound` (`PERSISTED_QUERY_NOT_FOUND`), which tells an
//!   Apollo client to send the query again with its hash; the hash is then
//!   checked (a mismatch is `BAD_USER_INPUT` on
//!   `extensions.persistedQuery.sha256Hash`) and the query stored: in Redis
//!   when `REDIS_URL` is set (every instance sees it), else in this
//!   instance's LRU cache. Requests without the extension run as usual.
//! - `safelist`: only registered operations run, sent in full or by hash;
//!   anything else is `OPERATION_NOT_ALLOWED`. Registered: the SPA's own
//!   operations (the `*.graphql` files under `frontend/src`, embedded at
//!   build time) and those of the manifest at `persisted_queries_manifest`
//!   (Apollo's persisted-query-manifest format; `crm360 safelist --out`
//!   writes the SPA's, for operators to extend). A query sent in full is
//!   registered when its text is, ignoring whitespace, commas and comments.
//!   APQ registration is off: clients cannot add to the list.
//! - `off`: the extension is ignored when a query comes with it; a hash
//!   alone is `PERSISTED_QUERY_NOT_SUPPORTED`.
//!
//! POST `/graphql`, single and batched. WebSocket subscriptions are not
//! covered (they need a valid token or key at `connection_init`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_graphql::{ErrorExtensionValues, Request, ServerError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::ratelimit::Limits;

/// How the server treats persisted queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Off,
    Apq,
    Safelist,
}

/// The SPA's operation documents: (path under `frontend/src`, text).
const SPA_DOCUMENTS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/spa_operations.rs"));

/// One registered operation, as in Apollo's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestOperation {
    /// The id clients send as `sha256Hash` (the SHA-256 of `body` for ours).
    pub id: String,
    pub name: String,
    /// `query`, `mutation` or `subscription`.
    #[serde(rename = "type")]
    pub ty: String,
    pub body: String,
}

/// An Apollo persisted-query manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub operations: Vec<ManifestOperation>,
}

const MANIFEST_FORMAT: &str = "apollo-persisted-query-manifest";

/// The SPA's operations, one per operation, with the exact text the SPA
/// sends: a file's whole text when it holds one operation, else the slice
/// of each (from the line that starts it to the line that starts the next,
/// as `frontend/src/api/mod.rs` `operation_text` cuts it).
pub fn spa_manifest() -> Manifest {
    let mut operations = Vec::new();
    for (path, text) in SPA_DOCUMENTS {
        let mut starts = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            for ty in ["query", "mutation", "subscription"] {
                if let Some(rest) = line.strip_prefix(ty).and_then(|r| r.strip_prefix(' ')) {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    starts.push((offset, ty, name));
                }
            }
            offset += line.len();
        }
        let stem = path.rsplit('/').next().unwrap_or(path).trim_end_matches(".graphql");
        for (i, (begin, ty, name)) in starts.iter().enumerate() {
            let body = match (starts.len(), starts.get(i + 1)) {
                (1, _) => text.to_string(),
                (_, Some((end, _, _))) => text[*begin..*end].to_owned(),
                (_, None) => text[*begin..].to_owned(),
            };
            let name = if name.is_empty() { stem.to_owned() } else { name.clone() };
            operations.push(ManifestOperation { id: sha256_hex(&body), name, ty: (*ty).to_owned(), body });
        }
    }
    Manifest { format: MANIFEST_FORMAT.into(), version: 1, operations }
}

/// Reads and checks a manifest file.
pub fn read_manifest(path: &std::path::Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{} is not a persisted-query manifest", path.display()))?;
    if manifest.format != MANIFEST_FORMAT || manifest.version != 1 {
        anyhow::bail!("{}: expected format {MANIFEST_FORMAT:?} version 1", path.display());
    }
    Ok(manifest)
}

/// The lower-case hex SHA-256 of `s`: an operation's APQ hash.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A GraphQL document reduced to its tokens, one space apart: two texts
/// that differ only in whitespace, commas and comments give the same.
pub fn normalize(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut chars = doc.char_indices().peekable();
    let push_sep = |out: &mut String| {
        if !out.is_empty() {
            out.push(' ');
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => {}
            '#' => while chars.next_if(|(_, c)| *c != '\n' && *c != '\r').is_some() {},
            '"' => {
                push_sep(&mut out);
                let block = doc[i..].starts_with("\"\"\"");
                let end = if block {
                    doc[i + 3..].find("\"\"\"").map(|e| i + 3 + e + 3)
                } else {
                    let mut end = None;
                    let mut escaped = false;
                    for (j, d) in doc[i + 1..].char_indices() {
                        match d {
                            '\\' if !escaped => escaped = true,
                            '"' if !escaped => {
                                end = Some(i + 1 + j + 1);
                                break;
                            }
                            _ => escaped = false,
                        }
                    }
                    end
                };
                let end = end.unwrap_or(doc.len());
                out.push_str(&doc[i..end]);
                while chars.next_if(|(j, _)| *j < end).is_some() {}
            }
            c if c.is_alphanumeric() || c == '_' => {
                push_sep(&mut out);
                out.push(c);
                while let Some((_, d)) = chars.next_if(|(_, d)| d.is_alphanumeric() || *d == '_') {
                    out.push(d);
                }
            }
            c => {
                push_sep(&mut out);
                out.push(c);
            }
        }
    }
    out
}

/// Why a request does not run; it becomes that request's GraphQL error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// The GraphQL response carrying this refusal.
    pub fn response(&self) -> async_graphql::Response {
        let mut err = ServerError::new(self.message.clone(), None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", self.code);
        if let Some(field) = self.field {
            ext.set("field", field);
        }
        err.extensions = Some(ext);
        async_graphql::Response::from_errors(vec![err])
    }
}

/// Distinct operation names the metrics label by name in `apq` and `off`
/// modes; later ones are labelled `other`.
const MAX_NAME_LABELS: usize = 200;

/// The registered operations, the APQ store and the operation-name labels.
pub struct Registry {
    mode: Mode,
    /// Registered operations by id (sha256 of the text, or the manifest's id).
    by_id: HashMap<String, Arc<str>>,
    /// Normalised texts of the registered operations.
    by_text: HashSet<String>,
    /// Names of the registered operations (always their own metric label).
    names: HashSet<String>,
    store: ApqStore,
    /// Other names labelled so far.
    seen: Mutex<HashSet<String>>,
}

enum ApqStore {
    Memory(Mutex<Lru>),
    Redis { conn: redis::aio::ConnectionManager, prefix: String, ttl: u64 },
}

/// A small LRU: a map with a use counter, trimmed by a tenth when full.
struct Lru {
    capacity: usize,
    tick: u64,
    entries: HashMap<String, (Arc<str>, u64)>,
}

impl Lru {
    fn get(&mut self, key: &str) -> Option<Arc<str>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(v, used)| {
            *used = tick;
            v.clone()
        })
    }

    fn put(&mut self, key: String, value: Arc<str>) {
        self.tick += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let mut uses: Vec<u64> = self.entries.values().map(|(_, u)| *u).collect();
            let drop = (self.capacity / 10).max(1).min(uses.len());
            uses.select_nth_unstable(drop - 1);
            let cutoff = uses[drop - 1];
            self.entries.retain(|_, (_, u)| *u > cutoff);
        }
        self.entries.insert(key, (value, self.tick));
    }
}

impl Registry {
    /// The registry `config` describes (reads the manifest file).
    pub fn new(config: &Config, limits: &Limits) -> anyhow::Result<Self> {
        let mut operations = spa_manifest().operations;
        if let Some(path) = &config.persisted_queries_manifest {
            operations.extend(read_manifest(path)?.operations);
        }
        let mut by_id = HashMap::new();
        let mut by_text = HashSet::new();
        let mut names = HashSet::new();
        for op in operations {
            by_text.insert(normalize(&op.body));
            names.insert(op.name);
            by_id.insert(op.id, Arc::from(op.body.as_str()));
        }
        let store = match limits.redis() {
            Some(conn) => ApqStore::Redis { conn, prefix: limits.redis_key("apq"), ttl: config.apq_ttl_seconds.max(1) },
            None => ApqStore::Memory(Mutex::new(Lru {
                capacity: config.apq_cache_size.max(1),
                tick: 0,
                entries: HashMap::new(),
            })),
        };
        Ok(Self { mode: config.persisted_queries, by_id, by_text, names, store, seen: Default::default() })
    }

    /// The mode in force.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Fills in the query of a hash-only request, checks and stores a
    /// query sent with its hash, and applies the safelist.
    pub async fn resolve(&self, req: &mut Request) -> Result<(), Refusal> {
        let hash = match req.extensions.0.get("persistedQuery") {
            None => None,
            Some(pq) => Some(persisted_hash(pq.clone())?),
        };
        match (hash, req.query.trim().is_empty()) {
            (None, _) => {}
            (Some(_), _) if self.mode == Mode::Off => {
                if req.query.trim().is_empty() {
                    return Err(Refusal::new("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported"));
                }
            }
            (Some(hash), true) => {
                let found = match self.by_id.get(&hash) {
                    Some(body) => Some(body.clone()),
                    None if self.mode == Mode::Apq => self.load(&hash).await,
                    None => None,
                };
                match found {
                    Some(body) => req.query = body.to_string(),
                    None => return Err(Refusal::new("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")),
                }
                return Ok(()); // registered, or stored after a safelist check
            }
            (Some(hash), false) => {
                let actual = sha256_hex(&req.query);
                if actual != hash && self.by_id.get(&hash).is_none_or(|b| **b != *req.query) {
                    return Err(Refusal {
                        code: "BAD_USER_INPUT",
                        message: format!(
                            "persistedQuery.sha256Hash does not match the query (its SHA-256 is {actual})"
                        ),
                        field: Some("extensions.persistedQuery.sha256Hash"),
                    });
                }
                if self.mode == Mode::Apq && req.parsed_query().is_ok() {
                    self.save(&hash, &req.query).await;
                }
            }
        }
        if self.mode == Mode::Safelist && !self.registered(&req.query) {
            return Err(Refusal::new(
                "OPERATION_NOT_ALLOWED",
                "this server runs only registered operations (safelist): ask its operators to add this \
                 operation to the persisted-query manifest",
            ));
        }
        Ok(())
    }

    /// Whether `query` is a registered operation's text (exactly, or but
    /// for whitespace, commas and comments).
    pub fn registered(&self, query: &str) -> bool {
        self.by_id.contains_key(&sha256_hex(query)) || self.by_text.contains(&normalize(query))
    }

    async fn load(&self, hash: &str) -> Option<Arc<str>> {
        match &self.store {
            ApqStore::Memory(lru) => lru.lock().unwrap_or_else(|e| e.into_inner()).get(hash),
            ApqStore::Redis { conn, prefix, .. } => {
                let got: redis::RedisResult<Option<String>> =
                    redis::cmd("GET").arg(format!("{prefix}:{hash}")).query_async(&mut conn.clone()).await;
                got.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "APQ: reading Redis failed");
                    None
                })
                .map(Arc::from)
            }
        }
    }

    async fn save(&self, hash: &str, query: &str) {
        match &self.store {
            ApqStore::Memory(lru) => {
                lru.lock().unwrap_or_else(|e| e.into_inner()).put(hash.to_owned(), Arc::from(query));
            }
            ApqStore::Redis { conn, prefix, ttl } => {
                let done: redis::RedisResult<()> = redis::cmd("SET")
                    .arg(format!("{prefix}:{hash}"))
                    .arg(query)
                    .arg("EX")
                    .arg(*ttl)
                    .query_async(&mut conn.clone())
                    .await;
                if let Err(e) = done {
                    tracing::error!(error = %e, "APQ: writing Redis failed");
                }
            }
        }
    }

    /// The metric label of an operation name: registered names always;
    /// in `apq`/`off` mode the first [`MAX_NAME_LABELS`] others too; the
    /// rest `other`.
    pub fn label(&self, name: &str) -> String {
        if name == "anonymous" || self.names.contains(name) {
            return name.to_owned();
        }
        if self.mode == Mode::Safelist || name.len() > 64 {
            return "other".into();
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(name) {
            return name.to_owned();
        }
        if seen.len() < MAX_NAME_LABELS {
            seen.insert(name.to_owned());
            return name.to_owned();
        }
        "other".into()
    }
}

/// The hash of `extensions.persistedQuery`, lower-cased.
fn persisted_hash(pq: async_graphql::Value) -> Result<String, Refusal> {
    let bad = |message: &str| Refusal {
        code: "BAD_USER_INPUT",
        message: message.to_owned(),
        field: Some("extensions.persistedQuery"),
    };
    let json = pq.into_json().map_err(|_| bad("persistedQuery must be an object"))?;
    if json.get("version").and_then(|v| v.as_i64()) != Some(1) {
        return Err(bad("persistedQuery.version must be 1"));
    }
    let hash = json.get("sha256Hash").and_then(|v| v.as_str()).unwrap_or_default().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("persistedQuery.sha256Hash must be 64 hex digits"));
    }
    Ok(hash)
}

/// The name (or `anonymous`) and type of the operation a request runs.
pub fn describe(req: &mut Request) -> (String, &'static str) {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let wanted = req.operation_name.clone();
    let kind = |ty: OperationType| match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    match req.parsed_query() {
        Ok(doc) => match &doc.operations {
            DocumentOperations::Single(op) => ("anonymous".into(), kind(op.node.ty)),
            DocumentOperations::Multiple(ops) => {
                let found = match &wanted {
                    Some(w) => ops.iter().find(|(n, _)| n.as_str() == w),
                    None if ops.len() == 1 => ops.iter().next(),
                    None => None,
                };
                match found {
                    Some((name, op)) => (name.to_string(), kind(op.node.ty)),
                    None => (wanted.unwrap_or_else(|| "anonymous".into()), "unknown"),
                }
            }
        },
        Err(_) => (wanted.unwrap_or_else(|| "anonymous".into()), "unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_comments_do_not_change_the_normal_form() {
        let a = "# Who am I\nquery Me {\n  me { id, email }\n}\n";
        let b = "query Me{me{id email}}";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(normalize(b), "query Me { me { id email } }");
        assert_ne!(normalize("{ a(x: \"1  2\") }"), normalize("{ a(x: \"1 2\") }"), "strings keep their spaces");
        assert_ne!(normalize("{ ab }"), normalize("{ a b }"));
        assert_eq!(normalize("{ a(x: \"\\\"#\") }"), "{ a ( x : \"\\\"#\" ) }");
    }

    #[test]
    fn every_spa_operation_is_in_the_manifest_with_its_hash() {
        let m = spa_manifest();
        assert!(m.operations.len() >= SPA_DOCUMENTS.len(), "at least one operation per file");
        assert!(m.operations.iter().any(|o| o.name == "Login" && o.ty == "mutation"));
        for op in &m.operations {
            assert_eq!(op.id, sha256_hex(&op.body));
            assert!(async_graphql::parser::parse_query(&op.body).is_ok(), "{}: {}", op.name, op.body);
        }
    }

    #[test]
    fn the_lru_drops_the_least_recently_used() {
        let mut lru = Lru { capacity: 10, tick: 0, entries: HashMap::new() };
        for i in 0..10 {
            lru.put(format!("k{i}"), Arc::from("q"));
        }
        assert!(lru.get("k0").is_some());
        lru.put("k10".into(), Arc::from("q"));
        assert!(lru.get("k0").is_some(), "used recently");
        assert!(lru.get("k1").is_none(), "the least recently used went");
        assert!(lru.get("k10").is_some());
    }
}
