//! The table of outgoing calls waiting for their responses, by id.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::client::ClientError;
use crate::protocol::{ErrorObjectOwned, Response, ResponsePayload};

/// A response as delivered to a waiting call: the result stays in the frame
/// it arrived in (a shared, reference-counted buffer), so nothing is copied
/// until the caller decodes it.
#[derive(Debug)]
pub(crate) enum Reply {
    /// `frame[range]` is the result's JSON text.
    Result {
        frame: Utf8Bytes,
        range: Range<usize>,
    },
    /// The peer's error object.
    Error(ErrorObjectOwned),
}

impl Reply {
    pub(crate) fn decode<R: DeserializeOwned>(self) -> Result<R, ClientError> {
        match self {
            Reply::Result { frame, range } => {
                let text = frame.as_str().get(range).unwrap_or("null");
                serde_json::from_str(text).map_err(|e| ClientError::Decode(e.to_string()))
            }
            Reply::Error(error) => Err(ClientError::Rpc(error)),
        }
    }

    pub(crate) fn into_raw(self) -> Result<Box<RawValue>, ErrorObjectOwned> {
        match self {
            Reply::Result { frame, range } => {
                let text = frame.as_str().get(range).unwrap_or("null");
                // The text was parsed as one JSON value already.
                RawValue::from_string(text.to_owned()).map_err(|e| {
                    ErrorObjectOwned::new(crate::protocol::codes::PARSE_ERROR, e.to_string())
                })
            }
            Reply::Error(error) => Err(error),
        }
    }
}

type Waiter = oneshot::Sender<Result<Reply, ClientError>>;

#[derive(Default)]
struct Table {
    waiting: HashMap<u64, Waiter>,
    /// Why the connection ended; once set, no call is registered.
    closed: Option<String>,
}

/// Outgoing calls by id. One lock guards both the table and the closed
/// flag, so a call is either registered before the close (and failed by
/// it) or refused: none can slip in after and hang.
#[derive(Default)]
pub(crate) struct Pending {
    table: Mutex<Table>,
}

impl Pending {
    /// Registers a call; refused with [`ClientError::Closed`] once closed.
    pub(crate) fn register(
        &self,
        id: u64,
    ) -> Result<oneshot::Receiver<Result<Reply, ClientError>>, ClientError> {
        let (tx, rx) = oneshot::channel();
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(why) = &table.closed {
            return Err(ClientError::Closed(why.clone()));
        }
        table.waiting.insert(id, tx);
        Ok(rx)
    }

    /// Forgets a call its caller gave up on (timeout, cancellation).
    pub(crate) fn forget(&self, id: u64) {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .remove(&id);
    }

    /// Whether any call is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .is_empty()
    }

    /// Hands a response to the call it answers; `false` if no call waits for
    /// that id.
    pub(crate) fn deliver(&self, response: &Response<'_>, frame: &Utf8Bytes) -> bool {
        let Some(id) = response.id.as_u64().or_else(|| {
            // A peer may echo our numeric id as a string; match it anyway.
            response.id.as_str().and_then(|s| s.parse().ok())
        }) else {
            return false;
        };
        let waiter = self
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .remove(&id);
        let Some(waiter) = waiter else { return false };
        let reply = match &response.payload {
            ResponsePayload::Result(raw) => Reply::Result {
                frame: frame.clone(),
                range: offset_in(frame.as_str(), raw.get()),
            },
            ResponsePayload::Error(error) => Reply::Error(error.clone().into_owned()),
        };
        // The caller may have given up meanwhile; nothing to do then.
        let _ = waiter.send(Ok(reply));
        true
    }

    /// Fails every waiting call at once and refuses new ones.
    pub(crate) fn close(&self, why: &str) {
        let waiting = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if table.closed.is_none() {
                table.closed = Some(why.to_owned());
            }
            std::mem::take(&mut table.waiting)
        };
        for (_, waiter) in waiting {
            let _ = waiter.send(Err(ClientError::Closed(why.to_owned())));
        }
    }
}

/// Where `part`, a slice of `whole`, lies in it.
fn offset_in(whole: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if start <= whole.len() && start + part.len() <= whole.len() {
        start..start + part.len()
    } else {
        // Not a slice of the frame (cannot happen with a borrowing parse);
        // an empty range decodes as an error rather than as wrong data.
        0..0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::protocol::parse_response;

    #[tokio::test]
    async fn delivers_by_id_and_fails_all_on_close() {
        let pending = Pending::default();
        let a = pending.register(1).unwrap();
        let b = pending.register(2).unwrap();
        let frame = Utf8Bytes::from(r#"{"jsonrpc":"2.0","result":[1,2],"id":1}"#);
        let response = parse_response(&frame).unwrap();
        assert!(pending.deliver(&response, &frame));
        assert!(!pending.deliver(&response, &frame), "delivered once only");
        let value: Vec<i32> = a.await.unwrap().unwrap().decode().unwrap();
        assert_eq!(value, [1, 2]);
        pending.close("gone");
        assert!(matches!(b.await.unwrap(), Err(ClientError::Closed(why)) if why == "gone"));
        assert!(matches!(pending.register(3), Err(ClientError::Closed(_))));
    }
}
