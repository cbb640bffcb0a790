//! How the generated client puts params on the wire (positional, named,
//! renamed), merging routers from several traits, custom separators, and
//! failures that are not application errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpc_runtime::client::{Caller, ClientError, LocalCaller};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::{rpc, InternalError, Router};
use tests::Recording;

/// People, sent by name.
#[rpc(
    namespace = "people",
    namespace_separator = "/",
    client_params = "named"
)]
pub trait People {
    /// Greets someone.
    fn greet(
        &self,
        #[param(rename = "firstName")] first_name: String,
        title: Option<String>,
    ) -> String;
    /// Counts people.
    fn count(&self) -> u32;
}

/// Mixed styles.
#[rpc]
pub trait Mixed {
    /// Positional by default.
    fn pair(&self, left: i32, right: i32) -> (i32, i32);
    /// Named for this method only.
    #[rpc(client_params = "named")]
    fn pair_named(&self, left: i32, #[param(rename = "r")] right: i32) -> (i32, i32);
    /// Named through `#[method]`.
    #[method(client_params = "named")]
    fn pair_named_too(&self, left: i32, right: i32) -> (i32, i32);
    /// Fails opaquely.
    fn broken(&self) -> Result<u8, InternalError>;
    /// Panics.
    fn panics(&self) -> u8;
}

struct Impl;

impl People for Impl {
    fn greet(&self, first_name: String, title: Option<String>) -> String {
        match title {
            Some(title) => format!("Hello, {title} {first_name}"),
            None => format!("Hello, {first_name}"),
        }
    }
    fn count(&self) -> u32 {
        7
    }
}

impl Mixed for Impl {
    fn pair(&self, left: i32, right: i32) -> (i32, i32) {
        (left, right)
    }
    fn pair_named(&self, left: i32, right: i32) -> (i32, i32) {
        (left, right)
    }
    fn pair_named_too(&self, left: i32, right: i32) -> (i32, i32) {
        (left, right)
    }
    fn broken(&self) -> Result<u8, InternalError> {
        Err(InternalError::new("disk on fire"))
    }
    fn panics(&self) -> u8 {
        panic!("boom")
    }
}

fn merged() -> Router {
    let mut router = People::into_router(Impl);
    router.merge(Mixed::into_router(Impl)).unwrap();
    router
}

#[tokio::test]
async fn named_params_use_json_names_and_the_separator() {
    let caller = Recording::new(merged());
    let people = PeopleClient::new(caller.clone());
    let greeting = people
        .greet("Ada".to_owned(), Some("Dr.".to_owned()))
        .await
        .unwrap();
    assert_eq!(greeting, "Hello, Dr. Ada");
    assert_eq!(
        caller.last(),
        (
            "people/greet".to_owned(),
            Some(r#"{"firstName":"Ada","title":"Dr."}"#.to_owned())
        )
    );
    assert_eq!(people.count().await.unwrap(), 7);
    assert_eq!(caller.last(), ("people/count".to_owned(), None));
}

#[tokio::test]
async fn positional_is_the_default_and_methods_can_opt_into_named() {
    let caller = Recording::new(merged());
    let mixed = MixedClient::new(caller.clone());
    assert_eq!(mixed.pair(1, 2).await.unwrap(), (1, 2));
    assert_eq!(caller.last().1.as_deref(), Some("[1,2]"));
    assert_eq!(mixed.pair_named(3, 4).await.unwrap(), (3, 4));
    assert_eq!(caller.last().1.as_deref(), Some(r#"{"left":3,"r":4}"#));
    assert_eq!(mixed.pair_named_too(5, 6).await.unwrap(), (5, 6));
    assert_eq!(caller.last().1.as_deref(), Some(r#"{"left":5,"right":6}"#));
}

#[tokio::test]
async fn routers_from_several_traits_merge() {
    let router = merged();
    assert!(router.has_method("people/greet"));
    assert!(router.has_method("pair"));
    let mut again = People::into_router(Impl);
    assert!(again.merge(People::into_router(Impl)).is_err());
}

#[tokio::test]
async fn opaque_failures_and_panics_are_internal_errors() {
    let mixed = MixedClient::new(LocalCaller::new(merged()));
    let broken = mixed.broken().await.unwrap_err();
    let object = broken.rpc_error().unwrap();
    assert_eq!(object.code, -32603);
    assert!(object.data.is_none(), "details stay hidden by default");
    let panicked = mixed.panics().await.unwrap_err();
    assert_eq!(panicked.rpc_error().map(|e| e.code), Some(-32603));
    // The router still serves after a panic.
    assert_eq!(mixed.pair(1, 1).await.unwrap(), (1, 1));
}

#[tokio::test]
async fn a_wrong_result_type_is_a_decode_error() {
    let caller = LocalCaller::new(merged());
    let err = caller
        .call::<String>("pair", EncodedParams::from_value(&[1, 2]).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
}

/// Method names that are also inherent or `Arc` methods.
#[rpc]
pub trait Tricky {
    /// Shares a name with `Arc::clone`.
    fn clone(&self) -> String;
    /// Shares a name with an inherent method of the implementor.
    async fn describe(&self) -> String;
}

struct Shadowing;

impl Shadowing {
    #[allow(dead_code)]
    fn describe(&self) -> u8 {
        0
    }
}

impl Tricky for Shadowing {
    fn clone(&self) -> String {
        "trait clone".to_owned()
    }
    async fn describe(&self) -> String {
        "trait describe".to_owned()
    }
}

#[tokio::test]
async fn the_trait_method_is_called_even_when_names_are_shadowed() {
    let client = TrickyClient::new(LocalCaller::new(Shadowing.into_router()));
    assert_eq!(client.clone().await.unwrap(), "trait clone");
    assert_eq!(client.describe().await.unwrap(), "trait describe");
}

/// Argument names the expansion might use for itself.
#[rpc]
pub trait Hygiene {
    /// Echoes every argument back.
    fn echo(
        &self,
        params: u8,
        ctx: String,
        this: bool,
        value: i32,
        error: Option<u8>,
        router: Vec<u8>,
    ) -> (u8, String, bool, i32, Option<u8>, Vec<u8>);
    /// The context, read on the blocking pool.
    #[method(blocking)]
    fn peer_name(&self, ctx: &rpc_runtime::Context, suffix: String) -> Option<String>;
}

struct Echo;

struct PeerName(String);

impl Hygiene for Echo {
    fn echo(
        &self,
        params: u8,
        ctx: String,
        this: bool,
        value: i32,
        error: Option<u8>,
        router: Vec<u8>,
    ) -> (u8, String, bool, i32, Option<u8>, Vec<u8>) {
        (params, ctx, this, value, error, router)
    }
    fn peer_name(&self, ctx: &rpc_runtime::Context, suffix: String) -> Option<String> {
        ctx.get::<PeerName>().map(|p| format!("{}{suffix}", p.0))
    }
}

#[tokio::test]
async fn argument_names_never_clash_with_the_expansion() {
    let ctx = rpc_runtime::Context::new();
    ctx.insert(PeerName("bob".to_owned()));
    let client = HygieneClient::new(LocalCaller::with_context(Echo.into_router(), ctx));
    let echoed = client
        .echo(1, "c".to_owned(), true, -4, Some(5), vec![6])
        .await
        .unwrap();
    assert_eq!(echoed, (1, "c".to_owned(), true, -4, Some(5), vec![6]));
    assert_eq!(
        client.peer_name("!".to_owned()).await.unwrap().as_deref(),
        Some("bob!")
    );
}
