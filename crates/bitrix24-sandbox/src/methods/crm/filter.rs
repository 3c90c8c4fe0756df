//! List filters: the parsed condition model, the classic key parser (`!>=TITLE`...) with the
//! portal's quirks (server-behavior.md §4), and the SQL they compile to.

use super::entity::{Field, Kind, Storage};
use super::userfield::UfDef;
use super::values;
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as Sql;
use serde_json::Value;
use time::UtcOffset;

/// A comparison operator after prefix parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` or no prefix.
    Eq,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `@`: IN (array value).
    In,
    /// `%`: substring LIKE, the value escaped.
    Like,
    /// `=%` / `%=`: LIKE with the caller's own pattern.
    Pattern,
}

/// What a condition tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A standard field (a column).
    Field(&'static Field),
    /// A user field (its first stored value) with the storage class of its type.
    Uf {
        /// `UF_CRM_...` name (validated to `A-Z0-9_` when the field was created).
        name: String,
        /// Storage class used to convert the filter value.
        storage: Storage,
    },
}

impl Target {
    fn storage(&self) -> Storage {
        match self {
            Target::Field(f) => f.storage,
            Target::Uf { storage, .. } => *storage,
        }
    }

    /// The SQL expression of the target for rows aliased `t` of `kind`.
    pub fn sql(&self, kind: Kind) -> String {
        match self {
            Target::Field(f) => format!("t.{}", f.name),
            Target::Uf { name, .. } => format!(
                "(SELECT u.value FROM crm_uf_value u WHERE u.entity_type_id = {} \
                 AND u.element_id = t.ID AND u.field_name = '{}' ORDER BY u.seq LIMIT 1)",
                kind.type_id(),
                name.replace('\'', "''")
            ),
        }
    }
}

/// One parsed filter condition; a filter is their conjunction.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// A field comparison. Several `values` are OR'ed (AND'ed when negated), except for IN.
    Compare {
        /// Field tested.
        target: Target,
        /// Operator.
        op: Op,
        /// `!` prefix.
        negate: bool,
        /// `+` prefix: NULL also matches.
        or_null: bool,
        /// Values in stored form (`Null` or `""` means "empty").
        values: Vec<Value>,
    },
    /// `filter[PHONE]` and friends: entities with a multifield of `type_id` whose raw value
    /// is `LIKE pattern` (a left-prefix pattern; `_` stays a wildcard).
    Multi {
        /// `PHONE`, `EMAIL`, `WEB` or `IM`.
        type_id: &'static str,
        /// The LIKE pattern, e.g. `+7903%`.
        pattern: String,
    },
    /// A nested group of `crm.item.list` (`{"0": {"logic": "OR", ...}}`): its conditions
    /// OR'ed when `any`, else AND'ed.
    Group {
        /// `logic: OR`.
        any: bool,
        /// The group's conditions.
        conds: Vec<Cond>,
    },
    /// Deals bound to any of these contacts (`crm.item.list` `filter.contactIds`).
    DealContacts(Vec<i64>),
}

/// Splits a classic filter key into `(negate, or_null, op, field name)`, as
/// `CSqlUtil::GetFilterOperation` does.
pub fn split_key(key: &str) -> (bool, bool, Op, &str) {
    let (negate, k) = match key.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, key),
    };
    let (or_null, k) = match k.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, k),
    };
    // Longer prefixes first, so `>=` is not read as `>` on a field named `=X`.
    const PREFIXES: [(&str, Op); 14] = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=%", Op::Pattern),
        ("%=", Op::Pattern),
        ("*=", Op::Like),
        ("*%", Op::Like),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("@", Op::In),
        ("%", Op::Like),
        ("?", Op::Like),
        ("*", Op::Like),
        ("=", Op::Eq),
        ("", Op::Eq),
    ];
    for (prefix, op) in PREFIXES {
        if let Some(rest) = k.strip_prefix(prefix) {
            return (negate, or_null, op, rest);
        }
    }
    (negate, or_null, Op::Eq, k)
}

