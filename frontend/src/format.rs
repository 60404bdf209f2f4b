//! Display helpers. Amounts follow the Vietnamese convention (`1.250.000 ₫`):
//! `.` groups thousands, `,` separates decimals.

/// Groups thousands in integer digits.
const GROUP_SEPARATOR: char = '.';
/// Separates the integer part from the fraction.
const DECIMAL_SEPARATOR: char = ',';

/// Formats a `Money` decimal string as đồng, working on the text only (an
/// amount never goes through a float): `"1250000"` → `"1.250.000 ₫"`,
/// `"-5000.50"` → `"-5.000,5 ₫"`. Text that is not a plain decimal number is
/// shown as it came.
pub fn vnd(amount: &str) -> String {
    match group_decimal(amount.trim()) {
        Some(formatted) => format!("{formatted} ₫"),
        None => amount.to_owned(),
    }
}

/// Formats a count with thousands grouping: `12345` → `"12.345"`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&digits))
}

/// `[-+]digits[.digits]` with the integer part grouped and the fraction's
/// trailing zeros dropped; `None` for anything else.
fn group_decimal(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    let fraction = fraction.trim_end_matches('0');

    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if negative && (integer != "0" || !fraction.is_empty()) {
        out.push('-');
    }
    out.push_str(&group(integer));
    if !fraction.is_empty() {
        out.push(DECIMAL_SEPARATOR);
        out.push_str(fraction);
    }
    Some(out)
}

/// Inserts [`GROUP_SEPARATOR`] every three digits from the right.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(GROUP_SEPARATOR);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_amounts_are_grouped_by_thousands() {
        assert_eq!(vnd("0"), "0 ₫");
        assert_eq!(vnd("999"), "999 ₫");
        assert_eq!(vnd("1000"), "1.000 ₫");
        assert_eq!(vnd("1250000"), "1.250.000 ₫");
        assert_eq!(vnd("123456789012345678901234567890"), "123.456.789.012.345.678.901.234.567.890 ₫");
    }

    #[test]
    fn fractions_keep_their_significant_digits() {
        assert_eq!(vnd("1250000.00"), "1.250.000 ₫");
        assert_eq!(vnd("5000.50"), "5.000,5 ₫");
        assert_eq!(vnd("0.0001"), "0,0001 ₫");
    }

    #[test]
    fn signs_and_leading_zeros() {
        assert_eq!(vnd("-1500000"), "-1.500.000 ₫");
        assert_eq!(vnd("+1500"), "1.500 ₫");
        assert_eq!(vnd("-0.00"), "0 ₫");
        assert_eq!(vnd("000123"), "123 ₫");
        assert_eq!(vnd(" 42 "), "42 ₫");
    }

    #[test]
    fn text_that_is_not_a_decimal_is_shown_as_is() {
        for odd in ["", "-", ".5", "1e6", "12,5", "1.2.3", "abc", "١٢٣"] {
            assert_eq!(vnd(odd), odd);
        }
    }

    #[test]
    fn counts_are_grouped_too() {
        assert_eq!(count(0), "0");
        assert_eq!(count(25), "25");
        assert_eq!(count(12345), "12.345");
        assert_eq!(count(-1234567), "-1.234.567");
    }
}
