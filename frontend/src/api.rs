//! GraphQL client for the crm360 server, apart from any component.
//!
//! Every call is a `POST /graphql` with `{query, variables}` and, once signed
//! in, an `Authorization: Bearer <token>` header. The operations are the
//! `frontend/graphql/*.graphql` files, written against the server's schema.
//!
//! Failures become an [`ApiError`], chosen by `errors[0].extensions.code`.
//! When the server answers `UNAUTHENTICATED` to a call that carried a token,
//! the session is ended with [`crate::session::SESSION_EXPIRED`]; the page
//! guard ([`crate::components::shell::AppShell`]) then routes to `/login`,
//! which shows that message.

use std::fmt;

use gloo_net::http::Request;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::session::Session;

const ENDPOINT: &str = "/graphql";

const LOGIN: &str = include_str!("../graphql/login.graphql");
const ME: &str = include_str!("../graphql/me.graphql");
const CUSTOMERS: &str = include_str!("../graphql/customers.graphql");

/// How many customers one page of the list asks for.
pub const CUSTOMER_PAGE_SIZE: i32 = 25;

// ---------------------------------------------------------------------------
// Types returned by the operations (the subset of the schema the app reads).

/// A staff member's role, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Manager,
    Agent,
    Viewer,
    /// A role this build of the app does not know yet.
    #[serde(other)]
    Unknown,
}

impl Role {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Agent => "Agent",
            Role::Viewer => "Viewer",
            Role::Unknown => "Staff",
        }
    }
}

/// A staff account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The answer to a successful `login`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthPayload {
    pub token: String,
    /// RFC 3339 timestamp.
    pub expires_at: String,
    pub user: User,
}

/// Loyalty tier of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerTier {
    New,
    Silver,
    Gold,
    Platinum,
    Blacklist,
    #[serde(other)]
    Unknown,
}

impl CustomerTier {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            CustomerTier::New => "New",
            CustomerTier::Silver => "Silver",
            CustomerTier::Gold => "Gold",
            CustomerTier::Platinum => "Platinum",
            CustomerTier::Blacklist => "Blacklist",
            CustomerTier::Unknown => "Unknown",
        }
    }
}

/// Account status of a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    Active,
    Suspicious,
    Blacklisted,
    #[serde(other)]
    Unknown,
}

impl CustomerStatus {
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Active => "Active",
            CustomerStatus::Suspicious => "Suspicious",
            CustomerStatus::Blacklisted => "Blacklisted",
            CustomerStatus::Unknown => "Unknown",
        }
    }
}

/// The `Money` scalar: a decimal string such as `"1250000"`, kept as text so
/// that no amount ever goes through a float. See [`crate::format::vnd`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Money(String);

impl Money {
    /// The decimal text as sent by the server.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The wallet fields shown in the customer list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletSummary {
    pub real_balance: Money,
}

/// One row of the customer list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub member_code: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub tier: CustomerTier,
    pub status: CustomerStatus,
    pub wallet: WalletSummary,
}

/// One page of customers, flattened from the Relay-style connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPage {
    pub customers: Vec<Customer>,
    /// Customers matching the search, across all pages.
    pub total_count: i64,
    /// Pass as `after` to get the next page.
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerConnection {
    edges: Vec<CustomerEdge>,
    page_info: PageInfo,
    total_count: i64,
}

#[derive(Deserialize)]
struct CustomerEdge {
    node: Customer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

impl From<CustomerConnection> for CustomerPage {
    fn from(connection: CustomerConnection) -> Self {
        CustomerPage {
            customers: connection.edges.into_iter().map(|e| e.node).collect(),
            total_count: connection.total_count,
            end_cursor: connection.page_info.end_cursor,
            has_next_page: connection.page_info.has_next_page,
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// Why a call failed. The GraphQL variants follow `extensions.code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// `UNAUTHENTICATED`: wrong credentials, or a missing or expired token.
    Unauthenticated { message: String },
    /// `FORBIDDEN`: signed in, but the role does not allow this.
    Forbidden { message: String },
    /// `BAD_USER_INPUT`: a value was rejected; `field` names the input
    /// (`"email"`, ...) when the server knows which one.
    BadUserInput { message: String, field: Option<String> },
    /// `NOT_FOUND`.
    NotFound { message: String },
    /// Any other GraphQL error, such as `INTERNAL_SERVER_ERROR` or a query
    /// the server's schema rejects (no code).
    Server { code: Option<String>, message: String },
    /// No answer from the server at all (offline, server down).
    Network,
    /// An answer that is not the GraphQL response we expected; the details
    /// go to the browser console.
    Protocol,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthenticated { message }
            | ApiError::Forbidden { message }
            | ApiError::BadUserInput { message, .. }
            | ApiError::NotFound { message } => f.write_str(message),
            ApiError::Server { code: Some(code), message } => write!(f, "{message} ({code})"),
            ApiError::Server { code: None, message } => f.write_str(message),
            ApiError::Network => f.write_str("Cannot reach the server. Check your connection and try again."),
            ApiError::Protocol => f.write_str("The server sent an unexpected answer."),
        }
    }
}

impl std::error::Error for ApiError {}

/// One entry of a GraphQL response's `errors`.
#[derive(Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Default, Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
    field: Option<String>,
}