/// Parses a classic `filter` (already checked to be an array). Keys the portal drops
/// (unknown fields, `LOGIC`, prefixed multifield keys...) are reported in `notes`.
pub fn parse_classic(
    kind: Kind,
    filter: &Value,
    ufs: &[UfDef],
    offset: UtcOffset,
    notes: &mut Vec<String>,
) -> Vec<Cond> {
    let mut out = Vec::new();
    for (key, value) in entries(filter) {
        if matches!(
            key.as_str(),
            "LOGIC" | "__INNER_FILTER" | "CHECK_PERMISSIONS"
        ) {
            notes.push(format!(
                "filter key '{key}' dropped (classic lists have no OR logic)"
            ));
            continue;
        }
        if kind.has_multifields() {
            if let Some(type_id) = ["PHONE", "EMAIL", "WEB", "IM"]
                .into_iter()
                .find(|t| *t == key)
            {
                // PrepareMultiFieldFilter: first element only, trimmed, `%` removed, then a
                // left-prefix LIKE on the raw stored value (no normalisation).
                let first = if is_array(value) {
                    elements(value).first().copied().cloned()
                } else {
                    Some(value.clone())
                };
                let text = first.as_ref().and_then(as_string).unwrap_or_default();
                let text = text.trim().replace('%', "");
                if !text.is_empty() {
                    out.push(Cond::Multi {
                        type_id,
                        pattern: format!("{text}%"),
                    });
                }
                continue;
            }
        }
        let (negate, or_null, mut op, name) = split_key(&key);
        let target = match (kind.field(name), ufs.iter().find(|u| u.field_name == name)) {
            (Some(f), _) if f.storage.has_column() => Target::Field(f),
            (Some(_), _) => {
                notes.push(format!("filter key '{key}' ignored (no such column)"));
                continue;
            }
            (None, Some(u)) => Target::Uf {
                name: u.field_name.clone(),
                storage: u.storage(),
            },
            (None, None) => {
                notes.push(format!("unknown filter key '{key}' dropped"));
                continue;
            }
        };
        let storage = target.storage();
        let like = matches!(op, Op::Like | Op::Pattern);
        if like
            && (storage.is_numeric()
                || matches!(target, Target::Field(f) if f.like_becomes_equal()))
        {
            op = Op::Eq;
        }
        if matches!(storage, Storage::Date | Storage::DateTime)
            && matches!(op, Op::Like | Op::Pattern | Op::In)
        {
            op = Op::Eq;
        }
        let raw: Vec<&Value> = if is_array(value) {
            elements(value)
        } else {
            vec![value]
        };
        let mut values = Vec::with_capacity(raw.len());
        for v in raw {
            match filter_value(storage, v, offset) {
                Some(v) => values.push(v),
                None => notes.push(format!("filter key '{key}': unreadable value dropped")),
            }
        }
        if values.is_empty() && op != Op::In {
            continue;
        }
        out.push(Cond::Compare {
            target,
            op,
            negate,
            or_null,
            values,
        });
    }
    out
}

/// A filter value in stored form; `None` for an unparseable date.
fn filter_value(storage: Storage, v: &Value, offset: UtcOffset) -> Option<Value> {
    let text = as_string(v).unwrap_or_default();
    Some(match storage {
        Storage::Int => Value::from(intval(v)),
        Storage::Money => serde_json::json!(text.trim().parse::<f64>().unwrap_or(0.0)),
        Storage::DateTime if text.trim().is_empty() => Value::Null,
        Storage::DateTime => Value::from(values::parse_datetime(&text, offset)?),
        Storage::Date if text.trim().is_empty() => Value::Null,
        Storage::Date => Value::String(values::parse_date(&text)?),
        _ => Value::String(text),
    })
}

/// Compiles conditions into a WHERE clause (`1=1` when empty) over rows aliased `t`.
pub fn where_sql(kind: Kind, conds: &[Cond], params: &mut Vec<Sql>) -> String {
    join_sql(kind, conds, false, params)
}

