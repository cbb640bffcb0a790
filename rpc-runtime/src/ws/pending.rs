//! The table of outgoing calls waiting for their responses, by id.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::client::{ClientError, CloseReason};
use crate::protocol::{
    write_error_response, write_success_response, ErrorObjectOwned, Id, IdKind, Response,
    ResponsePayload, Version,
};

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
    /// The whole response, re-written (for a raw send).
    Raw(String),
}

impl Reply {
    pub(crate) fn decode<R: DeserializeOwned>(self) -> Result<R, ClientError> {
        match self {
            Reply::Result { frame, range } => {
                let text = frame.as_str().get(range).unwrap_or("null");
                serde_json::from_str(text).map_err(ClientError::Decode)
            }
            Reply::Error(error) => Err(ClientError::Rpc(error)),
            Reply::Raw(text) => serde_json::from_str(&text).map_err(ClientError::Decode),
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
            Reply::Raw(text) => RawValue::from_string(text).map_err(|e| {
                ErrorObjectOwned::new(crate::protocol::codes::PARSE_ERROR, e.to_string())
            }),
        }
    }

    /// The response text of a raw send.
    pub(crate) fn into_text(self) -> String {
        match self {
            Reply::Raw(text) => text,
            Reply::Result { frame, range } => {
                frame.as_str().get(range).unwrap_or("null").to_owned()
            }
            Reply::Error(error) => {
                let mut out = String::new();
                write_error_response(&mut out, Version::V2, &Id::null(), &error);
                out
            }
        }
    }
}

type Waiter = oneshot::Sender<Result<Reply, ClientError>>;

/// A waiting call: where its reply goes, and whether it wants the whole
/// response text (a raw send) rather than its result.
struct Slot {
    waiter: Waiter,
    raw: bool,
    /// A single call (not in a batch, not a raw send), with its place in
    /// the order calls were sent: an id-`null` error with no batch to
    /// answer fails the oldest of these.
    single: Option<u64>,
}

/// The key a call waits under: its id's [`Id::match_key`].
pub(crate) type Key = String;

#[derive(Default)]
struct Table {
    waiting: HashMap<Key, Slot>,
    /// The ids of each batch still waiting, in the order they were sent.
    batches: Vec<Vec<Key>>,
    /// How many answers with id `null` raw sends should still get (to
    /// messages the peer cannot read an id from); those are dropped rather
    /// than taken for the refusal of a batch.
    unread_raw: usize,
    /// Why the connection ended; once set, no call is registered.
    closed: Option<CloseReason>,
    /// The next single call's place in the order.
    next_single: u64,
}

impl Table {
    fn check(&self, keys: &[&Key]) -> Result<(), ClientError> {
        if let Some(why) = &self.closed {
            return Err(ClientError::Closed(why.clone()));
        }
        for (i, key) in keys.iter().enumerate() {
            if self.waiting.contains_key(*key) || keys[..i].contains(key) {
                return Err(ClientError::Transport(
                    format!(
                        "id {} is already used by a call waiting for its response",
                        shown(key)
                    )
                    .into(),
                ));
            }
        }
        Ok(())
    }
}

