//! `crm.{lead,deal,contact,company}.{add,get,update,delete,list,fields}`: the classic REST
//! proxies (`CCrmRestProxyBase`, protocol.md §5, server-behavior.md §4, §7).

use super::entity::Kind;
use super::params::{array_param, entity_id, kind_of};
use super::store::{self, Order, Paging, Query, Record, Select, UfSelect};
use super::userfield::{self, UfDef};
use super::{binding, filter, multifield, values, write};
use crate::error::ApiError;
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::is_array;
use serde_json::{json, Map, Value};

/// Method names per kind, in `Kind::ALL` order (the registry wants `&'static str`).
const NAMES: [[&str; 6]; 4] = [
    [
        "crm.lead.add",
        "crm.lead.get",
        "crm.lead.update",
        "crm.lead.delete",
        "crm.lead.list",
        "crm.lead.fields",
    ],
    [
        "crm.deal.add",
        "crm.deal.get",
        "crm.deal.update",
        "crm.deal.delete",
        "crm.deal.list",
        "crm.deal.fields",
    ],
    [
        "crm.contact.add",
        "crm.contact.get",
        "crm.contact.update",
        "crm.contact.delete",
        "crm.contact.list",
        "crm.contact.fields",
    ],
    [
        "crm.company.add",
        "crm.company.get",
        "crm.company.update",
        "crm.company.delete",
        "crm.company.list",
        "crm.company.fields",
    ],
];

/// Registers the classic methods of the four entities.
pub fn register(r: &mut Registry) {
    let handlers: [(Access, crate::methods::Handler); 6] = [
        (Access::Write, add),
        (Access::Read, get),
        (Access::Write, update),
        (Access::Write, delete),
        (Access::Read, list),
        (Access::Read, fields),
    ];
    for names in NAMES {
        for (name, (access, handler)) in names.into_iter().zip(handlers) {
            r.add(name, "crm", access, handler);
        }
    }
}

fn fields_param(call: &Call<'_>) -> Result<Map<String, Value>, ApiError> {
    match array_param(call, "fields") {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(ApiError::crm("The parameter 'fields' must be array.")),
    }
}

fn import_flag(call: &Call<'_>) -> bool {
    array_param(call, "params")
        .and_then(|p| p.get("IMPORT"))
        .is_some_and(|v| values::flag(v) == "Y")
}

fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let input = fields_param(call)?;
    let ufs = userfield::defs(call.db, kind)?;
    let offset = call.portal.config.utc_offset;
    let mut prepared = write::prepare(kind, &input, &ufs, false, import_flag(call), offset);
    prepared.errors.extend(multifield::validate(kind, &input));
    if !prepared.errors.is_empty() {
        return Err(ApiError::core(prepared.errors.join("<br />")));
    }
    let now = call.unix_now();
    write::defaults(
        kind,
        &mut prepared.columns,
        call.caller.user_id,
        now,
        offset,
    );
    let untitled = write::title_missing(&prepared.columns);
    let contacts = (kind == Kind::Deal)
        .then(|| binding::take_deal_contacts(&mut prepared.columns, prepared.contact_ids.take()))
        .flatten();
    let id = store::insert(call.db, kind, &prepared.columns)?;
    if let Some(ids) = contacts {
        binding::store::replace_ids(call.db, id, &ids)?;
    }
    if untitled && kind.field("TITLE").is_some() {
        if let Some(title) = write::default_title(kind, id) {
            store::update(
                call.db,
                kind,
                id,
                &Map::from_iter([("TITLE".into(), json!(title))]),
            )?;
        }
    }
    multifield::merge(call.db, kind, id, &input)?;
    userfield::write(call.db, kind, id, &prepared.uf)?;
    call.raise(
        &format!("ONCRM{}ADD", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    Ok(Output::new(id))
}

fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let id = entity_id(call)?;
    let input = fields_param(call)?;
    let Some(current) = store::get(call.db, kind, id)? else {
        return Err(ApiError::crm(format!("{} is not found", kind.title())));
    };
    let ufs = userfield::defs(call.db, kind)?;
    let offset = call.portal.config.utc_offset;
    let mut prepared = write::prepare(kind, &input, &ufs, true, import_flag(call), offset);
    prepared.errors.extend(multifield::validate(kind, &input));
    if !prepared.errors.is_empty() {
        return Err(ApiError::core(prepared.errors.join("<br />")));
    }
    let now = call.unix_now();
    let user = call.caller.user_id;
    let cols = &mut prepared.columns;
    if !cols.contains_key("DATE_MODIFY") {
        cols.insert("DATE_MODIFY".into(), json!(now));
    }
    if !cols.contains_key("MODIFY_BY_ID") {
        cols.insert("MODIFY_BY_ID".into(), json!(user));
    }
    let stage_key = match kind {
        Kind::Lead => Some("STATUS_ID"),
        Kind::Deal => Some("STAGE_ID"),
        _ => None,
    };
    if let Some(key) = stage_key {
        let new_stage = cols.get(key).and_then(Value::as_str).map(str::to_string);
        if let Some(stage) = new_stage
            .filter(|s| Some(s.as_str()) != current.fields.get(key).and_then(Value::as_str))
        {
            let sem = write::semantic(kind, &stage);
            let sem_key = if kind == Kind::Lead {
                "STATUS_SEMANTIC_ID"
            } else {
                "STAGE_SEMANTIC_ID"
            };
            cols.insert(sem_key.into(), json!(sem));
            cols.insert("MOVED_BY_ID".into(), json!(user));
            cols.insert("MOVED_TIME".into(), json!(now));
            if kind == Kind::Deal {
                cols.insert("CLOSED".into(), json!(if sem == "P" { "N" } else { "Y" }));
            } else if sem != "P" {
                cols.insert("DATE_CLOSED".into(), json!(now));
            }
        }
    }
    let contacts = (kind == Kind::Deal)
        .then(|| binding::take_deal_contacts(cols, prepared.contact_ids.take()))
        .flatten();
    store::update(call.db, kind, id, cols)?;
    if let Some(ids) = contacts {
        binding::store::replace_ids(call.db, id, &ids)?;
    }
    super::productrow::totals::owner_updated(call.db, kind, id)?;
    multifield::merge(call.db, kind, id, &input)?;
    userfield::write(call.db, kind, id, &prepared.uf)?;
    call.raise(
        &format!("ONCRM{}UPDATE", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    Ok(Output::new(true))
}

fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let id = entity_id(call)?;
    if !super::removal::delete(call.db, kind, id)? {
        return Err(ApiError::crm("Not found"));
    }
    call.raise(
        &format!("ONCRM{}DELETE", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    Ok(Output::new(true))
}

fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let id = entity_id(call)?;
    let Some(record) = store::get(call.db, kind, id)? else {
        return Err(ApiError::crm("Not found"));
    };
    let ufs = userfield::defs(call.db, kind)?;
    let all: Vec<&str> = ufs.iter().map(|u| u.field_name.as_str()).collect();
    Ok(Output::new(render(call, kind, &record, &ufs, &all)))
}

/// Prints a record the classic way: standard fields, then user fields (`""` when empty),
/// then the multifield types that have values.
pub fn render(
    call: &Call<'_>,
    kind: Kind,
    rec: &Record,
    ufs: &[UfDef],
    uf_names: &[&str],
) -> Value {
    let offset = call.portal.config.utc_offset;
    let mut out = Map::new();
    for (name, v) in &rec.fields {
        if let Some(f) = kind.field(name) {
            out.insert(name.clone(), values::externalize(f, v, offset));
        }
    }
    for def in ufs
        .iter()
        .filter(|u| uf_names.contains(&u.field_name.as_str()))
    {
        let stored = match rec.uf.get(&def.field_name) {
            Some(Value::Array(list)) => list.as_slice(),
            _ => &[],
        };
        out.insert(
            def.field_name.clone(),
            userfield::externalize(def, stored, offset),
        );
    }
    for (type_id, list) in multifield::externalize(&rec.multi) {
        out.insert(type_id.to_string(), list);
    }
    Value::Object(out)
}

fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let empty = Value::Object(Map::new());
    let order = array_param(call, "order")
        .cloned()
        .unwrap_or_else(|| empty.clone());
    if !is_array(&order) {
        return Err(ApiError::crm("Parameter 'order' must be array."));
    }
    let filter_v = array_param(call, "filter")
        .cloned()
        .unwrap_or_else(|| empty.clone());
    if !is_array(&filter_v) {
        return Err(ApiError::crm("Parameter 'filter' must be array."));
    }
    // A scalar select is treated as no select (all standard fields); the docs are silent.
    let select_v = array_param(call, "select").cloned().unwrap_or(empty);
    let ufs = userfield::defs(call.db, kind)?;
    let mut notes = Vec::new();
    let conds = filter::parse_classic(
        kind,
        &filter_v,
        &ufs,
        call.portal.config.utc_offset,
        &mut notes,
    );
    for n in notes {
        call.note(format!("{}: {n}", call.method));
    }
    let select = Select::classic(kind, &select_v, &ufs);
    let uf_names: Vec<&str> = match &select.uf {
        UfSelect::None => Vec::new(),
        UfSelect::All => ufs.iter().map(|u| u.field_name.as_str()).collect(),
        UfSelect::Named(list) => list.iter().map(String::as_str).collect(),
    };
    let query = Query {
        filter: conds,
        order: Order::classic(kind, &order, &ufs),
        select: select.clone(),
        paging: Paging::from_start(call.start),
    };
    let page = store::list(call.db, kind, &query)?;
    let rows: Vec<Value> = page
        .rows
        .iter()
        .map(|r| render(call, kind, r, &ufs, &uf_names))
        .collect();
    Ok(Output::page(
        Value::Array(rows),
        page.next,
        Some(page.total),
    ))
}

fn fields(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let mut out = Map::new();
    for f in kind.fields() {
        let mut d = json!({
            "type": f.ty,
            "isRequired": f.required(),
            "isReadOnly": f.read_only(),
            "isImmutable": f.immutable(),
            "isMultiple": f.multiple(),
            "isDynamic": false,
            "title": f.title,
        });
        if let Some(dir) = f.status_type {
            d["statusType"] = json!(dir);
        }
        if f.flags & super::entity::DEP != 0 {
            d["isDeprecated"] = json!(true);
        }
        out.insert(f.name.to_string(), d);
    }
    for (name, d) in userfield::describe(call.db, kind)? {
        out.insert(name, d);
    }
    Ok(Output::new(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use crate::auth::{Caller, CallerKind};
    use crate::config::PortalConfig;
    use crate::methods::dispatch::{self, Mode};
    use crate::methods::Effects;
    use crate::state::Portal;
    use serde_json::{json, Map, Value};

    fn call(portal: &Portal, method: &str, params: Value, effects: &mut Effects) -> Value {
        let caller = Caller {
            user_id: 1,
            kind: CallerKind::Webhook { id: 1 },
            scopes: vec!["crm".into()],
            admin: true,
        };
        let spec = crate::methods::registry().get(method).expect("registered");
        let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        let db = portal.db();
        let answer = dispatch::run(portal, &db, &caller, spec, params, effects, Mode::default());
        answer.expect("call succeeds").output.result
    }

    /// protocol.md §5.9: add/update/delete raise ONCRM<ENTITY>ADD/UPDATE/DELETE with
    /// `{"FIELDS": {"ID": id}}`.
    #[test]
    fn writes_raise_entity_events() {
        let portal = Portal::new(PortalConfig::default(), crate::methods::crm::test_db());
        let mut fx = Effects::default();
        let id = call(
            &portal,
            "crm.deal.add",
            json!({"fields": {"TITLE": "x"}}),
            &mut fx,
        );
        call(
            &portal,
            "crm.deal.update",
            json!({"id": id, "fields": {"TITLE": "y"}}),
            &mut fx,
        );
        call(&portal, "crm.deal.delete", json!({"id": id}), &mut fx);
        let names: Vec<&str> = fx.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE"]
        );
        for e in &fx.events {
            assert_eq!(e.data, json!({"FIELDS": {"ID": id}}));
        }
    }

    /// server-behavior.md §4: dropped filter keys leave a note in the sandbox log.
    #[test]
    fn dropped_filter_keys_are_noted() {
        let portal = Portal::new(PortalConfig::default(), crate::methods::crm::test_db());
        let mut fx = Effects::default();
        call(
            &portal,
            "crm.lead.list",
            json!({"filter": {"title": "x"}}),
            &mut fx,
        );
        assert!(
            fx.notes.iter().any(|n| n.contains("'title'")),
            "{:?}",
            fx.notes
        );
    }
}
