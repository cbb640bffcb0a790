//! Correct uses compile and run, in one binary (one build and link for
//! all of them); each module is one scenario, its `main` run below.
//!
//! At the root: the generated server and client compile warning-free under
//! strict lints.
#![deny(missing_docs, warnings)]

use rpc_runtime::client::LocalCaller;
use rpc_runtime::{rpc, Context, RpcError};

/// Errors of the API.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum ApiError {
    /// Not found.
    #[error("not found: {0}")]
    #[rpc(code = 404)]
    NotFound(String),
}

/// A documented API.
#[rpc(namespace = "api")]
pub trait Api {
    /// Adds.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Looks up.
    #[method(aliases = ["get"])]
    async fn lookup(&self, key: String) -> Result<String, ApiError>;
    /// Old.
    #[deprecated(note = "use `add`")]
    fn plus(&self, a: i64, b: i64) -> i64;
    /// Logs.
    #[notification]
    fn log(&self, line: String);
    /// Heavy.
    #[method(blocking)]
    fn heavy(&self, n: u64) -> u64;
    /// Context.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
    /// Named.
    #[method(client_params = "named")]
    async fn named(&self, #[param(rename = "firstName")] first_name: String) -> String;
}

struct Impl;

impl Api for Impl {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn lookup(&self, key: String) -> Result<String, ApiError> {
        Err(ApiError::NotFound(key))
    }
    fn plus(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    fn log(&self, _line: String) {}
    fn heavy(&self, n: u64) -> u64 {
        n
    }
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.transport().to_owned().into()
    }
    async fn named(&self, first_name: String) -> String {
        first_name
    }
}

fn strict_lints() {
    let client = ApiClient::new(LocalCaller::new(Impl.into_router()));
    let sum = futures_executor::block_on(client.add(1, 2));
    assert_eq!(sum.ok(), Some(3));
}

/// `#[rpc(no_docs)]`: no OpenRPC documentation; the router carries no doc.
mod no_docs {
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

    pub(crate) fn main() {
        let router = Impl.into_router();
        assert!(router.api_doc().is_none());
        assert!(router.has_method("echo"));
    }
}

/// Argument docs: `///` comments (which rustc alone would refuse on fn arguments) and `#[param(doc = "..")]` become the params' descriptions.
mod param_docs {
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

    pub(crate) fn main() {
        let doc = Impl.into_router().openrpc_document(&Default::default());
        let params = &doc.methods[0].params;
        assert_eq!(params[0].description.as_deref(), Some("Who to greet."));
        assert_eq!(params[1].name, "loud");
        assert_eq!(params[1].description.as_deref(), Some("Shout it."));
        assert!(!params[1].required);
    }
}

/// A private trait whose client (or server) goes unused compiles warning-free: the generated items follow the trait's visibility.
mod private_trait {
    #![deny(unreachable_pub)]
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

    pub(crate) fn main() {
        let router = api::Impl.into_router();
        assert_eq!(router.method_names(), ["ping"]);
    }
}

/// `server_only` generates no client; `client_only` no `into_router`.
mod server_and_client_only {
    use rpc_runtime::rpc;

    /// Served here.
    #[rpc(server_only)]
    pub trait Served {
        /// Ping.
        fn ping(&self) -> String;
    }

    /// Served elsewhere; only called from here.
    #[rpc(client_only, namespace = "remote")]
    pub trait Remote {
        /// Ping.
        fn ping(&self) -> String;
    }

    struct Impl;

    impl Served for Impl {
        fn ping(&self) -> String {
            "pong".to_owned()
        }
    }

    pub(crate) fn main() {
        let router = Impl.into_router();
        assert_eq!(router.method_names(), ["ping"]);
        let client = RemoteClient::new(rpc_runtime::client::LocalCaller::new(router));
        let reply = futures_executor::block_on(client.ping());
        // `remote.ping` is not served by this router.
        assert!(reply.is_err());
    }
}

/// Every spelling of a `Result` is fallible: the alias's error type is the method's application error, on the server and on the client.
mod result_aliases {
    use rpc_runtime::client::{ClientError, LocalCaller};
    use rpc_runtime::{rpc, InternalError, RpcError};

    #[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
    pub enum BankError {
        #[error("insufficient funds")]
        #[rpc(code = 2001)]
        Insufficient,
    }

    pub type Result<T> = std::result::Result<T, BankError>;

    mod defaulted {
        pub type Result<T, E = rpc_runtime::InternalError> = std::result::Result<T, E>;
    }

    mod bare {
        pub type Result = std::result::Result<(), super::BankError>;
    }

    #[rpc]
    pub trait Bank {
        fn withdraw(&self, amount: u64) -> Result<u64>;
        fn audit(&self) -> defaulted::Result<String>;
        async fn close(&self) -> bare::Result;
        fn explicit(&self) -> std::result::Result<u64, InternalError>;
    }

    struct Vault;

