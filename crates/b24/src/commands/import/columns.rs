//! Which CSV columns an import may write, checked before any row is sent.
//!
//! The portal ignores a field it does not know without a word, so a misspelt column would
//! lose its data on every row: every column is checked first. The core fields every portal
//! has, writable on add, are known here; only a file with another column (a user field
//! `UF_CRM_…`, a field newer than this list) costs a `crm.<entity>.fields` request. Under the
//! standard limits that request is half a second of the rate budget, which a bulk import
//! spends on its rows instead.

use super::csv::field_of;
use crate::exit::{CliError, CliResult};
use bitrix24::Client;
use serde_json::Value;

const LEAD: &[&str] = &[
    "TITLE",
    "HONORIFIC",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "COMPANY_TITLE",
    "BIRTHDATE",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "STATUS_ID",
    "STATUS_DESCRIPTION",
    "POST",
    "COMMENTS",
    "CURRENCY_ID",
    "OPPORTUNITY",
    "OPENED",
    "ASSIGNED_BY_ID",
];

const CONTACT: &[&str] = &[
    "HONORIFIC",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "BIRTHDATE",
    "TYPE_ID",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "POST",
    "COMMENTS",
    "OPENED",
    "EXPORT",
    "ASSIGNED_BY_ID",
];

const COMPANY: &[&str] = &[
    "TITLE",
    "COMPANY_TYPE",
    "INDUSTRY",
    "EMPLOYEES",
    "CURRENCY_ID",
    "REVENUE",
    "OPENED",
    "COMMENTS",
    "ASSIGNED_BY_ID",
];

const DEAL: &[&str] = &[
    "TITLE",
    "TYPE_ID",
    "CATEGORY_ID",
    "STAGE_ID",
    "PROBABILITY",
    "CURRENCY_ID",
    "OPPORTUNITY",
    "COMPANY_ID",
    "CONTACT_ID",
    "BEGINDATE",
    "CLOSEDATE",
    "OPENED",
    "CLOSED",
    "COMMENTS",
    "ASSIGNED_BY_ID",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "ADDITIONAL_INFO",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
];

/// What leads, contacts and companies share: the origin, the multifields, the postal address
/// and the UTM fields.
const SHARED: &[&str] = &[
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "PHONE",
    "EMAIL",
    "WEB",
    "IM",
    "ADDRESS",
    "ADDRESS_2",
    "ADDRESS_CITY",
    "ADDRESS_POSTAL_CODE",
    "ADDRESS_REGION",
    "ADDRESS_PROVINCE",
    "ADDRESS_COUNTRY",
    "ADDRESS_COUNTRY_CODE",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
];

/// The fields every portal has on the entity whose fields method is `fields_method`,
/// writable on add.
fn core_fields(fields_method: &str) -> impl Iterator<Item = &'static str> {
    let (own, shared): (&[&str], &[&str]) = match fields_method {
        "crm.lead.fields" => (LEAD, SHARED),
        "crm.contact.fields" => (CONTACT, SHARED),
        "crm.company.fields" => (COMPANY, SHARED),
        "crm.deal.fields" => (DEAL, &[]),
        _ => (&[], &[]),
    };
    own.iter().chain(shared).copied()
}

fn is_core(fields_method: &str, field: &str) -> bool {
    core_fields(fields_method).any(|core| core == field)
}

/// Refuses a header with a column the entity does not have or cannot write; asks the
/// portal (`fields_method`) only when a column is not a core field.
///
/// # Errors
/// [`CliError::Usage`] naming the column; the client's error if the portal cannot be asked.
pub async fn check(
    client: &Client,
    fields_method: &str,
    header: &[String],
    entity: &str,
) -> CliResult {
    if header
        .iter()
        .all(|h| is_core(fields_method, &field_of(h).0))
    {
        return Ok(());
    }
    let known = client.call_raw(fields_method, &()).await?.result;
    check_against(header, &known, entity)
}

/// Refuses columns that the portal's field descriptions `known` lack or mark read-only.
fn check_against(header: &[String], known: &Value, entity: &str) -> CliResult {
    let Value::Object(fields) = known else {
        return Ok(());
    };
    for h in header {
        let (name, _) = field_of(h);
        match fields.get(&name) {
            None => {
                let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
                names.truncate(30);
                return Err(CliError::Usage(format!(
                    "column {h:?} is not a field of {entity}; fields include: {}",
                    names.join(", ")
                )));
            }
            Some(desc) if desc.get("isReadOnly") == Some(&Value::Bool(true)) => {
                return Err(CliError::Usage(format!(
                    "column {h:?}: {name} is read-only on the portal; remove the column"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitrix24_sandbox::Sandbox;

    const FIELDS_METHODS: [&str; 4] = [
        "crm.lead.fields",
        "crm.contact.fields",
        "crm.company.fields",
        "crm.deal.fields",
    ];

    /// The list is only worth what it agrees with: each core field is in the portal's own
    /// description, writable (the sandbox's field tables follow the portal's docs).
    #[tokio::test]
    async fn every_core_field_is_a_writable_field_of_the_portal() {
        let sandbox = Sandbox::builder().start().await.expect("sandbox");
        let client = Client::from_webhook(&sandbox.webhook_url()).expect("client");
        for method in FIELDS_METHODS {
            let known = client.call_raw(method, &()).await.expect(method).result;
            assert!(core_fields(method).count() > 10, "{method} has a core list");
            for field in core_fields(method) {
                let desc = known
                    .get(field)
                    .unwrap_or_else(|| panic!("{method} has no {field}"));
                assert_ne!(
                    desc.get("isReadOnly"),
                    Some(&Value::Bool(true)),
                    "{method}: {field} is read-only"
                );
            }
        }
    }

    #[tokio::test]
    async fn core_columns_cost_no_request_and_others_are_checked() {
        let sandbox = Sandbox::builder().start().await.expect("sandbox");
        let client = Client::from_webhook(&sandbox.webhook_url()).expect("client");
        let header = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();

        let before = client.stats().requests;
        check(
            &client,
            "crm.lead.fields",
            &header(&["title", "PHONE_MOBILE", "EMAIL"]),
            "lead",
        )
        .await
        .expect("core columns pass");
        assert_eq!(
            client.stats().requests,
            before,
            "no request for core columns"
        );

        let err = check(
            &client,
            "crm.lead.fields",
            &header(&["TITLE", "TITEL"]),
            "lead",
        )
        .await
        .expect_err("a misspelt column");
        assert!(
            err.to_string().contains("\"TITEL\" is not a field of lead"),
            "{err}"
        );
        assert_eq!(client.stats().requests, before + 1, "one fields request");

        let err = check(
            &client,
            "crm.lead.fields",
            &header(&["DATE_CREATE"]),
            "lead",
        )
        .await
        .expect_err("a read-only column");
        assert!(err.to_string().contains("read-only"), "{err}");
    }
}
