use rpc_runtime::rpc;

// The shape of `anyhow::Result<T, E = anyhow::Error>`, without the crate.
mod anyhow {
    #[derive(Debug)]
    pub struct Error;
    pub type Result<T, E = Error> = core::result::Result<T, E>;
}

#[rpc]
pub trait Files {
    fn size(&self, path: String) -> anyhow::Result<u64>;
}

fn main() {}
