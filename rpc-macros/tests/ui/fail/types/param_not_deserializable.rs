use rpc_runtime::rpc;

#[derive(serde::Serialize)]
pub struct Point {
    pub x: i64,
}

#[rpc]
pub trait Api {
    fn put(&self, point: Point);
}

fn main() {}
