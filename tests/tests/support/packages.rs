//! The distribution's packages the deployment and browser tests run for
//! real (`redis-server`, `nginx`, `tinyproxy`, `chromium`; a test declares this module once for
//! `support/redis.rs` and `support/nginx.rs`): installed on first use when missing, as the
//! README's test command promises (`apt-get update` once, then `apt-get
//! install -y`; as root, or through `sudo -n`). When that cannot be done
//! the test fails with the command that installs them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Every package these tests need, and a file each provides.
const PACKAGES: [(&str, &[&str]); 3] = [
    (
        "redis-server",
        &["/usr/bin/redis-server", "/usr/local/bin/redis-server"],
    ),
    (
        "nginx",
        &["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"],
    ),
    // The HTTP proxy the HTTP client's proxy tests go through.
    (
        "tinyproxy",
        &[
            "/usr/bin/tinyproxy",
            "/usr/sbin/tinyproxy",
            "/usr/local/bin/tinyproxy",
        ],
    ),
];

/// The command that installs them, for the messages.
pub(crate) const INSTALL: &str =
    "apt-get update && apt-get install -y redis-server nginx tinyproxy chromium";

/// Installs whichever of the packages is missing, once per test binary;
/// panics with the reason (and [`INSTALL`]) when it cannot.
pub(crate) fn ensure() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(why) = READY.get_or_init(install_missing) {
        panic!("these tests need redis-server, nginx, tinyproxy and chromium: {why}; install them with `{INSTALL}`");
    }
}

fn installed(files: &[&str]) -> bool {
    files.iter().any(|file| Path::new(file).exists())
}

fn install_missing() -> Result<(), String> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, files)| !installed(files))
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let run = |args: &[&str]| -> Result<(), String> {
        let mut command = if root {
            Command::new(args[0])
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("-n").arg(args[0]);
            sudo
        };
        let status = command
            .args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|error| format!("cannot run {}: {error}", args[0]))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", args.join(" ")))
        }
    };
    eprintln!(
        "installing {} (apt-get) for the deployment tests",
        missing.join(" ")
    );
    run(&["apt-get", "update", "-q"])?;
    let mut install = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    run(&install)?;
    match PACKAGES.iter().find(|(_, files)| !installed(files)) {
        Some((package, _)) => Err(format!("{package} is still missing after apt-get install")),
        None => Ok(()),
    }
}
