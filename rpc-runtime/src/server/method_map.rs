//! The method map: what a plain `GET` on the endpoint returns when it is
//! switched on, like Python json-rpc's `/map`.
//!
//! ```json
//! {"methods":[{"name":"add","params":["a","b"]},{"name":"plus","params":["a","b"],"alias_of":"add"}]}
//! ```

use bytes::Bytes;
use serde::Serialize;

use crate::Router;

#[derive(Serialize)]
struct Map<'a> {
    methods: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    params: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    notification: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias_of: Option<&'a str>,
}

/// The map of `router`'s methods as JSON, sorted by name.
pub(crate) fn render(router: &Router) -> Bytes {
    let map = Map {
        methods: router
            .methods()
            .into_iter()
            .map(|info| Entry {
                name: &info.name,
                params: &info.params,
                notification: info.notification,
                alias_of: info.alias_of.as_deref(),
            })
            .collect(),
    };
    // Serializing strings, bools and lists cannot fail; an empty map is the
    // harmless answer should it ever.
    serde_json::to_vec(&map)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(br#"{"methods":[]}"#))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::protocol::ErrorObjectOwned;

    #[test]
    fn lists_methods_with_params() {
        let mut router = Router::new();
        router
            .register_sync("add", |_, _| Ok::<_, ErrorObjectOwned>(0))
            .unwrap()
            .with_params(&["a", "b"]);
        router
            .register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>(0))
            .unwrap();
        let text = render(&router);
        assert_eq!(
            &text[..],
            br#"{"methods":[{"name":"add","params":["a","b"]},{"name":"ping","params":[]}]}"#
        );
    }
}
