use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    fn move_to(&self, x: i64, #[param(rename = "x")] y: i64);
}

fn main() {}
