//! `b24 list ENTITY`: every row of a list, streamed, in a table, JSON, JSON lines or CSV.
//!
//! The query options (`--filter`, `--select`, `--order`) and the entity names are shared with
//! `b24 export` through [`Query`].

use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::output::{cell, columns, csv_line, write_error, Format, Table};
use crate::profile_client::client_for;
use crate::progress;
use bitrix24::list::ListRequest;
use futures::StreamExt;
use serde_json::Value;
use std::io::Write;

/// The list query shared by `list` and `export`.
#[derive(Debug, Clone, clap::Args)]
pub struct Query {
    /// lead, deal, contact, company, or any list method (e.g. crm.status.list).
    pub entity: String,
    /// A condition KEY=VALUE, the key with its operator (>ID=100, STATUS_ID=NEW, %TITLE=shop);
    /// repeat for more.
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Fields to return, comma-separated (ID,NAME,LAST_NAME,PHONE); default: the method's.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
}

impl Query {
    /// The list method of the entity.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a name that is neither a known entity nor a method.
    pub fn method(&self) -> CliResult<String> {
        entity_method(&self.entity)
    }

    /// The filter as (key, value) pairs.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a condition without `=` or with an empty key.
    pub fn filters(&self) -> CliResult<Vec<(String, String)>> {
        self.filter
            .iter()
            .map(|f| match super::call::split_pair(f) {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
                _ => Err(CliError::Usage(format!(
                    "--filter {f:?}: write KEY=VALUE, e.g. --filter '>ID=100' or \
                     --filter STATUS_ID=NEW"
                ))),
            })
            .collect()
    }

    /// The stream request, without an order (keyset paging by ID).
    ///
    /// # Errors
    /// As [`Query::method`] and [`Query::filters`].
    pub fn request(&self) -> CliResult<ListRequest> {
        let mut req = ListRequest::new(self.method()?);
        for (k, v) in self.filters()? {
            req = req.raw_filter(k, v);
        }
        let select: Vec<String> = self.select.iter().map(|s| s.trim().to_string()).collect();
        if !select.is_empty() {
            req = req.raw_select(select);
        }
        Ok(req)
    }
}

/// `lead` → `crm.lead.list`; a dotted name is taken as the method itself.
///
/// # Errors
/// [`CliError::Usage`] for an unknown short name.
pub fn entity_method(entity: &str) -> CliResult<String> {
    let e = entity.trim().to_ascii_lowercase();
    match e.as_str() {
        "lead" | "leads" => Ok("crm.lead.list".into()),
        "deal" | "deals" => Ok("crm.deal.list".into()),
        "contact" | "contacts" => Ok("crm.contact.list".into()),
        "company" | "companies" => Ok("crm.company.list".into()),
        m if m.contains('.') => Ok(entity.trim().to_string()),
        _ => Err(CliError::Usage(format!(
            "unknown entity {entity:?}: use lead, deal, contact, company or a list method such \
             as crm.status.list"
        ))),
    }
}

/// Arguments of `b24 list`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 list lead --select ID,NAME,LAST_NAME --filter STATUS_ID=NEW\n  \
    b24 list deal --filter '>OPPORTUNITY=1000' --order DATE_CREATE:desc --format csv\n  \
    b24 list contact --format jsonl | jq .NAME")]
pub struct ListArgs {
    #[command(flatten)]
    pub query: Query,
    /// Sort FIELD[:asc|desc]; anything but ID ascending pages by offset (slower, and rows
    /// changed meanwhile can repeat or go missing).
    #[arg(long, value_name = "FIELD[:DIR]")]
    pub order: Option<String>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// Rows of a table are sized from this many first rows.
const TABLE_SAMPLE: usize = 50;

/// Runs `b24 list`.
pub async fn run(args: ListArgs, profile: Option<&str>) -> CliResult {
    let mut req = args.query.request()?;
    if let Some(order) = &args.order {
        let (field, dir) = parse_order(order)?;
        req = req.raw_order(field, dir);
    }
    let format = args.format.unwrap_or_else(Format::default_for_stdout);
    let paths = Paths::from_env()?;
    let (client, _) = client_for(&paths, profile).await?;
    let base = client.stats();
    let bar = progress::bar("rows", None);
    let mut rows = req.stream::<Value>(&client);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut printer = Printer::new(format, args.query.select.clone());
    while let Some(row) = rows.next().await {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                printer.finish(&mut out)?;
                bar.finish_and_clear();
                return Err(e.into());
            }
        };
        printer.push(&mut out, row)?;
        bar.inc(1);
        progress::show_requests(&bar, &client, &base);
    }
    printer.finish(&mut out)?;
    out.flush().map_err(write_error)?;
    bar.finish_and_clear();
    Ok(())
}

