//! Phone numbers: one customer per number, whatever way it was written.
//! `0901234567`, `+84 90 123 4567` and `84901234567` are the same number,
//! stored in E.164 (`+84901234567`). Parsing and validation come from the
//! `phonenumber` crate (a port of Google's libphonenumber).

use phonenumber::{Mode, country};

use crate::error::AppError;

/// The region whose numbers may be written without a country code.
pub fn region(code: &str) -> Option<country::Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// Normalises `raw` to E.164, or explains why it is not a phone number.
/// `field` names the input field in the error.
pub fn normalize(raw: &str, default_region: country::Id, field: &str) -> Result<String, AppError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_input(field, "phone number is required"));
    }
    if trimmed.chars().any(|c| c.is_alphabetic()) || trimmed.len() > 32 {
        return Err(AppError::bad_input(field, "not a phone number"));
    }
    let parsed = phonenumber::parse(Some(default_region), trimmed)
        .map_err(|_| AppError::bad_input(field, "not a phone number"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(AppError::bad_input(field, "not a valid phone number"));
    }
    Ok(parsed.format().mode(Mode::E164).to_string())
}

/// The digits a person would type for this number in its own country
/// (`+84901234567` → `0901234567`), used for search.
pub fn national_digits(e164: &str) -> String {
    match phonenumber::parse(None, e164) {
        Ok(n) => n.format().mode(Mode::National).to_string().chars().filter(char::is_ascii_digit).collect(),
        Err(_) => e164.chars().filter(char::is_ascii_digit).collect(),
    }
}

/// `+84901234567` → `+84*****4567`: what logs may show of a phone.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> country::Id {
        region("vn").unwrap()
    }

    #[test]
    fn the_three_ways_of_writing_a_vietnamese_mobile_are_one_number() {
        for raw in ["0901234567", "+84 90 123 4567", "84901234567", "090-123-4567", "(090) 1234567"] {
            assert_eq!(normalize(raw, vn(), "phone").unwrap(), "+84901234567", "{raw}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(normalize("+1 415 555 2671", vn(), "phone").unwrap(), "+14155552671");
    }

    #[test]
    fn rubbish_is_a_bad_input_naming_the_field() {
        for raw in ["", "abc", "12", "0901", "+84 12", "09012345678901234"] {
            let err = normalize(raw, vn(), "input.phone").unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{raw}");
            assert_eq!(err.field(), Some("input.phone"));
        }
    }

    #[test]
    fn national_digits_are_what_a_person_types() {
        assert_eq!(national_digits("+84901234567"), "0901234567");
    }

    #[test]
    fn masking_keeps_only_the_country_and_last_four_digits() {
        assert_eq!(mask("+84901234567"), "+84*****4567");
    }
}
