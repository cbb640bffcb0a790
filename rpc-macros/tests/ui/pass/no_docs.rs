//! `#[rpc(no_docs)]`: no OpenRPC documentation, so the types need no
//! `JsonSchema`, and the router carries no doc.

use rpc_runtime::rpc;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Opaque(pub i64);

#[rpc(no_docs)]
pub trait Api {
    fn echo(&self, value: Opaque) -> Opaque;
}

struct Impl;

impl Api for Impl {
    fn echo(&self, value: Opaque) -> Opaque {
        value
    }
}

fn main() {
    let router = Impl.into_router();
    assert!(router.api_doc().is_none());
    assert!(router.has_method("echo"));
}
