//! Every example of the JSON-RPC 2.0 specification, through `Router::handle`.

use rpc_runtime::Context;
use tests::{check_vector, spec_router, spec_vectors};

#[tokio::test]
async fn every_specification_example_passes_in_process() {
    let router = spec_router();
    let ctx = Context::new();
    let vectors = spec_vectors();
    assert_eq!(vectors.len(), 15, "the specification has 15 examples");
    for vector in &vectors {
        let reply = router.handle(&vector.request, &ctx).await;
        check_vector(vector, reply.as_deref());
    }
}

#[tokio::test]
async fn the_check_itself_fails_on_a_wrong_answer() {
    let vectors = spec_vectors();
    let first = &vectors[0];
    let wrong = r#"{"jsonrpc":"2.0","result":20,"id":1}"#;
    let outcome = std::panic::catch_unwind(|| check_vector(first, Some(wrong)));
    assert!(outcome.is_err(), "a wrong result must fail the comparison");
}
