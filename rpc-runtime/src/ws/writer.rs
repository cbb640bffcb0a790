//! The writer task: the only place frames are written to the socket.

use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::SinkExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::Side;

/// A frame waiting to be written.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A text frame.
    Text(String),
    /// A text frame whose sender waits until it is written and flushed (a
    /// notification: nothing else tells the sender it went out).
    Notice(String, oneshot::Sender<()>),
    /// A binary frame carrying JSON text (the answer to a binary frame).
    Binary(String),
    /// A keepalive ping.
    Ping,
    /// The close frame; the writer stops after it.
    Close(u16, &'static str),
}

/// How many queued frames are written before one flush.
const BURST: usize = 256;

/// Drains the queue into the socket, feeding every frame that is already
/// waiting and flushing once per burst. Ends after a close frame, when
/// every sender is gone, or with the error that stopped it (a write that
/// takes longer than `write_timeout` means the peer stopped reading).
pub(crate) async fn write_loop<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut queue: mpsc::Receiver<Outgoing>,
    write_timeout: Duration,
    side: Side,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut burst = Vec::with_capacity(BURST);
    let mut written = Vec::new();
    loop {
        if queue.recv_many(&mut burst, BURST).await == 0 {
            return Ok(());
        }
        let write = async {
            let mut closing = false;
            for frame in burst.drain(..) {
                let message = match frame {
                    Outgoing::Text(text) => {
                        super::wire!(side, direction = "send", %text);
                        Message::Text(Utf8Bytes::from(text))
                    }
                    Outgoing::Notice(text, done) => {
                        super::wire!(side, direction = "send", %text);
                        written.push(done);
                        Message::Text(Utf8Bytes::from(text))
                    }
                    Outgoing::Binary(text) => {
                        super::wire!(side, direction = "send", binary = true, %text);
                        Message::Binary(Bytes::from(text.into_bytes()))
                    }
                    Outgoing::Ping => Message::Ping(Bytes::new()),
                    Outgoing::Close(code, reason) => {
                        closing = true;
                        Message::Close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: Utf8Bytes::from_static(reason),
                        }))
                    }
                };
                sink.feed(message).await?;
                if closing {
                    break;
                }
            }
            sink.flush().await?;
            Ok::<_, tokio_tungstenite::tungstenite::Error>(closing)
        };
        let outcome = tokio::time::timeout(write_timeout, write).await;
        if matches!(outcome, Ok(Ok(_))) {
            for done in written.drain(..) {
                // The sender may have stopped waiting; the frame is out anyway.
                let _ = done.send(());
            }
        }
        match outcome {
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => return Ok(()),
            Ok(Err(error)) => return Err(error.to_string()),
            Err(_) => return Err(format!("a write took longer than {write_timeout:?}")),
        }
    }
}
