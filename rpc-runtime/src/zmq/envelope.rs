//! A ZeroMQ message as JSON-RPC sees it: the envelope its reply must carry
//! back, and the one body frame that holds the JSON-RPC message.

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
