//! Field names of `crm.item.*`: the camelCase spelling of each classic field, and the typed
//! values items carry (integers as JSON ints, unlike the classic strings).

use crate::methods::crm::entity::{Field, Kind, Storage};
use crate::methods::crm::values;
use serde_json::{json, Value};
use time::UtcOffset;

/// Classic names whose item name is not their plain camelCase form (`Item::FIELD_NAME_*`).
const RENAMED: [(&str, &str); 6] = [
    ("DATE_CREATE", "createdTime"),
    ("DATE_MODIFY", "updatedTime"),
    ("CREATED_BY_ID", "createdBy"),
    ("MODIFY_BY_ID", "updatedBy"),
    ("MOVED_BY_ID", "movedBy"),
    ("ASSIGNED_BY_ID", "assignedById"),
];

/// The camelCase name of a classic upper-case field: `STAGE_ID` → `stageId`.
pub fn camel(upper: &str) -> String {
    if let Some((_, c)) = RENAMED.iter().find(|(u, _)| *u == upper) {
        return (*c).to_string();
    }
    let mut out = String::with_capacity(upper.len());
    for (i, part) in upper.split('_').filter(|p| !p.is_empty()).enumerate() {
        let lower = part.to_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(c) = chars.next() {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// The item name of a user field: `UF_CRM_1721244707107` → `ufCrm_1721244707107`,
/// `UF_CRM_COLOR` → `ufCrmColor`.
pub fn uf_camel(upper: &str) -> String {
    match upper.strip_prefix("UF_CRM_") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("ufCrm_{rest}"),
        Some(rest) => format!("ufCrm{}", camel_tail(rest)),
        None => camel(upper),
    }
}

fn camel_tail(rest: &str) -> String {
    let c = camel(rest);
    let mut chars = c.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The standard field an item name refers to (exact, case-sensitive).
pub fn field_of(kind: Kind, name: &str) -> Option<&'static Field> {
    kind.fields()
        .iter()
        .find(|f| f.storage.has_column() && camel(f.name) == name)
}

/// A stored value as an item prints it.
pub fn item_value(field: &Field, v: &Value, offset: UtcOffset) -> Value {
    match (field.storage, v) {
        (_, Value::Null) => Value::Null,
        (Storage::Int, v) => json!(v.as_i64().unwrap_or(0)),
        (Storage::Money, v) => json!(v.as_f64().unwrap_or(0.0)),
        (Storage::DateTime | Storage::Date, _) => values::externalize(field, v, offset),
        (_, v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_names() {
        assert_eq!(camel("TITLE"), "title");
        assert_eq!(camel("STAGE_ID"), "stageId");
        assert_eq!(camel("IS_MANUAL_OPPORTUNITY"), "isManualOpportunity");
        assert_eq!(camel("DATE_CREATE"), "createdTime");
        assert_eq!(camel("UTM_SOURCE"), "utmSource");
        assert_eq!(uf_camel("UF_CRM_1721244707107"), "ufCrm_1721244707107");
        assert_eq!(uf_camel("UF_CRM_COLOR_CODE"), "ufCrmColorCode");
    }

    #[test]
    fn lookups_are_case_sensitive() {
        assert_eq!(
            field_of(Kind::Deal, "stageId").map(|f| f.name),
            Some("STAGE_ID")
        );
        assert!(field_of(Kind::Deal, "STAGE_ID").is_none());
        assert!(
            field_of(Kind::Lead, "phone").is_none(),
            "multifields have no column"
        );
    }
}
