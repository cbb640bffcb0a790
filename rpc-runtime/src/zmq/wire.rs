//! ZMTP 3, the ZeroMQ wire protocol, with the NULL security mechanism:
//! the greeting, the `READY` handshake, and messages as frames.
//!
//! Written here rather than taken from the `zeromq` crate (0.4.1), whose
//! receive path panics on a one-frame message to REP, on a command frame
//! with an empty body, and aborts the process on a frame that announces
//! a length it cannot allocate. Every length read here is checked against
//! a limit before anything is allocated for it, nothing here panics, and a
//! message over the limit is read past (its length is known), so the
//! connection goes on.
//!
//! ```
//! use rpc_runtime::zmq::wire::{encode_message, handshake, FrameReader, Received};
//! use rpc_runtime::zmq::SocketType;
//! use tokio::io::AsyncWriteExt as _;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (client, server) = tokio::io::duplex(4096);
//! let (client_read, mut client_write) = tokio::io::split(client);
//! let (server_read, mut server_write) = tokio::io::split(server);
//! let mut client_reader = FrameReader::new(client_read, 1024);
//! let mut server_reader = FrameReader::new(server_read, 1024);
//! let (ours, theirs) = tokio::join!(
//!     handshake(&mut client_reader, &mut client_write, SocketType::Dealer, None),
//!     handshake(&mut server_reader, &mut server_write, SocketType::Router, None),
//! );
//! assert_eq!(ours?.peer_type, SocketType::Router);
//! assert_eq!(theirs?.peer_type, SocketType::Dealer);
//!
//! let mut out = Vec::new();
//! encode_message(&mut out, &[b"", b"{}"]);
//! client_write.write_all(&out).await?;
//! let received = server_reader.next().await?;
//! assert_eq!(received, Some(Received::Message(vec![b"".to_vec(), b"{}".to_vec()])));
//! # Ok(()) }
//! ```

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};

use super::SocketType;

/// A frame continues the message (more frames follow).
const MORE: u8 = 0b001;
/// The frame's length takes 8 bytes, not 1.
const LONG: u8 = 0b010;
/// The frame is a command (`READY`, `PING`...), not a message frame.
const COMMAND: u8 = 0b100;

/// The largest command accepted: a `READY` with its metadata. Commands are
/// read whole, so they are bounded apart from messages.
///
/// ```
/// use rpc_runtime::zmq::wire::{FrameReader, ZmtpError, MAX_COMMAND_SIZE};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // A command frame (flags COMMAND | LONG) announcing one byte too many is
/// // refused from its header, before anything is allocated for it, even
/// // under a message limit that would allow it.
/// let mut bytes = vec![0b110];
/// bytes.extend_from_slice(&(MAX_COMMAND_SIZE as u64 + 1).to_be_bytes());
/// let mut reader = FrameReader::new(bytes.as_slice(), usize::MAX);
/// assert!(matches!(reader.next().await, Err(ZmtpError::Protocol(_))));
/// # }
/// ```
pub const MAX_COMMAND_SIZE: usize = 64 * 1024;

/// The most frames kept of one message; further frames are read past.
/// An envelope is a frame per hop, and a JSON-RPC message one body frame.
///
/// ```
/// use rpc_runtime::zmq::wire::{encode_message, FrameReader, Received, MAX_FRAMES};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), rpc_runtime::zmq::wire::ZmtpError> {
/// let mut bytes = Vec::new();
/// encode_message(&mut bytes, &vec![&b"x"[..]; MAX_FRAMES + 1]);
/// encode_message(&mut bytes, &[b"next"]);
/// let mut reader = FrameReader::new(bytes.as_slice(), 1024);
/// // The first MAX_FRAMES frames are kept, the rest read past...
/// let Some(Received::TooManyFrames(kept)) = reader.next().await? else { panic!() };
/// assert_eq!(kept.len(), MAX_FRAMES);
/// // ...and the connection goes on with the next message.
/// assert_eq!(reader.next().await?, Some(Received::Message(vec![b"next".to_vec()])));
/// # Ok(()) }
/// ```
pub const MAX_FRAMES: usize = 64;

