//! A language-server-shaped API over stdio with `Content-Length` framing,
//! the way editors run language servers.
//!
//! The program is both ends: run plainly, it is the editor. It starts
//! itself again with `--server` as a child process (`StreamClient::builder(..)
//! .spawn(..)`), the child serving the `LanguageServer` trait on its own
//! stdin and stdout (`serve_stdio`). The editor calls `initialize`, sends
//! the `textDocument/didOpen` notification, asks for a hover, then runs a
//! command during which the server asks the editor a question back
//! (`window/showMessageRequest`, through the typed `LanguageClientClient`
//! stub over the connection's `Peer`), and finally ends the child's stdin,
//! on which the server exits. Params go by name, as LSP sends them.
//!
//! It prints each step and exits with a non-zero status if anything turns
//! out otherwise.
//!
//! Run with `cargo run -p examples --example lsp_like`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rpc_client::stream::{Framing, StreamClient, StreamConfig};
use rpc_runtime::stream::serve_stdio;
use rpc_runtime::{rpc, Context, InternalError};
use serde::{Deserialize, Serialize};

/// A document the editor opened.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TextDocumentItem {
    /// Where it lives.
    pub uri: String,
    /// Its language.
    pub language_id: String,
    /// Its text.
    pub text: String,
}

/// A place in a document: line and character, from zero.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Position {
    /// The line.
    pub line: usize,
    /// The character on the line.
    pub character: usize,
}

/// What the server can do, and who it is.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// Whether it answers `textDocument/hover`.
    pub hover_provider: bool,
    /// The server's name.
    pub server_name: String,
    /// The transport the server sees (`"stdio"`).
    pub transport: String,
}

/// A choice offered by `window/showMessageRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageActionItem {
    /// The button's text.
    pub title: String,
}

/// What the language server serves.
#[rpc(client_params = "named")]
pub trait LanguageServer {
    /// The first call: the editor says who it is, the server what it can do.
    fn initialize(
        &self,
        ctx: &Context,
        #[param(rename = "processId")] process_id: Option<u32>,
        #[param(rename = "rootUri")] root_uri: String,
    ) -> InitializeResult;
    /// The editor opened a document.
    #[notification(name = "textDocument/didOpen")]
    fn did_open(&self, #[param(rename = "textDocument")] text_document: TextDocumentItem);
    /// The word under `position` of an open document.
    #[method(name = "textDocument/hover")]
    fn hover(&self, uri: String, position: Position) -> Option<String>;
    /// Runs a command; `"format"` asks the editor first.
    #[method(name = "workspace/executeCommand")]
    async fn execute_command(
        &self,
        ctx: &Context,
        command: String,
        arguments: Vec<String>,
    ) -> Result<String, InternalError>;
}

/// What the editor serves: the server calls it back.
#[rpc(client_params = "named")]
pub trait LanguageClient {
    /// Shows `message` with buttons; the one picked, or none.
    #[method(name = "window/showMessageRequest")]
    fn show_message_request(
        &self,
        #[param(rename = "type")] kind: u8,
        message: String,
        actions: Vec<MessageActionItem>,
    ) -> Option<MessageActionItem>;
}

/// The server: the documents opened, by URI.
#[derive(Default)]
struct Server {
    documents: Mutex<BTreeMap<String, String>>,
}

impl LanguageServer for Server {
    fn initialize(
        &self,
        ctx: &Context,
        process_id: Option<u32>,
        root_uri: String,
    ) -> InitializeResult {
        eprintln!("[server] initialize from process {process_id:?} at {root_uri}");
        InitializeResult {
            hover_provider: true,
            server_name: "lsp_like".to_owned(),
            transport: ctx.transport().to_owned(),
        }
    }

    fn did_open(&self, text_document: TextDocumentItem) {
        // A notification with a plain fn runs as it is read: a call read
        // after it sees the document.
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(text_document.uri, text_document.text);
    }

