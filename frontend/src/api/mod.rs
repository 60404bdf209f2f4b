//! GraphQL client for the crm360 server, apart from any component.
//!
//! Every call is a `POST /graphql` with `{query, variables}` and, once signed
//! in, an `Authorization: Bearer <token>` header; subscriptions go over one
//! shared WebSocket ([`live`]). The operations are `.graphql` files next to
//! the screen that uses them (`src/screens/<screen>/*.graphql`), checked
//! against `schema.graphql` by the test suite. Each screen's `api.rs` adds
//! its calls to [`Api`] and declares the types they return; the types more
//! than one screen reads are in [`types`].
//!
//! Failures become an [`ApiError`] carrying `errors[0].extensions` (`code`,
//! `field`, …). When the server answers `UNAUTHENTICATED` to a call that
//! carried a token, the session is ended with
//! [`crate::session::SESSION_EXPIRED`]; the page guard
//! ([`crate::components::shell::AppShell`]) then routes to `/login`, which
//! shows that message.

pub mod live;
pub mod types;

use std::fmt;

use gloo_net::http::Request;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

pub use types::*;

use crate::session::Session;

const ENDPOINT: &str = "/graphql";

const LOGIN: &str = include_str!("login.graphql");
const ME: &str = include_str!("me.graphql");
const REFRESH: &str = include_str!("refresh.graphql");

// ---------------------------------------------------------------------------
// Errors

/// Why a call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The server answered with a GraphQL error: `code` is
    /// `extensions.code` (`BAD_USER_INPUT`, `INSUFFICIENT_FUNDS`, …), `field`
    /// the input it is about (`"input.amount"`, `"phone"`) when the server
    /// knows, `extensions` the rest (`available`, `from`, `to`, …).
    Graphql { code: Option<String>, message: String, field: Option<String>, extensions: Map<String, Value> },
    /// No answer from the server at all (offline, server down).
    Network,
    /// An answer that is not the GraphQL response we expected; the details
    /// go to the browser console.
    Protocol,
}

impl ApiError {
    /// `extensions.code`, if the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Graphql { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether `extensions.code` is `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// The input the error is about, as the server names it.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Graphql { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// Whether the error is about the input `name`: the server's field is
    /// `name` or ends with `.name` (`"input.amount"` is about `"amount"`).
    pub fn is_about(&self, name: &str) -> bool {
        self.field().is_some_and(|field| field == name || field.ends_with(&format!(".{name}")))
    }

    /// Another extension (`available`, `from`, …) as text.
    pub fn extension(&self, key: &str) -> Option<String> {
        match self {
            ApiError::Graphql { extensions, .. } => extensions.get(key).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            _ => None,
        }
    }

    /// A fixed error for a value the form refused before sending.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Graphql {
            code: Some("BAD_USER_INPUT".to_owned()),
            message: message.into(),
            field: Some(field.to_owned()),
            extensions: Map::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Graphql { code: Some(code), message, extensions, .. } if code == "INSUFFICIENT_FUNDS" => {
                match extensions.get("available").and_then(Value::as_str) {
                    Some(available) => write!(f, "{message} (available: {})", crate::format::vnd(available)),
                    None => f.write_str(message),
                }
            }
            ApiError::Graphql { code: Some(code), message, .. }
                if matches!(code.as_str(), "INTERNAL_SERVER_ERROR" | "INTERNAL") =>
            {
                write!(f, "{message} ({code})")
            }
            ApiError::Graphql { message, .. } => f.write_str(message),
            ApiError::Network => f.write_str("Cannot reach the server. Check your connection and try again."),
            ApiError::Protocol => f.write_str("The server sent an unexpected answer."),
        }
    }
}

impl std::error::Error for ApiError {}

/// One entry of a GraphQL response's `errors`.
#[derive(Deserialize)]
pub(crate) struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<Map<String, Value>>,
}

impl From<GraphqlError> for ApiError {
    fn from(error: GraphqlError) -> Self {
        let mut extensions = error.extensions.unwrap_or_default();
        let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_owned));
        let code = text(extensions.remove("code"));
        let field = text(extensions.remove("field"));
        ApiError::Graphql { code, message: error.message, field, extensions }
    }
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

/// Turns an HTTP answer into the operation's data or an [`ApiError`].
fn decode<D: DeserializeOwned>(status: u16, body: &str) -> Result<D, ApiError> {
    let Ok(response) = serde_json::from_str::<RawResponse>(body) else {
        return Err(match status {
            401 => ApiError::Graphql {
                code: Some("UNAUTHENTICATED".to_owned()),
                message: "Not signed in.".to_owned(),
                field: None,
                extensions: Map::new(),
            },
            200..=299 => protocol_error(format_args!("response is not JSON: {body:.200}")),
            _ => ApiError::Graphql {
                code: Some(format!("HTTP {status}")),
                message: "The server could not handle the request.".to_owned(),
                field: None,
                extensions: Map::new(),
            },
        });
    };
    if let Some(error) = response.errors.into_iter().flatten().next() {
        return Err(error.into());
    }
    match response.data {
        Some(data) if !data.is_null() => {
            serde_json::from_value(data).map_err(|e| protocol_error(format_args!("unexpected data: {e}")))
        }
        _ => Err(protocol_error(format_args!("no data and no errors (HTTP {status})"))),
    }
}

