//! `b24 call METHOD [key=value ...] [--json '{...}']`: any REST method.

use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::output::print_json;
use crate::profile_client::client_for;
use serde_json::{Map, Value};

/// Arguments of `b24 call`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 call crm.lead.get id=42\n  \
    b24 call crm.lead.list 'filter.>ID=100' select[]=ID select[]=TITLE\n  \
    b24 call crm.lead.add fields.TITLE='New lead' fields.PHONE.0.VALUE='+7 903 227 88 74'\n  \
    b24 call crm.lead.list --json '{\"filter\": {\"STATUS_ID\": \"NEW\"}}'\n\n\
    Keys nest with dots (filter.>ID=5 is filter[>ID]=5); a key ending with [] adds to a list.")]
pub struct CallArgs {
    /// The method, e.g. crm.lead.get.
    pub method: String,
    /// Parameters as key=value; dots nest (filter.STATUS_ID=NEW), `key[]=v` appends to a list.
    pub params: Vec<String>,
    /// Parameters as a JSON object; key=value pairs are merged into it.
    #[arg(long)]
    pub json: Option<String>,
    /// Print the whole answer (result, next, total, time), not only `result`.
    #[arg(long)]
    pub full: bool,
}

/// Runs `b24 call`.
pub async fn run(args: CallArgs, profile: Option<&str>) -> CliResult {
    let params = build_params(args.json.as_deref(), &args.params)?;
    let paths = Paths::from_env()?;
    let (client, _) = client_for(&paths, profile).await?;
    let answer = client.call_raw(&args.method, &params).await?;
    if args.full {
        let mut full = Map::new();
        full.insert("result".into(), answer.result);
        if let Some(next) = answer.next {
            full.insert("next".into(), next.into());
        }
        if let Some(total) = answer.total {
            full.insert("total".into(), total.into());
        }
        print_json(&Value::Object(full))
    } else {
        print_json(&answer.result)
    }
}

/// The parameters object of `--json` and the `key=value` pairs.
///
/// # Errors
/// [`CliError::Usage`] for invalid JSON, a pair without `=`, an empty key part, or a key used
/// both as a value and as an object.
pub fn build_params(json: Option<&str>, pairs: &[String]) -> CliResult<Value> {
    let mut root = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(CliError::Usage("--json must be a JSON object".into())),
            Err(e) => return Err(CliError::Usage(format!("--json is not valid JSON: {e}"))),
        },
    };
    for pair in pairs {
        let Some((key, value)) = split_pair(pair) else {
            return Err(CliError::Usage(format!(
                "parameter {pair:?} has no '=': write key=value, e.g. id=42"
            )));
        };
        insert(&mut root, key, Value::String(value.to_string()))
            .map_err(|why| CliError::Usage(format!("parameter {key:?}: {why}")))?;
    }
    Ok(Value::Object(root))
}

/// Splits `key=value` at the `=` that ends the key, skipping the filter operators at the
/// start of the key's last part (`=ID=5`, `>=DATE=..`, `filter.!=STATUS_ID=NEW`).
pub fn split_pair(pair: &str) -> Option<(&str, &str)> {
    const OPERATORS: &[char] = &['=', '!', '<', '>', '%', '@', '*'];
    let mut part_start = 0;
    for (i, c) in pair.char_indices() {
        match c {
            '.' => part_start = i + 1,
            '=' => {
                let part = pair.get(part_start..i).unwrap_or_default();
                if part.chars().any(|c| !OPERATORS.contains(&c)) {
                    return Some((pair.get(..i)?, pair.get(i + 1..)?));
                }
            }
            _ => {}
        }
    }
    None
}

/// Puts `value` at the dotted `key` (`a.b.c`, `a.b[]`).
fn insert(root: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), String> {
    let (path, append) = match key.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (key, false),
    };
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("empty key part (check the dots)".into());
    }
    let Some((last, parents)) = parts.split_last() else {
        return Err("empty key".into());
    };
    let mut map = root;
    for part in parents {
        let slot = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        map = match slot {
            Value::Object(m) => m,
            _ => return Err(format!("`{part}` is already a value, not an object")),
        };
    }
    if append {
        let slot = map
            .entry(last.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        match slot {
            Value::Array(items) => items.push(value),
            _ => return Err(format!("`{last}` is already a value, not a list")),
        }
    } else {
        if matches!(map.get(*last), Some(Value::Object(_) | Value::Array(_))) {
            return Err(format!("`{last}` already holds nested keys"));
        }
        map.insert(last.to_string(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dotted_keys_nest_and_lists_append() {
        let v = build_params(
            None,
            &pairs(&["filter.>ID=5", "select[]=ID", "select[]=NAME", "id=a=b"]),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"filter": {">ID": "5"}, "select": ["ID", "NAME"], "id": "a=b"})
        );
    }

    #[test]
    fn operators_stay_in_the_key() {
        assert_eq!(split_pair("=ID=5"), Some(("=ID", "5")));
        assert_eq!(
            split_pair("filter.>=DATE=2024-01-01"),
            Some(("filter.>=DATE", "2024-01-01"))
        );
        assert_eq!(
            split_pair("filter.!=STATUS_ID=a=b"),
            Some(("filter.!=STATUS_ID", "a=b"))
        );
        assert_eq!(split_pair("id=x"), Some(("id", "x")));
        assert_eq!(split_pair("=="), None);
    }

    #[test]
    fn pairs_merge_into_json() {
        let v = build_params(
            Some(r#"{"filter":{"STATUS_ID":"NEW"}}"#),
            &pairs(&["filter.>ID=1"]),
        )
        .unwrap();
        assert_eq!(v, json!({"filter": {"STATUS_ID": "NEW", ">ID": "1"}}));
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        for bad in [
            &["noequals"][..],
            &["a..b=1"],
            &["a=1", "a.b=2"],
            &["a.b=1", "a=2"],
        ] {
            let e = build_params(None, &pairs(bad)).unwrap_err();
            assert!(matches!(e, CliError::Usage(_)), "{bad:?}: {e}");
        }
        assert!(matches!(
            build_params(Some("[1]"), &[]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            build_params(Some("{"), &[]),
            Err(CliError::Usage(_))
        ));
    }
}
