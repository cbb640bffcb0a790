//! Client code generated from an OpenRPC document (`rpc codegen`).
//!
//! [`typescript`] turns the document a server answers to `rpc.discover`
//! into one self-contained TypeScript module: a type per schema, a typed
//! function per method, typed errors, and a small runtime (HTTP via
//! `fetch`, WebSocket, batches, subscriptions as async iterators).
//!
//! ```
//! let doc = serde_json::json!({
//!     "openrpc": "1.3.2",
//!     "info": {"title": "Demo", "version": "1.0.0"},
//!     "methods": [{"name": "echo", "params": [{"name": "text", "schema": {"type": "string"}, "required": true}],
//!                  "result": {"name": "result", "schema": {"type": "string"}}}]
//! });
//! let module = rpc_cli::codegen::typescript(&doc)?;
//! assert!(module.contains("echo(text: string): Promise<string>"));
//! # Ok::<(), rpc_cli::codegen::CodegenError>(())
//! ```

mod methods;
mod names;
mod types;
mod typescript;

pub use typescript::typescript;

/// Why a document cannot be turned into a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The document is not a JSON object with a `methods` array.
    #[error("not an OpenRPC document: {0}")]
    NotOpenRpc(&'static str),
    /// A method has no `name`, or an entry of it is malformed.
    #[error("method #{index}: {why}")]
    BadMethod {
        /// Its position in `methods`.
        index: usize,
        /// What is wrong.
        why: String,
    },
}
