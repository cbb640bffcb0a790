//! The `#[rpc]` attribute (work in progress on its own branch).

use proc_macro::TokenStream;

/// Work in progress: rejects every use until the macro lands.
#[proc_macro_attribute]
pub fn rpc(_attr: TokenStream, _item: TokenStream) -> TokenStream {
    "compile_error!(\"#[rpc] is not implemented yet\");"
        .parse()
        .unwrap_or_default()
}

/// Work in progress: rejects every use until the derive lands.
#[proc_macro_derive(RpcError, attributes(rpc))]
pub fn derive_rpc_error(_item: TokenStream) -> TokenStream {
    "compile_error!(\"#[derive(RpcError)] is not implemented yet\");"
        .parse()
        .unwrap_or_default()
}
