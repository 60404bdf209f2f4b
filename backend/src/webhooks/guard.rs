//! Where webhooks may go. Unless `webhook_allow_private_networks` is set,
//! a receiver must be on the public internet: an address that is
//! loopback, private, shared (CGNAT), link-local (the cloud metadata
//! service), unique-local, unspecified, multicast, broadcast or for
//! documentation is refused — on the URL when an endpoint is registered
//! (an IP literal), and on every address its host resolves to before each
//! delivery (a name pointed at an internal address later is caught too).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{AppError, AppResult};

/// Whether `ip` is an address of the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// `BAD_USER_INPUT` on `field` when `url`'s host is a literal address
/// that is not public.
pub fn check_url_host(url: &url::Url, field: &str) -> AppResult<()> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if is_public(ip) {
        return Ok(());
    }
    Err(AppError::bad_input(
        field,
        format!(
            "{ip} is a private or local address; webhooks go to public addresses (see webhook_allow_private_networks)"
        ),
    ))
}

/// Why the resolver gave no address: the host resolves to non-public ones
/// only (the dispatcher finds it in the request's error and logs it as the
/// attempt's error).
#[derive(Debug)]
pub struct NotPublic(pub String);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to a private or local address; webhooks go to public addresses", self.0)
    }
}

impl std::error::Error for NotPublic {}

/// Resolves receivers' host names to their public addresses only (none:
/// the delivery fails with the reason, as an attempt).
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() && !found.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_private_hosts_are_refused_on_the_field() {
        let url = url::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        let err = check_url_host(&url, "input.url").unwrap_err();
        assert!(matches!(err, AppError::BadInput { ref field, .. } if field == "input.url"), "{err:?}");
        assert!(check_url_host(&url::Url::parse("https://hooks.example.com/x").unwrap(), "input.url").is_ok());
        assert!(check_url_host(&url::Url::parse("http://[::1]:8080/").unwrap(), "input.url").is_err());
    }
}
