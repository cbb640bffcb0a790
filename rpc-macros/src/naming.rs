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

/// `Calculator` -> `CalculatorBatch`, the client's typed batch builder.
pub(crate) fn batch(trait_ident: &Ident) -> Ident {
    format_ident!("{}Batch", trait_ident)
}

/// `Calculator` -> `calculator_methods`, the module of wire-name constants.
pub(crate) fn methods_module(trait_ident: &Ident) -> Ident {
    let name = syn::ext::IdentExt::unraw(trait_ident).to_string();
    Ident::new(&format!("{}_methods", snake_case(&name)), Span::call_site())
}

/// `add` -> `ADD`, `r#type` -> `TYPE`: a method's wire-name constant.
pub(crate) fn method_const(method_ident: &Ident) -> Ident {
    let name = syn::ext::IdentExt::unraw(method_ident).to_string();
    Ident::new(&name.to_uppercase(), Span::call_site())
}

/// `subscribe_count` -> `SUBSCRIBE_COUNT_UNSUBSCRIBE`: a subscription's
/// unsubscribe-method constant.
pub(crate) fn unsubscribe_const(method_ident: &Ident) -> Ident {
    format_ident!("{}_UNSUBSCRIBE", method_const(method_ident))
}

/// `subscribe_count` -> `SUBSCRIBE_COUNT_NOTIFICATION`: a subscription's
/// notification constant.
pub(crate) fn notification_const(method_ident: &Ident) -> Ident {
    format_ident!("{}_NOTIFICATION", method_const(method_ident))
}

/// The client's methods besides the trait's: a trait method of the same
/// name would clash with them.
pub(crate) const CLIENT_METHODS: &[&str] = &["new", "caller", "into_inner", "batch"];

/// The batch builder's methods besides the trait's.
pub(crate) const BATCH_METHODS: &[&str] = &["send"];

/// `Calculator` -> `calculator`, `HTTPServer` -> `http_server`,
/// `Api2Go` -> `api2_go`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_and_constant_names() {
        let module = |name: &str| methods_module(&Ident::new(name, Span::call_site())).to_string();
        assert_eq!(module("Calculator"), "calculator_methods");
        assert_eq!(module("HTTPServer"), "http_server_methods");
        assert_eq!(module("MyApi"), "my_api_methods");
        assert_eq!(module("Api2Go"), "api2_go_methods");
        let constant = |ident: Ident| method_const(&ident).to_string();
        assert_eq!(constant(Ident::new("add", Span::call_site())), "ADD");
        assert_eq!(constant(Ident::new_raw("type", Span::call_site())), "TYPE");
        assert_eq!(
            constant(Ident::new("get_all", Span::call_site())),
            "GET_ALL"
        );
        let count = Ident::new("subscribe_count", Span::call_site());
        assert_eq!(
            unsubscribe_const(&count).to_string(),
            "SUBSCRIBE_COUNT_UNSUBSCRIBE"
        );
        assert_eq!(
            notification_const(&count).to_string(),
            "SUBSCRIBE_COUNT_NOTIFICATION"
        );
    }
}
