//! Calls per peer address and per connection, limited with `governor`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use serde::Serialize;
use tower_layer::Layer;

use super::{Call, CallService};
use crate::protocol::{codes, ErrorObject};
use crate::{Context, MethodError, MethodOutput};

/// How often (in calls) the per-address table forgets addresses whose
/// limit has fully replenished.
const RETAIN_EVERY: usize = 4096;

/// What a refusal's `data` says: `{"retry_after_ms": N}`.
#[derive(Serialize)]
struct RetryAfter {
    retry_after_ms: u64,
}

/// A layer that limits calls, per peer IP address and per connection,
/// and answers a call over the limit with [`codes::RATE_LIMITED`]
/// (`-32005`, "Rate limited") and `data` `{"retry_after_ms": N}`: how long
/// until a call would be let through.
///
/// A limit of `calls` per `per` lets a burst of `calls` through at once,
/// then one more every `per / calls` (the GCRA of `governor`). Every call
/// counts: each member of a batch, notifications and calls to unknown
/// methods too. The address limit applies to calls that have a peer
/// address (not in-process ones) and counts all the connections of one IP
/// address together; the connection limit lives in the connection's
/// [`Context`]: on WebSocket the whole connection, on HTTP one request.
///
/// ```
/// use std::num::NonZeroU32;
/// use std::time::Duration;
/// use rpc_runtime::middleware::RateLimitLayer;
/// use rpc_runtime::protocol::{codes, ErrorObjectOwned};
/// use rpc_runtime::{Context, Router};
/// # futures_executor::block_on(async {
/// let two = NonZeroU32::new(2).unwrap();
/// let mut router = Router::new().layer(
///     RateLimitLayer::new()
///         .per_connection(two, Duration::from_secs(60))
///         .per_peer(NonZeroU32::new(100).unwrap(), Duration::from_secs(1)),
/// );
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// let ctx = Context::new(); // one connection
/// let ping = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
/// assert!(router.handle(ping, &ctx).await.unwrap().contains("pong"));
/// assert!(router.handle(ping, &ctx).await.unwrap().contains("pong"));
/// let refused = router.handle(ping, &ctx).await.unwrap();
/// assert!(refused.contains(&codes::RATE_LIMITED.to_string()));
/// assert!(refused.contains("retry_after_ms"));
/// # });
/// ```
#[derive(Clone, Debug)]
#[must_use = "a layer does nothing until it is added to a router"]
pub struct RateLimitLayer {
    limits: Limits,
}

/// The limits, shared by the layer's clones and the services it makes.
#[derive(Clone, Debug)]
struct Limits {
    per_peer: Option<Arc<PeerLimiter>>,
    per_connection: Option<Quota>,
    /// Tells this layer's connection limiters apart from another's in a
    /// context.
    key: u64,
}

#[derive(Debug)]
struct PeerLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    calls: AtomicUsize,
}

/// A quota of `calls` per `per`: a burst of `calls`, one more every
/// `per / calls` (at least a nanosecond).
fn quota(calls: NonZeroU32, per: Duration) -> Quota {
    let period = (per / calls.get()).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(calls))
        .allow_burst(calls)
}

impl Default for RateLimitLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimitLayer {
    /// A layer with no limits yet: add them with [`per_peer`](Self::per_peer)
    /// and [`per_connection`](Self::per_connection).
    pub fn new() -> Self {
        static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
        Self {
            limits: Limits {
                per_peer: None,
                per_connection: None,
                key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            },
        }
    }

    /// At most `calls` per `per` from one peer IP address, over all its
    /// connections.
    pub fn per_peer(mut self, calls: NonZeroU32, per: Duration) -> Self {
        self.limits.per_peer = Some(Arc::new(PeerLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota(calls, per)),
            calls: AtomicUsize::new(0),
        }));
        self
    }

    /// At most `calls` per `per` on one connection (one [`Context`]).
    pub fn per_connection(mut self, calls: NonZeroU32, per: Duration) -> Self {
        self.limits.per_connection = Some(quota(calls, per));
        self
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            limits: self.limits.clone(),
            inner,
        }
    }
}

/// The service [`RateLimitLayer`] wraps around the rest of the stack; it can be
/// driven by hand, as in a test:
///
/// ```
/// use rpc_runtime::middleware::{Call, CallService, Next, RateLimitLayer};
/// use rpc_runtime::{params::Params, Context};
/// use tower_layer::Layer as _;
/// # futures_executor::block_on(async {
/// let service = RateLimitLayer::new().layer(Next::method_table());
/// let ctx = Context::new();
/// let outcome = service.call(Call::new("m", Params::none(), None, &ctx)).await;
/// assert_eq!(outcome.unwrap_err().object().code, -32601); // no such method
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RateLimit<S> {
    limits: Limits,
    inner: S,
}

/// The connection limiters of every rate limit layer, in a connection's
/// context.
#[derive(Default)]
struct ConnectionLimiters(Mutex<Vec<(u64, Arc<DefaultDirectRateLimiter>)>>);

impl Limits {
    /// `None` when the call may go on; else how long until it could.
    fn wait(&self, ctx: &Context) -> Option<Duration> {
        if let (Some(peer), Some(addr)) = (&self.per_peer, ctx.peer_addr()) {
            let limiter = &peer.limiter;
            if peer.calls.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            if let Err(not_until) = limiter.check_key(&addr.ip()) {
                return Some(not_until.wait_time_from(limiter.clock().now()));
            }
        }
        if let Some(quota) = self.per_connection {
            let limiter = self.connection_limiter(ctx, quota);
            if let Err(not_until) = limiter.check() {
                return Some(not_until.wait_time_from(limiter.clock().now()));
            }
        }
        None
    }

    fn connection_limiter(&self, ctx: &Context, quota: Quota) -> Arc<DefaultDirectRateLimiter> {
        let all = ctx.get::<ConnectionLimiters>().unwrap_or_else(|| {
            ctx.insert(ConnectionLimiters::default());
            // Another call may have inserted its own meanwhile: use the one kept.
            ctx.get::<ConnectionLimiters>().unwrap_or_default()
        });
        let mut all = all.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, limiter)) = all.iter().find(|(key, _)| *key == self.key) {
            return Arc::clone(limiter);
        }
        let limiter = Arc::new(DefaultDirectRateLimiter::direct(quota));
        all.push((self.key, Arc::clone(&limiter)));
        limiter
    }
}

/// The refusal of a call over the limit.
fn refusal(wait: Duration) -> MethodError {
    let retry_after_ms = u64::try_from(wait.as_micros().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    let error = ErrorObject::new(codes::RATE_LIMITED, "Rate limited");
    let error = match error.clone().with_data(&RetryAfter { retry_after_ms }) {
        Ok(with_data) => with_data,
        Err(_) => error,
    };
    MethodError::from(error)
}

impl<S: CallService> CallService for RateLimit<S> {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        if let Some(wait) = self.limits.wait(call.context()) {
            return Err(refusal(wait));
        }
        self.inner.call(call).await
    }
}