    impl Bank for Vault {
        fn withdraw(&self, _amount: u64) -> Result<u64> {
            Err(BankError::Insufficient)
        }
        fn audit(&self) -> defaulted::Result<String> {
            Ok("clean".to_owned())
        }
        async fn close(&self) -> bare::Result {
            Ok(())
        }
        fn explicit(&self) -> std::result::Result<u64, InternalError> {
            Ok(1)
        }
    }

    pub(crate) fn main() {
        let client = BankClient::new(LocalCaller::new(Vault.into_router()));
        futures_executor::block_on(async {
            let typed: std::result::Result<u64, ClientError<BankError>> = client.withdraw(1).await;
            assert!(matches!(typed, Err(ClientError::Application(BankError::Insufficient))));
            let audit: std::result::Result<String, ClientError<InternalError>> = client.audit().await;
            assert_eq!(audit.ok().as_deref(), Some("clean"));
            let closed: std::result::Result<(), ClientError<BankError>> = client.close().await;
            assert!(closed.is_ok());
            assert_eq!(client.explicit().await.ok(), Some(1));
        });
    }
}

/// Param and result types with serde's traits only (no `JsonSchema`) are served and documented as any value.
mod serde_only {
    use rpc_runtime::rpc;

    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Report {
        pub lines: Vec<String>,
    }

    #[rpc]
    pub trait Api {
        fn put(&self, report: Report) -> Report;
    }

    struct Impl;

    impl Api for Impl {
        fn put(&self, report: Report) -> Report {
            report
        }
    }

    pub(crate) fn main() {
        let router = Impl.into_router();
        let doc = router.openrpc_document(&Default::default());
        let title = doc.methods[0].params[0].schema["title"].as_str();
        assert!(title.is_some_and(|t| t.ends_with("Report")));
        let client = ApiClient::new(rpc_runtime::client::LocalCaller::new(router));
        let back = futures_executor::block_on(client.put(Report { lines: vec!["a".to_owned()] }));
        assert_eq!(back.ok().map(|r| r.lines), Some(vec!["a".to_owned()]));
    }
}

/// `#[subscription]`: defaults and explicit names under a namespace, the context after the pending subscription, sync and async; registered, documented, with constants and a client method (over a transport that cannot push, unsupported).
mod subscriptions {
    use rpc_runtime::client::{ClientError, LocalCaller, Subscription};
    use rpc_runtime::subscription::PendingSubscription;
    use rpc_runtime::{rpc, Context};

    /// Streams.
    #[rpc(namespace = "feed", namespace_separator = "_")]
    pub trait Feed {
        /// Counts.
        #[subscription(item = i64)]
        async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64);
        /// Watches.
        #[subscription(name = "watch", unsubscribe = "unwatch", notification = "seen", item = String, client_params = "named")]
        fn watch(
            &self,
            pending: rpc_runtime::subscription::PendingSubscription<String>,
            ctx: &Context,
            #[param(rename = "what")] topic: String,
        ) -> ();
        /// Ticks, with no params.
        #[subscription(item = u64)]
        async fn ticks(&self, pending: PendingSubscription<u64>, ctx: &Context);
    }

    struct Impl;

    impl Feed for Impl {
        async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64) {
            if let Ok(sink) = pending.accept() {
                let _ = sink.send(&start).await;
            }
        }
        fn watch(&self, pending: PendingSubscription<String>, _ctx: &Context, topic: String) {
            pending.reject(rpc_runtime::protocol::ErrorObject::new(1, topic));
        }
        async fn ticks(&self, pending: PendingSubscription<u64>, _ctx: &Context) {
            drop(pending.accept());
        }
    }

    pub(crate) fn main() {
        let router = Impl.into_router();
        assert_eq!(
            router.method_names(),
            ["feed_subscribe_count", "feed_ticks", "feed_ticks_unsubscribe", "feed_unsubscribe_count", "feed_unwatch", "feed_watch"]
        );
        assert_eq!(feed_methods::SUBSCRIBE_COUNT_NOTIFICATION, "feed_count");
        assert_eq!(feed_methods::WATCH_UNSUBSCRIBE, "feed_unwatch");
        assert_eq!(feed_methods::WATCH_NOTIFICATION, "feed_seen");
        assert_eq!(feed_methods::TICKS_NOTIFICATION, "feed_ticks");
        let doc = router.openrpc_document(&Default::default());
        let unwatch = doc.methods.iter().find(|m| m.name == "feed_unwatch");
        assert_eq!(unwatch.and_then(|m| m.unsubscribe_of.as_deref()), Some("feed_watch"));
        let client = FeedClient::new(LocalCaller::new(router));
        let stream: std::result::Result<Subscription<i64>, ClientError> =
            futures_executor::block_on(client.subscribe_count(1));
        assert!(matches!(stream, Err(ClientError::Unsupported(_))));
        let watched = futures_executor::block_on(client.watch("news".to_owned()));
        assert!(matches!(watched, Err(ClientError::Unsupported(_))));
    }
}

fn main() {
    strict_lints();
    subscriptions::main();
    no_docs::main();
    param_docs::main();
    private_trait::main();
    server_and_client_only::main();
    result_aliases::main();
    serde_only::main();
}
