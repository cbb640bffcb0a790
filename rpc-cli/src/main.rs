//! `rpc`: a command-line client for any JSON-RPC 2.0 server.

fn main() {
    eprintln!("rpc: not built yet");
    std::process::exit(2);
}
