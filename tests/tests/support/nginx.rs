//! A real `nginx` for one test, from `examples/deploy/nginx.conf`: on a
//! free loopback port, balancing the given instances, its files in a
//! temporary directory of its own; stopped when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::packages;

const TEMPLATE: &str = include_str!("../../../examples/deploy/nginx.conf");

pub(crate) struct Nginx {
    pub(crate) addr: SocketAddr,
    dir: PathBuf,
    child: Child,
}

impl Nginx {
    /// Starts nginx on `port` in front of `instances`, and waits until it
    /// accepts connections.
    pub(crate) fn start(port: u16, instances: &[SocketAddr]) -> Self {
        packages::ensure();
        let dir = std::env::temp_dir().join(format!("rpc-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let upstreams: Vec<String> = instances
            .iter()
            .map(|addr| format!("server {addr} max_fails=1 fail_timeout=1s;"))
            .collect();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
        let config = TEMPLATE
            .replace("{{dir}}", &dir.to_string_lossy())
            .replace("{{upstreams}}", &upstreams.join("\n        "))
            .replace("{{listen}}", &addr.to_string());
        let file = dir.join("nginx.conf");
        std::fs::write(&file, config).expect("the config is written");
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start nginx ({error}): install it with `{}`",
                    packages::INSTALL
                )
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {addr} in 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { addr, dir, child }
    }
}

/// Debian puts it in /usr/sbin, which a user's PATH may lack.
fn nginx_binary() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (a SIGKILL would leave
        // them running, orphaned); SIGKILL only if it has not stopped.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
