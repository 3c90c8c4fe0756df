//! Turning a classic `fields` map into stored columns and user-field values
//! (`internalizeFields`), and the defaults the entity classes fill in on add
//! (server-behavior.md §7).

use super::entity::{Kind, Storage};
use super::userfield::{self, UfDef};
use super::values;
use crate::php::value::{as_string, elements, intval};
use serde_json::{Map, Value};
use time::UtcOffset;

/// Fields only `params[IMPORT]=Y` makes writable.
const IMPORTABLE: [&str; 4] = [
    "DATE_CREATE",
    "DATE_MODIFY",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
];

/// What a classic write sets.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Prepared {
    /// Stored-form columns.
    pub columns: Map<String, Value>,
    /// User-field values to replace.
    pub uf: Vec<(String, Vec<Value>)>,
    /// Validation messages (joined with `<br />` into the error).
    pub errors: Vec<String>,
    /// A deal's `CONTACT_IDS`: the contacts to bind (replacing the bindings), in order.
    pub contact_ids: Option<Vec<i64>>,
}

/// Internalizes a `fields` map: unknown, read-only and (on update) immutable fields are
/// dropped silently, unparseable dates dropped, money checked against `-?\d+(\.\d+)?`.
pub fn prepare(
    kind: Kind,
    fields: &Map<String, Value>,
    ufs: &[UfDef],
    is_update: bool,
    import: bool,
    offset: UtcOffset,
) -> Prepared {
    let mut out = Prepared::default();
    for (key, v) in fields {
        if let Some(f) = kind.field(key) {
            if f.read_only() && !(import && IMPORTABLE.contains(&f.name)) {
                continue;
            }
            if is_update && f.immutable() {
                continue;
            }
            match f.storage {
                Storage::Multi => {}
                Storage::Ids if kind == Kind::Deal && f.name == "CONTACT_IDS" => {
                    // Deal contacts have a binding table: the list replaces the bindings.
                    let ids = elements(v).into_iter().map(intval).filter(|id| *id > 0);
                    out.contact_ids = Some(ids.collect());
                }
                Storage::Ids => {
                    // Lead CONTACT_IDS / contact COMPANY_IDS: the sandbox keeps only the first
                    // id, in the deprecated single-id column (no binding tables for them).
                    let single = if f.name == "CONTACT_IDS" {
                        "CONTACT_ID"
                    } else {
                        "COMPANY_ID"
                    };
                    let first = elements(v).first().map(|x| intval(x)).unwrap_or(0);
                    if kind
                        .field(single)
                        .is_some_and(|s| s.storage == Storage::Int)
                    {
                        let val = if first > 0 {
                            Value::from(first)
                        } else {
                            Value::Null
                        };
                        out.columns.insert(single.to_string(), val);
                    }
                }
                Storage::Money => {
                    let text = as_string(v).unwrap_or_default();
                    if !text.trim().is_empty() && values::parse_money(&text).is_none() {
                        out.errors.push(format!(
                            "The field \"{}\" contains an invalid value",
                            f.title
                        ));
                        continue;
                    }
                    if let Some(val) = values::internalize(f, v, offset) {
                        out.columns.insert(f.name.to_string(), val);
                    }
                }
                _ => {
                    if let Some(val) = values::internalize(f, v, offset) {
                        out.columns.insert(f.name.to_string(), val);
                    }
                }
            }
        } else if let Some(def) = ufs.iter().find(|u| &u.field_name == key) {
            out.uf.push((
                def.field_name.clone(),
                userfield::internalize(def, v, offset),
            ));
        }
    }
    out
}

/// The stage semantics of a lead status or deal stage: `S` success, `F` failure, `P` in
/// progress (default directories: CONVERTED / WON succeed, JUNK / LOSE fail).
pub fn semantic(kind: Kind, stage: &str) -> &'static str {
    let bare = stage.rsplit(':').next().unwrap_or(stage);
    match (kind, bare) {
        (Kind::Lead, "CONVERTED") | (Kind::Deal, "WON") => "S",
        (Kind::Lead, "JUNK") | (Kind::Deal, "LOSE") => "F",
        _ => "P",
    }
}

fn missing(cols: &Map<String, Value>, key: &str) -> bool {
    match cols.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    }
}

fn set_default(cols: &mut Map<String, Value>, key: &str, v: Value) {
    if missing(cols, key) {
        cols.insert(key.to_string(), v);
    }
}

