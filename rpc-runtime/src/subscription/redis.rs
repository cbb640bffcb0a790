//! [`RedisBroker`]: topics across server instances on Redis. Each topic
//! is a Redis stream (its bounded history, positions are stream ids) and a
//! pub/sub channel (its live items); one pattern subscription per instance
//! carries every topic's live items.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script, Value};

use super::broker::{Broker, BrokerError, BrokerFuture, Feed, Published};
use super::history::{new_epoch, History, Replay};
use super::position::Position;

const TARGET: &str = "rpc_runtime::redis";

/// Appends an item, trims the history, and announces the item, in one
/// step so that every instance sees a topic's items in the order of their
/// positions. The epoch is made on first use and lives next to the
/// stream: Redis losing its data loses both, and the new epoch tells
/// subscribers their positions no longer point anywhere. The id of the
/// newest item trimmed away is kept too (`max-deleted-entry-id` counts
/// `XDEL` only, not trimming): resuming from before it is a gap.
const PUBLISH: &str = r"
redis.call('SET', KEYS[3], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[3])
local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[3])
local cut = false
local over = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
if over > 0 then
  local gone = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', over)
  cut = gone[#gone][1]
  redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])
end
if ARGV[2] ~= '' then
  local now = redis.call('TIME')
  local oldest = (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[2])) .. '-0'
  local old = redis.call('XREVRANGE', KEYS[1], '(' .. oldest, '-', 'COUNT', 1)
  if #old > 0 then
    cut = old[1][1]
    redis.call('XTRIM', KEYS[1], 'MINID', oldest)
  end
end
if cut then
  redis.call('SET', KEYS[4], cut)
end
local reached = redis.call('PUBLISH', KEYS[2], epoch .. ' ' .. id .. ' ' .. ARGV[3])
return {epoch, id, reached}
";

/// What a topic kept after a position, read in one step with what tells a
/// gap: the epoch, the newest id trimmed away, the newest id.
const REPLAY: &str = r"
redis.call('SET', KEYS[2], ARGV[3], 'NX')
local epoch = redis.call('GET', KEYS[2])
local deleted = redis.call('GET', KEYS[3]) or '0-0'
local last = '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
local entries = {}
if ARGV[1] == '' then
  entries = {}
elseif ARGV[1] == epoch then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], '+')
else
  entries = redis.call('XRANGE', KEYS[1], '-', '+')
end
return {epoch, deleted, last, entries}
";

/// How a [`RedisBroker`] keeps history, names its keys, and reconnects.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::subscription::{History, RedisConfig};
/// let config = RedisConfig::new(History::last(1000))
///     .prefix("myapp")
///     .connect_timeout(Duration::from_secs(1))
///     .reconnect(Duration::from_millis(50), Duration::from_secs(5));
/// assert_eq!(config.history().len(), 1000);
/// ```
#[derive(Clone, Debug)]
pub struct RedisConfig {
    history: History,
    prefix: String,
    connect_timeout: Duration,
    reconnect_min: Duration,
    reconnect_max: Duration,
}

impl RedisConfig {
    /// Every topic keeps `history` (in its stream, trimmed exactly on each
    /// publish: an age limit takes effect when the next item comes); keys start with `rpc`; connects time out after 2 s;
    /// reconnects back off from 100 ms to 5 s.
    ///
    /// ```
    /// use rpc_runtime::subscription::{History, RedisConfig};
    /// assert_eq!(RedisConfig::new(History::last(10)).history(), History::last(10));
    /// ```
    #[must_use]
    pub fn new(history: History) -> Self {
        Self {
            history,
            prefix: "rpc".to_owned(),
            connect_timeout: Duration::from_secs(2),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }

    /// The start of every key and channel: `PREFIX:stream:TOPIC`,
    /// `PREFIX:epoch:TOPIC`, `PREFIX:trimmed:TOPIC`, `PREFIX:live:TOPIC`.
    ///
    /// ```
    /// # use rpc_runtime::subscription::{History, RedisConfig};
    /// let _ = RedisConfig::new(History::last(10)).prefix("tenant-a");
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// How long a connect (and a command) may take before Redis counts as
    /// unreachable.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rpc_runtime::subscription::{History, RedisConfig};
    /// let _ = RedisConfig::new(History::last(10)).connect_timeout(Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The live feed's reconnect delays: from `min`, doubling, up to `max`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rpc_runtime::subscription::{History, RedisConfig};
    /// let _ = RedisConfig::new(History::last(10)).reconnect(Duration::from_millis(10), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn reconnect(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max.max(min);
        self
    }

