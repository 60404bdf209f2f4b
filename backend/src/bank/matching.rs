//! What the content of a transfer says about who paid, as pure functions.
//!
//! - A **transfer code** is `N2` followed by the customer's id, zero-padded
//!   to at least 6 digits (`N2000123` is customer 123). It is shown to the
//!   customer as a QR code, so the content carries it verbatim. It is found
//!   case-insensitively, as a word of its own: the character before `N2`
//!   must not be a letter or a digit (so `TOAN2500000` is not a code), and
//!   the digits run to the next non-digit.
//! - **Phone numbers** are runs of digit groups joined by single spaces, dots
//!   or dashes (`0901234567`, `84901234567`, `+84 901 234 567`,
//!   `0901.234.567`). Whole groups are combined, never split, so a long
//!   reference number is not mistaken for a phone; each combination is
//!   validated by [`crate::customers::phone::normalize`] and must be a
//!   mobile number. Transfer codes are removed first, so their digits never
//!   read as a phone. Phones are deduplicated by their E.164 form.
//!
//! [`decide`] turns what was found into the outcome: a transfer code of an
//! existing customer wins; otherwise one phone links, several make the
//! transfer PENDING, none leaves it UNLINKED.

use phonenumber::country;

/// The prefix of transfer codes.
pub const CODE_PREFIX: &str = "N2";
/// Digits after the prefix, at least (ids are zero-padded to this width).
const CODE_MIN_DIGITS: usize = 6;
/// Digits after the prefix, at most (beyond, it cannot be an id).
const CODE_MAX_DIGITS: usize = 15;
/// Digits of a phone number with its country code, at most (E.164 allows 15,
/// but the mobiles we look for are 9 to 13 digits written any usual way).
const PHONE_MIN_DIGITS: usize = 9;
const PHONE_MAX_DIGITS: usize = 13;

/// The transfer code of a customer: `N2` + the id zero-padded to 6 digits
/// (`123` → `N2000123`).
pub fn transfer_code(customer_id: i64) -> String {
    format!("{CODE_PREFIX}{customer_id:0width$}", width = CODE_MIN_DIGITS)
}

/// The customer id of a transfer code (`n2000123` → 123), or `None` when
/// `code` is not one.
pub fn parse_transfer_code(code: &str) -> Option<i64> {
    let code = code.trim();
    let digits = code.get(..CODE_PREFIX.len()).filter(|p| p.eq_ignore_ascii_case(CODE_PREFIX))?;
    let digits = &code[digits.len()..];
    id_of(digits)
}

fn id_of(digits: &str) -> Option<i64> {
    if !(CODE_MIN_DIGITS..=CODE_MAX_DIGITS).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// What the content of a transfer mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Customer ids of the transfer codes, in order of appearance, distinct.
    pub customer_ids: Vec<i64>,
    /// Valid mobile numbers (E.164), in order of appearance, distinct.
    pub phones: Vec<String>,
}

/// Finds transfer codes and phone numbers in `content`; phones written
/// without a country code are read in `region`.
pub fn scan(content: &str, region: country::Id) -> Found {
    let (customer_ids, rest) = codes(content);
    Found { customer_ids, phones: phones(&rest, region) }
}

/// The codes' ids, and the content with each code blanked out.
fn codes(content: &str) -> (Vec<i64>, String) {
    let mut ids = Vec::new();
    let mut rest = String::with_capacity(content.len());
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < content.len() {
        let tail = &content[i..];
        let starts_code = tail.get(..CODE_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(CODE_PREFIX))
            && !prev.is_some_and(char::is_alphanumeric);
        if starts_code {
            let after = &tail[CODE_PREFIX.len()..];
            let len = after.bytes().take_while(u8::is_ascii_digit).count();
            if let Some(id) = id_of(&after[..len]) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
                rest.push(' ');
                i += CODE_PREFIX.len() + len;
                prev = Some(' ');
                continue;
            }
        }
        let c = tail.chars().next().expect("i is on a char boundary below len");
        rest.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    (ids, rest)
}

/// A run of digit groups: `+84 901 234 567` is `["84", "901", "234", "567"]`
/// with a plus.
struct Run<'a> {
    plus: bool,
    groups: Vec<&'a str>,
}