/// Fills the defaults of an add: users, dates, flags, stage, currency (`CCrmLead::Add` & co).
pub fn defaults(
    kind: Kind,
    cols: &mut Map<String, Value>,
    user_id: i64,
    now: i64,
    offset: UtcOffset,
) {
    set_default(cols, "CREATED_BY_ID", Value::from(user_id));
    set_default(cols, "MODIFY_BY_ID", Value::from(user_id));
    if cols
        .get("ASSIGNED_BY_ID")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        <= 0
    {
        cols.insert("ASSIGNED_BY_ID".into(), Value::from(user_id));
    }
    set_default(cols, "DATE_CREATE", Value::from(now));
    set_default(cols, "DATE_MODIFY", Value::from(now));
    set_default(cols, "OPENED", Value::from("Y"));
    for flag in ["HAS_PHONE", "HAS_EMAIL", "HAS_IMOL"] {
        if kind.field(flag).is_some() {
            cols.insert(flag.into(), Value::from("N"));
        }
    }
    if kind != Kind::Contact {
        // The base currency of a +03:00 (Russian) portal.
        set_default(cols, "CURRENCY_ID", Value::from("RUB"));
    }
    match kind {
        Kind::Lead => {
            set_default(cols, "OPPORTUNITY", serde_json::json!(0.0));
            set_default(cols, "IS_MANUAL_OPPORTUNITY", Value::from("N"));
            set_default(cols, "STATUS_ID", Value::from("NEW"));
            let status = cols
                .get("STATUS_ID")
                .and_then(Value::as_str)
                .unwrap_or("NEW");
            let sem = semantic(kind, status);
            cols.insert("STATUS_SEMANTIC_ID".into(), Value::from(sem));
            if sem != "P" {
                cols.insert("DATE_CLOSED".into(), Value::from(now));
            }
            let bound = ["COMPANY_ID", "CONTACT_ID"]
                .iter()
                .any(|k| cols.get(*k).and_then(Value::as_i64).unwrap_or(0) > 0);
            cols.insert(
                "IS_RETURN_CUSTOMER".into(),
                Value::from(if bound { "Y" } else { "N" }),
            );
            cols.insert("MOVED_BY_ID".into(), Value::from(user_id));
            cols.insert("MOVED_TIME".into(), Value::from(now));
        }
        Kind::Deal => {
            set_default(cols, "OPPORTUNITY", serde_json::json!(0.0));
            set_default(cols, "TAX_VALUE", serde_json::json!(0.0));
            set_default(cols, "IS_MANUAL_OPPORTUNITY", Value::from("N"));
            set_default(cols, "CATEGORY_ID", Value::from(0));
            let category = cols.get("CATEGORY_ID").and_then(Value::as_i64).unwrap_or(0);
            let first_stage = if category > 0 {
                format!("C{category}:NEW")
            } else {
                "NEW".to_string()
            };
            set_default(cols, "STAGE_ID", Value::from(first_stage));
            let stage = cols
                .get("STAGE_ID")
                .and_then(Value::as_str)
                .unwrap_or("NEW");
            let sem = semantic(kind, stage);
            cols.insert("STAGE_SEMANTIC_ID".into(), Value::from(sem));
            cols.insert(
                "CLOSED".into(),
                Value::from(if sem == "P" { "N" } else { "Y" }),
            );
            cols.insert("IS_NEW".into(), Value::from("Y"));
            for flag in ["IS_RECURRING", "IS_RETURN_CUSTOMER", "IS_REPEATED_APPROACH"] {
                set_default(cols, flag, Value::from("N"));
            }
            // BEGINDATE defaults to today and CLOSEDATE to a week later (as recalled from
            // CCrmDeal::Add; the docs are silent).
            let today = time::OffsetDateTime::from_unix_timestamp(now)
                .map(|t| t.to_offset(offset).date())
                .unwrap_or(time::Date::MIN);
            set_default(cols, "BEGINDATE", Value::from(values::ymd(today)));
            let close = today.checked_add(time::Duration::days(7)).unwrap_or(today);
            set_default(cols, "CLOSEDATE", Value::from(values::ymd(close)));
            cols.insert("MOVED_BY_ID".into(), Value::from(user_id));
            cols.insert("MOVED_TIME".into(), Value::from(now));
        }
        Kind::Contact => {
            set_default(cols, "EXPORT", Value::from("Y"));
            if missing(cols, "NAME") && missing(cols, "LAST_NAME") {
                // CCrmContact: with no names, LAST_NAME gets the default title (lang text
                // unverified: the English lang files are not public).
                cols.insert("LAST_NAME".into(), Value::from("Untitled"));
            }
        }
        Kind::Company => {
            set_default(cols, "IS_MY_COMPANY", Value::from("N"));
        }
    }
}

/// The default title given after insert when TITLE was empty (lead "Lead #5", deal
/// "Deal #5", company "Untitled company"; English texts unverified), or `None`.
pub fn default_title(kind: Kind, id: i64) -> Option<String> {
    match kind {
        Kind::Lead => Some(format!("Lead #{id}")),
        Kind::Deal => Some(format!("Deal #{id}")),
        Kind::Company => Some("Untitled company".to_string()),
        Kind::Contact => None,
    }
}

/// True when `cols` leaves TITLE empty.
pub fn title_missing(cols: &Map<String, Value>) -> bool {
    missing(cols, "TITLE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn read_only_unknown_and_immutable_fields_are_dropped() {
        let f = map(
            json!({"TITLE": "x", "ID": 9, "DATE_CREATE": "2020-01-01", "NOPE": 1, "CATEGORY_ID": 3}),
        );
        let add = prepare(Kind::Deal, &f, &[], false, false, UtcOffset::UTC);
        assert_eq!(add.columns, map(json!({"TITLE": "x", "CATEGORY_ID": 3})));
        let upd = prepare(Kind::Deal, &f, &[], true, false, UtcOffset::UTC);
        assert_eq!(upd.columns, map(json!({"TITLE": "x"})));
        let import = prepare(Kind::Deal, &f, &[], false, true, UtcOffset::UTC);
        assert!(import.columns.contains_key("DATE_CREATE"));
    }

    #[test]
    fn bad_money_is_an_error_and_bad_dates_are_dropped() {
        let f = map(json!({"OPPORTUNITY": "12abc", "BIRTHDATE": "someday"}));
        let p = prepare(Kind::Lead, &f, &[], false, false, UtcOffset::UTC);
        assert_eq!(p.errors.len(), 1);
        assert!(p.columns.is_empty());
    }

    #[test]
    fn lead_defaults_follow_the_entity_class() {
        let mut cols = Map::new();
        defaults(Kind::Lead, &mut cols, 7, 1000, UtcOffset::UTC);
        assert_eq!(cols["ASSIGNED_BY_ID"], json!(7));
        assert_eq!(cols["STATUS_ID"], json!("NEW"));
        assert_eq!(cols["STATUS_SEMANTIC_ID"], json!("P"));
        assert_eq!(cols["DATE_CREATE"], json!(1000));
        assert!(title_missing(&cols));
    }
}
