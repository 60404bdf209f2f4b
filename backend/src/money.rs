//! Money: integer minor units (`i64`), never a float. In GraphQL it is the
//! `Money` scalar, a decimal string (`"1250000"`, or `"12.50"` for a
//! currency with two decimals): GraphQL's `Int` is 32 bits and overflows on
//! real VND amounts, and a JSON number invites floats.
//!
//! The deployment has one currency; its number of decimals is set once at
//! startup ([`set_decimals`]) from the configuration.

use std::sync::atomic::{AtomicU32, Ordering};

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

static DECIMALS: AtomicU32 = AtomicU32::new(0);

/// Largest amount accepted in one operation: 10^15 minor units (a
/// quadrillion VND); anything larger is a typo or an attack.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// Sets the currency's decimals for formatting and parsing.
pub fn set_decimals(decimals: u32) {
    DECIMALS.store(decimals, Ordering::Relaxed);
}

/// An amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    /// Parses a decimal string with at most `decimals` fraction digits.
    pub fn parse(s: &str, decimals: u32) -> Result<Self, String> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a decimal amount"));
        }
        if frac.len() > decimals as usize {
            return Err(format!("at most {decimals} decimal places are allowed"));
        }
        let scale = 10i64.pow(decimals);
        let too_large = || "amount is too large".to_string();
        let int: i64 = int.parse().map_err(|_| too_large())?;
        let frac_val: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<width$}", width = decimals as usize).parse().map_err(|_| too_large())?
        };
        let minor = int.checked_mul(scale).and_then(|v| v.checked_add(frac_val)).ok_or_else(too_large)?;
        Ok(Money(if neg { -minor } else { minor }))
    }

    /// Formats with exactly `decimals` fraction digits.
    pub fn format(self, decimals: u32) -> String {
        if decimals == 0 {
            return self.0.to_string();
        }
        let scale = 10u64.pow(decimals);
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = decimals as usize)
    }
}

/// A decimal string of the deployment's currency, exact (no floats).
#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Money::parse(&s, DECIMALS.load(Ordering::Relaxed)).map_err(InputValueError::custom),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.format(DECIMALS.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_exactly() {
        assert_eq!(Money::parse("1250000", 0), Ok(Money(1_250_000)));
        assert_eq!(Money::parse("12.5", 2), Ok(Money(1250)));
        assert_eq!(Money::parse("-0.01", 2), Ok(Money(-1)));
        assert_eq!(Money(1250).format(2), "12.50");
        assert_eq!(Money(-1).format(2), "-0.01");
        assert_eq!(Money(1_250_000).format(0), "1250000");
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        for bad in ["", "abc", "1e6", "1.5", "1,000", "99999999999999999999", " . "] {
            assert!(Money::parse(bad, 0).is_err(), "{bad}");
        }
        assert!(Money::parse("1.234", 2).is_err());
    }
}