/// Sends a plain-HTTP call (`POST /imports`, `GET /exports/*.csv`) with
/// the session's bearer token, and `body` when given; the text of a 2xx
/// answer, else the refusal's error (a rejected token ends the session).
pub(crate) async fn plain_http(
    session: Session,
    request: gloo_net::http::RequestBuilder,
    body: Option<wasm_bindgen::JsValue>,
) -> Result<String, ApiError> {
    let token = session.token();
    let mut request = request;
    if let Some(token) = &token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request.body(body),
        None => request.build(),
    }
    .map_err(|e| protocol_error(format_args!("cannot build the request: {e}")))?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    if !(200..300).contains(&status) {
        let error = http_refusal(status, &text);
        if token.is_some() && error.is("UNAUTHENTICATED") {
            session.expire();
        }
        return Err(error);
    }
    Ok(text)
}

/// The error named by the body of a refused plain-HTTP call (GraphQL-shaped
/// JSON), or one for its status.
fn http_refusal(status: u16, body: &str) -> ApiError {
    #[derive(serde::Deserialize)]
    struct Refusal {
        errors: Vec<GraphqlError>,
    }
    match serde_json::from_str::<Refusal>(body).ok().and_then(|r| r.errors.into_iter().next()) {
        Some(error) => error.into(),
        None => ApiError::Graphql {
            code: Some(if status == 401 { "UNAUTHENTICATED".to_owned() } else { format!("HTTP {status}") }),
            message: format!("The server refused the request (HTTP {status})."),
            field: None,
            extensions: Default::default(),
        },
    }
}

pub(crate) fn protocol_error(detail: fmt::Arguments<'_>) -> ApiError {
    leptos::logging::error!("crm360 API: {detail}");
    ApiError::Protocol
}

// ---------------------------------------------------------------------------
// The client

/// The GraphQL client; copy it into the closures that call the server.
/// Screens add their calls in their own `api.rs` (`impl Api { … }`).
#[derive(Clone, Copy, Debug)]
pub struct Api {
    session: Session,
}

impl Api {
    /// The client for the session provided by [`crate::app::App`].
    pub fn current() -> Self {
        Api { session: Session::current() }
    }

    /// Exchanges credentials for a token (the caller stores it).
    pub async fn login(self, email: String, password: String) -> Result<AuthPayload, ApiError> {
        #[derive(Deserialize)]
        struct Data {
            login: AuthPayload,
        }
        let variables = json!({ "email": email, "password": password });
        let data: Data = self.execute(LOGIN, variables, false).await?;
        Ok(data.login)
    }

    /// The signed-in user.
    pub async fn me(self) -> Result<User, ApiError> {
        #[derive(Deserialize)]
        struct Data {
            me: User,
        }
        let data: Data = self.run(ME, json!({})).await?;
        Ok(data.me)
    }

    /// A new token for the signed-in user (the caller stores it).
    pub async fn refresh_token(self) -> Result<AuthPayload, ApiError> {
        self.field(REFRESH, json!({})).await
    }

    /// Runs one operation with the session's token and decodes its `data`
    /// into `D` (usually a one-field struct named after the root field).
    pub async fn run<D: DeserializeOwned>(self, query: &'static str, variables: Value) -> Result<D, ApiError> {
        self.execute(query, variables, true).await
    }

    /// Runs one operation whose `data` has a single root field, and returns
    /// that field decoded into `T`.
    pub async fn field<T: DeserializeOwned>(self, query: &'static str, variables: Value) -> Result<T, ApiError> {
        let data: Map<String, Value> = self.run(query, variables).await?;
        let value = data.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| protocol_error(format_args!("unexpected data: {e}")))
    }

    /// Runs the operation `name` of a `.graphql` file that holds several,
    /// and returns its single root field decoded into `T`. Only that
    /// operation's text is sent: the server validates every operation of a
    /// document against the variables given, so the others would fail.
    pub async fn operation<T: DeserializeOwned>(
        self,
        document: &'static str,
        name: &'static str,
        variables: Value,
    ) -> Result<T, ApiError> {
        let query = operation_text(document, name)
            .ok_or_else(|| protocol_error(format_args!("no operation {name} in its .graphql file")))?;
        let data: Map<String, Value> = self.send(query, Some(name), variables, true).await?;
        let value = data.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| protocol_error(format_args!("unexpected data for {name}: {e}")))
    }

    /// Runs one operation. `authenticated` calls carry the session's token
    /// and end the session when the server rejects it.
    async fn execute<D: DeserializeOwned>(
        self,
        query: &'static str,
        variables: Value,
        authenticated: bool,
    ) -> Result<D, ApiError> {
        self.send(query, None, variables, authenticated).await
    }

    async fn send<D: DeserializeOwned>(
        self,
        query: &'static str,
        operation_name: Option<&'static str>,
        variables: Value,
        authenticated: bool,
    ) -> Result<D, ApiError> {
        let token = authenticated.then(|| self.session.token()).flatten();
        let mut request = Request::post(ENDPOINT).header("Accept", "application/json");
        if let Some(token) = &token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let request = request
            .json(&json!({ "query": query, "operationName": operation_name, "variables": variables }))
            .map_err(|e| protocol_error(format_args!("cannot encode request: {e}")))?;
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        let status = response.status();
        let body = response.text().await.map_err(|_| ApiError::Network)?;

        let result = decode(status, &body);
        if token.is_some() && matches!(&result, Err(e) if e.is("UNAUTHENTICATED")) {
            self.session.expire();
        }
        result
    }
}

