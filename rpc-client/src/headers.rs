//! Header handling shared by the HTTP and WebSocket client builders.

use std::fmt;

use base64::Engine as _;
use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

/// Sets one header, replacing earlier values of the same name; the error
/// says which half was invalid.
pub(crate) fn insert<K, V>(headers: &mut HeaderMap, name: K, value: V) -> Result<(), String>
where
    K: TryInto<HeaderName>,
    K::Error: fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Display,
{
    let name = name.try_into().map_err(|e| format!("name: {e}"))?;
    let value = value.try_into().map_err(|e| format!("value: {e}"))?;
    headers.insert(name, value);
    Ok(())
}

/// Adds `more`, replacing earlier values of the same names and keeping every
/// value `more` has for a name.
pub(crate) fn extend(headers: &mut HeaderMap, more: HeaderMap) {
    let mut last = None;
    for (name, value) in more {
        // `None` means the same name as the previous entry: a second value.
        match name {
            Some(name) => {
                headers.insert(name.clone(), value);
                last = Some(name);
            }
            None => {
                if let Some(name) = &last {
                    headers.append(name.clone(), value);
                }
            }
        }
    }
}

/// `Authorization: Basic …` for `user` and `password`.
pub(crate) fn basic_auth(user: &str, password: Option<&str>) -> Result<HeaderValue, String> {
    let credentials = format!("{user}:{}", password.unwrap_or_default());
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    authorization(&format!("Basic {encoded}"))
}

/// `Authorization: Bearer …` for `token`.
pub(crate) fn bearer_auth(token: &str) -> Result<HeaderValue, String> {
    authorization(&format!("Bearer {token}"))
}

fn authorization(value: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::try_from(value).map_err(|e| format!("authorization: {e}"))?;
    // Keeps it out of logs and HPACK tables.
    value.set_sensitive(true);
    Ok(value)
}
