//! E.164 formatting with libphonenumber's data (feature `phone`).

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use phonenumber::Mode;

use crate::error::{Error, ErrorKind, Result};

/// A country whose numbering plan reads numbers written without a country code
/// (`"RU".parse::<Region>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(country::Id);

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        s.trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Self)
            .map_err(|_| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("`{s}` is not a two-letter region code like RU or US"),
                )
            })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

/// `raw` as E.164 (`+79032278874`). A number without a country code (`8 903 227-88-74`,
/// `(202) 555-0100`) is read in `default_region`. An extension is kept after `;`, the form
/// the portal's duplicate search cuts off, so stored values still match.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when `raw` is not a valid number there.
pub fn to_e164(raw: &str, default_region: Region) -> Result<String> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("`{raw}` is not a valid phone number (read in region {default_region})"),
        )
    };
    let number = phonenumber::parse(Some(default_region.0), raw).map_err(|_| bad())?;
    if !number.is_valid() {
        return Err(bad());
    }
    let mut out = number.format().mode(Mode::E164).to_string();
    if let Some(ext) = number.extension() {
        let ext: &str = ext.as_ref();
        if !ext.is_empty() {
            out.push(';');
            out.push_str(ext);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::phone::normalize_for_search;

    #[test]
    fn formats_national_and_international_input() {
        let ru: Region = "ru".parse().unwrap();
        assert_eq!(to_e164("8 903 227-88-74", ru).unwrap(), "+79032278874");
        assert_eq!(to_e164("+7 (903) 227-88-74", ru).unwrap(), "+79032278874");
        let us: Region = "US".parse().unwrap();
        assert_eq!(to_e164("(202) 555-0123", us).unwrap(), "+12025550123");
        assert_eq!(to_e164("+44 20 7946 0958", us).unwrap(), "+442079460958");
        assert!(to_e164("12", ru).is_err());
        assert!(to_e164("not a number", ru).is_err());
        assert!("XX1".parse::<Region>().is_err());
    }

    #[test]
    fn e164_values_keep_the_portal_search_code() {
        let ru: Region = "RU".parse().unwrap();
        for raw in ["8 903 227-88-74", "+7 903 2278874"] {
            let e164 = to_e164(raw, ru).unwrap();
            assert_eq!(normalize_for_search(&e164), normalize_for_search(raw));
        }
    }
}
