//! The JSON-RPC wire format: ids, requests, responses and error objects.
//!
//! Parsing borrows from the input text: a request is parsed once, and its
//! `params` stay raw JSON (`&RawValue`) until a handler decodes them straight
//! into its argument types.

mod error_object;
mod id;
mod raw;
mod request;
pub(crate) mod response;
mod version;

pub use error_object::{codes, ErrorObject, ErrorObjectOwned};
pub use id::{Id, IdKind};
pub use request::{
    parse_message, Entry, InvalidEntry, Message, MessageError, ParseOptions, Request,
};
pub use response::{
    parse_response, parse_responses, write_error_response, write_notification, write_request,
    write_success_response, Response, ResponseError, ResponsePayload,
};
pub use version::Version;