/// What went wrong on a ZMTP connection.
///
/// ```
/// use rpc_runtime::zmq::wire::ZmtpError;
/// let error = ZmtpError::Protocol("a reserved flag bit is set");
/// assert_eq!(error.to_string(), "ZMTP protocol error: a reserved flag bit is set");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZmtpError {
    /// Reading or writing the socket failed, or it ended mid-message.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The peer's greeting is not a ZMTP 3 greeting.
    #[error("not a ZMTP 3 peer: {0}")]
    Greeting(String),
    /// The peer asks for a security mechanism other than NULL.
    #[error("unsupported security mechanism {0:?}: only NULL is spoken")]
    Mechanism(String),
    /// The peer broke the framing rules.
    #[error("ZMTP protocol error: {0}")]
    Protocol(&'static str),
    /// The peer's socket type cannot talk to this side's.
    #[error("incompatible socket types: this side is {ours}, the peer is {peer}")]
    Incompatible {
        /// This side's type.
        ours: SocketType,
        /// The type the peer announced.
        peer: String,
    },
    /// The peer sent an `ERROR` command, with its reason.
    #[error("the peer reported an error: {0}")]
    Peer(String),
}

/// One thing read from a connection after the handshake.
///
/// ```
/// use rpc_runtime::zmq::wire::Received;
/// let received = Received::Message(vec![b"{}".to_vec()]);
/// assert!(matches!(received, Received::Message(frames) if frames.len() == 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A whole message: its frames, in order.
    Message(Vec<Vec<u8>>),
    /// A message over the size limit, read past: the frames that came
    /// before the limit was passed (its envelope, which comes first).
    TooLarge(Vec<Vec<u8>>),
    /// A message of more than [`MAX_FRAMES`] frames: the first ones.
    TooManyFrames(Vec<Vec<u8>>),
    /// A `PING` command (ZMTP 3.1 heartbeat): its context, to send back in
    /// a `PONG`.
    Ping(Vec<u8>),
}

/// What the handshake learnt about the peer.
///
/// ```
/// use rpc_runtime::zmq::{wire::Handshake, SocketType};
/// let peer = Handshake::new(SocketType::Req, None);
/// assert_eq!(peer.peer_type.name(), "REQ");
/// ```
///
/// Non-exhaustive: a handshake may come to record more of the peer's
/// properties; make one with [`Handshake::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handshake {
    /// The socket type it announced.
    pub peer_type: SocketType,
    /// The routing id it announced (`ZMQ_ROUTING_ID`), if any.
    pub identity: Option<Vec<u8>>,
}

impl Handshake {
    /// What a peer of `peer_type` announcing `identity` sent.
    #[must_use]
    pub fn new(peer_type: SocketType, identity: Option<Vec<u8>>) -> Self {
        Self {
            peer_type,
            identity,
        }
    }
}