fn runs(text: &str) -> Vec<Run<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let plus = i > 0 && bytes[i - 1] == b'+';
        let mut groups = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            groups.push(&text[start..i]);
            // One separator followed by a digit continues the run.
            let joins = i + 1 < bytes.len() && matches!(bytes[i], b' ' | b'.' | b'-') && bytes[i + 1].is_ascii_digit();
            if !joins {
                break;
            }
            i += 1;
        }
        out.push(Run { plus, groups });
    }
    out
}

fn phones(text: &str, region: country::Id) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for run in runs(text) {
        let mut start = 0;
        while start < run.groups.len() {
            // The longest combination of whole groups from `start` that is a
            // mobile number.
            let mut taken = None;
            let mut digits = String::new();
            let mut candidates = Vec::new();
            for end in start..run.groups.len() {
                digits.push_str(run.groups[end]);
                if digits.len() > PHONE_MAX_DIGITS {
                    break;
                }
                if digits.len() >= PHONE_MIN_DIGITS {
                    candidates.push((end, digits.clone()));
                }
            }
            for (end, digits) in candidates.into_iter().rev() {
                let raw = if run.plus && start == 0 { format!("+{digits}") } else { digits };
                if let Some(e164) = mobile(&raw, region) {
                    taken = Some((end, e164));
                    break;
                }
            }
            match taken {
                Some((end, e164)) => {
                    if !found.contains(&e164) {
                        found.push(e164);
                    }
                    start = end + 1;
                }
                None => start += 1,
            }
        }
    }
    found
}

/// `raw` in E.164 when it is a valid mobile number.
fn mobile(raw: &str, region: country::Id) -> Option<String> {
    use phonenumber::Type;
    let e164 = crate::customers::phone::normalize(raw, region, "content").ok()?;
    let parsed = phonenumber::parse(None, &e164).ok()?;
    matches!(parsed.number_type(&phonenumber::metadata::DATABASE), Type::Mobile | Type::FixedLineOrMobile)
        .then_some(e164)
}

/// What to do with an incoming transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Link to this customer, found by transfer code.
    ByCode(i64),
    /// Link to the customer with this phone (E.164), creating them if needed.
    ByPhone(String),
    /// A person chooses among these phones (E.164).
    Pending(Vec<String>),
    /// Nothing points to a customer.
    Unlinked,
}

