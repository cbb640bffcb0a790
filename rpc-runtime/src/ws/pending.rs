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
    /// The ids of each batch still waiting, in the order they were sent.
    batches: Vec<Vec<u64>>,
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

    /// Registers the calls of one batch.
    pub(crate) fn register_batch(
        &self,
        ids: &[u64],
    ) -> Result<Vec<oneshot::Receiver<Result<Reply, ClientError>>>, ClientError> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(why) = &table.closed {
            return Err(ClientError::Closed(why.clone()));
        }
        let receivers = ids
            .iter()
            .map(|id| {
                let (tx, rx) = oneshot::channel();
                table.waiting.insert(*id, tx);
                rx
            })
            .collect();
        if !ids.is_empty() {
            table.batches.push(ids.to_vec());
        }
        Ok(receivers)
    }

    /// Forgets a call its caller gave up on (timeout, cancellation).
    pub(crate) fn forget(&self, id: u64) {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .remove(&id);
    }

    /// Forgets a batch: answered, or given up on.
    pub(crate) fn forget_batch(&self, ids: &[u64]) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        for id in ids {
            table.waiting.remove(id);
        }
        if let Some(at) = table
            .batches
            .iter()
            .position(|batch| batch.first() == ids.first())
        {
            table.batches.remove(at);
        }
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
            return match &response.payload {
                ResponsePayload::Error(error) if response.id.is_null() => {
                    self.fail_unread_batch(error)
                }
                ResponsePayload::Result(_) | ResponsePayload::Error(_) => false,
            };
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

    /// An error with id `null` answers a message the peer could not read as
    /// a whole. This side only sends valid JSON, so that is a batch it
    /// refused (too long, say): fail the oldest batch none of whose calls has
    /// been answered, rather than leave it waiting forever.
    fn fail_unread_batch(&self, error: &crate::protocol::ErrorObject<'_>) -> bool {
        let waiters: Vec<Waiter> = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(at) = table
                .batches
                .iter()
                .position(|batch| batch.iter().all(|id| table.waiting.contains_key(id)))
            else {
                return false;
            };
            let batch = table.batches.remove(at);
            batch
                .iter()
                .filter_map(|id| table.waiting.remove(id))
                .collect()
        };
        for waiter in waiters {
            let _ = waiter.send(Err(ClientError::Rpc(error.clone().into_owned())));
        }
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

    #[tokio::test]
    async fn a_null_id_error_fails_the_unanswered_batch() {
        let pending = Pending::default();
        let single = pending.register(1).unwrap();
        let answered = pending.register_batch(&[2, 3]).unwrap();
        let refused = pending.register_batch(&[4, 5]).unwrap();
        let frame = Utf8Bytes::from(r#"{"jsonrpc":"2.0","result":true,"id":2}"#);
        assert!(pending.deliver(&parse_response(&frame).unwrap(), &frame));
        let frame = Utf8Bytes::from(
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"too long"},"id":null}"#,
        );
        assert!(pending.deliver(&parse_response(&frame).unwrap(), &frame));
        for reply in refused {
            let error = reply.await.unwrap().unwrap_err();
            assert_eq!(error.rpc_error().unwrap().code, -32600);
        }
        // The batch with an answer and the single call still wait.
        pending.close("end");
        assert!(matches!(single.await.unwrap(), Err(ClientError::Closed(_))));
        let mut answered = answered.into_iter();
        assert!(answered.next().unwrap().await.unwrap().is_ok());
        assert!(matches!(
            answered.next().unwrap().await.unwrap(),
            Err(ClientError::Closed(_))
        ));
    }
}
