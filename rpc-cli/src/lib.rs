//! The library behind the `rpc` command: argument reading and the checks
//! and descriptions driven by a server's OpenRPC document.

pub mod arg;
pub mod codegen;
pub mod describe;
pub mod schema;
