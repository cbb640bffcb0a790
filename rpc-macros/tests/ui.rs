//! Compile-time behaviour of the macros: correct uses compile (warning-free,
//! under strict lints and without the prelude); each misuse is one clear
//! error at the offending token, pinned by its exact `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*/*.rs");
}
