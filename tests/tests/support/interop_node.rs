//! The Node.js packages the interop tests run independent JSON-RPC
//! implementations with: `tests/interop/node/package.json` and its lock
//! file, installed with `npm ci` under the target directory
//! (`interop-node/node_modules`, never in the source tree) on first use,
//! and reused while its copy of the lock file matches.
//!
//! Test processes may prepare it at once: each installs into a directory
//! of its own and moves it into place with one rename, so no process ever
//! sees a half-made install; within a process the first caller prepares it
//! while the others wait.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where the scripts, `package.json` and `package-lock.json` live.
/// (Through the workspace root, so that another package's tests can use
/// this module too: `rpc-cli`'s do.)
pub(crate) const NODE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop/node");

/// `npm ci` downloads one small package: generous, but bounded.
const NPM_LIMIT: Duration = Duration::from_secs(300);

const INSTALL_HINT: &str = "these tests drive our transports with vscode-jsonrpc, the npm \
     package VS Code's language client is built on, so Node.js (18 or later) and npm must be \
     on PATH: install them from https://nodejs.org or with `apt-get install nodejs npm`";

/// The `node_modules` directory holding the pinned packages. The first
/// caller installs them; when that fails every caller panics with the
/// reason, so no interop test is ever skipped in silence.
pub(crate) fn node_modules() -> &'static Path {
    static MODULES: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match MODULES.get_or_init(prepare) {
        Ok(modules) => modules,
        Err(why) => panic!("interop tests cannot run: {why}"),
    }
}

/// `node <tests/interop/node/script>`, resolving packages from
/// [`node_modules`].
pub(crate) fn node_command(script: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(Path::new(NODE_DIR).join(script))
        .env("NODE_PATH", node_modules());
    command
}

fn prepare() -> Result<PathBuf, String> {
    let version = run(
        Command::new("node").arg("--version"),
        Duration::from_secs(30),
    )
    .map_err(|e| format!("`node --version` failed ({e}); {INSTALL_HINT}"))?;
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    if major.is_none_or(|major| major < 18) {
        return Err(format!(
            "Node.js {} is too old; {INSTALL_HINT}",
            version.trim()
        ));
    }
    let lock = std::fs::read(Path::new(NODE_DIR).join("package-lock.json"))
        .map_err(|e| format!("cannot read {NODE_DIR}/package-lock.json: {e}"))?;
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-node");
    if installed(&target, &lock) {
        return Ok(target.join("node_modules"));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let staging = target.with_file_name(format!(
        "interop-node.staging-{}-{nanos}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(Path::new(NODE_DIR).join(file), staging.join(file))
            .map_err(|e| format!("copying {file}: {e}"))?;
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&staging);
    let outcome = run(&mut npm, NPM_LIMIT).map_err(|e| {
        format!(
            "`npm ci` in {} failed: {e}\n(if npm is missing: {INSTALL_HINT})",
            staging.display()
        )
    });
    if let Err(why) = outcome {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(why);
    }
    if !installed(&target, &lock) {
        // Stale (another lock file): out of the way, then ours in.
        if target.exists() {
            let trash =
                target.with_file_name(format!("interop-node.stale-{}-{nanos}", std::process::id()));
            if std::fs::rename(&target, &trash).is_ok() {
                let _ = std::fs::remove_dir_all(&trash);
            }
        }
        // Fails only when another process has just moved its own in.
        let _ = std::fs::rename(&staging, &target);
    }
    let _ = std::fs::remove_dir_all(&staging);
    if installed(&target, &lock) {
        Ok(target.join("node_modules"))
    } else {
        Err(format!(
            "after `npm ci`, {} does not hold the packages of {NODE_DIR}/package-lock.json",
            target.display()
        ))
    }
}

/// Whether `dir` holds a finished install of this lock file.
fn installed(dir: &Path, lock: &[u8]) -> bool {
    std::fs::read(dir.join("package-lock.json")).is_ok_and(|copy| copy == lock)
        && dir
            .join("node_modules/vscode-jsonrpc/package.json")
            .is_file()
}

/// Runs a command to its end (or kills it after `limit`); its stdout when
/// it succeeds, else why not, with its output.
fn run(command: &mut Command, limit: Duration) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{command:?} did not finish within {limit:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