    /// The history every topic keeps.
    ///
    /// ```
    /// # use rpc_runtime::subscription::{History, RedisConfig};
    /// assert_eq!(RedisConfig::new(History::last(3)).history().len(), 3);
    /// ```
    #[must_use]
    pub fn history(&self) -> History {
        self.history
    }

    fn key(&self, kind: &str, topic: &str) -> String {
        format!("{}:{kind}:{topic}", self.prefix)
    }
}

/// A [`Broker`] on Redis (5.0 streams; 7.0 or later, for the trimmed-id
/// bookkeeping that tells a gap): publish on any instance, delivered to the
/// topic's subscribers on every instance, with a bounded history per
/// topic so that subscribers resume without gaps.
///
/// An instance holds two connections to Redis whatever its topics and
/// subscribers: one for commands (publish, replay) and one pattern
/// subscription for every topic's live items. While Redis is unreachable:
/// - `publish` fails at once (within the connect timeout) with
///   [`BrokerError::Unavailable`], and nothing is published;
/// - the live feed reconnects with backoff; every subscriber of the
///   instance is told with an `"interrupted"` notification when the feed
///   is lost;
/// - once it is back each topic reads what it missed from its stream and
///   delivers it before the live items (no gap, no duplicate), or, when
///   Redis lost its data (a new epoch), tells its subscribers of the gap.
///
/// ```no_run
/// use std::sync::Arc;
/// use rpc_runtime::subscription::{History, RedisBroker, RedisConfig, Topic};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = Arc::new(RedisBroker::connect("redis://127.0.0.1:6379", RedisConfig::new(History::last(1000))).await?);
/// let prices: Topic<f64> = Topic::with_broker(broker.clone(), "prices");
/// prices.publish(&101.5).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBroker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("prefix", &self.shared.config.prefix)
            .field("live", &self.is_live())
            .finish_non_exhaustive()
    }
}

struct Shared {
    client: redis::Client,
    config: RedisConfig,
    commands: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    feeds: Mutex<HashMap<String, Vec<Weak<dyn Feed>>>>,
    live: AtomicBool,
    publish: Script,
    replay: Script,
}

impl RedisBroker {
    /// Connects to Redis at `url` (`redis://[user:pass@]host:port[/db]`)
    /// and starts the live feed on the runtime (it reconnects by itself
    /// from then on).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rpc_runtime::subscription::BrokerError> {
    /// use rpc_runtime::subscription::{History, RedisBroker, RedisConfig};
    /// let broker = RedisBroker::connect("redis://127.0.0.1:6379", RedisConfig::new(History::last(100))).await?;
    /// assert!(broker.is_live() || !broker.is_live()); // the feed connects on its own
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`BrokerError::Protocol`] for a URL that is not Redis's,
    /// [`BrokerError::Unavailable`] when the first connection fails.
    pub async fn connect(url: &str, config: RedisConfig) -> Result<Self, BrokerError> {
        let client = redis::Client::open(url)
            .map_err(|error| BrokerError::Protocol(format!("{url}: {error}")))?;
        let shared = Arc::new(Shared {
            client,
            config,
            commands: tokio::sync::Mutex::new(None),
            feeds: Mutex::new(HashMap::new()),
            live: AtomicBool::new(false),
            publish: Script::new(PUBLISH),
            replay: Script::new(REPLAY),
        });
        drop(shared.connection().await?);
        tokio::spawn(run_feed(Arc::downgrade(&shared)));
        Ok(Self { shared })
    }

    /// Whether the live feed is connected now.
    ///
    /// ```no_run
    /// # async fn demo(broker: rpc_runtime::subscription::RedisBroker) {
    /// if !broker.is_live() {
    ///     eprintln!("Redis is away: subscribers were told");
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.shared.live.load(Ordering::Acquire)
    }
}

