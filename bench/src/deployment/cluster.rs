//! The deployment under test, as real processes on 127.0.0.1: a
//! `redis-server`, three `spec_server` instances on it (`--broker`, the
//! release build of `examples/examples/spec_server.rs`) and nginx from
//! `examples/deploy/nginx.conf`, once in front of one instance and once in
//! front of all three. Every process is stopped when its guard drops: at
//! the end, on error and while unwinding.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::servers::BoxError;

/// The nginx configuration a deployment uses, with `{{...}}` placeholders.
const NGINX_TEMPLATE: &str = include_str!("../../../examples/deploy/nginx.conf");

/// How long a process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// What installs the peers on Debian and Ubuntu.
const INSTALL: &str = "sudo apt-get install -y redis-server nginx";

/// The command that builds the instances' binary.
const BUILD: &str = "cargo build --release -p examples --example spec_server";

/// A child process, stopped (SIGTERM, then SIGKILL after a grace period)
/// when dropped.
struct Guard {
    child: Child,
}

impl Guard {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SIGTERM first: spec_server and nginx then close their sockets
        // cleanly, and redis-server exits without a dump (`--save ""`).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A temporary directory of this process's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self, BoxError> {
        let dir = std::env::temp_dir().join(format!("bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits until something accepts connections on `addr`, or fails naming
/// `what`.
fn await_listening(addr: SocketAddr, what: &str, child: &mut Child) -> Result<(), BoxError> {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited ({status}) before listening on {addr}").into());
        }
        if Instant::now() > deadline {
            return Err(format!("{what} did not listen on {addr} within {START_TIMEOUT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// A `redis-server` with no persistence.
struct Redis {
    url: String,
    process: Guard,
    // Dropped after the process: fields drop in order.
    _dir: TempDir,
}

impl Redis {
    fn start() -> Result<Self, BoxError> {
        let port = free_port()?;
        let dir = TempDir::new(&format!("redis-{port}"))?;
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir.0)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start redis-server ({e}): install it with `{INSTALL}`"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Err(e) = await_ping(addr, &mut child) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Self {
            url: format!("redis://{addr}"),
            process: Guard { child },
            _dir: dir,
        })
    }
}

/// Waits until Redis at `addr` answers `PING`.
fn await_ping(addr: SocketAddr, child: &mut Child) -> Result<(), BoxError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(mut stream) = TcpStream::connect(addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let mut reply = [0_u8; 7];
            if stream.write_all(b"PING\r\n").is_ok()
                && stream.read_exact(&mut reply).is_ok()
                && &reply == b"+PONG\r\n"
            {
                return Ok(());
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server exited ({status}) before answering").into());
        }
        if Instant::now() > deadline {
            return Err(
                format!("redis-server on {addr} did not answer within {START_TIMEOUT:?}").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One `spec_server --broker` instance.
struct Instance {
    addr: SocketAddr,
    process: Guard,
}

impl Instance {
    fn start(binary: &Path, broker: &str) -> Result<Self, BoxError> {
        let mut child = Command::new(binary)
            .args(["127.0.0.1:0", "--broker", broker, "--history", "1000"])
            .args(["--drain-delay", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take();
        // From here on, an error stops the process.
        let process = Guard { child };
        let mut lines = BufReader::new(stdout.ok_or("spec_server's stdout is not piped")?);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        let addr = first
            .trim_end()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .ok_or_else(|| format!("spec_server's first line: {first:?}"))?;
        // Keep its stdout drained so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut lines, &mut std::io::sink());
        });
        Ok(Self { addr, process })
    }
}

/// nginx balancing some instances.
pub(super) struct Nginx {
    pub(super) addr: SocketAddr,
    process: Guard,
    _dir: TempDir,
}

impl Nginx {
    fn start(upstreams: &[SocketAddr]) -> Result<Self, BoxError> {
        let port = free_port()?;
        let dir = TempDir::new(&format!("nginx-{port}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let servers: Vec<String> = upstreams
            .iter()
            .map(|a| format!("server {a} max_fails=1 fail_timeout=1s;"))
            .collect();
        let config = NGINX_TEMPLATE
            .replace("{{dir}}", &dir.0.to_string_lossy())
            .replace("{{upstreams}}", &servers.join("\n        "))
            .replace("{{listen}}", &addr.to_string());
        let file = dir.0.join("nginx.conf");
        std::fs::write(&file, config)?;
        // Debian puts it in /usr/sbin, which a user's PATH may lack.
        let sbin = Path::new("/usr/sbin/nginx");
        let binary = if sbin.exists() {
            sbin
        } else {
            Path::new("nginx")
        };
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir.0)
            .arg("-c")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start nginx ({e}): install it with `{INSTALL}`"))?;
        let mut process = Guard { child };
        await_listening(addr, "nginx", &mut process.child)?;
        Ok(Self {
            addr,
            process,
            _dir: dir,
        })
    }

    /// The master's CPU plus its workers' (live children are not in the
    /// master's `/proc` times).
    fn cpu_time(&self) -> Duration {
        let pid = self.process.pid();
        let workers =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        workers
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
            .map(crate::process::cpu_time_of_pid)
            .sum::<Duration>()
            + crate::process::cpu_time_of_pid(pid)
    }
}

/// CPU time used so far, by part of the deployment.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Cpu {
    pub(super) instances: Duration,
    pub(super) redis: Duration,
    pub(super) nginx: Duration,
    /// This process: the load generator.
    pub(super) bench: Duration,
}

impl Cpu {
    /// What was used between `earlier` and `self`.
    pub(super) fn since(self, earlier: Self) -> Self {
        Self {
            instances: self.instances.saturating_sub(earlier.instances),
            redis: self.redis.saturating_sub(earlier.redis),
            nginx: self.nginx.saturating_sub(earlier.nginx),
            bench: self.bench.saturating_sub(earlier.bench),
        }
    }
}

/// Redis, three instances on it and two nginx: one in front of the first
/// instance, one in front of all three. Fields drop in order: the
/// proxies, the instances, then Redis.
pub(super) struct Cluster {
    pub(super) nginx_one: Nginx,
    pub(super) nginx_three: Nginx,
    instances: Vec<Instance>,
    redis: Redis,
}

impl Cluster {
    pub(super) fn start() -> Result<Self, BoxError> {
        let binary = spec_server()?;
        let redis = Redis::start()?;
        eprintln!("redis-server at {}", redis.url);
        let instances = (0..3)
            .map(|_| Instance::start(&binary, &redis.url))
            .collect::<Result<Vec<_>, _>>()?;
        let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
        eprintln!("spec_server instances at {addrs:?}");
        let nginx_one = Nginx::start(&addrs[..1])?;
        let nginx_three = Nginx::start(&addrs)?;
        eprintln!(
            "nginx at {} (→ 1 instance) and {} (→ 3 instances)",
            nginx_one.addr, nginx_three.addr
        );
        Ok(Self {
            nginx_one,
            nginx_three,
            instances,
            redis,
        })
    }

    /// The instances' addresses, A, B, C.
    pub(super) fn instances(&self) -> Vec<SocketAddr> {
        self.instances.iter().map(|i| i.addr).collect()
    }

    pub(super) fn cpu(&self) -> Cpu {
        Cpu {
            instances: self
                .instances
                .iter()
                .map(|i| crate::process::cpu_time_of_pid(i.process.pid()))
                .sum(),
            redis: crate::process::cpu_time_of_pid(self.redis.process.pid()),
            nginx: self.nginx_one.cpu_time() + self.nginx_three.cpu_time(),
            bench: crate::process::own_cpu_time(),
        }
    }
}

/// The variables cargo sets for one package's run, not for the user.
const SET_FOR_THIS_PACKAGE: [&str; 8] = [
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_BIN_",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// Builds `spec_server` in release (a no-op when it is fresh) and returns
/// its path, as cargo reports it.
fn spec_server() -> Result<PathBuf, BoxError> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("{BUILD} ...");
    let mut command = Command::new(cargo);
    // `cargo run` gave this process the variables of the bench package;
    // some build scripts (ring's) watch them, so passing them on would
    // rebuild the examples' dependencies here and again in the user's shell.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if SET_FOR_THIS_PACKAGE.iter().any(|p| name.starts_with(p)) {
            command.env_remove(&*name);
        }
    }
    let output = command
        .args([
            "build",
            "--release",
            "-p",
            "examples",
            "--example",
            "spec_server",
        ])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
            manifest,
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo ({e}); build the instances with `{BUILD}`"))?;
    if !output.status.success() {
        return Err(format!("`{BUILD}` failed ({})", output.status).into());
    }
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "spec_server")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from));
    match executable {
        Some(path) if path.exists() => Ok(path),
        _ => Err(format!("`{BUILD}` did not report the spec_server executable").into()),
    }
}
