//! The library behind the `rpc` command: argument reading, the OpenRPC
//! driven checks, and the transports by URL scheme.

pub mod arg;