/// The conditions AND'ed (OR'ed when `any`); `1=1` when there are none. Parameters are pushed
/// in the order their `?` appear.
fn join_sql(kind: Kind, conds: &[Cond], any: bool, params: &mut Vec<Sql>) -> String {
    let mut parts = Vec::with_capacity(conds.len());
    for c in conds {
        match c {
            Cond::Group { any, conds } => {
                parts.push(format!("({})", join_sql(kind, conds, *any, params)));
            }
            Cond::DealContacts(ids) => {
                if ids.is_empty() {
                    parts.push("1=2".into());
                } else {
                    let marks = vec!["?"; ids.len()].join(", ");
                    params.extend(ids.iter().map(|id| Sql::Integer(*id)));
                    parts.push(format!(
                        "t.ID IN (SELECT DEAL_ID FROM crm_deal_contact WHERE CONTACT_ID IN ({marks}))"
                    ));
                }
            }
            Cond::Multi { type_id, pattern } => {
                params.push(Sql::Text(pattern.clone()));
                parts.push(format!(
                    "t.ID IN (SELECT element_id FROM crm_fm WHERE entity_type_id = {} \
                     AND type_id = '{type_id}' AND value LIKE ?)",
                    kind.type_id()
                ));
            }
            Cond::Compare {
                target,
                op,
                negate,
                or_null,
                values,
            } => {
                let col = target.sql(kind);
                let mut sql = compare_sql(&col, target.storage(), *op, *negate, values, params);
                if *or_null {
                    sql = format!("({sql} OR {col} IS NULL)");
                }
                parts.push(sql);
            }
        }
    }
    if parts.is_empty() {
        "1=1".into()
    } else {
        parts.join(if any { " OR " } else { " AND " })
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn compare_sql(
    col: &str,
    storage: Storage,
    op: Op,
    negate: bool,
    values: &[Value],
    params: &mut Vec<Sql>,
) -> String {
    if op == Op::In {
        if values.is_empty() {
            return if negate { "1=1".into() } else { "1=2".into() };
        }
        let marks = vec!["?"; values.len()].join(", ");
        params.extend(values.iter().map(values::to_sql));
        let sql = format!("{col} IN ({marks})");
        return if negate {
            format!("({col} IS NULL OR NOT ({sql}))")
        } else {
            sql
        };
    }
    let mut items = Vec::with_capacity(values.len());
    for v in values {
        let item = match op {
            Op::Eq if is_empty_value(v) => {
                if negate {
                    format!("({col} IS NOT NULL AND LENGTH({col}) > 0)")
                } else {
                    format!("({col} IS NULL OR LENGTH({col}) <= 0 OR {col} = '')")
                }
            }
            // Quirk as read: the LIKE branch of PrepareWhere never applies the negation.
            Op::Like => {
                let text = as_string(v).unwrap_or_default();
                params.push(Sql::Text(format!("%{}%", escape_like(&text))));
                format!("{col} LIKE ? ESCAPE '\\'")
            }
            Op::Pattern => {
                params.push(Sql::Text(as_string(v).unwrap_or_default()));
                format!("{col} LIKE ?")
            }
            _ => {
                let sym = match op {
                    Op::Gt => ">",
                    Op::Ge => ">=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    _ => "=",
                };
                params.push(values::to_sql(v));
                let base = format!("{col} {sym} ?");
                // An int compared for equality with 0 also matches NULL (CSqlUtil).
                let zero = storage == Storage::Int && op == Op::Eq && v.as_i64() == Some(0);
                match (negate, zero) {
                    (false, true) => format!("({col} IS NULL OR {base})"),
                    (false, false) => base,
                    (true, true) => format!("({col} IS NOT NULL AND NOT ({base}))"),
                    (true, false) => format!("({col} IS NULL OR NOT ({base}))"),
                }
            }
        };
        items.push(item);
    }
    let negated_join = negate && !matches!(op, Op::Like | Op::Pattern);
    let joined = items.join(if negated_join { " AND " } else { " OR " });
    if items.len() > 1 {
        format!("({joined})")
    } else {
        joined
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_like_get_filter_operation() {
        assert_eq!(split_key("TITLE"), (false, false, Op::Eq, "TITLE"));
        assert_eq!(split_key("!=TITLE"), (true, false, Op::Eq, "TITLE"));
        assert_eq!(split_key(">=ID"), (false, false, Op::Ge, "ID"));
        assert_eq!(split_key("!@ID"), (true, false, Op::In, "ID"));
        assert_eq!(split_key("%=TITLE"), (false, false, Op::Pattern, "TITLE"));
        assert_eq!(split_key("=%TITLE"), (false, false, Op::Pattern, "TITLE"));
        assert_eq!(split_key("!+%TITLE"), (true, true, Op::Like, "TITLE"));
    }

    #[test]
    fn unknown_and_logic_keys_are_dropped_with_a_note() {
        let filter = serde_json::json!({"title": "x", "LOGIC": "OR", "%PHONE": "7", "TITLE": "a"});
        let mut notes = Vec::new();
        let conds = parse_classic(Kind::Lead, &filter, &[], UtcOffset::UTC, &mut notes);
        assert_eq!(conds.len(), 1);
        assert_eq!(notes.len(), 3);
    }

    #[test]
    fn phone_takes_the_first_element_and_strips_percent() {
        let filter = serde_json::json!({"PHONE": {"0": " +7%903 ", "1": "8"}});
        let mut notes = Vec::new();
        let conds = parse_classic(Kind::Lead, &filter, &[], UtcOffset::UTC, &mut notes);
        assert_eq!(
            conds,
            vec![Cond::Multi {
                type_id: "PHONE",
                pattern: "+7903%".into()
            }]
        );
    }
}
