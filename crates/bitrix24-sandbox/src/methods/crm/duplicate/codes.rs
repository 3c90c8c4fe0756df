//! Match codes: the normalised form under which a phone or e-mail is indexed and looked up
//! (`DuplicateCommunicationCriterion::prepareCodes` / `normalizePhone` and `main/tools.php`
//! `NormalizePhone`). Two values are duplicates exactly when their codes are equal.

/// The communication types `crm.duplicate.findbycomm` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommType {
    /// `PHONE` multifields.
    Phone,
    /// `EMAIL` multifields.
    Email,
}

impl CommType {
    /// The upper-case name used as `TYPE_ID` in `crm_fm` and as `TYPE` in the code table.
    pub fn name(self) -> &'static str {
        match self {
            CommType::Phone => "PHONE",
            CommType::Email => "EMAIL",
        }
    }

    /// Parses an already upper-cased type name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "PHONE" => Some(CommType::Phone),
            "EMAIL" => Some(CommType::Email),
            _ => None,
        }
    }
}

/// The match code of one value, or `None` when the value yields no code (it is then neither
/// indexed nor matchable by its normalised form).
pub fn code(kind: CommType, value: &str) -> Option<String> {
    let code = match kind {
        CommType::Phone => phone_code(value),
        CommType::Email => php_trim(value).to_lowercase(),
    };
    (!code.is_empty()).then_some(code)
}

/// The value a search compares with: the code, or the raw value when it has none
/// (`prepareCode` falls back to its input, which then matches nothing that was indexed).
pub fn lookup_value(kind: CommType, value: &str) -> String {
    code(kind, value).unwrap_or_else(|| value.to_string())
}

/// `DuplicateCommunicationCriterion::normalizePhone`: `NormalizePhone($v, 1)`, falling back to a
/// plain strip, then only the first run of digits of each `digits[;#]*[digits,]*` group is kept,
/// which drops extensions written after `;` or `#` (and anything after a comma).
pub fn phone_code(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let normalized = match normalize_phone(value, 1) {
        Some(n) if !n.is_empty() => n,
        _ => strip_phone(value),
    };
    drop_extensions(&normalized)
}

/// PHP `NormalizePhone($number, $minLength)` from `main/tools.php`, step for step. `None` is the
/// PHP `false` for a too short input.
pub fn normalize_phone(number: &str, min_length: usize) -> Option<String> {
    let length = number.chars().count();
    if min_length == 0 || length < min_length {
        return None;
    }
    // A raw `+8…` is an international prefix written after `+`, not the Russian trunk `8`.
    let number = match number.strip_prefix("+8") {
        Some(rest) if length >= 10 => format!("008{rest}"),
        _ => number.to_string(),
    };
    let stripped = strip_phone(&number);
    if stripped.len() < 10 {
        return Some(stripped);
    }
    let normalized = if ["80", "81", "82"].iter().any(|p| stripped.starts_with(p)) {
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
    Some(normalized)
}

/// `preg_replace("/[^0-9\#\*,;]/i", "", $v)`: keeps ASCII digits and `# * , ;`.
fn strip_phone(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '#' | '*' | ',' | ';'))
        .collect()
}

/// `preg_replace('/(\d+)([;#]*)([\d,]*)/', '$1', $v)` over a stripped (ASCII) phone.
fn drop_extensions(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        out.push_str(value.get(start..i).unwrap_or_default());
        while bytes.get(i).is_some_and(|c| matches!(c, b';' | b'#')) {
            i += 1;
        }
        while bytes
            .get(i)
            .is_some_and(|c| c.is_ascii_digit() || *c == b',')
        {
            i += 1;
        }
    }
    out
}

