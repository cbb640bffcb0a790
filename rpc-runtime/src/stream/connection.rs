//! A connection over a byte stream: the WebSocket driver, fed by a codec.

use std::future::Future;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::codec::{Codec, Frame, FrameError};
use super::{Framing, StreamConfig};
use crate::ws::{CloseReason, Connection, ConnectionError, Encoding, Event, Outgoing, Side};
use crate::{Context, Refusal, Router};

impl Connection {
    /// A connection a stream server accepted; `transport` is its name in
    /// the connection's [`Context`] (`"tcp"`, `"unix"`, `"stdio"`).
    ///
    /// ```
    /// use rpc_runtime::stream::StreamConfig;
    /// use rpc_runtime::ws::Connection;
    /// let connection = Connection::stream_server(&StreamConfig::default(), "tcp");
    /// let ctx = connection.context(rpc_runtime::Context::builder());
    /// assert_eq!(ctx.transport(), "tcp");
    /// assert!(ctx.ws_peer().is_some() && ctx.subscriptions().is_some());
    /// ```
    pub fn stream_server(config: &StreamConfig, transport: &'static str) -> Self {
        Self::new(config.connection_config(), Side::StreamServer(transport))
    }

    /// A connection a client opened over a byte stream.
    ///
    /// ```
    /// use rpc_runtime::stream::StreamConfig;
    /// use rpc_runtime::ws::Connection;
    /// let connection = Connection::stream_client(&StreamConfig::default(), "unix");
    /// # let _ = connection;
    /// ```
    pub fn stream_client(config: &StreamConfig, transport: &'static str) -> Self {
        Self::new(config.connection_config(), Side::StreamClient(transport))
    }

    /// Runs the connection over a byte stream (its read and write halves)
    /// in `framing`, until it ends; returns why. As on WebSocket, calls run
    /// concurrently, either side may call the other, and subscriptions
    /// work. When the peer ends its side of the stream, the messages it
    /// sent are answered, then this side ends its own.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rpc_runtime::client::Caller;
    /// use rpc_runtime::params::EncodedParams;
    /// use rpc_runtime::stream::{Framing, StreamConfig};
    /// use rpc_runtime::ws::Connection;
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, b) = tokio::io::duplex(64 * 1024);
    /// let config = StreamConfig::new(Framing::ContentLength);
    /// let mut router = Router::new();
    /// router.register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("world")).unwrap();
    ///
    /// let server = Connection::stream_server(&config, "pipe");
    /// let ctx = server.context(Context::builder());
    /// let (read, write) = tokio::io::split(a);
    /// tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    ///
    /// let client = Connection::stream_client(&config, "pipe");
    /// let peer = client.peer();
    /// let (read, write) = tokio::io::split(b);
    /// tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// let reply: String = peer.call("hello", EncodedParams::none()).await.unwrap();
    /// assert_eq!(reply, "world");
    /// # }
    /// ```
    pub async fn run_framed<R, W>(
        self,
        reader: R,
        writer: W,
        framing: Framing,
        router: Arc<Router>,
        ctx: Context,
    ) -> CloseReason
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.run_framed_until(reader, writer, framing, router, ctx, std::future::pending())
            .await
    }

    /// Like [`run_framed`](Self::run_framed), and when `shutdown` resolves
    /// the connection closes gracefully: it stops taking calls (new ones
    /// get `-32001`), finishes those in flight, sends each subscription its
    /// last notice, then ends its side of the stream.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rpc_runtime::client::Caller;
    /// use rpc_runtime::params::EncodedParams;
    /// use rpc_runtime::stream::StreamConfig;
    /// use rpc_runtime::ws::{CloseReason, Connection};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (a, b) = tokio::io::duplex(64 * 1024);
    /// let config = StreamConfig::default();
    /// let mut router = Router::new();
    /// router.register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("world"))?;
    ///
    /// let server = Connection::stream_server(&config, "pipe");
    /// let ctx = server.context(Context::builder());
    /// let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    /// let (read, write) = tokio::io::split(a);
    /// let shutdown = async { let _ = stopping.await; };
    /// let run = tokio::spawn(server.run_framed_until(read, write, config.framing, Arc::new(router), ctx, shutdown));
    ///
    /// let client = Connection::stream_client(&config, "pipe");
    /// let peer = client.peer();
    /// let (read, write) = tokio::io::split(b);
    /// tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// let reply: String = peer.call("hello", EncodedParams::none()).await?;
    /// assert_eq!(reply, "world");
    ///
    /// stop.send(()).expect("the server is running");
    /// assert_eq!(run.await?, CloseReason::Shutdown);
    /// assert_eq!(peer.closed().await, CloseReason::EndOfStream, "the client sees the stream end");
    /// # Ok(()) }
    /// ```
    pub async fn run_framed_until<R, W, F>(
        self,
        reader: R,
        writer: W,
        framing: Framing,
        router: Arc<Router>,
        ctx: Context,
        shutdown: F,
    ) -> CloseReason
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
        F: Future<Output = ()>,
    {
        let config = self.config();
        let max = config.max_message_size;
        let reader =
            FramedRead::with_capacity(reader, Codec::new(framing, max), config.read_buffer_size);
        let events = reader.map(event).chain(stream::iter([Event::Finished]));
        let writer = FramedWrite::new(writer, Codec::new(framing, max));
        let encoding = Encoding {
            encode: text_of,
            shutdown_on_close: true,
        };
        self.run_parts(events, writer, encoding, &router, &ctx, shutdown)
            .await
    }
}

