//! Server → client calls through typed stubs: a chat room.
//!
//! Each client serves the `Listener` trait on its own WebSocket
//! (`WsClient::builder(..).serve(inbox.into_router())`). When a client joins,
//! the server keeps the connection's `Peer` (from `ctx.ws_peer()`); when
//! one speaks, the server pushes the message to every other member through
//! the generated `ListenerClient` stub over that member's `Peer`. A task per
//! member, outside any handler, waits for `peer.closed()` and removes the
//! member when its connection ends.
//!
//! The program starts the real server on 127.0.0.1, connects three clients,
//! has them chat, prints what each one receives, disconnects one and shows
//! that the room drops it. It exits with a non-zero status if anything
//! turns out otherwise.
//!
//! Run with `cargo run -p examples --example chat`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rpc_client::WsClient;
use rpc_runtime::server::Server;
use rpc_runtime::ws::Peer;
use rpc_runtime::{rpc, Context, RpcError};
use tokio::sync::mpsc;

/// What a client serves: the server calls it to deliver messages.
#[rpc]
pub trait Listener {
    /// A member of the room said `text`.
    #[notification]
    async fn message(&self, from: String, text: String);
}

/// Why the room refused a call.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum ChatError {
    /// `say` before `join` on this connection.
    #[error("join the room first")]
    #[rpc(code = 4020)]
    NotJoined,
    /// This connection already joined.
    #[error("already joined as {0}")]
    #[rpc(code = 4021)]
    AlreadyJoined(String),
    /// Another member has this name.
    #[error("the name {0} is taken")]
    #[rpc(code = 4022)]
    NameTaken(String),
    /// The connection cannot take calls from the server (not WebSocket).
    #[error("joining needs a WebSocket connection")]
    #[rpc(code = 4023)]
    NoPeer,
}

/// What the server serves.
#[rpc]
pub trait Chat {
    /// Joins the room as `name`; the server will push messages to this
    /// connection's `Listener`.
    async fn join(&self, ctx: &Context, name: String) -> Result<(), ChatError>;
    /// Sends `text` to every other member; returns to how many it was sent.
    async fn say(&self, ctx: &Context, text: String) -> Result<usize, ChatError>;
    /// The names of the members, in the order they joined.
    fn members(&self) -> Vec<String>;
}

/// A member of the room: its name and the handle to call its client.
struct Member {
    name: String,
    peer: Peer,
}

/// Kept in a connection's context once it joined.
struct Joined {
    id: u64,
    name: String,
}

/// The server's state: the members by join order.
#[derive(Default)]
struct Room {
    members: Mutex<BTreeMap<u64, Member>>,
    next_id: AtomicU64,
}

impl Room {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Member>> {
        // A panic elsewhere cannot leave the map half-updated: every change
        // is a single insert or remove.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Chat for Arc<Room> {
    async fn join(&self, ctx: &Context, name: String) -> Result<(), ChatError> {
        let peer = ctx.ws_peer().ok_or(ChatError::NoPeer)?.clone();
        if let Some(joined) = ctx.get::<Joined>() {
            return Err(ChatError::AlreadyJoined(joined.name.clone()));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut members = self.lock();
            if members.values().any(|member| member.name == name) {
                return Err(ChatError::NameTaken(name));
            }
            members.insert(
                id,
                Member {
                    name: name.clone(),
                    peer: peer.clone(),
                },
            );
        }
        ctx.insert(Joined {
            id,
            name: name.clone(),
        });
        println!("  [server] {name} joined");

        // Outside any handler: learn when the connection ends, and forget
        // the member then.
        let room = Arc::clone(self);
        tokio::spawn(async move {
            let reason = peer.closed().await;
            room.lock().remove(&id);
            println!("  [server] {name} left ({reason})");
        });
        Ok(())
    }

