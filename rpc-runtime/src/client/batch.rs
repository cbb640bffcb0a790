use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{ClientError, InvalidResponse};
use crate::params::EncodedParams;
use crate::protocol::ErrorObjectOwned;

/// A batch of calls and notifications to send in one message.
///
/// Each call gives back a [`BatchSlot`] that picks its typed result out of
/// the [`BatchResponse`], whatever order the server answered in.
///
/// ```
/// use rpc_runtime::client::{BatchRequest, Caller, LocalCaller};
/// use rpc_runtime::params::EncodedParams;
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new();
/// router.register_sync("double", |p, _| Ok::<_, ErrorObjectOwned>(2 * p.decode::<(i64,)>(&["x"])?.0)).unwrap();
/// let caller = LocalCaller::new(router);
///
/// let mut batch = BatchRequest::new();
/// let a = batch.call::<i64>("double", EncodedParams::from_value(&[1]).unwrap());
/// let b = batch.call::<i64>("double", EncodedParams::from_value(&[20]).unwrap());
/// batch.notify("double", EncodedParams::from_value(&[0]).unwrap());
/// let response = caller.batch(batch).await.unwrap();
/// assert_eq!(response.get(a).unwrap(), 2);
/// assert_eq!(response.get(b).unwrap(), 40);
/// # });
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a batch does nothing until it is sent with `Caller::batch`"]
pub struct BatchRequest {
    pub(crate) entries: Vec<BatchEntry>,
    calls: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct BatchEntry {
    pub(crate) method: String,
    pub(crate) params: EncodedParams,
    /// The call's index among the batch's calls; `None` for a notification.
    pub(crate) slot: Option<usize>,
}

impl BatchRequest {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a call whose result decodes as `R`.
    pub fn call<R: DeserializeOwned>(
        &mut self,
        method: &str,
        params: EncodedParams,
    ) -> BatchSlot<R> {
        BatchSlot {
            index: self.push_call(method, params),
            _result: PhantomData,
        }
    }

    /// Adds a call; returns its index among the batch's calls.
    pub(crate) fn push_call(&mut self, method: &str, params: EncodedParams) -> usize {
        let index = self.calls;
        self.calls += 1;
        self.entries.push(BatchEntry {
            method: method.to_owned(),
            params,
            slot: Some(index),
        });
        index
    }

    /// Adds a notification.
    pub fn notify(&mut self, method: &str, params: EncodedParams) {
        self.entries.push(BatchEntry {
            method: method.to_owned(),
            params,
            slot: None,
        });
    }

    /// How many entries (calls and notifications) the batch holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The method names of the entries, in order (for logs).
    pub fn methods(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|entry| entry.method.as_str())
    }

    /// How many of the entries are calls (expecting a response).
    #[must_use]
    pub fn call_count(&self) -> usize {
        self.calls
    }
}

/// Where one call's result is in a [`BatchResponse`].
pub struct BatchSlot<R> {
    index: usize,
    _result: PhantomData<fn() -> R>,
}

impl<R> Clone for BatchSlot<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for BatchSlot<R> {}

impl<R> fmt::Debug for BatchSlot<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchSlot({})", self.index)
    }
}

/// A typed call in a batch, made by a generated `{Trait}Batch` builder
/// (`client.batch()`): it reads its method's result `T`, or its declared
/// application error `E` as [`ClientError::Application`], from the
/// [`BatchResponse`] with [`BatchResponse::get`] (or [`BatchCall::take`]).
///
/// ```
/// # #[cfg(feature = "macros")] {
/// use rpc_runtime::client::{BatchCall, ClientError, LocalCaller};
/// use rpc_runtime::{rpc, InternalError};
///
/// #[rpc(namespace = "math")]
/// pub trait Calculator {
///     fn add(&self, a: i64, b: i64) -> i64;
///     fn divide(&self, a: i64, b: i64) -> Result<i64, InternalError>;
///     #[notification]
///     fn log(&self, line: String);
/// }
///
/// struct Calc;
/// impl Calculator for Calc {
///     fn add(&self, a: i64, b: i64) -> i64 { a + b }
///     fn divide(&self, a: i64, b: i64) -> Result<i64, InternalError> {
///         a.checked_div(b).ok_or_else(|| InternalError::new("division by zero"))
///     }
///     fn log(&self, _line: String) {}
/// }
///
/// # futures_executor::block_on(async {
/// let client = CalculatorClient::new(LocalCaller::new(Calc.into_router()));
/// let mut batch = client.batch();
/// let sum: BatchCall<i64> = batch.add(2, 40);
/// let half: BatchCall<i64, InternalError> = batch.divide(84, 2);
/// batch.log("sent with the others".to_owned()); // a notification: nothing to read
/// let answers = batch.send().await.unwrap();
/// assert_eq!(answers.get(sum).unwrap(), 42);
/// assert_eq!(half.take(&answers).unwrap(), 42);
/// assert_eq!(calculator_methods::ADD, "math.add");
/// # });
/// # }
/// ```
#[must_use = "a batch call's result is read with `BatchResponse::get`"]
pub struct BatchCall<T, E = Infallible> {
    index: usize,
    decode: fn(&BatchResponse, usize) -> Result<T, ClientError<E>>,
}