/// What goes on a byte stream: message text only.
fn text_of(frame: Outgoing) -> Option<String> {
    match frame {
        Outgoing::Text(text) | Outgoing::Binary(text) | Outgoing::Notice(text, _) => Some(text),
        Outgoing::Push(frame) => Some(frame.into_text()),
        Outgoing::Ping | Outgoing::Close(..) => None,
    }
}

/// A message cut from the stream (or why none can be) as the driver's
/// event.
fn event(frame: Result<Frame, FrameError>) -> Event {
    match frame {
        Ok(Frame::Text(text)) => Event::Message {
            text,
            binary: false,
        },
        Ok(Frame::NotUtf8) => Event::Refused(Refusal::NotUtf8),
        Err(FrameError::TooLarge { limit }) => Event::Fatal {
            reason: CloseReason::MessageTooBig,
            reply: Some(Refusal::TooLarge { limit }.response()),
            code: 1009,
            text: "message too big",
            ends: true,
            what: "message over the size limit",
            detail: format!("the limit is {limit} bytes"),
        },
        Err(FrameError::BadHeader(why)) => Event::Fatal {
            reason: CloseReason::Error(ConnectionError::new(format!("bad framing: {why}"))),
            reply: Some(Refusal::BadFraming(why).response()),
            code: 1002,
            text: "bad framing",
            ends: true,
            what: "bad framing",
            detail: why.to_owned(),
        },
        Err(FrameError::Truncated) => {
            // The peer ended its side partway through a message: that one
            // is dropped, but what it sent before is still answered. The
            // reader ends after an error, so the end of stream follows and
            // the connection drains as on any half-close.
            tracing::debug!(target: "rpc_runtime::stream", "the stream ended partway through a message: dropped");
            Event::Other
        }
        Err(error @ FrameError::Io(_)) => Event::Lost(ConnectionError::with_source(
            "reading the stream failed",
            error,
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::super::{Framing, StreamConfig};
    use crate::protocol::ErrorObjectOwned;
    use crate::ws::Connection;
    use crate::{Context, Router};

    /// A message cut short by the end of the stream is dropped; the
    /// complete ones before it are still answered, then the stream ends.
    #[tokio::test]
    async fn a_message_cut_short_by_the_end_drops_only_itself() {
        let mut router = Router::new();
        router
            .register_async("later", |_, _| async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Ok::<_, ErrorObjectOwned>(1)
            })
            .unwrap();
        let config = StreamConfig::new(Framing::ContentLength);
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let server = Connection::stream_server(&config, "pipe");
        let ctx = server.context(Context::builder());
        let (read, write) = tokio::io::split(theirs);
        let run =
            tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
        let (mut read, mut write) = tokio::io::split(ours);
        let call = r#"{"jsonrpc":"2.0","method":"later","id":1}"#;
        let sent = format!(
            "Content-Length: {}\r\n\r\n{call}Content-Length: 99\r\n\r\n{{",
            call.len()
        );
        write.write_all(sent.as_bytes()).await.unwrap();
        write.shutdown().await.unwrap();
        let mut answered = String::new();
        read.read_to_string(&mut answered).await.unwrap();
        let answer = r#"{"jsonrpc":"2.0","result":1,"id":1}"#;
        assert_eq!(
            answered,
            format!("Content-Length: {}\r\n\r\n{answer}", answer.len())
        );
        run.await.unwrap();
    }
}
