use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::batch::BatchRequest;
use super::{BatchResponse, ClientError, InvalidResponse};
use crate::protocol::{parse_response, parse_responses, write_request, Id, ResponsePayload};

/// Decodes the response to one call: checks it answers `id`, then decodes
/// the result as `R` or returns the server's error object.
///
/// ```
/// use rpc_runtime::client::{decode_response, ClientError};
/// use rpc_runtime::protocol::Id;
/// let id = Id::number(1);
/// assert_eq!(decode_response::<i64>(r#"{"jsonrpc":"2.0","result":19,"id":1}"#, &id).unwrap(), 19);
/// assert!(matches!(decode_response::<i64>(r#"{"jsonrpc":"2.0","result":19,"id":2}"#, &id),
///     Err(ClientError::InvalidResponse(_))));
/// ```
///
/// # Errors
/// The error that tells why: unparsable, invalid, wrong id, server error,
/// or a result that is not an `R`.
pub fn decode_response<R: DeserializeOwned>(text: &str, id: &Id<'_>) -> Result<R, ClientError> {
    let response = parse_response(text)?;
    match response.payload {
        ResponsePayload::Error(error)
            if response.id.is_null() || response.id.match_key() == id.match_key() =>
        {
            Err(ClientError::Rpc(error.into_owned()))
        }
        _ if response.id.match_key() != id.match_key() => {
            Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
                "response id {} does not match request id {}",
                response.id, id
            ))))
        }
        ResponsePayload::Result(raw) => {
            serde_json::from_str(raw.get()).map_err(ClientError::Decode)
        }
        ResponsePayload::Error(error) => Err(ClientError::Rpc(error.into_owned())),
    }
}

/// Writes a batch as one JSON array, giving each call the next id from
/// `next_id`; returns the text and the ids in call order.
pub fn write_batch_request(
    batch: &BatchRequest,
    mut next_id: impl FnMut() -> Id<'static>,
) -> (String, Vec<Id<'static>>) {
    let mut out = String::with_capacity(64 * batch.len() + 2);
    let mut ids = Vec::with_capacity(batch.call_count());
    out.push('[');
    for (i, entry) in batch.entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let id = entry.slot.map(|_| next_id());
        write_request(&mut out, &entry.method, entry.params.as_json(), id.as_ref());
        ids.extend(id);
    }
    out.push(']');
    (out, ids)
}

/// Matches a batch's responses to its calls by id, whatever their order.
///
/// # Errors
/// When the text is not a valid batch response, a call has no response,
/// or the server answered the whole batch with one error.
pub fn decode_batch_response(text: &str, ids: &[Id<'_>]) -> Result<BatchResponse, ClientError> {
    let responses = parse_responses(text)?;
    let index: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.match_key(), i))
        .collect();
    let mut results: Vec<Option<Result<Box<RawValue>, _>>> = vec![None; ids.len()];
    for response in responses {
        let Some(&slot) = index.get(&response.id.match_key()) else {
            // A whole-batch failure (parse error, batch too long) has id null.
            if let (true, ResponsePayload::Error(error)) =
                (response.id.is_null(), &response.payload)
            {
                return Err(ClientError::Rpc(error.clone().into_owned()));
            }
            return Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
                "response id {} matches no call in the batch",
                response.id
            ))));
        };
        if results[slot].is_some() {
            return Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
                "two responses for id {}",
                response.id
            ))));
        }
        results[slot] = Some(match response.payload {
            ResponsePayload::Result(raw) => Ok(raw.to_owned()),
            ResponsePayload::Error(error) => Err(error.into_owned()),
        });
    }
    let results = results
        .into_iter()
        .zip(ids)
        .map(|(r, id)| {
            r.ok_or_else(|| {
                ClientError::InvalidResponse(InvalidResponse::new(format!(
                    "no response for id {id}"
                )))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(BatchResponse { results })
}
