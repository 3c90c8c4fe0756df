//! The CRM part of the demo: a lead, phone search, the `filter[PHONE]` trap, a deal in one
//! batch and a list with `select`.

use super::oauth::text;
use super::step;
use crate::exit::{CliError, CliResult};
use bitrix24::batch::Batch;
use bitrix24::crm::types::{Amount, LeadId};
use bitrix24::crm::{normalize_for_search, ContactFields, DealFields, LeadFields, PhoneType};
use bitrix24::list::ListRequest;
use bitrix24::Client;
use futures::TryStreamExt;
use serde_json::{json, Value};

/// The number as the visitor typed it into the form.
const TYPED: &str = "8 903 227-88-74";
/// The same number as the sales manager searches for it.
const SEARCHED: &str = "+7 903 227 88 74";
const NAME: &str = "Иван";
const LAST_NAME: &str = "Петров";

/// Adds the lead with a Cyrillic name and the phone as typed.
pub(super) async fn create_lead(client: &Client) -> CliResult<LeadId> {
    let fields = LeadFields::new()
        .title("Заявка с сайта")
        .name(NAME)
        .last_name(LAST_NAME)
        .phone(TYPED, PhoneType::Mobile)
        .opened(true);
    let id: LeadId = client
        .call("crm.lead.add", &fields.add_params()?)
        .await?
        .result;
    step(
        3,
        &format!(
            "Created lead #{id} \"{NAME} {LAST_NAME}\" with the phone {TYPED} (stored as typed)."
        ),
    );
    Ok(id)
}

/// Finds the lead by the number written another way, through duplicate search.
pub(super) async fn find_by_phone(client: &Client, lead: LeadId) -> CliResult {
    let found = bitrix24::crm::find_by_phone(client, SEARCHED).await?;
    let ids: Vec<String> = found.leads.iter().map(ToString::to_string).collect();
    step(
        4,
        &format!(
            "Searched {SEARCHED} with crm.duplicate.findbycomm: leads [{}].\n\
             The portal compares normalised codes: \"{TYPED}\" -> {} and \"{SEARCHED}\" -> {}.",
            ids.join(", "),
            normalize_for_search(TYPED),
            normalize_for_search(SEARCHED),
        ),
    );
    if !found.leads.contains(&lead) {
        return Err(CliError::Other(format!(
            "phone search did not find lead #{lead}"
        )));
    }
    Ok(())
}

/// Shows that `filter[PHONE]` is a starts-with match on the stored text.
pub(super) async fn filter_by_phone(client: &Client) -> CliResult {
    let miss = count_with_phone(client, SEARCHED).await?;
    let prefix = "8 903 227";
    let hit = count_with_phone(client, prefix).await?;
    step(
        5,
        &format!(
            "crm.lead.list with filter[PHONE]={SEARCHED}: {miss} leads.\n\
             Why: filter[PHONE] is a starts-with match on the text as stored, with no\n\
             normalisation (\"{TYPED}\" does not start with \"{SEARCHED}\"),\n\
             while filter[PHONE]={prefix} finds {hit}. Search phones with findbycomm."
        ),
    );
    if miss != 0 || hit == 0 {
        return Err(CliError::Other(format!(
            "filter[PHONE] behaved unlike the portal ({miss} for the other format, {hit} for the prefix)"
        )));
    }
    Ok(())
}

async fn count_with_phone(client: &Client, phone: &str) -> CliResult<usize> {
    let params = json!({"filter": {"PHONE": phone}, "select": ["ID"]});
    let rows = client.call_raw("crm.lead.list", &params).await?.result;
    Ok(rows.as_array().map_or(0, Vec::len))
}

/// Creates a contact from the lead and a deal for it, and reads the deal back, all in one
/// HTTP request: later commands of a batch use earlier results through `$result[..]`.
///
/// The deal reaches the lead's person through a contact because a deal's `LEAD_ID` is
/// read-only over REST (only the portal's lead conversion sets it).
pub(super) async fn create_deal(client: &Client, lead: LeadId) -> CliResult {
    let contact = ContactFields::new()
        .name(NAME)
        .last_name(LAST_NAME)
        .phone(TYPED, PhoneType::Mobile);
    let mut batch = Batch::new();
    let contact_id = batch.push::<Value>("contact", "crm.contact.add", &contact.add_params()?);
    let deal = DealFields::new()
        .title(&format!("Order from lead #{lead}"))
        .opportunity(Amount::parse("15000.00")?)
        .currency("RUB")
        .comments(&format!("Created for lead #{lead} by b24 demo"))
        .set(
            "CONTACT_IDS",
            json!([contact_id.reference(&[]).to_string()]),
        );
    let deal_id = batch.push::<Value>("deal", "crm.deal.add", &deal.add_params()?);
    let read = batch.push::<Value>(
        "read",
        "crm.deal.get",
        &json!({"id": deal_id.reference(&[])}),
    );
    let results = client.batch(batch).await?;
    let contact_id = results.get(&contact_id)?;
    let deal = results.get(&read)?;
    step(
        6,
        &format!(
            "One batch request: created contact #{} from the lead, then deal #{} \"{}\"\n\
             for {} {} with that contact (CONTACT_ID {}), and read the deal back.",
            plain(&contact_id),
            text(&deal, "ID"),
            text(&deal, "TITLE"),
            text(&deal, "OPPORTUNITY"),
            text(&deal, "CURRENCY_ID"),
            text(&deal, "CONTACT_ID"),
        ),
    );
    if text(&deal, "CONTACT_ID") != plain(&contact_id) {
        return Err(CliError::Other(
            "the deal is not linked to the new contact".into(),
        ));
    }
    Ok(())
}

/// Lists the leads with three fields only.
pub(super) async fn list_leads(client: &Client) -> CliResult {
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .select(["ID", "NAME", "LAST_NAME"])
        .stream(client)
        .try_collect()
        .await?;
    let mut table = String::from("crm.lead.list with select ID,NAME,LAST_NAME:\n");
    table.push_str(&format!("  {:<4} {:<10} {}\n", "ID", "NAME", "LAST_NAME"));
    for row in &rows {
        table.push_str(&format!(
            "  {:<4} {:<10} {}\n",
            text(row, "ID"),
            text(row, "NAME"),
            text(row, "LAST_NAME")
        ));
    }
    let widest = rows
        .iter()
        .filter_map(Value::as_object)
        .map(|o| o.len())
        .max()
        .unwrap_or(0);
    table.push_str(&format!(
        "Each row holds {widest} fields: select keeps answers small (a full lead has ~50)."
    ));
    step(7, &table);
    Ok(())
}

/// A JSON scalar as text without quotes.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