/// PHP `trim()`: only space, tab, newline, carriage return, NUL and vertical tab.
fn php_trim(value: &str) -> &str {
    value.trim_matches([' ', '\t', '\n', '\r', '\0', '\u{0B}'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(v: &str) -> String {
        phone_code(v)
    }

    #[test]
    fn server_behavior_examples() {
        assert_eq!(phone("+7 (999) 123-45-67"), "79991234567");
        assert_eq!(phone("8 999 123 45 67"), "79991234567");
        assert_eq!(phone("+1-202-555-0100"), "12025550100");
    }

    #[test]
    fn plus_eight_becomes_an_international_prefix() {
        // `+8…` → `008…` → the `00` is dropped, and the trunk-8 rule no longer applies.
        assert_eq!(phone("+8 800 555 35 35"), "88005553535");
        assert_eq!(phone("8 800 555 35 35"), "78005553535");
        assert_eq!(phone("8 (916) 555-35-35"), "79165553535");
        // Japan: +81 keeps its country code.
        assert_eq!(phone("+81 3 1234 5678"), "81312345678");
        // Too short for the rule: the `+` is just stripped.
        assert_eq!(phone("+8 12345"), "812345");
    }

    #[test]
    fn eighty_prefixes_are_kept() {
        assert_eq!(phone("80 12 345 67 89"), "80123456789");
        assert_eq!(phone("81 12 345 67 89"), "81123456789");
        assert_eq!(phone("82 12 345 67 89"), "82123456789");
        assert_eq!(phone("83 12 345 67 89"), "73123456789");
    }

    #[test]
    fn international_exit_codes_are_removed() {
        assert_eq!(phone("00 49 30 1234567"), "49301234567");
        assert_eq!(phone("011 44 20 7946 0958"), "442079460958");
        assert_eq!(phone("0 30 1234 5678"), "3012345678");
    }

    #[test]
    fn extensions_are_cut() {
        assert_eq!(phone("+7 999 123-45-67;123"), "79991234567");
        assert_eq!(phone("+7 999 123-45-67 #45"), "79991234567");
        assert_eq!(phone("+7 999 123-45-67,,12"), "79991234567");
        // Only `;` and `#` mark an extension; words are stripped and the digits run together.
        assert_eq!(phone("+7 999 123 45 67 ext. 12"), "7999123456712");
        // Each digit group keeps its first run: `;` groups after a `*` survive.
        assert_eq!(phone("123;456*789;0"), "123*789");
    }

    #[test]
    fn short_numbers_are_left_alone() {
        assert_eq!(phone("0123"), "0123");
        assert_eq!(phone("8123"), "8123");
        assert_eq!(phone("112"), "112");
        assert_eq!(phone("*123#"), "*123");
        // The length rule counts `;` too: ten characters trigger the leading-zero rule.
        assert_eq!(phone("0123;45678"), "123");
    }

    #[test]
    fn values_without_digits_have_no_code() {
        assert_eq!(code(CommType::Phone, "abc"), None);
        assert_eq!(code(CommType::Phone, ""), None);
        assert_eq!(lookup_value(CommType::Phone, "abc"), "abc");
        // A `#` with no digits before it is not an extension marker and stays.
        assert_eq!(phone("*#"), "*#");
    }

    #[test]
    fn normalize_phone_matches_php_signature() {
        assert_eq!(normalize_phone("123", 10), None);
        assert_eq!(normalize_phone("123", 0), None);
        assert_eq!(
            normalize_phone("8 999 123 45 67", 10).as_deref(),
            Some("79991234567")
        );
        // Non-ASCII characters count once each for the length and are stripped.
        assert_eq!(
            normalize_phone("８999１２３4567", 1).as_deref(),
            Some("9994567")
        );
    }

    #[test]
    fn email_codes_are_trimmed_and_lowercased() {
        assert_eq!(
            code(CommType::Email, "  John@Example.COM\n").as_deref(),
            Some("john@example.com")
        );
        assert_eq!(code(CommType::Email, " \t "), None);
        // PHP trim leaves a non-breaking space in place.
        assert_eq!(
            code(CommType::Email, "\u{a0}a@b.c").as_deref(),
            Some("\u{a0}a@b.c")
        );
    }
}
