//! Collects every error found while parsing and validating, so one run
//! reports them all, each at its own token.

use std::fmt::Display;

use quote::ToTokens;

#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    pub(crate) fn at<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.combined.map_or(Ok(()), Err)
    }
}

/// "unknown argument `x`, expected one of `a`, `b`"
pub(crate) fn unknown_argument(path: &syn::Path, expected: &[&str]) -> syn::Error {
    let name = path
        .get_ident()
        .map_or_else(|| path.to_token_stream().to_string(), ToString::to_string);
    let list = expected
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    syn::Error::new_spanned(
        path,
        format!("unknown argument `{name}`, expected one of {list}"),
    )
}