impl From<GraphqlError> for ApiError {
    fn from(error: GraphqlError) -> Self {
        let ErrorExtensions { code, field } = error.extensions.unwrap_or_default();
        let message = error.message;
        match code.as_deref() {
            Some("UNAUTHENTICATED") => ApiError::Unauthenticated { message },
            Some("FORBIDDEN") => ApiError::Forbidden { message },
            Some("BAD_USER_INPUT") => ApiError::BadUserInput { message, field },
            Some("NOT_FOUND") => ApiError::NotFound { message },
            _ => ApiError::Server { code, message },
        }
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
            401 => ApiError::Unauthenticated { message: "Not signed in.".to_owned() },
            200..=299 => protocol_error(format_args!("response is not JSON: {body:.200}")),
            _ => ApiError::Server {
                code: Some(format!("HTTP {status}")),
                message: "The server could not handle the request.".to_owned(),
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

fn protocol_error(detail: fmt::Arguments<'_>) -> ApiError {
    leptos::logging::error!("crm360 API: {detail}");
    ApiError::Protocol
}

// ---------------------------------------------------------------------------
// The client

/// The GraphQL client; copy it into the closures that call the server.
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
        let data: Data = self.execute(ME, json!({}), true).await?;
        Ok(data.me)
    }

    /// A page of customers matching `search` (all customers when empty),
    /// starting after the cursor `after`.
    pub async fn customers(self, search: String, after: Option<String>) -> Result<CustomerPage, ApiError> {
        #[derive(Deserialize)]
        struct Data {
            customers: CustomerConnection,
        }
        let search = Some(search).filter(|s| !s.is_empty());
        let variables = json!({ "first": CUSTOMER_PAGE_SIZE, "after": after, "search": search });
        let data: Data = self.execute(CUSTOMERS, variables, true).await?;
        Ok(data.customers.into())
    }

    /// Runs one operation. `authenticated` calls carry the session's token
    /// and end the session when the server rejects it.
    async fn execute<D: DeserializeOwned>(
        self,
        query: &'static str,
        variables: Value,
        authenticated: bool,
    ) -> Result<D, ApiError> {
        let token = authenticated.then(|| self.session.token()).flatten();
        let mut request = Request::post(ENDPOINT).header("Accept", "application/json");
        if let Some(token) = &token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let request = request
            .json(&json!({ "query": query, "variables": variables }))
            .map_err(|e| protocol_error(format_args!("cannot encode request: {e}")))?;
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        let status = response.status();
        let body = response.text().await.map_err(|_| ApiError::Network)?;

        let result = decode(status, &body);
        if token.is_some() && matches!(result, Err(ApiError::Unauthenticated { .. })) {
            self.session.expire();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn error_codes_become_typed_errors() {
        let body = r#"{"data":null,"errors":[{"message":"invalid email or password",
            "extensions":{"code":"UNAUTHENTICATED"}}]}"#;
        assert_eq!(
            decode_me(200, body),
            Err(ApiError::Unauthenticated { message: "invalid email or password".into() })
        );
        let body = r#"{"data":null,"errors":[{"message":"bad email",
            "extensions":{"code":"BAD_USER_INPUT","field":"email"}}]}"#;
        assert_eq!(
            decode_me(200, body),
            Err(ApiError::BadUserInput { message: "bad email".into(), field: Some("email".into()) })
        );
    }

    #[test]
    fn errors_without_a_code_are_server_errors() {
        let body = r#"{"errors":[{"message":"Unknown field \"x\""}]}"#;
        assert_eq!(decode_me(200, body), Err(ApiError::Server { code: None, message: "Unknown field \"x\"".into() }));
    }

    #[test]
    fn a_bare_401_means_unauthenticated() {
        assert!(matches!(decode_me(401, "Unauthorized"), Err(ApiError::Unauthenticated { .. })));
    }

    #[test]
    fn a_bare_502_is_a_server_error() {
        assert!(matches!(
            decode_me(502, "<html>Bad gateway</html>"),
            Err(ApiError::Server { code: Some(code), .. }) if code == "HTTP 502"
        ));
    }

    #[test]
    fn unknown_enum_values_do_not_break_decoding() {
        let body = r#"{"data":{"me":{"id":"1","email":"a@b.vn","name":"An","role":"AUDITOR"}}}"#;
        assert_eq!(decode_me(200, body).unwrap().role, Role::Unknown);
    }

    #[test]
    fn a_customer_connection_flattens_into_a_page() {
        let body = r#"{"customers":{"totalCount":41,
            "pageInfo":{"hasNextPage":true,"endCursor":"c25"},
            "edges":[{"cursor":"c1","node":{"id":"1","memberCode":"M0001","name":"Bình",
              "phone":"+84901234567","email":null,"tier":"GOLD","status":"ACTIVE",
              "wallet":{"realBalance":"1250000"}}}]}}"#;
        #[derive(Deserialize)]
        struct Data {
            customers: CustomerConnection,
        }
        let page: CustomerPage = serde_json::from_str::<Data>(body).unwrap().customers.into();
        assert_eq!(page.total_count, 41);
        assert_eq!(page.end_cursor.as_deref(), Some("c25"));
        assert!(page.has_next_page);
        assert_eq!(page.customers[0].tier, CustomerTier::Gold);
        assert_eq!(page.customers[0].wallet.real_balance.as_str(), "1250000");
    }
}
