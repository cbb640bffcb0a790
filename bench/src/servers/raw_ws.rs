//! The WebSocket limit: tokio-tungstenite answering each text frame with a
//! canned response, no JSON parsing. The generator sends `add(1,2)` only;
//! the id is found by a byte scan and copied into the answer (pipelined
//! calls need distinct ids). Replies to frames that have already arrived
//! are written together and flushed once, as a tuned echo server would.

use std::net::SocketAddr;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use super::{canned_response, scan_id, BoxError};

pub(crate) async fn serve(addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(connection(stream));
        }
    });
    Ok(bound)
}

async fn connection(stream: TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    while let Some(Ok(first)) = stream.next().await {
        let mut next = Some(first);
        // Answer everything already received, then flush once.
        while let Some(message) = next {
            if let Message::Text(text) = message {
                let id = scan_id(text.as_bytes()).unwrap_or(b"null");
                let reply = canned_response(id);
                // Only ASCII was copied in, so this never fails.
                let Ok(reply) = String::from_utf8(reply) else {
                    return;
                };
                if sink.feed(Message::text(reply)).await.is_err() {
                    return;
                }
            }
            next = match futures_util::FutureExt::now_or_never(stream.next()) {
                Some(Some(Ok(message))) => Some(message),
                Some(Some(Err(_)) | None) => return,
                None => None,
            };
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}
