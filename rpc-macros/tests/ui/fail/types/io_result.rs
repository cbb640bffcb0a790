use rpc_runtime::rpc;

// `io::Error` is no JSON-RPC error: map it to one (or to `InternalError`).
#[rpc]
pub trait Files {
    fn size(&self, path: String) -> std::io::Result<u64>;
}

fn main() {}