/// Reads frames from one side of a ZMTP connection, within a size limit.
/// Any [`AsyncRead`] will do: a socket half, a pipe, a byte slice. The
/// [module](self) example runs it through a handshake.
///
/// ```
/// use rpc_runtime::zmq::wire::{encode_message, FrameReader, Received};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), rpc_runtime::zmq::wire::ZmtpError> {
/// let mut bytes = Vec::new();
/// encode_message(&mut bytes, &[b"", br#"{"jsonrpc":"2.0","method":"a"}"#]);
/// encode_message(&mut bytes, &[b"[]"]);
/// let mut reader = FrameReader::new(bytes.as_slice(), 1024);
/// let first = reader.next().await?;
/// assert_eq!(first, Some(Received::Message(vec![b"".to_vec(), br#"{"jsonrpc":"2.0","method":"a"}"#.to_vec()])));
/// assert_eq!(reader.next().await?, Some(Received::Message(vec![b"[]".to_vec()])));
/// assert_eq!(reader.next().await?, None, "the stream ended between messages");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: BufReader<R>,
    max_message_size: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader of `read` that takes messages of up to `max_message_size`
    /// bytes (the sum of their frames).
    ///
    /// ```
    /// use rpc_runtime::zmq::wire::{encode_message, FrameReader, Received};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rpc_runtime::zmq::wire::ZmtpError> {
    /// let mut bytes = Vec::new();
    /// encode_message(&mut bytes, &[b"id", b"", b"0123456789"]);
    /// encode_message(&mut bytes, &[b"ok"]);
    /// let mut reader = FrameReader::new(bytes.as_slice(), 8);
    /// // Over 8 bytes in all: read past, its envelope kept for the answer.
    /// let reply_to = reader.next().await?;
    /// assert_eq!(reply_to, Some(Received::TooLarge(vec![b"id".to_vec(), b"".to_vec()])));
    /// assert_eq!(reader.next().await?, Some(Received::Message(vec![b"ok".to_vec()])));
    /// # Ok(()) }
    /// ```
    pub fn new(read: R, max_message_size: usize) -> Self {
        Self {
            inner: BufReader::with_capacity(8 * 1024, read),
            max_message_size,
        }
    }

    /// Reads the peer's 64-byte greeting and checks it: ZMTP 3 or later,
    /// mechanism NULL.
    async fn greeting(&mut self) -> Result<(), ZmtpError> {
        let mut greeting = [0u8; 64];
        self.inner.read_exact(&mut greeting).await?;
        check_greeting(&greeting)
    }

    /// The next frame's flags and length; `None` when the stream ends
    /// cleanly before it.
    async fn header(&mut self, at_boundary: bool) -> Result<Option<(u8, u64)>, ZmtpError> {
        let flags = match self.inner.read_u8().await {
            Ok(flags) => flags,
            Err(e) if at_boundary && e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if flags & !(MORE | LONG | COMMAND) != 0 {
            return Err(ZmtpError::Protocol("a reserved flag bit is set"));
        }
        let len = if flags & LONG != 0 {
            self.inner.read_u64().await?
        } else {
            u64::from(self.inner.read_u8().await?)
        };
        Ok(Some((flags, len)))
    }

    /// Reads a frame body of `len` bytes (already checked against a
    /// limit); the buffer grows as the bytes come, so an announced length
    /// costs nothing until it is sent.
    async fn body(&mut self, len: u64) -> Result<Vec<u8>, ZmtpError> {
        let mut body = Vec::with_capacity(usize::try_from(len.min(64 * 1024)).unwrap_or(0));
        let read = (&mut self.inner).take(len).read_to_end(&mut body).await?;
        if (read as u64) < len {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        Ok(body)
    }

    /// Reads past a frame body of `len` bytes without keeping it.
    async fn skip(&mut self, len: u64) -> Result<(), ZmtpError> {
        let skipped =
            tokio::io::copy(&mut (&mut self.inner).take(len), &mut tokio::io::sink()).await?;
        if skipped < len {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        Ok(())
    }

    /// Reads one command frame whole (the handshake's `READY`).
    async fn command(&mut self) -> Result<Command, ZmtpError> {
        let Some((flags, len)) = self.header(false).await? else {
            return Err(ZmtpError::Protocol("the stream ended before the handshake"));
        };
        if flags & COMMAND == 0 {
            return Err(ZmtpError::Protocol("a message frame before the handshake"));
        }
        if len > MAX_COMMAND_SIZE as u64 {
            return Err(ZmtpError::Protocol("a command over 64 KiB"));
        }
        let body = self.body(len).await?;
        parse_command(&body)
    }

    /// The next message (or `PING`); `None` when the peer closed the
    /// connection between messages. Other commands are read past.
    ///
    /// ```
    /// use rpc_runtime::zmq::wire::{encode_message, FrameReader, Received};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rpc_runtime::zmq::wire::ZmtpError> {
    /// // A PING command (flags COMMAND, 9 bytes: name, a 2-byte TTL, context "hb"),
    /// // then a message.
    /// let mut bytes = vec![0b100, 9, 4, b'P', b'I', b'N', b'G', 0, 0, b'h', b'b'];
    /// encode_message(&mut bytes, &[b"{}"]);
    /// let mut reader = FrameReader::new(bytes.as_slice(), 1024);
    /// assert_eq!(reader.next().await?, Some(Received::Ping(b"hb".to_vec())));
    /// assert_eq!(reader.next().await?, Some(Received::Message(vec![b"{}".to_vec()])));
    /// assert_eq!(reader.next().await?, None);
    ///
    /// // A stream cut mid-frame is an error, not a message.
    /// let mut reader = FrameReader::new(&[0u8, 5, b'{'][..], 1024);
    /// assert!(reader.next().await.is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// On a read failure, a stream that ends mid-message, or broken
    /// framing; the connection cannot go on after any of them.
    pub async fn next(&mut self) -> Result<Option<Received>, ZmtpError> {
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut total: u64 = 0;
        let mut started = false;
        let mut too_large = false;
        let mut too_many = false;
        loop {
            let Some((flags, len)) = self.header(!started).await? else {
                return Ok(None);
            };
            if flags & COMMAND != 0 {
                if started {
                    return Err(ZmtpError::Protocol("a command inside a multipart message"));
                }
                if len > MAX_COMMAND_SIZE as u64 {
                    return Err(ZmtpError::Protocol("a command over 64 KiB"));
                }
                let body = self.body(len).await?;
                match parse_command(&body)? {
                    Command::Ping(context) => return Ok(Some(Received::Ping(context))),
                    Command::Error(reason) => return Err(ZmtpError::Peer(reason)),
                    // A second READY, a PONG, SUBSCRIBE...: nothing to do.
                    Command::Ready(_) | Command::Other => continue,
                }
            }
            started = true;
            if !too_large && !too_many {
                if total.saturating_add(len) > self.max_message_size as u64 {
                    too_large = true;
                } else if frames.len() >= MAX_FRAMES {
                    too_many = true;
                }
            }
            if too_large || too_many {
                self.skip(len).await?;
            } else {
                total += len;
                frames.push(self.body(len).await?);
            }
            if flags & MORE == 0 {
                return Ok(Some(if too_large {
                    Received::TooLarge(frames)
                } else if too_many {
                    Received::TooManyFrames(frames)
                } else {
                    Received::Message(frames)
                }));
            }
        }
    }
}

/// Checks a peer's greeting: the signature, a major version of 3 or more,
/// and the NULL mechanism.
fn check_greeting(greeting: &[u8; 64]) -> Result<(), ZmtpError> {
    if greeting[0] != 0xff || greeting[9] & 1 == 0 {
        return Err(ZmtpError::Greeting("bad signature".to_owned()));
    }
    if greeting[10] < 3 {
        return Err(ZmtpError::Greeting(format!(
            "the peer speaks ZMTP {}.{}; 3.0 or later is needed",
            greeting[10], greeting[11]
        )));
    }
    let mechanism = &greeting[12..32];
    let end = mechanism
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(mechanism.len());
    if &mechanism[..end] != b"NULL" {
        return Err(ZmtpError::Mechanism(
            String::from_utf8_lossy(&mechanism[..end]).into_owned(),
        ));
    }
    Ok(())
}

/// This side's greeting: ZMTP 3.0, mechanism NULL (no `as-server` role in
/// NULL).
fn greeting() -> [u8; 64] {
    let mut greeting = [0u8; 64];
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[12..16].copy_from_slice(b"NULL");
    greeting
}

/// A command as read.
#[derive(Debug)]
enum Command {
    /// `READY`: its properties.
    Ready(Vec<(String, Vec<u8>)>),
    /// `ERROR`: its reason.
    Error(String),
    /// `PING`: its context.
    Ping(Vec<u8>),
    /// A command with nothing to do here.
    Other,
}

/// Reads a command body: a length-prefixed name, then its data.
fn parse_command(body: &[u8]) -> Result<Command, ZmtpError> {
    let malformed = ZmtpError::Protocol("a malformed command");
    let (&name_len, rest) = body
        .split_first()
        .ok_or(ZmtpError::Protocol("an empty command"))?;
    let name_len = usize::from(name_len);
    let (Some(name), Some(data)) = (rest.get(..name_len), rest.get(name_len..)) else {
        return Err(malformed);
    };
    Ok(match name {
        b"READY" => Command::Ready(parse_properties(data)?),
        b"ERROR" => {
            let reason = data
                .split_first()
                .and_then(|(&len, rest)| rest.get(..usize::from(len)))
                .unwrap_or_default();
            Command::Error(String::from_utf8_lossy(reason).into_owned())
        }
        // A 2-byte TTL, then up to 16 bytes of context.
        b"PING" => Command::Ping(
            data.get(2..)
                .unwrap_or_default()
                .iter()
                .take(16)
                .copied()
                .collect(),
        ),
        _ => Command::Other,
    })
}

/// Reads `READY` metadata: names with a 1-byte length, values with 4.
fn parse_properties(mut data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ZmtpError> {
    let malformed = || ZmtpError::Protocol("malformed READY metadata");
    let mut properties = Vec::new();
    while let Some((&name_len, rest)) = data.split_first() {
        let name_len = usize::from(name_len);
        let name = rest.get(..name_len).ok_or_else(malformed)?;
        let rest = &rest[name_len..];
        let len_bytes: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(malformed)?;
        let value_len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| malformed())?;
        let end = value_len.checked_add(4).ok_or_else(malformed)?;
        let value = rest.get(4..end).ok_or_else(malformed)?;
        properties.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
        data = &rest[end..];
    }
    Ok(properties)
}

/// Appends one frame to `out`.
fn encode_frame(out: &mut Vec<u8>, flags: u8, body: &[u8]) {
    match u8::try_from(body.len()) {
        Ok(len) => {
            out.push(flags);
            out.push(len);
        }
        Err(_) => {
            out.push(flags | LONG);
            out.extend_from_slice(&(body.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(body);
}

/// Appends a message of `frames` to `out` (an empty list is sent as one
/// empty frame: a message has at least one).
///
/// ```
/// let mut out = Vec::new();
/// rpc_runtime::zmq::wire::encode_message(&mut out, &[b"", b"hi"]);
/// assert_eq!(out, [1, 0, 0, 2, b'h', b'i']);
/// ```
pub fn encode_message(out: &mut Vec<u8>, frames: &[&[u8]]) {
    match frames.split_last() {
        Some((last, first)) => {
            for frame in first {
                encode_frame(out, MORE, frame);
            }
            encode_frame(out, 0, last);
        }
        None => encode_frame(out, 0, b""),
    }
}

/// Appends a command frame.
fn encode_command(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut body = Vec::with_capacity(1 + name.len() + data.len());
    body.push(name.len() as u8);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    encode_frame(out, COMMAND, &body);
}

/// Appends a `PONG` answering a `PING` with `context`.
///
/// ```
/// let mut out = Vec::new();
/// rpc_runtime::zmq::wire::encode_pong(&mut out, b"ab");
/// assert_eq!(out, [4, 7, 4, b'P', b'O', b'N', b'G', b'a', b'b']);
/// ```
pub fn encode_pong(out: &mut Vec<u8>, context: &[u8]) {
    encode_command(out, "PONG", context);
}

fn encode_ready(out: &mut Vec<u8>, ours: SocketType, identity: Option<&[u8]>) {
    let mut data = Vec::new();
    let mut property = |name: &str, value: &[u8]| {
        data.push(name.len() as u8);
        data.extend_from_slice(name.as_bytes());
        data.extend_from_slice(&(value.len() as u32).to_be_bytes());
        data.extend_from_slice(value);
    };
    property("Socket-Type", ours.name().as_bytes());
    if let Some(identity) = identity {
        property("Identity", identity);
    }
    encode_command(out, "READY", &data);
}

fn encode_error(out: &mut Vec<u8>, reason: &str) {
    let reason = &reason.as_bytes()[..reason.len().min(255)];
    let mut data = vec![reason.len() as u8];
    data.extend_from_slice(reason);
    encode_command(out, "ERROR", &data);
}

/// Runs the ZMTP handshake as a socket of type `ours` (announcing
/// `identity` as its routing id, if given): greetings, then `READY` both
/// ways. A peer of a type `ours` cannot talk to is sent an `ERROR`.
///
/// Bound it with a timeout: a peer that says nothing keeps it waiting.
///
/// ```
/// use rpc_runtime::zmq::wire::{handshake, FrameReader, Handshake, ZmtpError};
/// use rpc_runtime::zmq::SocketType;
///
/// /// Handshakes `a` (with routing id `id`) against `b` over a pipe.
/// async fn pair(a: SocketType, id: Option<&[u8]>, b: SocketType)
///     -> (Result<Handshake, ZmtpError>, Result<Handshake, ZmtpError>) {
///     let (left, right) = tokio::io::duplex(4096);
///     let (left_read, mut left_write) = tokio::io::split(left);
///     let (right_read, mut right_write) = tokio::io::split(right);
///     let mut left_reader = FrameReader::new(left_read, 1024);
///     let mut right_reader = FrameReader::new(right_read, 1024);
///     tokio::join!(
///         handshake(&mut left_reader, &mut left_write, a, id),
///         handshake(&mut right_reader, &mut right_write, b, None),
///     )
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ZmtpError> {
/// // A ROUTER learns the routing id a DEALER announces.
/// let (_, router) = pair(SocketType::Dealer, Some(b"client-1"), SocketType::Router).await;
/// assert_eq!(router?.identity.as_deref(), Some(&b"client-1"[..]));
///
/// // Two REQ sockets cannot talk (each would wait for the other's request).
/// let (a, b) = pair(SocketType::Req, None, SocketType::Req).await;
/// assert!(matches!(a, Err(ZmtpError::Incompatible { ours: SocketType::Req, .. })));
/// assert!(matches!(b, Err(ZmtpError::Incompatible { ref peer, .. }) if peer == "REQ"));
/// # Ok(()) }
/// ```
///
/// # Errors
/// On a bad greeting, a mechanism other than NULL, an incompatible or
/// missing socket type, or an I/O failure.
pub async fn handshake<R, W>(
    reader: &mut FrameReader<R>,
    writer: &mut W,
    ours: SocketType,
    identity: Option<&[u8]>,
) -> Result<Handshake, ZmtpError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    writer.write_all(&greeting()).await?;
    writer.flush().await?;
    reader.greeting().await?;
    let mut out = Vec::new();
    encode_ready(&mut out, ours, identity);
    writer.write_all(&out).await?;
    writer.flush().await?;
    let properties = match reader.command().await? {
        Command::Ready(properties) => properties,
        Command::Error(reason) => return Err(ZmtpError::Peer(reason)),
        Command::Ping(_) | Command::Other => {
            return Err(ZmtpError::Protocol("expected READY"));
        }
    };
    let property = |name: &str| {
        properties
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    };
    let announced = property("Socket-Type").unwrap_or_default();
    let peer_type = SocketType::from_name(announced).filter(|peer| ours.accepts(*peer));
    let Some(peer_type) = peer_type else {
        let peer = String::from_utf8_lossy(announced).into_owned();
        let mut out = Vec::new();
        encode_error(&mut out, &format!("{ours} cannot talk to {peer}"));
        let _ = writer.write_all(&out).await;
        let _ = writer.flush().await;
        return Err(ZmtpError::Incompatible { ours, peer });
    };
    let identity = property("Identity")
        .filter(|id| !id.is_empty())
        .map(<[u8]>::to_vec);
    Ok(Handshake {
        peer_type,
        identity,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn read_all(bytes: &[u8], limit: usize) -> Result<Vec<Received>, ZmtpError> {
        let mut reader = FrameReader::new(bytes, limit);
        let mut out = Vec::new();
        while let Some(received) = reader.next().await? {
            out.push(received);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_read_past_and_the_next_one_read() {
        let mut bytes = Vec::new();
        encode_message(&mut bytes, &[b"", &[b'x'; 300]]);
        encode_message(&mut bytes, &[b"ok"]);
        let got = read_all(&bytes, 100).await.unwrap();
        assert_eq!(
            got,
            [
                Received::TooLarge(vec![Vec::new()]),
                Received::Message(vec![b"ok".to_vec()])
            ]
        );
    }

    #[tokio::test]
    async fn an_announced_length_is_not_allocated_before_it_arrives() {
        // 2^60 bytes announced, two sent: read past, then the stream ends.
        let mut bytes = vec![LONG];
        bytes.extend_from_slice(&(1u64 << 60).to_be_bytes());
        bytes.extend_from_slice(b"xx");
        let error = read_all(&bytes, 1 << 20).await.unwrap_err();
        assert!(matches!(error, ZmtpError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof));
    }

    #[tokio::test]
    async fn broken_commands_are_errors_not_panics() {
        for bytes in [
            &[COMMAND, 0][..],                // an empty command
            &[COMMAND, 1, 9][..],             // a name longer than the body
            &[COMMAND, 2, 5, b'o'][..],       // a name past the end
            &[0b1000_0000, 0][..],            // a reserved flag
            &[MORE, 1, b'x', COMMAND, 0][..], // a command mid-message
        ] {
            assert!(read_all(bytes, 1024).await.is_err(), "{bytes:?}");
        }
        let mut ready = Vec::new();
        encode_command(&mut ready, "READY", &[5, b'a']);
        assert!(matches!(
            parse_command(&ready[2..]),
            Err(ZmtpError::Protocol(_))
        ));
    }

    #[tokio::test]
    async fn frames_past_the_most_kept_are_read_past() {
        let frames: Vec<&[u8]> = vec![b"f"; MAX_FRAMES + 10];
        let mut bytes = Vec::new();
        encode_message(&mut bytes, &frames);
        let got = read_all(&bytes, 1 << 20).await.unwrap();
        assert!(matches!(&got[..], [Received::TooManyFrames(kept)] if kept.len() == MAX_FRAMES));
    }

    #[test]
    fn greetings_are_checked() {
        assert!(check_greeting(&greeting()).is_ok());
        let mut old = greeting();
        old[10] = 2;
        assert!(matches!(check_greeting(&old), Err(ZmtpError::Greeting(_))));
        let mut curve = greeting();
        curve[12..17].copy_from_slice(b"CURVE");
        assert!(matches!(check_greeting(&curve), Err(ZmtpError::Mechanism(m)) if m == "CURVE"));
        assert!(check_greeting(&[b'G'; 64]).is_err());
    }

    #[test]
    fn long_frames_have_an_eight_byte_length() {
        let mut out = Vec::new();
        encode_message(&mut out, &[&[7u8; 256]]);
        assert_eq!(&out[..9], &[LONG, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(out.len(), 9 + 256);
    }
}
