use rpc_runtime::{rpc, InternalError};

/// A type of its own that happens to be named `Result`.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Result<T, E> {
    Good(T),
    Bad(E),
}

#[rpc]
pub trait Api {
    fn get(&self) -> Result<u64, InternalError>;
}

fn main() {}