    fn hover(&self, uri: String, position: Position) -> Option<String> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let line = documents.get(&uri)?.lines().nth(position.line)?;
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let start = line
            .char_indices()
            .take_while(|&(i, _)| i < position.character)
            .filter(|&(_, c)| !is_word(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word: String = line[start..].chars().take_while(|&c| is_word(c)).collect();
        (!word.is_empty()).then(|| format!("`{word}` (line {})", position.line + 1))
    }

    async fn execute_command(
        &self,
        ctx: &Context,
        command: String,
        arguments: Vec<String>,
    ) -> Result<String, InternalError> {
        if command != "format" {
            return Err(InternalError::new(format!("no command {command:?}")));
        }
        let uri = arguments.first().cloned().unwrap_or_default();
        // The connection's Peer is the editor: ask it, typed, and wait.
        let peer = ctx
            .ws_peer()
            .ok_or_else(|| InternalError::new("no editor to ask"))?;
        let choice = LanguageClientClient::new(peer.clone())
            .show_message_request(
                3,
                format!("Format {uri}? Its tabs become spaces."),
                vec![
                    MessageActionItem {
                        title: "Format".to_owned(),
                    },
                    MessageActionItem {
                        title: "Cancel".to_owned(),
                    },
                ],
            )
            .await
            .map_err(InternalError::new)?;
        if choice.is_none_or(|choice| choice.title != "Format") {
            return Ok(format!("{uri} left as it was"));
        }
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let text = documents
            .get_mut(&uri)
            .ok_or_else(|| InternalError::new(format!("{uri} is not open")))?;
        let tabs = text.matches('\t').count();
        *text = text.replace('\t', "    ");
        Ok(format!("{uri} formatted: {tabs} tabs replaced"))
    }
}

/// The editor: answers the server's questions, picking the first button.
struct Editor;

impl LanguageClient for Editor {
    fn show_message_request(
        &self,
        kind: u8,
        message: String,
        actions: Vec<MessageActionItem>,
    ) -> Option<MessageActionItem> {
        let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
        println!("<- the server asks (type {kind}): {message} {titles:?}");
        let choice = actions.into_iter().next();
        if let Some(choice) = &choice {
            println!("-> the editor picks {:?}", choice.title);
        }
        choice
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().any(|arg| arg == "--server") {
        // The child: stdout carries the protocol, so logs go to stderr.
        let reason = serve_stdio(
            Server::default().into_router(),
            StreamConfig::new(Framing::ContentLength),
        )
        .await;
        eprintln!("[server] stdin ended ({reason}); exiting");
        return ExitCode::SUCCESS;
    }
    match editor().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("lsp_like: {why}");
            ExitCode::FAILURE
        }
    }
}

async fn editor() -> Result<(), Box<dyn std::error::Error>> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?);
    child.arg("--server");
    let client = StreamClient::builder(Framing::ContentLength)
        .request_timeout(Duration::from_secs(10))
        .serve(Editor.into_router())
        .spawn(child)?;
    println!(
        "spawned the server as process {:?}, stdio with Content-Length",
        client.child_id()
    );
    let server = LanguageServerClient::new(client.clone());

    let init = server
        .initialize(Some(std::process::id()), "file:///project".to_owned())
        .await?;
    println!(
        "initialize: {} over {}, hover: {}",
        init.server_name, init.transport, init.hover_provider
    );
    if init.transport != "stdio" || !init.hover_provider {
        return Err("unexpected capabilities".into());
    }

    let uri = "file:///project/main.rs".to_owned();
    server
        .did_open(TextDocumentItem {
            uri: uri.clone(),
            language_id: "rust".to_owned(),
            text: "fn main() {\n\tprintln!(\"hello\");\n}\n".to_owned(),
        })
        .await?;
    println!("didOpen: sent {uri}");

    let hover = server
        .hover(
            uri.clone(),
            Position {
                line: 1,
                character: 4,
            },
        )
        .await?;
    println!("hover at 2:5: {}", hover.as_deref().unwrap_or("nothing"));
    if hover.as_deref() != Some("`println` (line 2)") {
        return Err(format!("unexpected hover {hover:?}").into());
    }

    // The server asks us back before it answers.
    let formatted = server
        .execute_command("format".to_owned(), vec![uri.clone()])
        .await?;
    println!("executeCommand format: {formatted}");
    if formatted != format!("{uri} formatted: 1 tabs replaced") {
        return Err("the format command did not run".into());
    }

    match server.execute_command("explode".to_owned(), vec![]).await {
        Ok(value) => return Err(format!("an unknown command succeeded: {value}").into()),
        Err(error) => println!("executeCommand explode: refused: {error}"),
    }

    // Ending the child's stdin ends the server.
    let status = client.wait_child().await.ok_or("no child to wait for")??;
    println!("the server exited: {status}");
    if !status.success() {
        return Err("the server failed".into());
    }
    Ok(())
}
