use std::future::Future;

use serde::de::DeserializeOwned;

use super::{BatchRequest, BatchResponse, ClientError, Subscription};
use crate::params::EncodedParams;

/// Something that can send JSON-RPC calls and notifications: an HTTP or
/// WebSocket client, an in-process [`LocalCaller`](super::LocalCaller), or a
/// server's handle to a connected peer.
///
/// Generated client stubs (`FooClient<C: Caller>`) are generic over it, so
/// one stub works over every transport.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot send JSON-RPC calls",
    note = "use an `HttpClient`, a `WsClient`, a `LocalCaller` or a WebSocket peer handle"
)]
pub trait Caller: Send + Sync {
    /// Calls `method` and decodes its result as `R`.
    fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send;

    /// Sends a notification; returns once it is sent (there is no reply).
    fn notify(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// Sends a batch of calls and notifications in one message.
    fn batch(
        &self,
        batch: BatchRequest,
    ) -> impl Future<Output = Result<BatchResponse, ClientError>> + Send;

    /// Subscribes: calls `method`, whose answer is a subscription id, and
    /// returns the stream of the items the server then pushes as
    /// notifications of method `notification`; `unsubscribe` is the method
    /// that ends it. Only a caller on a persistent connection (WebSocket)
    /// can; the others answer [`ClientError::Unsupported`].
    fn subscribe<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> impl Future<Output = Result<Subscription<T>, ClientError>> + Send {
        let _ = (method, params, notification, unsubscribe);
        std::future::ready(Err(ClientError::Unsupported(
            "subscriptions need a WebSocket (or another persistent) connection",
        )))
    }
}

impl<C: Caller> Caller for &C {
    fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send {
        (**self).call(method, params)
    }

    fn notify(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send {
        (**self).notify(method, params)
    }

    fn batch(
        &self,
        batch: BatchRequest,
    ) -> impl Future<Output = Result<BatchResponse, ClientError>> + Send {
        (**self).batch(batch)
    }

    fn subscribe<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> impl Future<Output = Result<Subscription<T>, ClientError>> + Send {
        (**self).subscribe(method, params, notification, unsubscribe)
    }
}

impl<C: Caller> Caller for std::sync::Arc<C> {
    fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<R, ClientError>> + Send {
        (**self).call(method, params)
    }

    fn notify(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> impl Future<Output = Result<(), ClientError>> + Send {
        (**self).notify(method, params)
    }

    fn batch(
        &self,
        batch: BatchRequest,
    ) -> impl Future<Output = Result<BatchResponse, ClientError>> + Send {
        (**self).batch(batch)
    }

    fn subscribe<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> impl Future<Output = Result<Subscription<T>, ClientError>> + Send {
        (**self).subscribe(method, params, notification, unsubscribe)
    }
}