impl Shared {
    fn feeds(&self) -> MutexGuard<'_, HashMap<String, Vec<Weak<dyn Feed>>>> {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn every_feed(&self) -> Vec<Arc<dyn Feed>> {
        let mut feeds = self.feeds();
        feeds.retain(|_, list| {
            list.retain(|feed| feed.strong_count() > 0);
            !list.is_empty()
        });
        feeds.values().flatten().filter_map(Weak::upgrade).collect()
    }

    /// The command connection, made again after a failure.
    async fn connection(&self) -> Result<MultiplexedConnection, BrokerError> {
        let mut cached = self.commands.lock().await;
        if let Some(connection) = &*cached {
            return Ok(connection.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.config.connect_timeout))
            .set_response_timeout(Some(self.config.connect_timeout));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(unavailable)?;
        *cached = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets the command connection after a failed command, so that the
    /// next one connects again.
    async fn failed(&self, error: redis::RedisError) -> BrokerError {
        if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) {
            return BrokerError::Protocol(error.to_string());
        }
        *self.commands.lock().await = None;
        unavailable(error)
    }

    async fn publish(&self, topic: &str, item: &str) -> Result<Published, BrokerError> {
        let mut connection = self.connection().await?;
        let age = self
            .config
            .history
            .age()
            .map_or_else(String::new, |age| age.as_millis().to_string());
        let reply: Result<Value, _> = self
            .publish
            .key(self.config.key("stream", topic))
            .key(self.config.key("live", topic))
            .key(self.config.key("epoch", topic))
            .key(self.config.key("trimmed", topic))
            .arg(self.config.history.len())
            .arg(age)
            .arg(item)
            .arg(new_epoch())
            .invoke_async(&mut connection)
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => return Err(self.failed(error).await),
        };
        let parts = array(reply)?;
        let [epoch, id, reached] = parts.as_slice() else {
            return Err(unexpected("publish"));
        };
        let (epoch, id) = (text(epoch)?, text(id)?);
        let position = Position::from_stream_id(&epoch, &id).ok_or_else(|| unexpected("an id"))?;
        let instances = match reached {
            Value::Int(n) => usize::try_from(*n).unwrap_or(0),
            _ => return Err(unexpected("a count")),
        };
        Ok(Published {
            position,
            instances,
        })
    }

    async fn replay(&self, topic: &str, since: Option<&Position>) -> Result<Replay, BrokerError> {
        let mut connection = self.connection().await?;
        let (since_epoch, since_id) = since.map_or((String::new(), String::new()), |p| {
            (p.epoch().to_owned(), p.stream_id())
        });
        let reply: Result<Value, _> = self
            .replay
            .key(self.config.key("stream", topic))
            .key(self.config.key("epoch", topic))
            .key(self.config.key("trimmed", topic))
            .arg(&since_epoch)
            .arg(&since_id)
            .arg(new_epoch())
            .invoke_async(&mut connection)
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => return Err(self.failed(error).await),
        };
        let mut parts = array(reply)?.into_iter();
        let (Some(epoch), Some(deleted), Some(last), Some(entries)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unexpected("replay"));
        };
        let epoch = text(&epoch)?;
        let position = |id: &Value| {
            text(id).and_then(|id| {
                Position::from_stream_id(&epoch, &id).ok_or_else(|| unexpected("an id"))
            })
        };
        let (deleted, head) = (position(&deleted)?, position(&last)?);
        let mut items = Vec::new();
        for entry in array(entries)? {
            let mut entry = array(entry)?.into_iter();
            let (Some(id), Some(fields)) = (entry.next(), entry.next()) else {
                return Err(unexpected("an entry"));
            };
            let item = match array(fields)?.get(1) {
                Some(value) => text(value)?,
                None => return Err(unexpected("an entry's data")),
            };
            items.push((position(&id)?, Arc::from(item)));
        }
        let gap = since.is_some_and(|since| {
            since.epoch() != epoch
                || since.offset() < deleted.offset()
                || since.offset() > head.offset()
        });
        Ok(Replay {
            gap,
            items,
            head: Some(head),
        })
    }
}

impl Broker for RedisBroker {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        item: &'a str,
    ) -> BrokerFuture<'a, Result<Published, BrokerError>> {
        Box::pin(self.shared.publish(topic, item))
    }

    fn replay<'a>(
        &'a self,
        topic: &'a str,
        since: Option<&'a Position>,
    ) -> BrokerFuture<'a, Result<Replay, BrokerError>> {
        Box::pin(self.shared.replay(topic, since))
    }

    fn follow(&self, topic: &str, feed: Weak<dyn Feed>) {
        self.shared
            .feeds()
            .entry(topic.to_owned())
            .or_default()
            .push(feed);
    }
}