/// The text of the operation `name` in a document of operations (no
/// fragments): from the line that starts it to the line that starts the
/// next one.
pub fn operation_text(document: &'static str, name: &str) -> Option<&'static str> {
    let starts = |line: &str| {
        ["query ", "mutation ", "subscription "]
            .iter()
            .find_map(|keyword| line.strip_prefix(keyword))
            .map(|rest| rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default().to_owned())
    };
    let mut offset = 0;
    let mut begin = None;
    for line in document.split_inclusive('\n') {
        if let Some(found) = starts(line) {
            if begin.is_some() {
                return begin.map(|b| &document[b..offset]);
            }
            if found == name {
                begin = Some(offset);
            }
        }
        offset += line.len();
    }
    begin.map(|b| &document[b..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_is_cut_out_of_a_document() {
        const DOC: &str = "# one\nquery A($x: ID!) {\n  a(x: $x) { id }\n}\n\n# two\nmutation B {\n  b\n}\n";
        assert_eq!(operation_text(DOC, "A"), Some("query A($x: ID!) {\n  a(x: $x) { id }\n}\n\n# two\n"));
        assert_eq!(operation_text(DOC, "B"), Some("mutation B {\n  b\n}\n"));
        assert_eq!(operation_text(DOC, "C"), None);
    }

    fn decode_me(status: u16, body: &str) -> Result<User, ApiError> {
        #[derive(Debug, Deserialize)]
        struct Data {
            me: User,
        }
        decode::<Data>(status, body).map(|d| d.me)
    }

    #[test]
    fn data_is_returned_when_there_are_no_errors() {
        let body = r#"{"data":{"me":{"id":"1","email":"a@b.vn","name":"An","role":"MANAGER"}}}"#;
        let user = decode_me(200, body).unwrap();
        assert_eq!(user.role, Role::Manager);
        assert_eq!(user.name, "An");
    }

    #[test]
    fn errors_keep_their_code_field_and_extensions() {
        let body = r#"{"data":null,"errors":[{"message":"invalid email or password",
            "extensions":{"code":"UNAUTHENTICATED"}}]}"#;
        let error = decode_me(200, body).unwrap_err();
        assert!(error.is("UNAUTHENTICATED"));
        assert_eq!(error.to_string(), "invalid email or password");

        let body = r#"{"data":null,"errors":[{"message":"not enough money",
            "extensions":{"code":"INSUFFICIENT_FUNDS","field":"input.amount","available":"25000"}}]}"#;
        let error = decode_me(200, body).unwrap_err();
        assert!(error.is("INSUFFICIENT_FUNDS"));
        assert!(error.is_about("amount"));
        assert!(!error.is_about("mount"));
        assert_eq!(error.extension("available").as_deref(), Some("25000"));
        assert_eq!(error.to_string(), "not enough money (available: 25.000 ₫)");
    }

    #[test]
    fn errors_without_a_code_keep_their_message() {
        let body = r#"{"errors":[{"message":"Unknown field \"x\""}]}"#;
        let error = decode_me(200, body).unwrap_err();
        assert_eq!(error.code(), None);
        assert_eq!(error.to_string(), "Unknown field \"x\"");
    }

    #[test]
    fn a_bare_401_means_unauthenticated() {
        assert!(decode_me(401, "Unauthorized").unwrap_err().is("UNAUTHENTICATED"));
    }

    #[test]
    fn a_bare_502_is_a_server_error() {
        assert!(decode_me(502, "<html>Bad gateway</html>").unwrap_err().is("HTTP 502"));
    }

    #[test]
    fn unknown_enum_values_do_not_break_decoding() {
        let body = r#"{"data":{"me":{"id":"1","email":"a@b.vn","name":"An","role":"AUDITOR"}}}"#;
        assert_eq!(decode_me(200, body).unwrap().role, Role::Unknown);
    }
}