impl<T, E> BatchCall<T, E> {
    /// Adds a call to `batch` whose answer `decode` reads (the generated
    /// builders' way in: the decoding happens in their code, with their
    /// wrapper types).
    pub(crate) fn push(
        batch: &mut BatchRequest,
        method: &str,
        params: EncodedParams,
        decode: fn(&BatchResponse, usize) -> Result<T, ClientError<E>>,
    ) -> Self {
        Self {
            index: batch.push_call(method, params),
            decode,
        }
    }

    /// The call's typed result in `response`; the same as
    /// `response.get(self)`.
    ///
    /// # Errors
    /// The method's application error as [`ClientError::Application`],
    /// any other error object as [`ClientError::Rpc`], or
    /// [`ClientError::Decode`] when the result is not a `T`.
    pub fn take(self, response: &BatchResponse) -> Result<T, ClientError<E>> {
        (self.decode)(response, self.index)
    }
}

impl<T, E> Clone for BatchCall<T, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, E> Copy for BatchCall<T, E> {}

impl<T, E> fmt::Debug for BatchCall<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchCall({})", self.index)
    }
}

/// Something that reads one call's typed answer out of a [`BatchResponse`]:
/// a [`BatchSlot`] (from [`BatchRequest::call`]) or a [`BatchCall`] (from a
/// generated batch builder).
pub trait BatchHandle {
    /// The call's result.
    type Value;
    /// The call's application error (`Infallible` when it has none).
    type Error;

    /// The call's typed answer in `response`.
    ///
    /// # Errors
    /// The server's error for that call, or [`ClientError::Decode`] when its
    /// result is not a `Self::Value`.
    fn pick(self, response: &BatchResponse) -> Result<Self::Value, ClientError<Self::Error>>;
}

impl<R: DeserializeOwned> BatchHandle for BatchSlot<R> {
    type Value = R;
    type Error = Infallible;

    fn pick(self, response: &BatchResponse) -> Result<R, ClientError> {
        response.decode_at(self.index)
    }
}

impl<T, E> BatchHandle for BatchCall<T, E> {
    type Value = T;
    type Error = E;

    fn pick(self, response: &BatchResponse) -> Result<T, ClientError<E>> {
        self.take(response)
    }
}

/// The answers to a batch's calls, in the order the calls were added.
#[derive(Debug)]
pub struct BatchResponse {
    pub(crate) results: Vec<Result<Box<RawValue>, ErrorObjectOwned>>,
}

impl BatchResponse {
    /// The typed result of one call, through its [`BatchSlot`] or
    /// [`BatchCall`].
    ///
    /// # Errors
    /// The server's error object for that call (a [`BatchCall`] gives its
    /// method's application error as [`ClientError::Application`]), or
    /// [`ClientError::Decode`] when its result is not of the handle's type.
    pub fn get<H: BatchHandle>(&self, handle: H) -> Result<H::Value, ClientError<H::Error>> {
        handle.pick(self)
    }

    /// The `index`th call's result, decoded as `R`.
    pub(crate) fn decode_at<R: DeserializeOwned>(&self, index: usize) -> Result<R, ClientError> {
        match self.results.get(index) {
            Some(Ok(raw)) => serde_json::from_str(raw.get()).map_err(ClientError::Decode),
            Some(Err(object)) => Err(ClientError::Rpc(object.clone())),
            None => Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
                "no result for batch call {index}"
            )))),
        }
    }

    /// Each call's raw result or error, in the order the calls were added.
    pub fn raw(&self) -> &[Result<Box<RawValue>, ErrorObjectOwned>] {
        &self.results
    }
}
