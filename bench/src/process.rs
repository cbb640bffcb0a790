//! Server child processes: each server under test runs in its own process
//! (this binary re-executed as `serve-<kind> 127.0.0.1:0`), so its CPU time
//! and memory can be read from `/proc` without counting the load generator.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::servers::Kind;

/// A running server process; killed when dropped, also while unwinding
/// from a panic, so no run leaves a server behind.
pub(crate) struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    kind: Kind,
}

impl ServerProcess {
    /// Starts `kind` on `127.0.0.1:0` and waits for the address it prints.
    pub(crate) fn spawn(kind: Kind) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .arg(kind.serve_command())
            .arg("127.0.0.1:0")
            .arg("--exit-on-stdin-eof")
            // The child exits when this pipe closes, which also happens when
            // the parent is killed outright and no destructor runs.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", kind.label()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("child stdout not piped".to_owned());
        };
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let addr = match read {
            Ok(_) => line.trim().parse::<SocketAddr>().ok(),
            Err(_) => None,
        };
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            kind,
        };
        match addr {
            Some(addr) => {
                process.addr = addr;
                Ok(process)
            }
            // `process` drops here and kills the child.
            None => Err(format!(
                "{} did not print its address (got {line:?})",
                kind.label()
            )),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// User + system CPU time the server has used so far.
    pub(crate) fn cpu_time(&self) -> Duration {
        cpu_time_of(&self.child.id().to_string()).unwrap_or_default()
    }

    /// Resident set size in KiB.
    pub(crate) fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time of this process (the load generator / clients).
pub(crate) fn own_cpu_time() -> Duration {
    cpu_time_of("self").unwrap_or_default()
}

/// User + system CPU time process `pid` has used so far.
pub(crate) fn cpu_time_of_pid(pid: u32) -> Duration {
    cpu_time_of(&pid.to_string()).unwrap_or_default()
}

/// utime + stime from `/proc/<pid>/stat`, in clock ticks converted to time.
fn cpu_time_of(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `state`.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(
        ticks * 1_000_000_000 / clock_ticks_per_second(),
    ))
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            // USER_HZ is 100 on every mainstream Linux architecture.
            .unwrap_or(100)
    })
}

/// In a child started by [`ServerProcess::spawn`]: exit once the parent's
/// end of stdin closes.
pub(crate) fn exit_when_stdin_closes() {
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        std::process::exit(0);
    });
}

/// Maximum number of open files for this process (soft limit).
pub(crate) fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `nproc` and the CPU model, for the report's header.
pub(crate) fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cpus} CPUs, {model}")
}
