//! Independent JSON-RPC peers as child processes: a Python server started
//! for one test (killed and reaped when dropped, so none outlives its test)
//! and a Python client script run to its end against our server.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::python::{python, run_bounded, show, INTEROP_DIR};

/// How long a Python peer may take to start and print its port.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long a client script may run.
const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

/// `python <tests/interop/script> args…`, with proxies off for loopback
/// (`requests` and `websockets` honour proxy variables).
fn script_command(script: &str) -> Command {
    let mut command = Command::new(python());
    command
        .arg(Path::new(INTEROP_DIR).join(script))
        .env("PYTHONUNBUFFERED", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    command
}

/// A client script's run: its output, and the count from its closing
/// `N passed, 0 failed` line.
pub(crate) struct ScriptRun {
    pub(crate) output: Output,
    pub(crate) passed: usize,
}

/// Runs a client script against our server (off the async runtime, which
/// keeps serving meanwhile) and checks it succeeded: exit status 0 and a
/// closing `N passed, 0 failed` line. Panics with its whole output if not.
pub(crate) async fn run_script(script: &'static str, args: Vec<String>) -> ScriptRun {
    let output = tokio::task::spawn_blocking(move || {
        let mut command = script_command(script);
        command.args(&args);
        run_bounded(&mut command, SCRIPT_LIMIT)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    .unwrap_or_else(|why| panic!("{script}: {why}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let passed = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse::<usize>().ok());
    match passed {
        Some(passed) if output.status.success() => ScriptRun { output, passed },
        _ => panic!("{script} failed:\n{}", show(&output)),
    }
}

/// A Python JSON-RPC server for one test; killed and reaped on drop.
pub(crate) struct PeerServer {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl PeerServer {
    /// Starts `script` (off the async runtime: the first start may make the
    /// virtual environment) and waits for its `PORT <n>` line.
    pub(crate) async fn start(script: &'static str) -> Self {
        tokio::task::spawn_blocking(move || Self::start_blocking(script))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            .unwrap_or_else(|why| panic!("{script}: {why}"))
    }

    fn start_blocking(script: &str) -> Result<Self, String> {
        let mut child = script_command(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start: {e}"))?;
        let log = Arc::new(Mutex::new(String::new()));
        collect(child.stderr.take(), log.clone());
        let (port_tx, port_rx) = mpsc::channel();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdout_log = log.clone();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("PORT ") {
                    let _ = port_tx.send(port.trim().parse::<u16>().ok());
                    break;
                }
                push(&stdout_log, &line);
            }
            // Keep draining, so the peer never blocks on a full pipe.
            for line in lines.map_while(Result::ok) {
                push(&stdout_log, &line);
            }
        });
        let mut server = Self {
            child,
            port: 0,
            log,
        };
        match port_rx.recv_timeout(START_LIMIT) {
            Ok(Some(port)) => {
                server.port = port;
                Ok(server)
            }
            Ok(None) => Err(format!("printed a bad PORT line\n{}", server.log())),
            Err(_) => {
                // Gone or stuck: either way, say what it printed.
                let status = server.child.try_wait().ok().flatten();
                let _ = server.child.kill();
                let _ = server.child.wait();
                thread::sleep(Duration::from_millis(100));
                Err(format!(
                    "no PORT line within {START_LIMIT:?} (exit status {status:?})\n{}",
                    server.log()
                ))
            }
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// What it printed besides its port (tracebacks, request logs).
    pub(crate) fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(pipe: Option<impl Read + Send + 'static>, log: Arc<Mutex<String>>) {
    if let Some(pipe) = pipe {
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                push(&log, &line);
            }
        });
    }
}

fn push(log: &Mutex<String>, line: &str) {
    if let Ok(mut log) = log.lock() {
        log.push_str(line);
        log.push('\n');
    }
}
