//! The webhook body of SePay (the Vietnamese bank-notification service),
//! read into an [`Incoming`] transfer:
//!
//! ```json
//! {"id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-03-25 14:02:37",
//!  "accountNumber": "0123499999", "code": null, "content": "chuyen tien N2000123",
//!  "transferType": "in", "transferAmount": 2277000, "accumulated": 19077000,
//!  "subAccount": null, "referenceCode": "MBVCB.3278907687", "description": ""}
//! ```
//!
//! `transactionDate` is in the business time zone. Errors are
//! `BAD_USER_INPUT` naming the JSON field; nothing is stored then.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::model::Direction;
use crate::error::{AppError, AppResult};
use crate::money::MAX_AMOUNT;

/// Longest stored content; the whole body stays in `raw`.
const MAX_CONTENT: usize = 1000;

/// A transfer as the bank reported it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub provider_id: String,
    pub gateway: Option<String>,
    pub account_number: Option<String>,
    pub direction: Direction,
    /// Minor units, positive.
    pub amount: i64,
    pub content: String,
    pub reference_code: Option<String>,
    pub transferred_at: DateTime<Utc>,
    /// The payment code SePay itself recognised in the content, if any.
    pub code: Option<String>,
    /// The body as received.
    pub raw: Value,
}

/// Reads a SePay webhook body. `received_at` stands in for a missing date.
pub fn parse(body: &[u8], tz: chrono_tz::Tz, received_at: DateTime<Utc>) -> AppResult<Incoming> {
    let raw: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_input("body", format!("the body is not valid JSON: {e}")))?;
    let Some(obj) = raw.as_object() else {
        return Err(AppError::bad_input("body", "the body must be a JSON object"));
    };
    let text = |name: &str, max: usize| -> Option<String> {
        let s = match obj.get(name)? {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then(|| s.chars().take(max).collect())
    };
    let provider_id = match obj.get("id") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().len() <= 100 => s.trim().to_owned(),
        _ => return Err(AppError::bad_input("id", "the transaction id is required (a number or a short string)")),
    };
    let amount = match obj.get("transferAmount") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| AppError::bad_input("transferAmount", "the amount is required, as a whole number"))?;
    if amount <= 0 {
        return Err(AppError::bad_input("transferAmount", "the amount must be more than zero"));
    }
    if amount > MAX_AMOUNT {
        return Err(AppError::bad_input("transferAmount", "the amount is larger than any transfer can be"));
    }
    let direction = match obj.get("transferType").and_then(Value::as_str).map(|s| s.trim().to_ascii_lowercase()) {
        Some(t) if t == "in" => Direction::In,
        Some(t) if t == "out" => Direction::Out,
        _ => return Err(AppError::bad_input("transferType", "must be \"in\" or \"out\"")),
    };
    let transferred_at = match obj.get("transactionDate") {
        None | Some(Value::Null) => received_at,
        Some(Value::String(s)) => local_time(s, tz)
            .ok_or_else(|| AppError::bad_input("transactionDate", "expected \"YYYY-MM-DD HH:MM:SS\""))?,
        Some(_) => return Err(AppError::bad_input("transactionDate", "expected \"YYYY-MM-DD HH:MM:SS\"")),
    };
    Ok(Incoming {
        provider_id,
        gateway: text("gateway", 100),
        account_number: text("accountNumber", 50),
        direction,
        amount,
        content: text("content", MAX_CONTENT).unwrap_or_default(),
        reference_code: text("referenceCode", 100),
        transferred_at,
        code: text("code", 50),
        raw,
    })
}

/// `2023-03-25 14:02:37` in `tz` (or an RFC 3339 instant) as UTC.
fn local_time(s: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SAMPLE: &str = r#"{"id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-03-25 14:02:37",
        "accountNumber": "0123499999", "code": null, "content": "chuyen tien N2000123", "transferType": "in",
        "transferAmount": 2277000, "accumulated": 19077000, "subAccount": null,
        "referenceCode": "MBVCB.3278907687", "description": ""}"#;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn reads_sepays_sample_with_the_date_in_the_business_zone() {
        let t = parse(SAMPLE.as_bytes(), chrono_tz::Asia::Ho_Chi_Minh, now()).unwrap();
        assert_eq!(t.provider_id, "92704");
        assert_eq!(t.gateway.as_deref(), Some("Vietcombank"));
        assert_eq!(t.account_number.as_deref(), Some("0123499999"));
        assert_eq!(t.direction, Direction::In);
        assert_eq!(t.amount, 2_277_000);
        assert_eq!(t.content, "chuyen tien N2000123");
        assert_eq!(t.reference_code.as_deref(), Some("MBVCB.3278907687"));
        assert_eq!(t.transferred_at, Utc.with_ymd_and_hms(2023, 3, 25, 7, 2, 37).unwrap(), "UTC+7");
        assert_eq!(t.code, None);
        assert_eq!(t.raw["accumulated"], 19_077_000);
    }

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(SAMPLE).unwrap();
        match value {
            Value::Null => v.as_object_mut().unwrap().remove(field),
            other => v.as_object_mut().unwrap().insert(field.to_owned(), other),
        };
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn refuses_what_cannot_be_a_transfer_naming_the_field() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"{not json".to_vec(), "body"),
            (b"[1, 2]".to_vec(), "body"),
            (with("id", Value::Null), "id"),
            (with("id", json!("")), "id"),
            (with("id", json!(1.5)), "id"),
            (with("transferAmount", json!(0)), "transferAmount"),
            (with("transferAmount", json!(-5)), "transferAmount"),
            (with("transferAmount", json!(10.5)), "transferAmount"),
            (with("transferAmount", Value::Null), "transferAmount"),
            (with("transferType", json!("sideways")), "transferType"),
            (with("transactionDate", json!("yesterday")), "transactionDate"),
        ];
        for (body, field) in cases {
            let err = parse(&body, tz, now()).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{}", String::from_utf8_lossy(&body));
            assert_eq!(err.field(), Some(field), "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn string_ids_and_amounts_outgoing_transfers_and_long_content_are_accepted() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let t = parse(&with("id", json!(" abc-1 ")), tz, now()).unwrap();
        assert_eq!(t.provider_id, "abc-1");
        let t = parse(&with("transferAmount", json!("500000")), tz, now()).unwrap();
        assert_eq!(t.amount, 500_000);
        let t = parse(&with("transferType", json!("OUT")), tz, now()).unwrap();
        assert_eq!(t.direction, Direction::Out);
        let t = parse(&with("content", json!("x".repeat(5000))), tz, now()).unwrap();
        assert_eq!(t.content.len(), MAX_CONTENT);
        let t = parse(&with("transactionDate", Value::Null), tz, now()).unwrap();
        assert_eq!(t.transferred_at, now(), "a missing date is the time of receipt");
    }
}
