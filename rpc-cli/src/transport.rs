//! One connection to the server, whatever the transport, with the two
//! things `rpc` needs of it: exchange a message's text, and subscribe.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rpc_client::stream::StreamClient;
use rpc_client::ws::ConnectError;
use rpc_client::{
    BatchRequest, ClientError, EncodedParams, HttpClient, IdGenerator, Subscription, WsClient,
    ZmqClient,
};
use rpc_runtime::protocol::Id;
use serde_json::Value;

use crate::exit::Failure;
use crate::target::Target;

/// How to connect: the options every subcommand shares.
pub(crate) struct Connect {
    /// `-H 'Name: value'`, split.
    pub(crate) headers: Vec<(String, String)>,
    /// `--bearer`.
    pub(crate) bearer: Option<String>,
    /// `--basic user:pass`, split at the first `:`.
    pub(crate) basic: Option<(String, Option<String>)>,
    /// `--timeout`: connecting and each answer.
    pub(crate) timeout: Option<Duration>,
    /// The id generator of `--id-kind`.
    pub(crate) ids: Arc<dyn IdGenerator>,
    /// `-v`: a spawned server's stderr is passed through.
    pub(crate) verbose: bool,
}

/// A connected client.
pub(crate) enum Conn {
    /// `http(s)://`.
    Http(HttpClient),
    /// `ws(s)://`.
    Ws(WsClient),
    /// `tcp://`, `unix:`, `stdio:`.
    Stream(StreamClient),
    /// `zmq+tcp://` (REQ), with the ids it will use next.
    Zmq(ZmqClient, Arc<ReplayIds>),
}

impl Connect {
    /// Connects to `target`.
    pub(crate) async fn open(&self, target: &Target) -> Result<Conn, Failure> {
        let has_auth = !self.headers.is_empty() || self.bearer.is_some() || self.basic.is_some();
        if has_auth && !matches!(target, Target::Http(_) | Target::Ws(_)) {
            return Err(Failure::Usage(
                "-H, --bearer and --basic apply to http(s):// and ws(s):// only".to_owned(),
            ));
        }
        match target {
            Target::Http(url) => self.http(url),
            Target::Ws(url) => self.ws(url).await,
            Target::Tcp { addr, framing } => {
                let builder = self.stream(*framing);
                Ok(Conn::Stream(
                    builder
                        .connect_tcp(addr.as_str())
                        .await
                        .map_err(connect_failure)?,
                ))
            }
            Target::Unix { path, framing } => {
                let builder = self.stream(*framing);
                Ok(Conn::Stream(
                    builder.connect_unix(path).await.map_err(connect_failure)?,
                ))
            }
            Target::Stdio { argv, framing } => {
                let Some((program, args)) = argv.split_first() else {
                    return Err(Failure::Usage("stdio: needs a command".to_owned()));
                };
                let mut command = tokio::process::Command::new(program);
                command.args(args);
                // The server's own log is noise next to the answers: shown
                // with -v only.
                if !self.verbose {
                    command.stderr(std::process::Stdio::null());
                }
                let builder = self.stream(*framing);
                Ok(Conn::Stream(
                    builder.spawn(command).map_err(connect_failure)?,
                ))
            }
            Target::Zmq(endpoint) => {
                let ids = Arc::new(ReplayIds::new(Arc::clone(&self.ids)));
                let mut builder = ZmqClient::builder().shared_id_generator(ids.clone());
                if let Some(timeout) = self.timeout {
                    builder = builder.request_timeout(timeout).connect_timeout(timeout);
                }
                let client = builder
                    .connect_req(endpoint)
                    .await
                    .map_err(connect_failure)?;
                Ok(Conn::Zmq(client, ids))
            }
        }
    }

    fn http(&self, url: &str) -> Result<Conn, Failure> {
        let mut builder = HttpClient::builder(url).shared_id_generator(Arc::clone(&self.ids));
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(token) = &self.bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some((user, password)) = &self.basic {
            builder = builder.basic_auth(user, password.as_deref());
        }
        if let Some(timeout) = self.timeout {
            builder = builder.request_timeout(timeout).connect_timeout(timeout);
        }
        let client = builder
            .build()
            .map_err(|error| Failure::Usage(error.to_string()))?;
        Ok(Conn::Http(client))
    }

    async fn ws(&self, url: &str) -> Result<Conn, Failure> {
        let mut builder = WsClient::builder(url).shared_id_generator(Arc::clone(&self.ids));
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(token) = &self.bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some((user, password)) = &self.basic {
            builder = builder.basic_auth(user, password.as_deref());
        }
        if let Some(timeout) = self.timeout {
            builder = builder.request_timeout(timeout).connect_timeout(timeout);
        }
        Ok(Conn::Ws(builder.connect().await.map_err(connect_failure)?))
    }

    fn stream(
        &self,
        framing: rpc_client::stream::Framing,
    ) -> rpc_client::stream::StreamClientBuilder {
        let mut builder = StreamClient::builder(framing).shared_id_generator(Arc::clone(&self.ids));
        if let Some(timeout) = self.timeout {
            builder = builder.request_timeout(timeout).connect_timeout(timeout);
        }
        builder
    }
}

fn connect_failure(error: ConnectError) -> Failure {
    match error {
        ConnectError::Connect(error) => error.into(),
        other => Failure::Usage(other.to_string()),
    }
}

