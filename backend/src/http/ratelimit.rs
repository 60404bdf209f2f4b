//! The HTTP side of the rate limits ([`crate::ratelimit`]): who the client
//! is, and the `429 Too Many Requests` answer.
//!
//! The client is the socket's peer, unless that peer is one of the
//! `trusted_proxies`: then it is the right-most `X-Forwarded-For` address
//! that is not itself a trusted proxy (the left-most entries are whatever
//! the client claims, so they are never believed).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::ratelimit::{IpNet, RetryAfter};

/// The socket's peer, when the server was started with connect info.
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// The client's IP address (see the module docs).
pub fn client_ip(config: &Config, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
    let peer = peer.map(|p| p.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let trusted: Vec<IpNet> = config.trusted_proxies.iter().filter_map(|p| IpNet::parse(p)).collect();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>())
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Ok(ip) if is_trusted(ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

/// `429` with `Retry-After` and a `RATE_LIMITED` error carrying
/// `extensions.retryAfter` (seconds).
pub fn too_many_requests(retry: RetryAfter, message: &str) -> Response {
    metrics::counter!("crm360_rate_limited_total", "scope" => retry.scope).increment(1);
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": message,
            "extensions": { "code": "RATE_LIMITED", "retryAfter": retry.seconds, "limit": retry.scope },
        }],
    });
    let mut res = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry.seconds));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let plain = Config::default();
        assert_eq!(client_ip(&plain, Some(peer), &headers("1.2.3.4")), peer.ip(), "no trusted proxy");
        let behind = Config { trusted_proxies: vec!["10.0.0.0/8".into()], ..Config::default() };
        assert_eq!(client_ip(&behind, Some(peer), &headers("9.9.9.9, 1.2.3.4")), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(
            client_ip(&behind, Some(peer), &headers("1.2.3.4, 10.0.0.9")),
            "1.2.3.4".parse::<IpAddr>().unwrap(),
            "trusted hops are skipped"
        );
        assert_eq!(client_ip(&behind, Some(peer), &HeaderMap::new()), peer.ip());
        let outside: SocketAddr = "8.8.8.8:1".parse().unwrap();
        assert_eq!(client_ip(&behind, Some(outside), &headers("1.2.3.4")), outside.ip());
    }
}