/// A key as the id it came from, for messages.
fn shown(key: &str) -> String {
    match key.split_at_checked(1) {
        Some(("s", text)) => format!("{text:?}"),
        Some(("n", text)) => text.to_owned(),
        _ => key.to_owned(),
    }
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
    /// Registers a call; refused with [`ClientError::Closed`] once closed,
    /// and with [`ClientError::Transport`] when a call waiting already has
    /// that id.
    pub(crate) fn register(
        &self,
        id: Key,
    ) -> Result<oneshot::Receiver<Result<Reply, ClientError>>, ClientError> {
        let (tx, rx) = oneshot::channel();
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.check(&[&id])?;
        let order = table.next_single;
        table.next_single += 1;
        table.waiting.insert(
            id,
            Slot {
                waiter: tx,
                raw: false,
                single: Some(order),
            },
        );
        Ok(rx)
    }

    /// Registers the calls of one batch (ids distinct, and unused by the
    /// calls waiting). `raw`: each gets its whole response text, and
    /// `unread` answers with id `null` are expected besides (a raw send).
    pub(crate) fn register_batch(
        &self,
        ids: &[Key],
        raw: bool,
        unread: usize,
    ) -> Result<Vec<oneshot::Receiver<Result<Reply, ClientError>>>, ClientError> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.check(&ids.iter().collect::<Vec<_>>())?;
        let receivers = ids
            .iter()
            .map(|id| {
                let (tx, rx) = oneshot::channel();
                let slot = Slot {
                    waiter: tx,
                    raw,
                    single: None,
                };
                table.waiting.insert(id.clone(), slot);
                rx
            })
            .collect();
        if !ids.is_empty() && !raw {
            table.batches.push(ids.to_vec());
        }
        table.unread_raw += unread;
        Ok(receivers)
    }

    /// Forgets a call its caller gave up on (timeout, cancellation).
    pub(crate) fn forget(&self, id: &str) {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .remove(id);
    }

    /// Forgets a batch: answered, or given up on.
    pub(crate) fn forget_batch(&self, ids: &[Key]) {
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
        if response.id.is_null() {
            return match &response.payload {
                ResponsePayload::Error(error) => self.fail_unread_batch(error),
                ResponsePayload::Result(_) => false,
            };
        }
        let slot = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            let key = response.id.match_key();
            match table.waiting.remove(&key) {
                Some(slot) => Some(slot),
                // A peer may echo a numeric id as a string; match it anyway.
                None => response
                    .id
                    .as_str()
                    .filter(|text| {
                        Id::from_json(text).is_some_and(|id| id.kind() == IdKind::Number)
                    })
                    .and_then(|text| table.waiting.remove(&format!("n{text}"))),
            }
        };
        let Some(Slot { waiter, raw, .. }) = slot else {
            return false;
        };
        if raw {
            let mut text = String::new();
            match &response.payload {
                ResponsePayload::Result(result) => {
                    write_success_response(&mut text, response.version, &response.id, result.get());
                }
                ResponsePayload::Error(error) => {
                    write_error_response(&mut text, response.version, &response.id, error);
                }
            }
            let _ = waiter.send(Ok(Reply::Raw(text)));
            return true;
        }
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
    /// a whole. This side only sends valid JSON, so that is a message it
    /// refused (too long, say): fail the oldest batch none of whose calls has
    /// been answered or, with none, the oldest single call waiting, rather
    /// than leave it waiting forever (a transport whose connection goes on
    /// after such a refusal, ZeroMQ, would otherwise never answer it).
    fn fail_unread_batch(&self, error: &crate::protocol::ErrorObject<'_>) -> bool {
        let waiters: Vec<Waiter> = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if table.unread_raw > 0 {
                // The answer to a raw message without a readable id.
                table.unread_raw -= 1;
                return true;
            }
            let unread = table
                .batches
                .iter()
                .position(|batch| batch.iter().all(|id| table.waiting.contains_key(id)));
            match unread {
                Some(at) => {
                    let batch = table.batches.remove(at);
                    batch
                        .iter()
                        .filter_map(|id| table.waiting.remove(id))
                        .map(|slot| slot.waiter)
                        .collect()
                }
                None => {
                    // Rare (a refusal), so a scan rather than an order kept
                    // on every call.
                    let Some(oldest) = table
                        .waiting
                        .iter()
                        .filter_map(|(key, slot)| slot.single.map(|order| (order, key)))
                        .min()
                        .map(|(_, key)| key.clone())
                    else {
                        return false;
                    };
                    table
                        .waiting
                        .remove(&oldest)
                        .map(|slot| slot.waiter)
                        .into_iter()
                        .collect()
                }
            }
        };
        for waiter in waiters {
            let _ = waiter.send(Err(ClientError::Rpc(error.clone().into_owned())));
        }
        true
    }

    /// Fails every waiting call at once and refuses new ones.
    pub(crate) fn close(&self, why: &CloseReason) {
        let waiting = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if table.closed.is_none() {
                table.closed = Some(why.clone());
            }
            std::mem::take(&mut table.waiting)
        };
        for (_, Slot { waiter, .. }) in waiting {
            let _ = waiter.send(Err(ClientError::Closed(why.clone())));
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

    fn key(n: u64) -> Key {
        Id::number(n).match_key()
    }

    #[tokio::test]
    async fn delivers_by_id_and_fails_all_on_close() {
        let pending = Pending::default();
        let a = pending.register(key(1)).unwrap();
        let b = pending.register(key(2)).unwrap();
        let frame = Utf8Bytes::from(r#"{"jsonrpc":"2.0","result":[1,2],"id":1}"#);
        let response = parse_response(&frame).unwrap();
        assert!(pending.deliver(&response, &frame));
        assert!(!pending.deliver(&response, &frame), "delivered once only");
        let value: Vec<i32> = a.await.unwrap().unwrap().decode().unwrap();
        assert_eq!(value, [1, 2]);
        pending.close(&CloseReason::EndOfStream);
        assert!(matches!(
            b.await.unwrap(),
            Err(ClientError::Closed(CloseReason::EndOfStream))
        ));
        assert!(matches!(
            pending.register(key(3)),
            Err(ClientError::Closed(_))
        ));
    }

    #[tokio::test]
    async fn a_null_id_error_fails_the_unanswered_batch_then_the_oldest_single_call() {
        let pending = Pending::default();
        let single = pending.register(key(1)).unwrap();
        let answered = pending.register_batch(&[key(2), key(3)], false, 0).unwrap();
        let refused = pending.register_batch(&[key(4), key(5)], false, 0).unwrap();
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
        // The batch with an answer still waits; with no unanswered batch
        // left, the next such error fails the oldest single call.
        let later = pending.register(key(6)).unwrap();
        assert!(pending.deliver(&parse_response(&frame).unwrap(), &frame));
        let error = single.await.unwrap().unwrap_err();
        assert_eq!(error.rpc_error().unwrap().code, -32600);
        pending.close(&CloseReason::Local);
        assert!(matches!(later.await.unwrap(), Err(ClientError::Closed(_))));
        let mut answered = answered.into_iter();
        assert!(answered.next().unwrap().await.unwrap().is_ok());
        assert!(matches!(
            answered.next().unwrap().await.unwrap(),
            Err(ClientError::Closed(_))
        ));
    }
}
