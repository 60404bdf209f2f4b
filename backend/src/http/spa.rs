//! The staff web app, embedded in the binary.
//!
//! `build.rs` compiles the Leptos frontend to WebAssembly and points
//! `CRM360_SPA_DIR` at the folder it produced (`index.html`, a stylesheet,
//! and the wasm-bindgen JavaScript and `.wasm`, all but `index.html` with a
//! content hash in their names). Release builds carry the files inside the
//! binary; debug builds read them from that folder at run time, so a rebuilt
//! frontend shows up on reload.
//!
//! Any path that is not an API route lands here: a file is served as is, a
//! path without a file extension is a client-side route (`/customers`) and
//! gets `index.html`, anything else is a 404.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The files of the single-page app.
#[derive(RustEmbed)]
#[folder = "$CRM360_SPA_DIR"]
struct SpaAssets;

const INDEX: &str = "index.html";

/// What the page may load and run: its own files only (no inline or foreign
/// scripts, which is what keeps the session token in `localStorage` out of
/// an injected script's reach), WebAssembly, GraphQL over HTTP and
/// WebSocket to this origin. Inline styles are allowed for the SVG charts.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Content-hashed files never change under their name.
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (`index.html` above all) is checked again on each use, so
/// that a new release is picked up at once.
const CACHE_REVALIDATE: &str = "no-cache";

/// Serves the single-page app: the embedded file at `uri`'s path, or
/// `index.html` for client-side routes (paths without a file extension).
pub async fn serve_spa(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(response) = file_response(path) {
        return response;
    }
    if is_client_route(path)
        && let Some(response) = file_response(INDEX)
    {
        return response;
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn file_response(path: &str) -> Option<Response> {
    let path = if path.is_empty() { INDEX } else { path };
    let file = SpaAssets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let cache = if is_hashed(path) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE };

    let mut response = Response::new(Body::from(file.data));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path == INDEX {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    Some(response)
}

/// `customers`, `customers/42`: no extension in the last segment.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    !last.contains('.')
}

/// Whether the file name carries a content hash: a `-` followed by 16 hex
/// digits, as `build.rs` names them (`crm360-0123456789abcdef_bg.wasm`,
/// `style-0123456789abcdef.css`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.match_indices('-').any(|(at, _)| {
        let digits = &name.as_bytes()[at + 1..];
        digits.len() >= 16 && digits[..16].iter().all(u8::is_ascii_hexdigit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_routes_are_paths_without_an_extension() {
        assert!(is_client_route(""));
        assert!(is_client_route("customers"));
        assert!(is_client_route("customers/42"));
        assert!(!is_client_route("favicon.ico"));
        assert!(!is_client_route("assets/app.js"));
    }

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("crm360-0123456789abcdef.js"));
        assert!(is_hashed("crm360-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("style-fedcba9876543210.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("crm360-frontend.js"));
        assert!(!is_hashed("snippets/leptos-1/inline0.js"));
    }

    #[tokio::test]
    async fn index_is_served_for_the_root_and_for_client_routes() {
        for uri in ["/", "/customers", "/customers/42"] {
            let response = serve_spa(Uri::from_static(uri)).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html", "{uri}");
            assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_REVALIDATE, "{uri}");
            let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"), "{csp}");
        }
    }

    #[tokio::test]
    async fn built_assets_get_their_type_and_long_caching() {
        // Nothing to check in a `CRM360_SKIP_SPA` build, which has no assets.
        for name in SpaAssets::iter().filter(|name| name != INDEX) {
            let response = serve_spa(format!("/{name}").parse().unwrap()).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let content_type = &response.headers()[header::CONTENT_TYPE];
            if name.ends_with(".wasm") {
                // Required by `WebAssembly.instantiateStreaming`.
                assert_eq!(content_type, "application/wasm");
            }
            if is_hashed(&name) {
                assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_IMMUTABLE, "{name}");
            }
        }
    }

    #[tokio::test]
    async fn missing_files_are_not_found() {
        let response = serve_spa(Uri::from_static("/nope.js")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
