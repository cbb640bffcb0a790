//! Params decoding on arbitrary JSON: never a panic; a failure is always a
//! -32602 that names a parameter or says what is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpc_runtime::params::{Params, Variadic};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(params) = Params::from_json(text) else { return };
    let outcomes = [
        params.decode::<(i64, Option<String>)>(&["a", "b"]).map(drop),
        params.decode::<(Vec<u8>, bool, Option<f64>)>(&["list", "flag", "x"]).map(drop),
        params.decode::<()>(&[]).map(drop),
        params.decode::<(serde_json::Value,)>(&["any"]).map(drop),
        params.decode::<Variadic<(i64, Vec<i64>)>>(&["scale", "values"]).map(drop),
        params.decode::<Variadic<(Vec<String>,)>>(&["words"]).map(drop),
        params.parse::<Vec<i64>>().map(drop),
    ];
    for outcome in outcomes {
        if let Err(e) = outcome {
            assert_eq!(e.code, -32602);
            assert!(!e.message.is_empty());
        }
    }
});
