//! `batch`: up to 50 commands in one HTTP request (one request against the rate limit).
//!
//! Push [request values](crate::request) (the same values you would `.await`); each push
//! returns a typed [`Handle`], and a handle of an id goes wherever that id is expected, so a
//! later command can use what an earlier one created:
//!
//! ```no_run
//! # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::batch::Batch;
//! use bitrix24::crm::{ContactFields, DealFields};
//! let mut batch = Batch::new();
//! let contact = batch.push(client.contacts().add(ContactFields::new().name("Иван")));
//! let deal = batch.push(client.deals().add(DealFields::new().title("Order 7").contact(&contact)));
//! let results = client.batch(batch).await?;
//! let (contact_id, deal_id) = (results.get(&contact)?, results.get(&deal)?);
//! # let _ = (contact_id, deal_id); Ok(()) }
//! ```
//!
//! Any other method goes in with [`Batch::push_call`], under a key of your choice, and a
//! [`Ref`] points into an earlier command's result:
//!
//! ```no_run
//! # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::batch::Batch;
//! use serde_json::{json, Value};
//! let mut b = Batch::new();
//! let lead = b.push_call::<Value>("lead", "crm.lead.get", &json!({"id": 42}));
//! let user = b.push_call::<Value>("user", "user.get", &json!({"ID": lead.reference(&["ASSIGNED_BY_ID"])}));
//! let results = client.batch(b).await?;
//! let lead: Value = results.get(&lead)?;
//! # let _ = (lead, user); Ok(()) }
//! ```

pub(crate) mod chunked;
pub(crate) mod pipeline;
mod results;
pub(crate) mod window;

pub use chunked::{BatchCommand, CommandParts, IntoBatchCommand};
pub use pipeline::{Pipeline, Ticket, DEFAULT_MAX_IN_FLIGHT};
pub use results::BatchResults;

use crate::decode::{decode_at, serde_decoder, Decoder};
use crate::encode::to_form;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::validate_method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;

/// The most commands the portal runs in one batch.
pub const MAX_COMMANDS: usize = 50;

/// A batch being built. Mistakes (a bad key or method, unencodable parameters, more than 50
/// commands) are kept and reported when the batch is sent, so `push` stays infallible.
#[derive(Debug, Default)]
pub struct Batch {
    commands: Vec<Command>,
    keys: HashSet<String>,
    halt: bool,
    error: Option<Error>,
    /// Pushes so far, for the keys of [`Batch::push`].
    pushed: usize,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) key: String,
    pub(crate) method: String,
    /// `method?query`, the value of `cmd[key]`.
    pub(crate) line: String,
}

impl Batch {
    /// An empty batch; `halt` is off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a call of any method under `key`, whose `result` is decoded as `T` (the raw
    /// form of [`Batch::push`], for methods without a typed request).
    ///
    /// `key` may hold letters, digits, `_`, `-` and `.` (it becomes part of `cmd[key]` and of
    /// `$result[key]` references).
    pub fn push_call<T: DeserializeOwned>(
        &mut self,
        key: &str,
        method: &str,
        params: &(impl Serialize + ?Sized),
    ) -> Handle<T> {
        let command = self.command(key, method, params);
        self.insert(key, command, &[], serde_decoder::<T>)
    }

    /// Adds a command whose parameters are already JSON (or a mistake kept for send time);
    /// `key` `None` takes the next automatic key (`_0`, `_1`...).
    pub(crate) fn push_parts<T>(
        &mut self,
        key: Option<&str>,
        method: &str,
        params: Result<serde_json::Value>,
        path: &'static [&'static str],
        decode: Decoder<T>,
    ) -> Handle<T> {
        let key = match key {
            Some(k) => k.to_string(),
            None => format!("_{}", self.pushed),
        };
        let command = params
            .map_err(|e| e.with_method(method))
            .and_then(|p| self.command(&key, method, &p));
        self.insert(&key, command, path, decode)
    }

    fn insert<T>(
        &mut self,
        key: &str,
        command: Result<Command>,
        path: &'static [&'static str],
        decode: Decoder<T>,
    ) -> Handle<T> {
        self.pushed += 1;
        match command {
            Ok(c) => {
                self.keys.insert(c.key.clone());
                self.commands.push(c);
            }
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e);
                }
            }
        }
        Handle {
            key: key.to_string(),
            path,
            decode,
        }
    }

    fn command(
        &self,
        key: &str,
        method: &str,
        params: &(impl Serialize + ?Sized),
    ) -> Result<Command> {
        let key_ok = !key.is_empty()
            && key.len() <= 100
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !key_ok {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("batch key {key:?}: use letters, digits, '_', '-' or '.'"),
            ));
        }
        if self.keys.contains(key) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("batch key {key:?} is used twice"),
            ));
        }
        validate_method(method)?;
        let query = to_form(params).map_err(|e| e.with_method(method))?;
        let line = if query.is_empty() {
            method.to_string()
        } else {
            format!("{method}?{query}")
        };
        Ok(Command {
            key: key.to_string(),
            method: method.to_string(),
            line,
        })
    }

    /// Stops at the first failing command (`halt=1`); later commands do not run and are
    /// reported as [`ErrorKind::Skipped`].
    pub fn halt(&mut self, yes: bool) -> &mut Self {
        self.halt = yes;
        self
    }

    /// Number of commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True when there is no command.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The mistake kept by [`Batch::push`], if any, or a batch over 50 commands.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.for_each_command());
        }
        if self.commands.len() > MAX_COMMANDS {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "a batch holds at most {MAX_COMMANDS} commands, this one has {}; split it or \
                     use Client::batch_chunked",
                    self.commands.len()
                ),
            )
            .with_method("batch"));
        }
        Ok(())
    }

    /// The command keys with their methods, for the results and the operating-time tracker.
    pub(crate) fn methods(&self) -> serde_json::Map<String, serde_json::Value> {
        self.commands
            .iter()
            .map(|c| (c.key.clone(), serde_json::Value::String(c.method.clone())))
            .collect()
    }

    /// The form body and whether every command only reads.
    pub(crate) fn encode(self) -> Result<(String, bool, bool)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.check()?;
        let read_only = self
            .commands
            .iter()
            .all(|c| crate::retry::is_read_method(&c.method));
        let cmd: serde_json::Map<String, serde_json::Value> = self
            .commands
            .into_iter()
            .map(|c| (c.key, serde_json::Value::String(c.line)))
            .collect();
        let body = to_form(&serde_json::json!({"halt": self.halt, "cmd": cmd}))?;
        Ok((body, read_only, self.halt))
    }
}