/// The live feed: one pattern subscription for every topic, kept up with
/// backoff until the broker is dropped.
async fn run_feed(shared: Weak<Shared>) {
    let mut attempt: u32 = 0;
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let pattern = strong.config.key("live", "*");
        let prefix = strong.config.key("live", "");
        let timeout = strong.config.connect_timeout;
        let delay = strong
            .config
            .reconnect_min
            .saturating_mul(2_u32.saturating_pow(attempt.min(16)))
            .min(strong.config.reconnect_max);
        let connected = tokio::time::timeout(timeout, async {
            let mut pubsub = strong.client.get_async_pubsub().await?;
            pubsub.psubscribe(&pattern).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        let pubsub = match connected {
            Ok(Ok(pubsub)) => pubsub,
            Ok(Err(error)) => {
                tracing::debug!(target: TARGET, %error, attempt, "live feed: connect failed");
                drop(strong);
                attempt = attempt.saturating_add(1);
                tokio::time::sleep(delay).await;
                continue;
            }
            Err(_) => {
                tracing::debug!(target: TARGET, attempt, "live feed: connect timed out");
                drop(strong);
                attempt = attempt.saturating_add(1);
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        attempt = 0;
        strong.live.store(true, Ordering::Release);
        tracing::info!(target: TARGET, %pattern, "live feed connected");
        for feed in strong.every_feed() {
            feed.resumed();
        }
        drop(strong);
        let reason = listen(&shared, pubsub, &prefix, timeout).await;
        let Some(strong) = shared.upgrade() else {
            return;
        };
        strong.live.store(false, Ordering::Release);
        tracing::warn!(target: TARGET, %reason, "live feed lost; reconnecting");
        for feed in strong.every_feed() {
            feed.interrupted(&reason);
        }
    }
}

/// Hands each message to its topic's feeds until the connection is lost
/// (a ping every second finds a silent one); returns why it ended.
async fn listen(
    shared: &Weak<Shared>,
    pubsub: redis::aio::PubSub,
    prefix: &str,
    timeout: Duration,
) -> String {
    let (mut sink, mut messages) = pubsub.split();
    let mut ping = tokio::time::interval(Duration::from_secs(1));
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return "redis closed the connection".to_owned();
                };
                let Some(shared) = shared.upgrade() else {
                    return "the broker was dropped".to_owned();
                };
                dispatch(&shared, prefix, &message);
            }
            _ = ping.tick() => {
                if shared.strong_count() == 0 {
                    return "the broker was dropped".to_owned();
                }
                match tokio::time::timeout(timeout, sink.ping::<Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return format!("redis: {error}"),
                    Err(_) => return "redis did not answer a ping".to_owned(),
                }
            }
        }
    }
}

fn dispatch(shared: &Shared, prefix: &str, message: &redis::Msg) {
    let Some(topic) = message.get_channel_name().strip_prefix(prefix) else {
        return;
    };
    let Ok(payload) = std::str::from_utf8(message.get_payload_bytes()) else {
        return;
    };
    let mut parts = payload.splitn(3, ' ');
    let (Some(epoch), Some(id), Some(item)) = (parts.next(), parts.next(), parts.next()) else {
        tracing::warn!(target: TARGET, topic, "a live message not in the broker's format");
        return;
    };
    let Some(position) = Position::from_stream_id(epoch, id) else {
        return;
    };
    let feeds: Vec<Arc<dyn Feed>> = match shared.feeds().get(topic) {
        Some(list) => list.iter().filter_map(Weak::upgrade).collect(),
        None => return,
    };
    let item: Arc<str> = Arc::from(item);
    for feed in feeds {
        feed.deliver(position.clone(), Arc::clone(&item));
    }
}

fn unavailable(error: redis::RedisError) -> BrokerError {
    BrokerError::Unavailable(format!("redis: {error}"))
}

fn unexpected(what: &str) -> BrokerError {
    BrokerError::Protocol(format!("redis answered an unexpected {what}"))
}

fn array(value: Value) -> Result<Vec<Value>, BrokerError> {
    match value {
        Value::Array(values) => Ok(values),
        _ => Err(unexpected("reply")),
    }
}

fn text(value: &Value) -> Result<String, BrokerError> {
    match value {
        Value::BulkString(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Ok(text.clone()),
        _ => Err(unexpected("value")),
    }
}
