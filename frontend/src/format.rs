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

/// An enum value as words: `"IN_PROGRESS"` → `"In progress"`.
pub fn enum_label(value: &str) -> String {
    let mut words = value.split('_').filter(|w| !w.is_empty()).map(str::to_lowercase);
    let mut out = String::with_capacity(value.len());
    if let Some(first) = words.next() {
        let mut chars = first.chars();
        out.extend(chars.next().into_iter().flat_map(char::to_uppercase));
        out.push_str(chars.as_str());
    }
    for word in words {
        out.push(' ');
        out.push_str(&word);
    }
    out
}

/// Reads an amount of đồng typed by a person: digits, optionally grouped
/// with `.`, `,`, spaces or `_` (`"1.250.000"`, `"1 250 000"`). Returns the
/// plain digits for the `Money` scalar, or what is wrong with it. Whole đồng
/// only, more than zero, at most 15 digits.
pub fn parse_amount(text: &str) -> Result<String, &'static str> {
    let text = text.trim().trim_end_matches('₫').trim_end();
    if text.is_empty() {
        return Err("Enter an amount.");
    }
    if text.starts_with('-') {
        return Err("The amount must be more than zero.");
    }
    let mut digits = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '.' | ',' | ' ' | '_' | '\u{a0}' => {}
            _ => return Err("Use digits only, like 150.000."),
        }
    }
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Err("The amount must be more than zero.");
    }
    if digits.len() > 15 {
        return Err("That amount is too large.");
    }
    Ok(digits.to_owned())
}

/// A timestamp from the server (RFC 3339) in the browser's time zone:
/// `21/11/2026 14:05`. Text that is not a date is shown as it came.
pub fn datetime(timestamp: &str) -> String {
    local(timestamp, true)
}

/// The date part only: `21/11/2026`.
pub fn date(timestamp: &str) -> String {
    local(timestamp, false)
}

fn local(timestamp: &str, with_time: bool) -> String {
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(timestamp));
    if at.get_time().is_nan() {
        return timestamp.to_owned();
    }
    let day = format!("{:02}/{:02}/{}", at.get_date(), at.get_month() + 1, at.get_full_year());
    if with_time { format!("{day} {:02}:{:02}", at.get_hours(), at.get_minutes()) } else { day }
}

/// How long ago a timestamp was, roughly: `just now`, `5 min ago`,
/// `3 h ago`, `2 days ago`, then the date.
pub fn ago(timestamp: &str) -> String {
    let at = js_sys::Date::parse(timestamp);
    if at.is_nan() {
        return timestamp.to_owned();
    }
    relative_seconds(((js_sys::Date::now() - at) / 1000.0) as i64).unwrap_or_else(|| date(timestamp))
}

fn relative_seconds(seconds: i64) -> Option<String> {
    Some(match seconds {
        ..60 => "just now".to_owned(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..604_800 => match seconds / 86_400 {
            1 => "yesterday".to_owned(),
            days => format!("{days} days ago"),
        },
        _ => return None,
    })
}

/// A duration in seconds as `2 d 4 h`, `3 h 10 min` or `12 min`.
pub fn duration(seconds: i64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
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

    #[test]
    fn enum_values_read_as_words() {
        assert_eq!(enum_label("IN_PROGRESS"), "In progress");
        assert_eq!(enum_label("BOOM"), "Boom");
        assert_eq!(enum_label(""), "");
    }

    #[test]
    fn typed_amounts_are_read_as_whole_dong() {
        assert_eq!(parse_amount("150000"), Ok("150000".into()));
        assert_eq!(parse_amount(" 1.250.000 ₫"), Ok("1250000".into()));
        assert_eq!(parse_amount("1 250 000"), Ok("1250000".into()));
        assert_eq!(parse_amount("007"), Ok("7".into()));
        assert_eq!(parse_amount(""), Err("Enter an amount."));
        assert_eq!(parse_amount("0"), Err("The amount must be more than zero."));
        assert_eq!(parse_amount("-5000"), Err("The amount must be more than zero."));
        assert_eq!(parse_amount("12k"), Err("Use digits only, like 150.000."));
        assert_eq!(parse_amount("1e6"), Err("Use digits only, like 150.000."));
        assert_eq!(parse_amount("1234567890123456"), Err("That amount is too large."));
    }

    #[test]
    fn relative_times_and_durations() {
        assert_eq!(relative_seconds(5).as_deref(), Some("just now"));
        assert_eq!(relative_seconds(-30).as_deref(), Some("just now"));
        assert_eq!(relative_seconds(150).as_deref(), Some("2 min ago"));
        assert_eq!(relative_seconds(7_200).as_deref(), Some("2 h ago"));
        assert_eq!(relative_seconds(90_000).as_deref(), Some("yesterday"));
        assert_eq!(relative_seconds(3 * 86_400).as_deref(), Some("3 days ago"));
        assert_eq!(relative_seconds(30 * 86_400), None);
        assert_eq!(duration(720), "12 min");
        assert_eq!(duration(11_400), "3 h 10 min");
        assert_eq!(duration(187_200), "2 d 4 h");
    }
}
