//! The command line, as clap reads it.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Output;

/// A command-line client for any JSON-RPC 2.0 server, driven by the
/// server's OpenRPC document (`rpc.discover`).
#[derive(Debug, Parser)]
#[command(
    name = "rpc",
    version,
    about = "A command-line client for any JSON-RPC 2.0 server, driven by its OpenRPC document",
    long_about = "A command-line client for any JSON-RPC 2.0 server. When the server answers \
                  rpc.discover, arguments are checked and converted against the method's schema \
                  before anything is sent (--raw skips this).\n\n\
                  URLs: http(s)://HOST[:PORT]/PATH, ws(s)://…, tcp://HOST:PORT[?framing=content-length], \
                  unix:/PATH[?framing=…], zmq+tcp://HOST:PORT (REQ), stdio:'COMMAND ARGS' \
                  (spawns the server and talks over its stdin/stdout).\n\n\
                  Arguments: 42, true, '{\"a\":1}' are JSON; a bare word is a string; key=value is a \
                  named string, key:=json a named JSON value.",
    after_help = crate::exit::HELP,
    after_long_help = crate::exit::HELP
)]
pub(crate) struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub(crate) options: Options,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options shared by every subcommand.
#[derive(Debug, Args)]
pub(crate) struct Options {
    /// An HTTP header ('Name: value'), repeatable (http(s) and ws(s) only).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", global = true, value_parser = header)]
    pub(crate) headers: Vec<(String, String)>,
    /// Authorization: Bearer TOKEN.
    #[arg(long, value_name = "TOKEN", global = true)]
    pub(crate) bearer: Option<String>,
    /// HTTP basic authentication.
    #[arg(
        long,
        value_name = "USER:PASS",
        global = true,
        conflicts_with = "bearer"
    )]
    pub(crate) basic: Option<String>,
    /// How long to wait for connecting and for each answer: 500ms, 5s, 1m, 1h.
    #[arg(long, value_name = "DURATION", global = true, value_parser = duration)]
    pub(crate) timeout: Option<Duration>,
    /// The kind of request ids.
    #[arg(long, value_enum, default_value_t = IdKind::Decimal, global = true)]
    pub(crate) id_kind: IdKind,
    /// Speak JSON-RPC 1.0 (no "jsonrpc" member, params always an array).
    #[arg(long, global = true)]
    pub(crate) jsonrpc1: bool,
    /// Print the wire messages (and HTTP status and headers) on stderr.
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// How to print results.
    #[arg(long, value_enum, default_value_t = Output::Pretty, global = true)]
    pub(crate) output: Output,
    /// Send the arguments as given: do not fetch rpc.discover to check and convert them.
    #[arg(long, global = true)]
    pub(crate) raw: bool,
}

/// `--id-kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IdKind {
    /// 1, 2, 3, …
    Decimal,
    /// "1", …, "a", "b", … (strings in base 16)
    Hex,
    /// A random UUID v4 string.
    Uuid,
    /// 16 random letters and digits.
    Random,
}

/// A subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Calls METHOD and prints its result (an error reply goes to stderr, exit 1).
    Call(CallArgs),
    /// Sends METHOD as a notification (no answer).
    Notify(CallArgs),
    /// Sends a batch: a JSON array (sent as given), or one call per line in the
    /// `call` syntax (METHOD ARGS…, split like a shell; blank lines and #comments skipped).
    Batch {
        /// The server.
        url: String,
        /// The file, or - for stdin.
        file: String,
    },
    /// Sends a hand-made message and prints the answer as received.
    Send {
        /// The server.
        url: String,
        /// The message (any text).
        json: String,
    },
    /// Prints the server's OpenRPC document (rpc.discover).
    Discover {
        /// The server.
        url: String,
    },
    /// Lists the server's methods, or describes one.
    Methods {
        /// The server.
        url: String,
        /// One method to describe in detail.
        name: Option<String>,
    },
    /// Subscribes and prints each item on its own line until Ctrl-C/SIGTERM
    /// (then unsubscribes); ws(s)://, tcp://, unix:, stdio: only.
    Subscribe {
        /// What to call.
        #[command(flatten)]
        call: CallArgs,
        /// The items' notification method (default: from rpc.discover's x-subscription).
        #[arg(long, value_name = "METHOD")]
        notification: Option<String>,
        /// The method that ends the subscription (default: from rpc.discover).
        #[arg(long, value_name = "METHOD")]
        unsubscribe: Option<String>,
    },
    /// Writes a typed client generated from the server's OpenRPC document
    /// (rpc.discover), or from --file: `DIR/client.ts` for typescript.
    Codegen {
        /// The language.
        language: Language,
        /// The directory to write into (created when missing).
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Read the OpenRPC document from this file instead of a server.
        #[arg(long, value_name = "FILE", conflicts_with = "url")]
        file: Option<std::path::PathBuf>,
        /// The server.
        #[arg(required_unless_present = "file")]
        url: Option<String>,
    },
    /// Prints a shell completion script.
    Completions {
        /// The shell.
        shell: Shell,
    },
    /// Prints the man page (roff).
    Man,
}

/// `URL METHOD [ARGS…] [--params JSON]`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The server.
    pub(crate) url: String,
    /// The method.
    pub(crate) method: String,
    /// The arguments: JSON values, bare words (strings), key=value, key:=json
    /// (negative numbers are arguments; put other words starting with `-` after `--`).
    #[arg(allow_negative_numbers = true, conflicts_with = "params")]
    pub(crate) args: Vec<String>,
    /// The params whole, as JSON (an array or an object).
    #[arg(long, value_name = "JSON", value_parser = params_json)]
    pub(crate) params: Option<serde_json::Value>,
}

/// `rpc codegen LANGUAGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Language {
    /// One TypeScript module (no runtime dependencies).
    Typescript,
}

/// `rpc completions SHELL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Reads `Name: value`.
fn header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}`: a header is 'Name: value'"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}`: the header has no name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// Reads `500ms`, `5s`, `1m`, `1h`, `1.5s` (a bare number is seconds).
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: a duration is a number and a unit: 500ms, 5s, 1m"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" | "sec" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("`{text}`: unknown unit `{other}` (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("`{text}`: {error}"))
}

/// `--params`: JSON, an array or an object.
fn params_json(text: &str) -> Result<serde_json::Value, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
    if value.is_array() || value.is_object() {
        Ok(value)
    } else {
        Err("params are an array or an object".to_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(duration("2").unwrap(), Duration::from_secs(2));
        assert!(duration("5 parsecs").is_err());
        assert!(duration("s").is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            header("X-Api-Key: abc").unwrap(),
            ("X-Api-Key".into(), "abc".into())
        );
        assert!(header("nocolon").is_err());
    }

    #[test]
    fn the_command_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
