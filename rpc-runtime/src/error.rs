//! How a handler's error becomes a JSON-RPC error object, and back again.

use std::convert::Infallible;
use std::fmt;

use crate::protocol::{codes, ErrorObject, ErrorObjectOwned};

/// An error a method can return, and decode again on the client side.
///
/// Implement it (or `#[derive(RpcError)]` it) for your own error enums: the
/// server sends [`to_error_object`](RpcError::to_error_object), and a
/// generated client turns a matching error object back into your type with
/// [`from_error_object`](RpcError::from_error_object), so application errors
/// arrive typed.
///
/// ```
/// use rpc_runtime::{protocol::{ErrorObject, ErrorObjectOwned}, RpcError};
///
/// #[derive(Debug, PartialEq)]
/// struct Locked;
///
/// impl RpcError for Locked {
///     fn to_error_object(&self) -> ErrorObjectOwned {
///         ErrorObject::new(4001, "vault is locked")
///     }
///     fn from_error_object(obj: &ErrorObject<'_>) -> Option<Self> {
///         (obj.code == 4001).then_some(Locked)
///     }
/// }
///
/// let obj = Locked.to_error_object();
/// assert_eq!(Locked::from_error_object(&obj), Some(Locked));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a JSON-RPC error",
    note = "implement `rpc_runtime::RpcError` for it (or derive it), or map it to an error type that implements it: for opaque failures return `rpc_runtime::InternalError` (`?` converts any `std::error::Error`; else `.map_err(InternalError::new)`)"
)]
pub trait RpcError: Sized {
    /// The error object sent to the caller.
    fn to_error_object(&self) -> ErrorObjectOwned;

    /// Recognises an error object as this error; `None` if it is not one.
    #[must_use]
    fn from_error_object(object: &ErrorObject<'_>) -> Option<Self> {
        let _ = object;
        None
    }

    /// Detail about an opaque failure, sent only when the server opts in
    /// with [`RouterConfig::expose_internal_errors`](crate::RouterConfig::expose_internal_errors).
    fn internal_detail(&self) -> Option<String> {
        None
    }

    /// The application errors this type declares: code and message of each,
    /// for documentation.
    #[must_use]
    fn declared_errors() -> Vec<ErrorObjectOwned> {
        Vec::new()
    }
}

impl RpcError for ErrorObject<'static> {
    fn to_error_object(&self) -> ErrorObjectOwned {
        self.clone()
    }

    fn from_error_object(object: &ErrorObject<'_>) -> Option<Self> {
        Some(object.clone().into_owned())
    }
}

impl RpcError for Infallible {
    fn to_error_object(&self) -> ErrorObjectOwned {
        match *self {}
    }
}

/// An opaque failure: answered with `-32603 Internal error`, its detail kept
/// out of the response unless the server opts in.
///
/// Any `std::error::Error` converts into it, so `?` works in handlers.
///
/// ```
/// use rpc_runtime::{InternalError, RpcError};
/// fn read() -> Result<String, InternalError> {
///     Ok(std::fs::read_to_string("/definitely/not/here")?)
/// }
/// let err = read().unwrap_err();
/// assert_eq!(err.to_error_object().code, -32603);
/// assert!(err.to_error_object().data.is_none());
/// assert!(err.internal_detail().is_some());
/// ```
pub struct InternalError {
    detail: String,
}

impl InternalError {
    /// An internal error with a detail message (logged, not sent by default).
    #[must_use]
    pub fn new(detail: impl fmt::Display) -> Self {
        Self {
            detail: detail.to_string(),
        }
    }
}

impl fmt::Debug for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InternalError({:?})", self.detail)
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal error: {}", self.detail)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for InternalError {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

impl RpcError for InternalError {
    fn to_error_object(&self) -> ErrorObjectOwned {
        ErrorObject::internal_error()
    }

    fn internal_detail(&self) -> Option<String> {
        Some(self.detail.clone())
    }
}

/// A handler's failure, type-erased: the error object to send, and for an
/// opaque failure the detail a server may choose to reveal.
#[derive(Clone, Debug)]
pub struct MethodError {
    pub(crate) object: ErrorObjectOwned,
    pub(crate) detail: Option<String>,
}

impl MethodError {
    /// Erases any [`RpcError`].
    #[must_use]
    pub fn new<E: RpcError>(error: &E) -> Self {
        Self {
            object: error.to_error_object(),
            detail: error.internal_detail(),
        }
    }

    /// An internal error whose detail is hidden by default.
    #[must_use]
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            object: ErrorObject::internal_error(),
            detail: Some(detail.into()),
        }
    }

    /// The object sent to the caller, with the detail when `expose` is set.
    #[must_use]
    pub fn into_object(self, expose: bool) -> ErrorObjectOwned {
        match (expose, self.detail) {
            (true, Some(detail)) if self.object.code == codes::INTERNAL_ERROR => {
                let plain = self.object.clone();
                self.object.with_data(&detail).unwrap_or(plain)
            }
            _ => self.object,
        }
    }

    /// The error object that will be sent (without hidden detail).
    #[must_use]
    pub fn object(&self) -> &ErrorObjectOwned {
        &self.object
    }
}

impl<E: RpcError> From<E> for MethodError {
    fn from(error: E) -> Self {
        Self::new(&error)
    }
}