/// `FIELD`, `FIELD:desc` or `FIELD=DESC`.
fn parse_order(order: &str) -> CliResult<(String, String)> {
    let (field, dir) = match order.split_once([':', '=']) {
        Some((f, d)) => (f.trim(), d.trim().to_ascii_uppercase()),
        None => (order.trim(), "ASC".to_string()),
    };
    if field.is_empty() || !matches!(dir.as_str(), "ASC" | "DESC") {
        return Err(CliError::Usage(format!(
            "--order {order:?}: write FIELD, FIELD:asc or FIELD:desc"
        )));
    }
    Ok((field.to_string(), dir))
}

/// Writes rows as they come in the chosen format.
struct Printer {
    format: Format,
    select: Vec<String>,
    /// Table rows held until the sample is full (to size the columns).
    held: Vec<Value>,
    table: Option<Table>,
    /// CSV columns, fixed by the first row.
    csv: Option<Vec<String>>,
    count: usize,
}

impl Printer {
    fn new(format: Format, select: Vec<String>) -> Self {
        Self {
            format,
            select,
            held: Vec::new(),
            table: None,
            csv: None,
            count: 0,
        }
    }

    fn push(&mut self, out: &mut impl Write, row: Value) -> CliResult {
        self.count += 1;
        match self.format {
            Format::Jsonl => writeln!(out, "{row}").map_err(write_error),
            Format::Json => {
                let sep = if self.count == 1 { "[" } else { "," };
                writeln!(out, "{sep}{row}").map_err(write_error)
            }
            Format::Csv => {
                let cols = self
                    .csv
                    .get_or_insert_with(|| columns(&self.select, Some(&row)))
                    .clone();
                if self.count == 1 {
                    out.write_all(&csv_line(&cols)?).map_err(write_error)?;
                }
                let cells: Vec<String> = cols
                    .iter()
                    .map(|c| cell(row.get(c).unwrap_or(&Value::Null)))
                    .collect();
                out.write_all(&csv_line(&cells)?).map_err(write_error)
            }
            Format::Table => {
                if let Some(t) = &self.table {
                    return writeln!(out, "{}", t.row(&row)).map_err(write_error);
                }
                self.held.push(row);
                if self.held.len() >= TABLE_SAMPLE {
                    self.flush_table(out)?;
                }
                Ok(())
            }
        }
    }

    fn flush_table(&mut self, out: &mut impl Write) -> CliResult {
        let t = Table::new(columns(&self.select, self.held.first()), &self.held);
        writeln!(out, "{}", t.header()).map_err(write_error)?;
        for row in self.held.drain(..) {
            writeln!(out, "{}", t.row(&row)).map_err(write_error)?;
        }
        self.table = Some(t);
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> CliResult {
        match self.format {
            Format::Json if self.count == 0 => writeln!(out, "[]").map_err(write_error),
            Format::Json => writeln!(out, "]").map_err(write_error),
            Format::Table if self.table.is_none() && !self.held.is_empty() => self.flush_table(out),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_orders_parse() {
        assert_eq!(entity_method("Lead").unwrap(), "crm.lead.list");
        assert_eq!(entity_method("crm.status.list").unwrap(), "crm.status.list");
        assert!(matches!(entity_method("leed"), Err(CliError::Usage(_))));
        assert_eq!(
            parse_order("DATE_CREATE:desc").unwrap(),
            ("DATE_CREATE".into(), "DESC".into())
        );
        assert_eq!(parse_order("ID").unwrap(), ("ID".into(), "ASC".into()));
        assert!(parse_order("ID:sideways").is_err());
        assert!(parse_order(":asc").is_err());
    }

    #[test]
    fn json_output_is_one_valid_array() {
        let mut p = Printer::new(Format::Json, vec![]);
        let mut out = Vec::new();
        p.push(&mut out, serde_json::json!({"ID": "1"})).unwrap();
        p.push(&mut out, serde_json::json!({"ID": "2"})).unwrap();
        p.finish(&mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!([{"ID": "1"}, {"ID": "2"}]));
    }
}