/// Decides from what the content mentions. `code_customers` are the
/// customers (id, E.164 phone) of `found.customer_ids` that exist: a code
/// of an unknown customer counts for nothing.
pub fn decide(found: &Found, code_customers: &[(i64, String)]) -> Decision {
    let mut ids: Vec<&(i64, String)> = Vec::new();
    for c in found.customer_ids.iter().filter_map(|id| code_customers.iter().find(|(cid, _)| cid == id)) {
        if !ids.iter().any(|(id, _)| *id == c.0) {
            ids.push(c);
        }
    }
    match ids.as_slice() {
        [(id, _)] => return Decision::ByCode(*id),
        [] => {}
        several => {
            let mut phones: Vec<String> = Vec::new();
            for p in several.iter().map(|(_, p)| p).chain(&found.phones) {
                if !phones.contains(p) {
                    phones.push(p.clone());
                }
            }
            return Decision::Pending(phones);
        }
    }
    match found.phones.as_slice() {
        [] => Decision::Unlinked,
        [one] => Decision::ByPhone(one.clone()),
        several => Decision::Pending(several.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> country::Id {
        crate::customers::phone::region("VN").unwrap()
    }

    fn phones_in(content: &str) -> Vec<String> {
        scan(content, vn()).phones
    }

    #[test]
    fn a_transfer_code_is_n2_and_the_id_padded_to_six_digits() {
        assert_eq!(transfer_code(123), "N2000123");
        assert_eq!(transfer_code(1), "N2000001");
        assert_eq!(transfer_code(1_234_567), "N21234567");
        for id in [1, 123, 999_999, 1_234_567] {
            assert_eq!(parse_transfer_code(&transfer_code(id)), Some(id));
        }
        assert_eq!(parse_transfer_code(" n2000123 "), Some(123));
        for bad in ["", "N2", "N200012", "N2000000", "N2-000123", "X2000123", "N2000123a", "N2１２３４５６"] {
            assert_eq!(parse_transfer_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_are_found_case_insensitively_as_words_of_their_own() {
        assert_eq!(scan("chuyen tien N2000123", vn()).customer_ids, vec![123]);
        assert_eq!(scan("n2000123 nap vi", vn()).customer_ids, vec![123]);
        assert_eq!(scan("MBVCB.3278907687.N2000042.CT tu", vn()).customer_ids, vec![42]);
        assert_eq!(scan("N2000042chuyen", vn()).customer_ids, vec![42], "letters may follow");
        assert_eq!(scan("Nguyễn N2000042", vn()).customer_ids, vec![42]);
        assert_eq!(scan("N2000001 N2000002 n2000001", vn()).customer_ids, vec![1, 2], "distinct, in order");
        for none in ["THANH TOAN2500000", "IN2000123", "9N2000123", "N2 000123", "N212345", "chuyen tien"] {
            assert!(scan(none, vn()).customer_ids.is_empty(), "{none}");
        }
    }

    #[test]
    fn the_usual_ways_of_writing_a_mobile_are_found_and_normalised() {
        for content in [
            "chuyen tien 0901234567",
            "SDT 84901234567 nap tien",
            "nap vi +84 901 234 567",
            "0901.234.567 ck",
            "0901-234-567",
            "sdt:0901234567,cam on",
            "abc0901234567xyz",
        ] {
            assert_eq!(phones_in(content), vec!["+84901234567"], "{content}");
        }
    }

    #[test]
    fn the_same_phone_written_twice_is_one_candidate_and_two_phones_are_two() {
        assert_eq!(phones_in("0901234567 hoac +84 90 123 4567"), vec!["+84901234567"]);
        assert_eq!(phones_in("0901234567 0912345678"), vec!["+84901234567", "+84912345678"]);
        assert_eq!(phones_in("0901234567-0912345678"), vec!["+84901234567", "+84912345678"]);
    }

    #[test]
    fn numbers_that_are_not_mobiles_are_not_phones() {
        for content in [
            "chuyen tien 2277000",
            "1.000.000 dong",
            "FT23085123456789 ref",
            "ngay 25-03-2023",
            "090123456",
            "09012345678",
            "tk 0123499999",
            "MBVCB.3278907687",
            "",
        ] {
            assert!(phones_in(content).is_empty(), "{content}: {:?}", phones_in(content));
        }
        assert_eq!(phones_in("1.000.000 0901234567"), vec!["+84901234567"], "an amount before a phone");
        assert_eq!(phones_in("0901234567 500000"), vec!["+84901234567"], "an amount after a phone");
    }

    #[test]
    fn the_digits_of_a_transfer_code_never_read_as_a_phone() {
        // Customer 901234567's code: its digits after N2 are a valid mobile
        // written without the leading 0.
        let found = scan("N2901234567 nap tien", vn());
        assert_eq!(found.customer_ids, vec![901_234_567]);
        assert!(found.phones.is_empty(), "{found:?}");
        let found = scan("N20901234567", vn());
        assert_eq!(found.customer_ids, vec![901_234_567]);
        assert!(found.phones.is_empty(), "{found:?}");
    }

    fn found(ids: &[i64], phones: &[&str]) -> Found {
        Found { customer_ids: ids.to_vec(), phones: phones.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn a_code_of_an_existing_customer_wins_over_phones() {
        let f = found(&[7], &["+84901234567", "+84912345678"]);
        assert_eq!(decide(&f, &[(7, "+84933333333".into())]), Decision::ByCode(7));
    }

    #[test]
    fn a_code_of_an_unknown_customer_counts_for_nothing() {
        assert_eq!(decide(&found(&[7], &["+84901234567"]), &[]), Decision::ByPhone("+84901234567".into()));
        assert_eq!(decide(&found(&[7], &[]), &[]), Decision::Unlinked);
    }

    #[test]
    fn several_phones_or_codes_are_pending_and_nothing_is_unlinked() {
        assert_eq!(
            decide(&found(&[], &["+84901234567", "+84912345678"]), &[]),
            Decision::Pending(vec!["+84901234567".into(), "+84912345678".into()])
        );
        let codes = [(1, "+84901234567".to_string()), (2, "+84912345678".to_string())];
        assert_eq!(
            decide(&found(&[1, 2], &["+84901234567"]), &codes),
            Decision::Pending(vec!["+84901234567".into(), "+84912345678".into()])
        );
        assert_eq!(decide(&Found::default(), &[]), Decision::Unlinked);
    }
}
