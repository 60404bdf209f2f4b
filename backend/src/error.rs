//! Errors, in layers.
//!
//! - Services return [`AppError`]: one enum for every domain, because the
//!   API promises one stable set of codes (`extensions.code`) whatever the
//!   domain, and a domain error maps to exactly one of them. Each variant
//!   carries what a client needs to correct the request (the field, the
//!   available amount, the states of a refused transition).
//! - Database and unexpected errors become `INTERNAL`; their detail is logged
//!   with the request id and never sent to the client.
//! - The GraphQL boundary turns an [`AppError`] into an error with
//!   `extensions.code` (and `extensions.field` where there is one), see
//!   [`AppError::extend`]; resolvers call `service(..).await.extend()`
//!   (`async_graphql::ResultExt`).
//! - Startup, configuration and the CLI use `anyhow` with context instead.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// A `Result` of a service.
pub type AppResult<T> = Result<T, AppError>;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    BadInput { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("insufficient funds: {available} available")]
    InsufficientFunds { available: String },
    #[error("cannot move from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    /// Too many requests or failed logins: retry after `retry_after` seconds.
    #[error("{message}")]
    RateLimited { retry_after: u64, message: String },
    /// A subscription fell behind (or asked for events no longer kept).
    #[error("{message}")]
    Lagged { last_event_id: Option<String>, message: String },
    #[error("database error")]
    Db(#[from] DbErr),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A bad value in `field` (a dotted input path such as `input.phone`).
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.to_owned(), message: message.into() }
    }

    /// A uniqueness or state conflict on `field`.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict { field: Some(field.to_owned()), message: message.into() }
    }

    /// The stable error code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::InsufficientFunds { .. } => "INSUFFICIENT_FUNDS",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Lagged { .. } => "LAGGED",
            Self::Db(_) | Self::Internal(_) => "INTERNAL",
        }
    }

    /// The input field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadInput { field, .. } => Some(field),
            Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// True when the database refused a row for breaking a unique index.
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Db(e) = self {
            tracing::error!(error = %e, "database error");
        }
        if let Self::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Some(field) = self.field() {
                ext.set("field", field);
            }
            match self {
                Self::InsufficientFunds { available } => ext.set("available", available.as_str()),
                Self::InvalidTransition { from, to } => {
                    ext.set("from", from.as_str());
                    ext.set("to", to.as_str());
                }
                Self::Lagged { last_event_id: Some(last), .. } => ext.set("lastEventId", last.as_str()),
                Self::RateLimited { retry_after, .. } => ext.set("retryAfter", *retry_after),
                _ => {}
            }
        })
    }
}