/// A typed handle to one command of a [`Batch`]: read its result with
/// [`BatchResults::get`]; a `Handle` of an id (`Handle<ContactId>`) also goes where that id is
/// expected in a later command of the same batch (`DealFields::contact(&handle)`).
pub struct Handle<T> {
    key: String,
    /// Where the value of `T` is inside the command's `result`.
    path: &'static [&'static str],
    decode: Decoder<T>,
}

impl<T> Handle<T> {
    /// The command's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A reference to the value this handle decodes (`$result[key]`, or deeper for requests
    /// that read a part of their result), for a later command of the same batch.
    pub fn value_ref(&self) -> Ref {
        self.path
            .iter()
            .fold(Ref::result(&self.key), |r, p| r.at(p))
    }

    /// Decodes the command's raw `result`; `what` names it in errors.
    pub(crate) fn decode(&self, raw: &serde_json::Value, what: &str) -> Result<T> {
        decode_at(raw, self.path, what, self.decode)
    }

    /// A reference to a value of this command's result for a later command of the same batch,
    /// e.g. `h.reference(&["ID"])` is `$result[key][ID]`; for lists include the row index,
    /// `h.reference(&["0", "ID"])`.
    pub fn reference(&self, path: &[&str]) -> Ref {
        path.iter().fold(Ref::result(&self.key), |r, p| r.at(p))
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            path: self.path,
            decode: self.decode,
        }
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Handle").field(&self.key).finish()
    }
}

/// A `$result[key][...]` reference, replaced by the portal with a value of an earlier
/// command. Used as a parameter value it serializes to its text.
///
/// When the path runs past the existing keys the portal substitutes the deepest value it
/// found (even the whole result), so point references at values that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref(String);

impl Ref {
    /// `$result[key]`.
    pub fn result(key: &str) -> Self {
        Ref(format!("$result[{key}]"))
    }

    /// `$next[key]`: the `next` of an earlier list command.
    pub fn next(key: &str) -> Self {
        Ref(format!("$next[{key}]"))
    }

    /// Appends `[part]`.
    pub fn at(mut self, part: impl fmt::Display) -> Self {
        self.0.push_str(&format!("[{part}]"));
        self
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Ref {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn body_is_double_encoded_with_references() {
        let mut b = Batch::new();
        let h = b.push_call::<Value>("lead", "crm.lead.get", &json!({"id": 5}));
        b.push_call::<Value>(
            "u",
            "user.get",
            &json!({"ID": h.reference(&["ASSIGNED_BY_ID"]), "N": "a&b=c%"}),
        );
        b.halt(true);
        let (body, read_only, halt) = b.encode().unwrap();
        assert!(read_only && halt);
        assert_eq!(
            body,
            "halt=1&cmd[lead]=crm.lead.get?id%3D5\
             &cmd[u]=user.get?ID%3D$result%255Blead%255D%255BASSIGNED_BY_ID%255D%26N%3Da%2526b%253Dc%2525"
        );
        let outer = bitrix24_sandbox_free_parse(&body);
        assert_eq!(
            outer,
            "user.get?ID=$result%5Blead%5D%5BASSIGNED_BY_ID%5D&N=a%26b%3Dc%25"
        );
    }

    /// Decodes `cmd[u]` the way PHP would (one level), without the sandbox crate.
    fn bitrix24_sandbox_free_parse(body: &str) -> String {
        let raw = body.split("cmd[u]=").nth(1).unwrap();
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    #[test]
    fn mistakes_are_reported_at_send_time() {
        let mut b = Batch::new();
        b.push_call::<Value>("a b", "x.get", &());
        assert_eq!(b.encode().unwrap_err().kind(), ErrorKind::InvalidInput);
        let mut b = Batch::new();
        b.push_call::<Value>("a", "x.get", &());
        b.push_call::<Value>("a", "y.get", &());
        assert!(b.encode().unwrap_err().to_string().contains("twice"));
        let mut b = Batch::new();
        for i in 0..51 {
            b.push_call::<Value>(&format!("k{i}"), "x.add", &());
        }
        let e = b.encode().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("51"), "{e}");
    }

    #[test]
    fn refs_render_php_paths() {
        assert_eq!(
            Ref::result("list").at(0).at("ID").to_string(),
            "$result[list][0][ID]"
        );
        assert_eq!(
            serde_json::to_value(Ref::next("l")).unwrap(),
            json!("$next[l]")
        );
    }
}
