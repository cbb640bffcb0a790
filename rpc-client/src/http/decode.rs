//! Response decompression: `Content-Encoding: gzip` or `br`, decoded
//! within the response size limit, which counts the decoded bytes (a small
//! body that inflates past it, a "decompression bomb", is refused).

use std::io::Read;

use bytes::Bytes;
use http::header::CONTENT_ENCODING;
use http::HeaderMap;
use rpc_runtime::client::ClientError;

/// What the client sends as `Accept-Encoding` when decompression is on.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, br";

/// The body as the server meant it: decoded when `Content-Encoding` says
/// `gzip` (or `x-gzip`) or `br`, as is when it says nothing or `identity`.
///
/// # Errors
/// [`ClientError::Transport`] for another encoding, a corrupt stream, or
/// more than `limit` decoded bytes.
pub(crate) fn decode(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, ClientError> {
    let Some(encoding) = headers.get(CONTENT_ENCODING) else {
        return Ok(body);
    };
    let encoding = encoding.to_str().unwrap_or_default().trim();
    // The decoders read from a slice: the whole (limited) body is already in.
    let reader: Box<dyn Read + '_> =
        if encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip") {
            Box::new(flate2::read::MultiGzDecoder::new(&body[..]))
        } else if encoding.eq_ignore_ascii_case("br") {
            Box::new(brotli::Decompressor::new(&body[..], 8 * 1024))
        } else if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
            return Ok(body);
        } else {
            return Err(ClientError::Transport(
                format!("unsupported response Content-Encoding {encoding:?}").into(),
            ));
        };
    let mut decoded = Vec::new();
    // One byte more than the limit tells "exactly at the limit" from "over".
    let ceiling = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(ceiling)
        .read_to_end(&mut decoded)
        .map_err(|e| {
            ClientError::Transport(
                format!("cannot decode the {encoding} response body: {e}").into(),
            )
        })?;
    if decoded.len() > limit {
        return Err(ClientError::Transport(
            format!("decoded response body exceeds the limit of {limit} bytes").into(),
        ));
    }
    Ok(Bytes::from(decoded))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write as _;

    use http::HeaderValue;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    fn headers(encoding: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        headers
    }

    #[test]
    fn gzip_within_the_limit_is_decoded_and_past_it_refused() {
        let body = gzip(&[b'a'; 1000]);
        let decoded = decode(&headers("gzip"), body.clone(), 1000).unwrap();
        assert_eq!(&decoded[..], &[b'a'; 1000][..]);
        let refused = decode(&headers("gzip"), body, 999).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("exceeds the limit of 999 bytes"),
            "{refused}"
        );
    }

    #[test]
    fn unknown_encodings_and_corrupt_streams_are_errors() {
        assert!(decode(&headers("zstd"), Bytes::from_static(b"x"), 10).is_err());
        assert!(decode(&headers("gzip"), Bytes::from_static(b"not gzip"), 10).is_err());
        let plain = decode(&HeaderMap::new(), Bytes::from_static(b"as is"), 1).unwrap();
        assert_eq!(&plain[..], b"as is");
    }
}
