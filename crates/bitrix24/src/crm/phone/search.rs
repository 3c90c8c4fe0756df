//! Duplicate search by phone through `crm.duplicate.findbycomm`.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::normalize_for_search;
use crate::batch::BatchCommand;
use crate::crm::types::{CompanyId, ContactId, Id, LeadId};
use crate::error::{Error, ErrorKind, Result};
use crate::Client;

/// The most `values` one `crm.duplicate.findbycomm` call processes; the rest are ignored.
pub const FINDBYCOMM_MAX_VALUES: usize = 20;

/// How many entities the portal returns per searched value (per entity type, as this crate
/// searches one type at a time).
const PER_VALUE_CAP: usize = 20;

/// The leads, contacts and companies that have one of the searched numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PhoneMatches {
    /// Matching leads, in ascending id order per call.
    pub leads: Vec<LeadId>,
    /// Matching contacts.
    pub contacts: Vec<ContactId>,
    /// Matching companies.
    pub companies: Vec<CompanyId>,
    /// True when a call returned 20 or more ids of one type: the portal returns at most 20
    /// entities per searched value, so more may exist (search fewer numbers per call, or
    /// narrow with a list filter).
    pub may_be_truncated: bool,
}

impl PhoneMatches {
    /// True when nothing matched.
    pub fn is_empty(&self) -> bool {
        self.leads.is_empty() && self.contacts.is_empty() && self.companies.is_empty()
    }
}

/// Finds the leads, contacts and companies with the phone number `phone`, written in any
/// format: `8 903 227-88-74`, `+7 (903) 227-88-74` and `79032278874` all find the same
/// records, because the portal compares [`normalize_for_search`] codes. An extension after `;`
/// or `#` is ignored.
///
/// One search per entity type (`LEAD`, `CONTACT`, `COMPANY`; searched together, the portal
/// drops the later types from the answer as soon as one type has 20 matches), all three in
/// one `batch` request.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when `phone` has no digits; the errors of
/// [`Client::call`] otherwise.
pub async fn find_by_phone(client: &Client, phone: &str) -> Result<PhoneMatches> {
    find_by_phones(client, [phone]).await
}

/// [`find_by_phone`] for many numbers at once: numbers with the same search code are searched
/// once, and the rest are sent in chunks of [`FINDBYCOMM_MAX_VALUES`] (the portal ignores
/// values past the 20th), every search of up to 16 chunks in one `batch` request. Numbers
/// without digits are skipped.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when no number has digits; the errors of [`Client::call`]
/// otherwise.
pub async fn find_by_phones<S: AsRef<str>>(
    client: &Client,
    phones: impl IntoIterator<Item = S>,
) -> Result<PhoneMatches> {
    let values = searchable(phones)?;
    let chunks: Vec<&[String]> = values.chunks(FINDBYCOMM_MAX_VALUES).collect();
    let commands = chunks.iter().flat_map(|chunk| {
        ENTITY_TYPES.iter().map(move |entity_type| {
            BatchCommand::new(
                METHOD,
                &json!({"type": "PHONE", "values": chunk, "entity_type": entity_type}),
            )
        })
    });
    let results = client.batch_chunked::<Value>(commands).await?;
    let mut found = PhoneMatches::default();
    for (i, result) in results.into_iter().enumerate() {
        let entity_type = ENTITY_TYPES[i % ENTITY_TYPES.len()];
        let result = result?;
        let cut = match entity_type {
            "LEAD" => add_ids(&mut found.leads, result, entity_type)?,
            "CONTACT" => add_ids(&mut found.contacts, result, entity_type)?,
            _ => add_ids(&mut found.companies, result, entity_type)?,
        };
        found.may_be_truncated |= cut;
    }
    Ok(found)
}

const METHOD: &str = "crm.duplicate.findbycomm";
/// The entity types searched, one command each per chunk of values.
const ENTITY_TYPES: [&str; 3] = ["LEAD", "CONTACT", "COMPANY"];

/// Adds the ids of one search's `result`; true when the cap may have cut them.
fn add_ids<M>(into: &mut Vec<Id<M>>, result: Value, entity_type: &str) -> Result<bool> {
    let ids = ids_of(result, entity_type).map_err(|e| e.with_method(METHOD))?;
    let cut = ids.len() >= PER_VALUE_CAP;
    merge(into, ids);
    Ok(cut)
}

/// The raw values to send, one per distinct search code, in input order. The raw value goes on
/// the wire because the portal's normalisation is not idempotent (`00012...` loses one zero
/// per pass), so sending a code could change what it matches.
fn searchable<S: AsRef<str>>(phones: impl IntoIterator<Item = S>) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut given = 0usize;
    for phone in phones {
        given += 1;
        let raw = phone.as_ref();
        let code = normalize_for_search(raw);
        if code.bytes().any(|b| b.is_ascii_digit()) && seen.insert(code) {
            out.push(raw.to_string());
        }
    }
    if out.is_empty() {
        let what = if given == 0 {
            "no phone number was given".to_string()
        } else {
            "none of the phone numbers has a digit".to_string()
        };
        return Err(Error::new(ErrorKind::InvalidInput, what));
    }
    Ok(out)
}

/// Reads `{"LEAD": [1, 2]}`, or `[]` (PHP's empty array) when nothing matched.
pub(crate) fn ids_of<M>(result: Value, entity_type: &str) -> Result<Vec<Id<M>>> {
    let bad = |what: String| Error::new(ErrorKind::Decode, what);
    let list = match result {
        Value::Array(items) if items.is_empty() => return Ok(Vec::new()),
        Value::Object(mut map) => match map.remove(entity_type) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(bad(format!(
                    "`result.{entity_type}` should be a list of ids, found {other}"
                )))
            }
        },
        other => {
            return Err(bad(format!(
                "`result` should be a map of id lists or [], found {other}"
            )))
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v.clone())
                .map_err(|_| bad(format!("`result.{entity_type}[{i}]` is not an id: {v}")))
        })
        .collect()
}

fn merge<M>(into: &mut Vec<Id<M>>, ids: Vec<Id<M>>) {
    for id in ids {
        if !into.contains(&id) {
            into.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::types::LeadId;

    #[test]
    fn reads_both_result_shapes() {
        let ids: Vec<LeadId> = ids_of(json!({"LEAD": [3, "7"]}), "LEAD").unwrap();
        assert_eq!(ids.iter().map(|i| i.get()).collect::<Vec<_>>(), [3, 7]);
        assert!(ids_of::<()>(json!([]), "LEAD").unwrap().is_empty());
        assert!(ids_of::<()>(json!({"CONTACT": [1]}), "LEAD")
            .unwrap()
            .is_empty());
        assert_eq!(
            ids_of::<()>(json!({"LEAD": ["x"]}), "LEAD")
                .unwrap_err()
                .kind(),
            ErrorKind::Decode
        );
        assert!(ids_of::<()>(json!("LEAD"), "LEAD").is_err());
    }

    #[test]
    fn one_value_per_search_code() {
        let v = searchable(["8 903 227-88-74", "+7 (903) 227 88 74", "abc", "112"]).unwrap();
        assert_eq!(v, ["8 903 227-88-74", "112"]);
        assert_eq!(
            searchable(["abc", ""]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(searchable(Vec::<String>::new()).is_err());
    }
}