    async fn say(&self, ctx: &Context, text: String) -> Result<usize, ChatError> {
        let me = ctx.get::<Joined>().ok_or(ChatError::NotJoined)?;
        // Copy the handles out: no lock is held while sending.
        let others: Vec<Peer> = self
            .lock()
            .iter()
            .filter(|(id, _)| **id != me.id)
            .map(|(_, member)| member.peer.clone())
            .collect();
        let mut sent = 0;
        for peer in others {
            // The typed stub of the client's trait, over the server's handle
            // to that client.
            let listener = ListenerClient::new(peer);
            if listener
                .message(me.name.clone(), text.clone())
                .await
                .is_ok()
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    fn members(&self) -> Vec<String> {
        self.lock()
            .values()
            .map(|member| member.name.clone())
            .collect()
    }
}

/// A client's side of `Listener`: passes each message on to `main`.
struct Inbox {
    messages: mpsc::UnboundedSender<(String, String)>,
}

impl Listener for Inbox {
    async fn message(&self, from: String, text: String) {
        // `main` may have stopped listening; nothing to do then.
        let _ = self.messages.send((from, text));
    }
}

/// One connected client: its stub for the server's `Chat`, its inbox.
struct Client {
    name: &'static str,
    chat: ChatClient<WsClient>,
    inbox: mpsc::UnboundedReceiver<(String, String)>,
}

async fn connect(url: &str, name: &'static str) -> Result<Client, Box<dyn std::error::Error>> {
    let (messages, inbox) = mpsc::unbounded_channel();
    let ws = WsClient::builder(url)
        .serve(Inbox { messages }.into_router())
        .connect()
        .await?;
    let chat = ChatClient::new(ws);
    chat.join(name.to_owned()).await?;
    Ok(Client { name, chat, inbox })
}

/// Waits for `expected` messages (in any order), prints them as they come;
/// records a failure if they differ.
async fn expect_messages(
    client: &mut Client,
    expected: &[(&str, &str)],
    failures: &mut Vec<String>,
) {
    let mut got = Vec::new();
    while got.len() < expected.len() {
        match tokio::time::timeout(Duration::from_secs(5), client.inbox.recv()).await {
            Ok(Some((from, text))) => {
                println!("  {} received from {from}: {text:?}", client.name);
                got.push((from, text));
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Nothing more may arrive.
    if let Ok(Some((from, text))) =
        tokio::time::timeout(Duration::from_millis(100), client.inbox.recv()).await
    {
        println!("  {} received from {from}: {text:?}", client.name);
        got.push((from, text));
    }
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(from, text)| ((*from).to_owned(), (*text).to_owned()))
        .collect();
    want.sort();
    got.sort();
    if got != want {
        failures.push(format!(
            "{} received {got:?}, expected {want:?}",
            client.name
        ));
    }
}

fn check(what: &str, ok: bool, failures: &mut Vec<String>) {
    if !ok {
        failures.push(what.to_owned());
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let room = Arc::new(Room::default());
    let handle = Server::builder()
        .build(Arc::clone(&room).into_router())
        .bind("127.0.0.1:0")
        .await?;
    let url = format!("ws://{}/", handle.local_addr());
    println!("server listening on {}", handle.local_addr());
    let mut failures = Vec::new();

    let mut ada = connect(&url, "ada").await?;
    let mut bob = connect(&url, "bob").await?;
    let mut carol = connect(&url, "carol").await?;
    let members = ada.chat.members().await?;
    println!("members: {members:?}");
    check(
        "all three joined",
        members == ["ada", "bob", "carol"],
        &mut failures,
    );

    let sent = ada.chat.say("hello, everyone".to_owned()).await?;
    println!("ada says \"hello, everyone\": sent to {sent}");
    check("ada's message went to two", sent == 2, &mut failures);
    let sent = bob.chat.say("hi ada".to_owned()).await?;
    println!("bob says \"hi ada\": sent to {sent}");
    check("bob's message went to two", sent == 2, &mut failures);

    expect_messages(&mut ada, &[("bob", "hi ada")], &mut failures).await;
    expect_messages(&mut bob, &[("ada", "hello, everyone")], &mut failures).await;
    expect_messages(
        &mut carol,
        &[("ada", "hello, everyone"), ("bob", "hi ada")],
        &mut failures,
    )
    .await;

    println!("carol disconnects");
    let Client {
        chat: carol_chat, ..
    } = carol;
    carol_chat.into_inner().close().await;
    // The server learns of it on its own, from `peer.closed()`.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut members = ada.chat.members().await?;
    while members.len() == 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        members = ada.chat.members().await?;
    }
    println!("members: {members:?}");
    check(
        "carol left the room",
        members == ["ada", "bob"],
        &mut failures,
    );

    let sent = ada.chat.say("carol left".to_owned()).await?;
    println!("ada says \"carol left\": sent to {sent}");
    check("ada's last message went to one", sent == 1, &mut failures);
    expect_messages(&mut bob, &[("ada", "carol left")], &mut failures).await;
    expect_messages(&mut ada, &[], &mut failures).await;

    ada.chat.into_inner().close().await;
    bob.chat.into_inner().close().await;
    let shutdown = handle.shutdown(Duration::from_secs(5)).await;
    println!("server stopped: {shutdown:?}");

    if failures.is_empty() {
        println!("every message reached every other member, and the room forgot carol");
        Ok(())
    } else {
        Err(format!("unexpected: {}", failures.join("; ")).into())
    }
}
