//! Relay connections: `edges { cursor node }`, `pageInfo`, and a
//! `totalCount` that is computed only when a client asks for it.

use std::sync::Arc;

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// Page size when `first` is not given.
pub const DEFAULT_PAGE: i32 = 20;

/// Where a page sits in its list.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The page info of `cursors`, in order.
    pub fn of(cursors: &[String], has_next: bool, has_previous: bool) -> Self {
        Self {
            has_next_page: has_next,
            has_previous_page: has_previous,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }
}

/// Counts the whole list on demand.
pub type Counter = Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>;

/// Declares `<Node>Connection` and `<Node>Edge` for a node type.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        /// One node and the cursor after which the next page starts.
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        /// A page of a list.
        #[derive(async_graphql::SimpleObject)]
        #[graphql(complex)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub page_info: $crate::graphql::connection::PageInfo,
            #[graphql(skip)]
            pub counter: $crate::graphql::connection::Counter,
        }

        #[async_graphql::ComplexObject]
        impl $conn {
            /// Size of the whole list (with the same filters). Costs a
            /// count query, run only when this field is selected.
            async fn total_count(&self) -> async_graphql::Result<i64> {
                use async_graphql::ErrorExtensions;
                (self.counter)().await.map(|n| n as i64).map_err(|e| e.extend())
            }
        }

        impl $conn {
            /// A page from `(cursor, node)` pairs.
            pub fn new(
                items: Vec<(String, $node)>,
                has_next: bool,
                has_previous: bool,
                counter: $crate::graphql::connection::Counter,
            ) -> Self {
                let cursors: Vec<String> = items.iter().map(|(c, _)| c.clone()).collect();
                Self {
                    page_info: $crate::graphql::connection::PageInfo::of(&cursors, has_next, has_previous),
                    edges: items.into_iter().map(|(cursor, node)| $edge { cursor, node }).collect(),
                    counter,
                }
            }
        }
    };
}
pub(crate) use connection;

/// `first` checked: 1 to [`MAX_PAGE`], default [`DEFAULT_PAGE`].
pub fn page_size(first: Option<i32>) -> AppResult<u64> {
    match first {
        None => Ok(DEFAULT_PAGE as u64),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n as u64),
        Some(_) => Err(AppError::bad_input("first", format!("first must be between 1 and {MAX_PAGE}"))),
    }
}

/// An opaque cursor for a value.
pub fn encode_cursor<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// Reads a cursor given as `after`, or `BAD_USER_INPUT` on `after`.
pub fn decode_cursor<T: DeserializeOwned>(cursor: Option<&str>) -> AppResult<Option<T>> {
    let Some(c) = cursor else { return Ok(None) };
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| AppError::bad_input("after", "not a cursor from this list"))
}

/// Cursor of id-ordered lists.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct IdCursor {
    pub id: i64,
}

/// Complexity of a connection field: its children count `first` times.
pub fn complexity(first: Option<i32>, child: usize) -> usize {
    first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child
}
