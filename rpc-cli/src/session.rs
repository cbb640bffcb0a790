//! One invocation's connection: the exchanges (logged with `-v`), the
//! OpenRPC document (fetched at most once) and the params of a call.

use rpc_cli::arg::{params_as_given, parse_all};
use rpc_cli::schema::params_for;
use serde_json::Value;

use crate::exit::Failure;
use crate::message::{read_reply, Envelope};
use crate::transport::Conn;

/// The connection and what every subcommand needs with it.
pub(crate) struct Session {
    /// The connection.
    pub(crate) conn: Conn,
    /// How messages are written.
    pub(crate) envelope: Envelope,
    /// `-v`.
    pub(crate) verbose: bool,
    /// `--raw`.
    pub(crate) raw: bool,
    /// The document: not fetched yet (`None`), or what `rpc.discover` gave.
    doc: Option<Option<Value>>,
}

impl Session {
    /// A session on `conn`.
    pub(crate) fn new(conn: Conn, envelope: Envelope, verbose: bool, raw: bool) -> Self {
        Self {
            conn,
            envelope,
            verbose,
            raw,
            doc: None,
        }
    }

    /// Sends `raw` and returns the answer's text, both shown with `-v`.
    pub(crate) async fn exchange(&self, raw: &str) -> Result<String, Failure> {
        if self.verbose {
            eprintln!("> {raw}");
        }
        let answer = self.conn.exchange(raw).await?;
        if self.verbose {
            if answer.is_empty() {
                eprintln!("< (no answer)");
            } else {
                eprintln!("< {answer}");
            }
        }
        Ok(answer)
    }

    /// Calls `method` and returns its result.
    pub(crate) async fn call(
        &self,
        method: &str,
        params: Option<&Value>,
    ) -> Result<Value, Failure> {
        let (text, id) = self.envelope.request(method, params);
        let answer = self.exchange(&text).await?;
        if answer.trim().is_empty() {
            return Err(Failure::InvalidResponse("no answer to a call".to_owned()));
        }
        read_reply(&answer, &id)
    }

    /// The server's OpenRPC document, `None` when it does not answer
    /// `rpc.discover` (fetched once per invocation).
    pub(crate) async fn doc(&mut self) -> Result<Option<&Value>, Failure> {
        if self.doc.is_none() {
            let fetched = match self.call("rpc.discover", None).await {
                Ok(doc) => Some(doc),
                // -32601 (or any error reply): no document; send as given.
                Err(Failure::Rpc(_)) => None,
                Err(other) => return Err(other),
            };
            self.doc = Some(fetched);
        }
        Ok(self.doc.as_ref().and_then(Option::as_ref))
    }

    /// The params of `METHOD ARGS…`: checked and converted against the
    /// document unless `--raw` or the server has none; `whole` (`--params`)
    /// is sent as given.
    pub(crate) async fn params(
        &mut self,
        method: &str,
        args: &[String],
        whole: Option<&Value>,
    ) -> Result<Option<Value>, Failure> {
        if let Some(whole) = whole {
            return Ok(Some(whole.clone()));
        }
        let args = parse_all(args)?;
        if self.raw {
            return Ok(params_as_given(&args));
        }
        match self.doc().await? {
            Some(doc) => Ok(params_for(doc, method, &args)?),
            None => Ok(params_as_given(&args)),
        }
    }
}
