//! Every identifier the expansion invents, in one place.
//!
//! Locals use `Span::mixed_site()` so they never clash with the user's
//! argument names.

use proc_macro2::{Ident, Span};
use quote::format_ident;

/// `Calculator` -> `CalculatorClient`.
pub(crate) fn client(trait_ident: &Ident) -> Ident {
    format_ident!("{}Client", trait_ident)
}

/// The provided method that builds the router.
pub(crate) fn into_router() -> Ident {
    Ident::new("into_router", Span::call_site())
}

/// A hidden local of the expansion.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(&format!("__rpc_{name}"), Span::mixed_site())
}

/// The server's local for the `index`th JSON argument.
pub(crate) fn server_arg(index: usize) -> Ident {
    Ident::new(&format!("__rpc_arg{index}"), Span::mixed_site())
}

/// A wrapper type the expansion declares in a fn body (see `expand::wire`).
pub(crate) fn wrapper(name: &str) -> Ident {
    Ident::new(&format!("Rpc{name}"), Span::mixed_site())
}

/// A `static` the expansion declares in a fn body.
pub(crate) fn local_static(name: &str) -> Ident {
    Ident::new(&format!("__RPC_{name}"), Span::mixed_site())
}
