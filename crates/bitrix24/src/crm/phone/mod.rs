//! Phone numbers: the portal's search normalisation, duplicate search and (feature `phone`)
//! E.164 formatting on write.
//!
//! Bitrix24 stores a phone exactly as typed (`+7 (903) 227-88-74`, `8 903 2278874`...). Two
//! lookups exist and they disagree:
//! - `filter[PHONE]` in `crm.*.list` is a raw prefix match on the stored text, with no
//!   normalisation at all: `79032278874` does not find `+7 (903) 227-88-74`;
//! - `crm.duplicate.findbycomm` compares [`normalize_for_search`] codes, so any spelling of the
//!   same number matches. [`find_by_phone`] wraps it.
//!
//! Writing every number in one format ([`PhoneFormat`]) makes both lookups work.

#[cfg(feature = "phone")]
mod e164;
mod search;

#[cfg(feature = "phone")]
pub use e164::{to_e164, Region};
pub use search::{find_by_phone, find_by_phones, PhoneMatches, FINDBYCOMM_MAX_VALUES};

use crate::error::Result;

/// How the field builders write phone numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneFormat {
    /// As given (the portal's own behaviour).
    #[default]
    AsIs,
    /// As E.164 (`+79032278874`), reading numbers without a country code as numbers of the
    /// region. A number that cannot be read fails the builder with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    #[cfg(feature = "phone")]
    E164(Region),
}

impl PhoneFormat {
    /// `raw` written in this format.
    pub fn apply(&self, raw: &str) -> Result<String> {
        match self {
            Self::AsIs => Ok(raw.to_string()),
            #[cfg(feature = "phone")]
            Self::E164(region) => to_e164(raw, *region),
        }
    }
}

/// The code under which the portal indexes and looks up a phone number for duplicate search:
/// `NormalizePhone($v, 1)` from `main/tools.php` followed by the extension cut of
/// `DuplicateCommunicationCriterion::normalizePhone`, step for step:
///
/// 1. a raw value of 10 or more characters starting with `+8` gets its `+` turned into `00`
///    (an international `8x` country code, not the Russian trunk `8`);
/// 2. everything but ASCII digits and `# * , ;` is removed;
/// 3. if 10 or more characters remain: a `80`/`81`/`82` start is kept, else a leading `00` or
///    `011` is removed, else a leading `8` becomes `7`, else one leading `0` is removed;
/// 4. of each `digits[;#]*[digits,]*` group only the first digits are kept, which drops
///    extensions written after `;` or `#`.
///
/// Lengths count characters, as PHP's `mb_strlen` does. The result is empty when the value has
/// no digits or symbols at all; such a value matches nothing.
pub fn normalize_for_search(raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let length = raw.chars().count();
    let prefixed;
    let number = match raw.strip_prefix("+8") {
        Some(rest) if length >= 10 => {
            prefixed = format!("008{rest}");
            prefixed.as_str()
        }
        _ => raw,
    };
    let stripped: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '#' | '*' | ',' | ';'))
        .collect();
    let normalized =
        if stripped.len() < 10 || ["80", "81", "82"].iter().any(|p| stripped.starts_with(p)) {
            stripped
        } else if let Some(rest) = stripped.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = stripped.strip_prefix("011") {
            rest.to_string()
        } else if let Some(rest) = stripped.strip_prefix('8') {
            format!("7{rest}")
        } else if let Some(rest) = stripped.strip_prefix('0') {
            rest.to_string()
        } else {
            stripped
        };
    drop_extensions(&normalized)
}

/// `preg_replace('/(\d+)([;#]*)([\d,]*)/', '$1', $v)` over an ASCII-only string.
fn drop_extensions(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        out.push(c);
        while let Some(d) = chars.next_if(char::is_ascii_digit) {
            out.push(d);
        }
        while chars.next_if(|c| matches!(c, ';' | '#')).is_some() {}
        while chars.next_if(|c| c.is_ascii_digit() || *c == ',').is_some() {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_for_search as n;

    #[test]
    fn server_behavior_examples() {
        assert_eq!(n("+7 (999) 123-45-67"), "79991234567");
        assert_eq!(n("8 999 123 45 67"), "79991234567");
        assert_eq!(n("+1-202-555-0100"), "12025550100");
        assert_eq!(n("8 903 227-88-74"), "79032278874");
    }

    #[test]
    fn plus_eight_is_an_international_prefix() {
        assert_eq!(n("+8 800 555 35 35"), "88005553535");
        assert_eq!(n("8 800 555 35 35"), "78005553535");
        assert_eq!(n("+81 3 1234 5678"), "81312345678");
        // Under ten characters the rule does not apply: the `+` is just stripped.
        assert_eq!(n("+8 12345"), "812345");
    }

    #[test]
    fn exit_codes_trunk_zero_and_eighty_prefixes() {
        assert_eq!(n("00 49 30 1234567"), "49301234567");
        assert_eq!(n("011 44 20 7946 0958"), "442079460958");
        assert_eq!(n("0 30 1234 5678"), "3012345678");
        assert_eq!(n("80 12 345 67 89"), "80123456789");
        assert_eq!(n("83 12 345 67 89"), "73123456789");
    }

    #[test]
    fn extensions_are_cut_and_short_numbers_kept() {
        assert_eq!(n("+7 999 123-45-67;123"), "79991234567");
        assert_eq!(n("+7 999 123-45-67 #45"), "79991234567");
        assert_eq!(n("+7 999 123-45-67,,12"), "79991234567");
        // Words are not extension markers: the digits run together.
        assert_eq!(n("+7 999 123 45 67 ext. 12"), "7999123456712");
        assert_eq!(n("123;456*789;0"), "123*789");
        assert_eq!(n("0123"), "0123");
        assert_eq!(n("112"), "112");
        assert_eq!(n("0123;45678"), "123");
    }

    #[test]
    fn values_without_digits_have_no_code() {
        assert_eq!(n(""), "");
        assert_eq!(n("abc"), "");
        assert_eq!(n("*#"), "*#");
        // Full-width digits are not ASCII digits; they count for the length and are stripped.
        assert_eq!(n("８999１２３4567"), "9994567");
    }
}
