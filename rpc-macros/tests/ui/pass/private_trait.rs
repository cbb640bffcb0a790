//! A private trait whose client (or server) goes unused compiles
//! warning-free: the generated items follow the trait's visibility.
#![deny(warnings, unreachable_pub)]

mod api {
    use rpc_runtime::rpc;

    #[rpc]
    pub(crate) trait Internal {
        fn ping(&self) -> String;
    }

    #[rpc]
    trait Unused {
        fn nothing(&self);
    }

    pub(crate) struct Impl;

    impl Internal for Impl {
        fn ping(&self) -> String {
            "pong".to_owned()
        }
    }
}

use api::Internal as _;

fn main() {
    let router = api::Impl.into_router();
    assert_eq!(router.method_names(), ["ping"]);
}