impl Conn {
    /// Sends a message's text and returns the answer's text (`""` when
    /// none is due: a notification).
    pub(crate) async fn exchange(&self, raw: &str) -> Result<String, Failure> {
        Ok(match self {
            Conn::Http(client) => match client.send(raw).await {
                // Some servers answer errors with a 4xx/5xx status and a
                // JSON-RPC error body: the body is the answer.
                Err(ClientError::HttpStatus { body, .. }) if is_response(&body) => body,
                other => other?,
            },
            Conn::Ws(client) => client.send(raw).await?,
            Conn::Stream(client) => client.send(raw).await?,
            Conn::Zmq(client, ids) => zmq_exchange(client, ids, raw).await?,
        })
    }

    /// Subscribes; the items come as JSON values.
    pub(crate) async fn subscribe(
        &self,
        method: &str,
        params: Option<&Value>,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<Value>, Failure> {
        let params = encode(params)?;
        Ok(match self {
            Conn::Ws(client) => client.subscribe(method, params, notification, unsubscribe).await?,
            Conn::Stream(client) => client.subscribe(method, params, notification, unsubscribe).await?,
            Conn::Http(_) | Conn::Zmq(..) => {
                return Err(Failure::Usage(
                    "subscriptions need a transport the server can push on: ws(s)://, tcp://, unix: or stdio:".to_owned(),
                ))
            }
        })
    }

    /// Closes the connection (a spawned server sees its stdin end).
    pub(crate) async fn close(&self) {
        match self {
            Conn::Http(_) => {}
            Conn::Ws(client) => client.close().await,
            Conn::Stream(client) => client.close().await,
            Conn::Zmq(client, _) => client.close().await,
        }
    }
}

/// Whether `body` is a JSON-RPC response (or a batch of them).
fn is_response(body: &str) -> bool {
    let is_one = |v: &Value| v.get("error").is_some() || v.get("result").is_some();
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(members)) => !members.is_empty() && members.iter().all(is_one),
        Ok(one) => is_one(&one),
        Err(_) => false,
    }
}

fn encode(params: Option<&Value>) -> Result<EncodedParams, Failure> {
    match params {
        None => Ok(EncodedParams::none()),
        Some(params) => {
            EncodedParams::from_value(params).map_err(|error| Failure::Usage(error.to_string()))
        }
    }
}

/// Ids for the ZeroMQ client, which writes its own messages: the ids of
/// the message `rpc` wrote are queued so the wire carries exactly those.
pub(crate) struct ReplayIds {
    queued: Mutex<VecDeque<Id<'static>>>,
    fallback: Arc<dyn IdGenerator>,
}

impl ReplayIds {
    fn new(fallback: Arc<dyn IdGenerator>) -> Self {
        Self {
            queued: Mutex::new(VecDeque::new()),
            fallback,
        }
    }

    fn queue(&self, id: &Value) {
        let id = match id {
            Value::String(text) => Id::string(text),
            Value::Number(n) => match n.as_u64() {
                Some(n) => Id::number(n),
                None => return,
            },
            _ => return,
        };
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(id);
    }
}

impl IdGenerator for ReplayIds {
    fn next_id(&self) -> Id<'static> {
        let queued = self
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        queued.unwrap_or_else(|| self.fallback.next_id())
    }
}

/// The ZeroMQ client has no raw send: the message is read back into
/// calls and notifications, and the answer written as a server would.
async fn zmq_exchange(client: &ZmqClient, ids: &ReplayIds, raw: &str) -> Result<String, Failure> {
    let message: Value = serde_json::from_str(raw).map_err(|error| {
        Failure::Usage(format!("over zmq+tcp:// the message must be JSON: {error}"))
    })?;
    match &message {
        Value::Array(members) => {
            let mut batch = BatchRequest::new();
            let mut call_ids = Vec::new();
            for member in members {
                let (method, params, id) = parts(member)?;
                match id {
                    Some(id) => {
                        ids.queue(&id);
                        let _slot = batch.call::<Value>(&method, params);
                        call_ids.push(id);
                    }
                    None => batch.notify(&method, params),
                }
            }
            let answers = client.batch(batch).await?;
            if call_ids.is_empty() {
                return Ok(String::new());
            }
            let responses: Vec<String> = answers
                .raw()
                .iter()
                .zip(call_ids)
                .map(|(answer, id)| match answer {
                    Ok(result) => response("result", result.get(), &id),
                    Err(error) => response(
                        "error",
                        &serde_json::to_string(error).unwrap_or_else(|_| "null".to_owned()),
                        &id,
                    ),
                })
                .collect();
            Ok(format!("[{}]", responses.join(",")))
        }
        member => {
            let (method, params, id) = parts(member)?;
            let Some(id) = id else {
                client.notify(&method, params).await?;
                return Ok(String::new());
            };
            ids.queue(&id);
            match client.request::<Value>(&method, params).await {
                Ok(result) => Ok(response("result", &result.to_string(), &id)),
                Err(ClientError::Rpc(error)) => Ok(response(
                    "error",
                    &serde_json::to_string(&error).unwrap_or_else(|_| "null".to_owned()),
                    &id,
                )),
                Err(other) => Err(other.into()),
            }
        }
    }
}

/// A response's text, members in the usual order (jsonrpc, result or
/// error, id) as our servers write them.
fn response(member: &str, value: &str, id: &Value) -> String {
    format!(r#"{{"jsonrpc":"2.0","{member}":{value},"id":{id}}}"#)
}

/// Method, params and id (none for a notification) of a request object.
fn parts(member: &Value) -> Result<(String, EncodedParams, Option<Value>), Failure> {
    let unusable = || {
        Failure::Usage(format!(
            "over zmq+tcp:// each message must be a request object: {member}"
        ))
    };
    let method = member
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(unusable)?;
    let params = encode(member.get("params"))?;
    let id = member.get("id").filter(|id| !id.is_null()).cloned();
    Ok((method.to_owned(), params, id))
}
