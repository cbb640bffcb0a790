//! Compile-time behaviour of the macros: correct uses compile (warning-free,
//! under strict lints and without the prelude); each misuse is one clear
//! error at the offending token, pinned by its exact `.stderr`.

#[test]
fn ui() {
    // The cases are built by trybuild's own cargo, in one invocation (one
    // `TestCases`); without debug info they build and link faster, and
    // nothing here needs it (the expected output is the compiler's).
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*/*.rs");
}
