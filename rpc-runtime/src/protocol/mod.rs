//! The JSON-RPC wire format: ids, requests, responses and error objects.
//!
//! Parsing borrows from the input text. A plain request to a method
//! registered by its argument types is read in a single pass, its params
//! decoded straight into those types as they are met. Any other message is
//! parsed once with its `params` kept as raw JSON (`&RawValue`), which the
//! handler then decodes straight into its argument types.

mod error_object;
mod id;
mod raw;
mod request;
pub(crate) mod response;
pub(crate) mod single_pass;
mod version;

pub use error_object::{codes, ErrorObject, ErrorObjectOwned};
pub use id::{Id, IdKind};
pub use request::{
    parse_message, Entry, InvalidEntry, Message, MessageError, ParseOptions, Request,
};
pub use response::{
    parse_response, parse_responses, write_error_response, write_notification, write_request,
    write_success_response, InvalidResponse, Response, ResponseError, ResponsePayload,
};
pub use version::Version;
