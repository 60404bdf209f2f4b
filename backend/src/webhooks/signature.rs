//! The signature of a webhook request: HMAC-SHA256, keyed with the
//! endpoint's secret (its UTF-8 bytes), over `"{timestamp}.{body}"`, sent
//! as `X-Crm360-Signature: v1=<lowercase hex>` beside
//! `X-Crm360-Timestamp: <unix seconds>`. Signing the timestamp lets a
//! receiver refuse old requests (replay protection).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header with the unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Crm360-Timestamp";
/// Header with `v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Crm360-Signature";
/// Header with the event's id (`evt_…`), the same on every retry.
pub const EVENT_ID_HEADER: &str = "X-Crm360-Event-Id";
/// Header with the event's type (`wallet.deposited`).
pub const EVENT_TYPE_HEADER: &str = "X-Crm360-Event-Type";
/// Header with the delivery's id, to quote when asking about it.
pub const DELIVERY_ID_HEADER: &str = "X-Crm360-Delivery-Id";

/// `v1=<hex of HMAC-SHA256(secret, "{timestamp}.{body}")>`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new secret: `whsec_` and 32 random bytes in hex.
pub fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_an_independent_implementation() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"1700000000.{}",hashlib.sha256).hexdigest())'
        assert_eq!(
            sign("key", 1_700_000_000, "{}"),
            "v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }

    #[test]
    fn secrets_are_long_and_different() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 6 + 64);
    }
}
