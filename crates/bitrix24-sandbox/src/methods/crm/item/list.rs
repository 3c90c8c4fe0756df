//! `crm.item.list`: camelCase filter/order/select validated like the controller's
//! `Validator\Filter` (unknown fields are errors, not silently dropped; nested groups with
//! `logic: OR` under numeric keys), then run on the classic list engine; controller
//! navigation (`start=-1` omits `total` and `next`).

use super::names;
use crate::error::ApiError;
use crate::methods::crm::entity::{Kind, MULTI_TYPES};
use crate::methods::crm::filter::{self, Cond, Op, Target};
use crate::methods::crm::store::{self, Order, Paging, Query, Select, UfSelect};
use crate::methods::crm::userfield::{self, UfDef};
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, entries, intval, is_array};
use serde_json::{json, Value};
use time::UtcOffset;

fn invalid(text: String) -> ApiError {
    ApiError::bad_request("INVALID_ARG_VALUE", text)
}

/// The upper-case name of an item field or user field, if the kind has it.
fn upper_name(kind: Kind, ufs: &[UfDef], name: &str) -> Option<String> {
    if let Some(f) = names::field_of(kind, name) {
        return Some(f.name.to_string());
    }
    ufs.iter()
        .find(|u| u.field_name == name || names::uf_camel(&u.field_name) == name)
        .map(|u| u.field_name.clone())
}

/// The conditions of an item filter group, validated like the controller's
/// `Validator\Filter`: `logic` (`OR` makes the group a disjunction), numeric keys holding
/// nested groups (to any depth), and `{prefix}{field}` keys of the entity's fields; anything
/// else is `INVALID_ARG_VALUE`. Returns the conditions and whether they are OR'ed.
fn group(
    kind: Kind,
    ufs: &[UfDef],
    filter: &Value,
    offset: UtcOffset,
    notes: &mut Vec<String>,
) -> Result<(Vec<Cond>, bool), ApiError> {
    let mut conds = Vec::new();
    let mut any = false;
    for (key, value) in entries(filter) {
        if key.eq_ignore_ascii_case("logic") {
            any = as_string(value).is_some_and(|l| l.trim().eq_ignore_ascii_case("OR"));
            continue;
        }
        if key.parse::<u64>().is_ok() {
            if !is_array(value) {
                return Err(invalid(format!(
                    "Invalid filter: field '{key}' has invalid value"
                )));
            }
            let (inner, inner_any) = group(kind, ufs, value, offset, notes)?;
            conds.push(Cond::Group {
                any: inner_any,
                conds: inner,
            });
            continue;
        }
        let (negate, _, op, name) = filter::split_key(&key);
        if kind == Kind::Deal && name == "contactIds" && !negate && matches!(op, Op::In | Op::Eq) {
            let ids = if is_array(value) {
                elements(value).into_iter().map(intval).collect()
            } else {
                vec![intval(value)]
            };
            conds.push(Cond::DealContacts(ids));
            continue;
        }
        let Some(upper) = upper_name(kind, ufs, name).filter(|_| !name.is_empty()) else {
            return Err(invalid(format!(
                "Invalid filter: field '{name}' is not allowed in filter"
            )));
        };
        if is_array(value) && !matches!(op, Op::In | Op::Eq) {
            return Err(invalid(format!(
                "Invalid filter: field '{name}' has invalid value"
            )));
        }
        let prefix = key.get(..key.len() - name.len()).unwrap_or_default();
        let classic = json!({ format!("{prefix}{upper}"): value });
        conds.extend(filter::parse_classic(kind, &classic, ufs, offset, notes));
    }
    Ok((conds, any))
}

fn orders(kind: Kind, ufs: &[UfDef], order: Option<&Value>) -> Result<Vec<Order>, ApiError> {
    let mut out = Vec::new();
    for (key, dir) in order.map(entries).unwrap_or_default() {
        let Some(upper) = upper_name(kind, ufs, &key) else {
            return Err(invalid(format!(
                "Invalid order: field '{key}' is not allowed"
            )));
        };
        let dir = as_string(dir).unwrap_or_default().to_uppercase();
        if dir != "ASC" && dir != "DESC" {
            return Err(invalid(format!(
                "Invalid order: direction '{dir}' of field '{key}' is not allowed"
            )));
        }
        let target = match kind.field(&upper) {
            Some(f) => Target::Field(f),
            None => match ufs.iter().find(|u| u.field_name == upper) {
                Some(u) => Target::Uf {
                    name: u.field_name.clone(),
                    storage: u.storage(),
                },
                None => continue,
            },
        };
        out.push(Order {
            target,
            asc: dir == "ASC",
        });
    }
    Ok(out)
}

/// `select`: `*` (the default) is every field, `fm` and user fields; names pick fields;
/// unknown names are dropped; `fm` cannot be picked by name.
fn select(kind: Kind, ufs: &[UfDef], select: Option<&Value>) -> (Select, bool) {
    let names: Vec<String> = select
        .map(elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(as_string)
        .collect();
    if names.is_empty() || names.iter().any(|n| n == "*") {
        let mut all = Select::all(kind);
        all.uf = UfSelect::All;
        if kind.has_multifields() {
            all.multi = MULTI_TYPES.to_vec();
        }
        return (all, true);
    }
    let mut out = Select::default();
    let wanted: Vec<String> = names
        .iter()
        .filter_map(|n| upper_name(kind, ufs, n))
        .collect();
    out.fields = kind
        .fields()
        .iter()
        .filter(|f| {
            f.storage.has_column() && (f.name == "ID" || wanted.iter().any(|w| w == f.name))
        })
        .collect();
    let picked: Vec<String> = ufs
        .iter()
        .filter(|u| wanted.contains(&u.field_name))
        .map(|u| u.field_name.clone())
        .collect();
    if names.iter().any(|n| n == "UF_*") {
        out.uf = UfSelect::All;
    } else if !picked.is_empty() {
        out.uf = UfSelect::Named(picked);
    }
    (out, false)
}

/// `crm.item.list`.
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = super::kind_of(call)?;
    let ufs = userfield::defs(call.db, kind)?;
    let mut notes = Vec::new();
    let offset = call.portal.config.utc_offset;
    let conds = match call.param("filter") {
        Some(f) if is_array(f) => match group(kind, &ufs, f, offset, &mut notes)? {
            (conds, true) => vec![Cond::Group { any: true, conds }],
            (conds, false) => conds,
        },
        _ => Vec::new(),
    };
    let order = orders(kind, &ufs, call.param("order").filter(|v| is_array(v)))?;
    let (select, with_fm) = select(kind, &ufs, call.param("select"));
    let start = call.start;
    let paging = Paging::from_start(start);
    let page = store::list(
        call.db,
        kind,
        &Query {
            filter: conds,
            order,
            select,
            paging,
        },
    )?;
    for n in notes {
        call.note(format!("crm.item.list: {n}"));
    }
    // The controller pages exactly: a start past the end is an empty page (no CDBResult
    // fall-back to page 1 as in classic lists).
    let past_end = start > 0 && (start / 50) * 50 >= page.total;
    let items: Vec<Value> = if past_end {
        Vec::new()
    } else {
        page.rows
            .iter()
            .map(|r| super::render(call, kind, r, &ufs, with_fm))
            .collect::<Result<_, _>>()?
    };
    let result = json!({ "items": items });
    if start < 0 {
        return Ok(Output::new(result));
    }
    let next = if past_end { None } else { page.next };
    Ok(Output::page(result, next, Some(page.total)))
}
