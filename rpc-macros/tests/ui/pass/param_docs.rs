//! Argument docs: `///` comments (which rustc alone would refuse on fn
//! arguments) and `#[param(doc = "..")]` become the params' descriptions.
#![deny(warnings)]

use rpc_runtime::rpc;

/// Greetings.
#[rpc]
pub trait Greeter {
    /// Greets someone.
    fn greet(
        &self,
        /// Who to greet.
        name: String,
        #[param(rename = "loud", doc = "Shout it.")] shout: Option<bool>,
    ) -> String;
}

struct Impl;

impl Greeter for Impl {
    fn greet(&self, name: String, shout: Option<bool>) -> String {
        if shout == Some(true) {
            format!("HELLO, {name}!")
        } else {
            format!("hello, {name}")
        }
    }
}

fn main() {
    let doc = Impl.into_router().openrpc_document(&Default::default());
    let params = &doc.methods[0].params;
    assert_eq!(params[0].description.as_deref(), Some("Who to greet."));
    assert_eq!(params[1].name, "loud");
    assert_eq!(params[1].description.as_deref(), Some("Shout it."));
    assert!(!params[1].required);
}
