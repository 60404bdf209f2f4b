//! The check of a Vietnamese mobile number before it is sent, for every
//! form that takes a phone (the server has the final word and stores it as
//! E.164).

/// Mobile prefixes after the country code (`3x`, `5x`, `7x`, `8x`, `9x`).
const MOBILE_FIRST_DIGITS: &[u8] = b"35789";

/// Checks a phone typed as `0901234567`, `+84901234567` or `84901234567`
/// (spaces, dots and dashes allowed); returns why it is refused.
pub fn check_phone(text: &str) -> Result<(), &'static str> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    if compact.is_empty() {
        return Err("Enter the customer's phone");
    }
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Use digits only, like 0901234567 or +84901234567");
    }
    let national = if let Some(rest) = digits.strip_prefix("84").filter(|rest| rest.len() == 9) {
        rest
    } else if compact.starts_with('+') {
        return Err("Only Vietnamese numbers (+84 and 9 digits)");
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else {
        return Err("Start with 0 or +84, like 0901234567");
    };
    if national.len() != 9 {
        return Err("A mobile number has 10 digits, like 0901234567");
    }
    if !MOBILE_FIRST_DIGITS.contains(&national.as_bytes()[0]) {
        return Err("Not a Vietnamese mobile number (03x, 05x, 07x, 08x, 09x)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_writings_pass() {
        for phone in ["0901234567", "+84901234567", "84901234567", "090 123 4567", "0387.654.321", "+84 90-123-4567"] {
            assert_eq!(check_phone(phone), Ok(()), "{phone}");
        }
    }

    #[test]
    fn wrong_numbers_are_refused_with_a_reason() {
        assert_eq!(check_phone(""), Err("Enter the customer's phone"));
        assert!(check_phone("09012345").is_err(), "too short");
        assert!(check_phone("090123456789").is_err(), "too long");
        assert!(check_phone("0901abc567").unwrap_err().contains("digits"));
        assert!(check_phone("0201234567").unwrap_err().contains("mobile"));
        assert!(check_phone("+1 202 555 0100").is_err(), "not Vietnamese");
        assert!(check_phone("901234567").is_err(), "no leading 0");
    }
}
