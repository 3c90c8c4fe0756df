//! `b24 find-phone NUMBER`: every lead, contact and company with a phone number, whatever
//! format it was stored in (the portal's duplicate index, not `filter[PHONE]`, which is a raw
//! prefix match on the stored text).

use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::output::{cell, print_json, Table};
use crate::profile_client::client_for;
use bitrix24::batch::BatchCommand;
use bitrix24::crm::phone::find_by_phone;
use serde_json::{json, Value};

/// Arguments of `b24 find-phone`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 find-phone '+7 903 227 88 74'\n  \
    b24 find-phone 89032278874 --json\n\n\
    Finds '8 903 227-88-74', '+7 (903) 227 88 74' and '79032278874' alike.")]
pub struct FindPhoneArgs {
    /// The phone number, in any format.
    pub number: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `b24 find-phone`.
pub async fn run(args: FindPhoneArgs, profile: Option<&str>) -> CliResult {
    if !args.number.chars().any(|c| c.is_ascii_digit()) {
        return Err(CliError::Usage(format!(
            "{:?} has no digits: give a phone number, e.g. '+7 903 227 88 74'",
            args.number
        )));
    }
    let paths = Paths::from_env()?;
    let (client, _) = client_for(&paths, profile).await?;
    let found = find_by_phone(&client, &args.number).await?;
    let wanted: Vec<(&str, &str, u64)> = found
        .leads
        .iter()
        .map(|id| ("lead", "crm.lead.get", id.get()))
        .chain(
            found
                .contacts
                .iter()
                .map(|id| ("contact", "crm.contact.get", id.get())),
        )
        .chain(
            found
                .companies
                .iter()
                .map(|id| ("company", "crm.company.get", id.get())),
        )
        .collect();
    let commands = wanted
        .iter()
        .map(|(_, method, id)| BatchCommand::new(*method, &json!({ "id": id })));
    let records = client.batch_chunked::<Value>(commands).await?;
    let rows: Vec<Value> = wanted
        .iter()
        .zip(records)
        .map(|((kind, _, id), record)| {
            // An entity deleted between the search and the read still shows with its id.
            let record = record.unwrap_or(Value::Null);
            json!({
                "TYPE": kind,
                "ID": id,
                "NAME": name_of(&record),
                "PHONE": cell(record.get("PHONE").unwrap_or(&Value::Null)),
            })
        })
        .collect();
    if args.json {
        return print_json(&json!({
            "number": args.number,
            "matches": rows,
            "may_be_truncated": found.may_be_truncated,
        }));
    }
    if rows.is_empty() {
        eprintln!(
            "No lead, contact or company has the number {}.",
            args.number
        );
        return Ok(());
    }
    let cols: Vec<String> = ["TYPE", "ID", "NAME", "PHONE"].map(String::from).into();
    let table = Table::new(cols, &rows);
    println!("{}", table.header());
    for row in &rows {
        println!("{}", table.row(row));
    }
    if found.may_be_truncated {
        eprintln!("The portal returns at most 20 matches per type; there may be more.");
    }
    Ok(())
}

/// A readable name: the person's name, else the title.
fn name_of(record: &Value) -> String {
    let text = |k: &str| {
        record
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let person: Vec<String> = ["NAME", "SECOND_NAME", "LAST_NAME"]
        .iter()
        .map(|k| text(k))
        .filter(|s| !s.is_empty())
        .collect();
    if person.is_empty() {
        text("TITLE")
    } else {
        person.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_prefer_the_person_then_the_title() {
        assert_eq!(
            name_of(&json!({"NAME": "Иван", "LAST_NAME": "Петров", "TITLE": "t"})),
            "Иван Петров"
        );
        assert_eq!(name_of(&json!({"TITLE": "ООО Ромашка"})), "ООО Ромашка");
        assert_eq!(name_of(&Value::Null), "");
    }
}
