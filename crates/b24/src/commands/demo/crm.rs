//! The CRM part of the demo: a lead, phone search, the `filter[PHONE]` trap, a deal in one
//! batch and a list with `select`.

use super::step;
use crate::exit::{CliError, CliResult};
use bitrix24::batch::Batch;
use bitrix24::crm::phone::normalize_for_search;
use bitrix24::crm::types::{Amount, ContactId, LeadId};
use bitrix24::crm::{ContactFields, DealFields, Filter, LeadFields, PhoneType};
use bitrix24::Client;

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
    let id = client.leads().add(fields).await?;
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
    let found = bitrix24::crm::phone::find_by_phone(client, SEARCHED).await?;
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
    let rows = client
        .leads()
        .list()
        .filter(Filter::new().eq("PHONE", phone))
        .select(["ID"])
        .await?;
    Ok(rows.len())
}

/// Creates a contact from the lead and a deal for it, and reads the deal back, all in one
/// HTTP request: later commands of a batch use earlier results through `$result[..]`.
/// Returns the contact, the customer of the order step.
///
/// The deal reaches the lead's person through a contact because a deal's `LEAD_ID` is
/// read-only over REST (only the portal's lead conversion sets it).
pub(super) async fn create_deal(client: &Client, lead: LeadId) -> CliResult<ContactId> {
    let mut batch = Batch::new();
    let contact = batch.push(
        client.contacts().add(
            ContactFields::new()
                .name(NAME)
                .last_name(LAST_NAME)
                .phone(TYPED, PhoneType::Mobile),
        ),
    );
    // The contact's handle stands for its id: the portal fills in `$result[…]` before the
    // deal is added, and the deal is read back by the handle of its own new id.
    let deal = batch.push(
        client.deals().add(
            DealFields::new()
                .title(format!("Order from lead #{lead}"))
                .opportunity(Amount::parse("15000.00")?)
                .currency("RUB")
                .comments(format!("Created for lead #{lead} by b24 demo"))
                .contact(&contact),
        ),
    );
    let read = batch.push(client.deals().get(&deal));
    let results = client.batch(batch).await?;
    let contact_id = results.get(&contact)?;
    let deal_id = results.get(&deal)?;
    let deal = results.get(&read)?;
    let shown = |v: Option<String>| v.unwrap_or_default();
    step(
        6,
        &format!(
            "One batch request: created contact #{contact_id} from the lead, then deal #{deal_id} \"{}\"\n\
             for {} {} with that contact (CONTACT_ID {}), and read the deal back.",
            shown(deal.title.clone()),
            shown(deal.opportunity.map(|a| a.to_string())),
            shown(deal.currency_id.clone()),
            shown(deal.contact_id.map(|c| c.to_string())),
        ),
    );
    if deal.contact_id != Some(contact_id) {
        return Err(CliError::Other(
            "the deal is not linked to the new contact".into(),
        ));
    }
    Ok(contact_id)
}

/// Lists the leads with three fields only.
pub(super) async fn list_leads(client: &Client) -> CliResult {
    let rows = client
        .leads()
        .list()
        .select(["ID", "NAME", "LAST_NAME"])
        .await?;
    let mut table = String::from("crm.lead.list with select ID,NAME,LAST_NAME:\n");
    table.push_str(&format!("  {:<4} {:<10} {}\n", "ID", "NAME", "LAST_NAME"));
    for lead in &rows {
        table.push_str(&format!(
            "  {:<4} {:<10} {}\n",
            lead.id.map(|i| i.to_string()).unwrap_or_default(),
            lead.name.as_deref().unwrap_or(""),
            lead.last_name.as_deref().unwrap_or("")
        ));
    }
    table.push_str(
        "Each row decodes into a typed Lead with only those fields set: select keeps\n\
         answers small (a full lead has ~50 fields).",
    );
    step(8, &table);
    // A field outside the select (TITLE, or anything landing in `extra`) means the portal
    // ignored it.
    if rows
        .iter()
        .any(|l| l.title.is_some() || !l.extra.is_empty())
    {
        return Err(CliError::Other(
            "crm.lead.list returned fields outside the select".into(),
        ));
    }
    Ok(())
}
