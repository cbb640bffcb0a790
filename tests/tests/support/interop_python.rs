//! The Python interpreter the interop tests run independent JSON-RPC
//! implementations with: a virtual environment under the target directory
//! holding the pinned packages of `tests/interop/requirements.txt`, made on
//! first use and reused while `pip freeze` still lists every pin.
//!
//! `RPC_INTEROP_PYTHON` may name an interpreter that already has the
//! packages; then no environment is made.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// Where the Python scripts and the requirements live.
/// (Through the workspace root, so that another package's tests can use
/// this module too: `rpc-cli`'s do.)
pub(crate) const INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop");

/// Making the environment downloads a few packages: generous, but bounded.
const VENV_LIMIT: Duration = Duration::from_secs(120);
const PIP_LIMIT: Duration = Duration::from_secs(900);

/// The interpreter to run the scripts with. The first caller prepares it
/// while the others wait; when that fails every caller panics with the
/// reason, so no interop test is ever skipped in silence.
pub(crate) fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(prepare) {
        Ok(python) => python,
        Err(why) => panic!("interop tests cannot run: {why}"),
    }
}

fn prepare() -> Result<PathBuf, String> {
    if let Some(python) = std::env::var_os("RPC_INTEROP_PYTHON") {
        let python = PathBuf::from(python);
        check_imports(&python)?;
        return Ok(python);
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv");
    let python = venv_python(&venv);
    let requirements = Path::new(INTEROP_DIR).join("requirements.txt");
    let pins = pins(&requirements)?;
    if python.exists() && missing_pins(&python, &pins).is_ok_and(|missing| missing.is_empty()) {
        return Ok(python);
    }
    // Missing, stale or half made (an interrupted install): start afresh.
    let mut venv_cmd = Command::new("python3");
    venv_cmd.args(["-m", "venv", "--clear"]).arg(&venv);
    let made = run_bounded(&mut venv_cmd, VENV_LIMIT).map_err(|e| {
        format!(
            "`python3` could not be run ({e}). These tests drive our server and clients \
             with independent Python implementations, so Python 3 must be on PATH (or \
             RPC_INTEROP_PYTHON must name an interpreter that has tests/interop/requirements.txt)"
        )
    })?;
    if !made.status.success() {
        let stderr = String::from_utf8_lossy(&made.stderr);
        let hint = if stderr.contains("ensurepip") {
            " (this Python lacks ensurepip: on Debian/Ubuntu install `python3-venv`)"
        } else {
            ""
        };
        return Err(format!(
            "`python3 -m venv {}` failed{hint}:\n{}",
            venv.display(),
            show(&made)
        ));
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
    ])
    .arg(&requirements);
    let installed = run_bounded(&mut pip, PIP_LIMIT)?;
    if !installed.status.success() {
        return Err(format!(
            "installing {} failed:\n{}",
            requirements.display(),
            show(&installed)
        ));
    }
    let missing = missing_pins(&python, &pins)?;
    if !missing.is_empty() {
        return Err(format!("after pip install, still missing: {missing:?}"));
    }
    Ok(python)
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The `name==version` lines of a requirements file, normalised.
fn pins(requirements: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(normalise)
        .collect())
}

/// Package names compare case-insensitively, `_` and `-` alike.
fn normalise(pin: &str) -> String {
    pin.to_ascii_lowercase().replace('_', "-")
}

/// The pins `pip freeze` does not list.
fn missing_pins(python: &Path, pins: &[String]) -> Result<Vec<String>, String> {
    let mut freeze = Command::new(python);
    freeze.args(["-m", "pip", "freeze", "--disable-pip-version-check"]);
    let frozen = run_bounded(&mut freeze, Duration::from_secs(60))?;
    if !frozen.status.success() {
        return Err(format!("pip freeze failed:\n{}", show(&frozen)));
    }
    let have: Vec<String> = String::from_utf8_lossy(&frozen.stdout)
        .lines()
        .map(|line| normalise(line.trim()))
        .collect();
    Ok(pins
        .iter()
        .filter(|pin| !have.contains(pin))
        .cloned()
        .collect())
}

fn check_imports(python: &Path) -> Result<(), String> {
    let mut import = Command::new(python);
    import.args([
        "-c",
        "import jsonrpcclient, jsonrpcserver, jsonrpc, requests, websockets, werkzeug, zmq",
    ]);
    let out = run_bounded(&mut import, Duration::from_secs(60))
        .map_err(|e| format!("RPC_INTEROP_PYTHON={} cannot be run: {e}", python.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "RPC_INTEROP_PYTHON={} lacks the packages of tests/interop/requirements.txt:\n{}",
            python.display(),
            show(&out)
        ))
    }
}

/// Runs a command to its end, or kills it after `limit`; collects its
/// output (read as it comes, so a chatty child never blocks on a full pipe).
pub(crate) fn run_bounded(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let what = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let output = Output {
                    status: child.wait().map_err(|e| e.to_string())?,
                    stdout: stdout.join().unwrap_or_default(),
                    stderr: stderr.join().unwrap_or_default(),
                };
                return Err(format!(
                    "{what} did not finish within {limit:?}; killed.\n{}",
                    show(&output)
                ));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// A child's exit status and output, for a failure message.
pub(crate) fn show(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
