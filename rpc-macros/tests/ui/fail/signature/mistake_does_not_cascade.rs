use rpc_runtime::rpc;

// The receiver is wrong; the impl and the use of `into_router` below must
// not add errors of their own.
#[rpc]
pub trait Counter {
    async fn bump(&mut self) -> u64;
    fn get(&self) -> u64;
}

struct Impl(u64);

impl Counter for Impl {
    async fn bump(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
    fn get(&self) -> u64 {
        self.0
    }
}

fn main() {
    let _router = Impl(0).into_router();
    let _client = CounterClient::new(());
}
