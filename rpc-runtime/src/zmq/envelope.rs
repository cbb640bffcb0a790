//! A ZeroMQ message as JSON-RPC sees it: the envelope its reply must carry
//! back, and the one body frame that holds the JSON-RPC message.

#[cfg(feature = "server")]
use crate::protocol::{codes, write_error_response, ErrorObject, Id, Version};

/// Splits a message's frames into its envelope and its bodies: the
/// envelope is every frame up to and including the first empty one (the
/// delimiter a REQ socket, or a DEALER speaking to REP, puts first, with
/// any routing frames of proxies before it); with no empty frame there is
/// no envelope (a DEALER's bare message). A reply goes out as the same
/// envelope and one body.
///
/// ```
/// use rpc_runtime::zmq::split_envelope;
/// let req = vec![b"".to_vec(), b"{}".to_vec()];
/// assert_eq!(split_envelope(req), (vec![vec![]], vec![b"{}".to_vec()]));
/// let dealer = vec![b"{}".to_vec()];
/// assert_eq!(split_envelope(dealer), (vec![], vec![b"{}".to_vec()]));
/// let proxied = vec![b"hop".to_vec(), b"".to_vec(), b"{}".to_vec()];
/// assert_eq!(split_envelope(proxied).0.len(), 2);
/// ```
#[must_use]
pub fn split_envelope(mut frames: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    match frames.iter().position(Vec::is_empty) {
        Some(delimiter) => {
            let bodies = frames.split_off(delimiter + 1);
            (frames, bodies)
        }
        None => (Vec::new(), frames),
    }
}

/// The answer to a message whose body is more than one frame (or more
/// frames than are kept): `-32600`, id `null`.
#[cfg(feature = "server")]
pub(crate) fn multipart_response(bodies: usize) -> String {
    let detail = if bodies > super::wire::MAX_FRAMES {
        format!("more than {} frames", super::wire::MAX_FRAMES)
    } else {
        format!("{bodies} body frames")
    };
    let error = ErrorObject::new(
        codes::INVALID_REQUEST,
        format!(
            "Invalid Request: one JSON-RPC message per ZeroMQ message, in one frame (got {detail})"
        ),
    );
    let mut out = String::with_capacity(160);
    write_error_response(&mut out, Version::V2, &Id::null(), &error);
    out
}

#[cfg(all(test, feature = "server"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_multipart_answer_is_an_invalid_request_with_id_null() {
        let text = multipart_response(2);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["error"]["code"], -32600);
        assert!(value["id"].is_null());
        assert!(text.contains("one JSON-RPC message per ZeroMQ message"));
        assert!(multipart_response(1000).contains("more than 64 frames"));
    }
}
