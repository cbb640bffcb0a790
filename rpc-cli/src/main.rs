//! `rpc`: a command-line client for any JSON-RPC 2.0 server.
//!
//! `rpc call http://127.0.0.1:4000/ subtract 42 23` prints `19`. When the
//! server answers `rpc.discover`, the arguments are checked and converted
//! against the method's OpenRPC schema before anything is sent.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success (a subscription stopped by Ctrl-C/SIGTERM included) |
//! | 1 | the server answered with a JSON-RPC error (printed as JSON on stderr); for `batch`, any member did |
//! | 2 | invalid arguments (clap's usage errors, unreadable arguments, params that do not fit the schema: nothing sent) |
//! | 3 | transport failure (connect, I/O, TLS, non-2xx HTTP status, connection closed) |
//! | 4 | timeout |
//! | 5 | invalid response (not JSON, or not a JSON-RPC response) |

mod batch;
mod cli;
mod commands;
mod exit;
mod message;
mod output;
mod session;
mod signal;
mod target;
mod transport;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory as _, Parser as _};
use rpc_client::id::{DecimalIds, HexIds, RandomIds, UuidIds};
use rpc_client::IdGenerator;

use crate::cli::{Cli, Command, IdKind, Options, Shell};
use crate::commands::Printer;
use crate::exit::Failure;
use crate::message::Envelope;
use crate::output::render;
use crate::session::Session;
use crate::target::Target;
use crate::transport::Connect;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are not errors; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                exit::INVALID_ARGS
            } else {
                0
            });
        }
    };
    if let Command::Completions { shell } = cli.command {
        return finish(crate::output::emit(&completions(shell)), &cli.options);
    }
    if let Command::Man = cli.command {
        let mut page = Vec::new();
        let rendered = clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(Failure::Stdout)
            .and_then(|()| crate::output::emit(&String::from_utf8_lossy(&page)));
        return finish(rendered, &cli.options);
    }
    if let Command::Codegen {
        file: Some(file),
        out,
        ..
    } = &cli.command
    {
        return finish(commands::codegen_file(file, out), &cli.options);
    }
    if cli.options.verbose {
        wire_log();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rpc: cannot start the runtime: {error}");
            return ExitCode::from(exit::TRANSPORT);
        }
    };
    finish(runtime.block_on(run(&cli)), &cli.options)
}

/// The exit code of an outcome, the failure reported on stderr.
fn finish(outcome: Result<(), Failure>, options: &Options) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure, options);
            ExitCode::from(failure.code())
        }
    }
}

/// Prints a failure on stderr: an error reply as JSON, else a sentence.
fn report(failure: &Failure, options: &Options) {
    match failure {
        Failure::Rpc(object) => {
            let colour = crate::output::use_colour(
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            eprintln!("{}", render(object, options.output, colour));
        }
        Failure::Stdout(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => eprintln!("rpc: {other}"),
    }
}

/// Runs the subcommand on one connection.
async fn run(cli: &Cli) -> Result<(), Failure> {
    let options = &cli.options;
    let printer = Printer::new(options.output);
    let url = match &cli.command {
        Command::Call(args) | Command::Notify(args) => &args.url,
        Command::Subscribe { call, .. } => &call.url,
        Command::Batch { url, .. }
        | Command::Send { url, .. }
        | Command::Discover { url }
        | Command::Methods { url, .. } => url,
        Command::Codegen { url: Some(url), .. } => url,
        Command::Codegen { url: None, .. } | Command::Completions { .. } | Command::Man => {
            return Ok(())
        }
    };
    let target = Target::parse(url)?;
    if matches!(cli.command, Command::Subscribe { .. }) && !target.can_push() {
        return Err(Failure::Usage(format!(
            "`{url}`: subscriptions need a transport the server can push on (ws(s)://, tcp://, unix:, stdio:), not HTTP or ZeroMQ REQ"
        )));
    }
    let ids = id_generator(options.id_kind);
    let connect = Connect {
        headers: options.headers.clone(),
        bearer: options.bearer.clone(),
        basic: options
            .basic
            .as_deref()
            .map(|basic| match basic.split_once(':') {
                Some((user, pass)) => (user.to_owned(), Some(pass.to_owned())),
                None => (basic.to_owned(), None),
            }),
        timeout: options.timeout,
        ids: Arc::clone(&ids),
        verbose: options.verbose,
    };
    let conn = connect.open(&target).await?;
    let envelope = Envelope {
        jsonrpc1: options.jsonrpc1,
        ids,
    };
    let mut session = Session::new(conn, envelope, options.verbose, options.raw);
    let outcome = match &cli.command {
        Command::Call(args) => commands::call(&mut session, args, printer).await,
        Command::Notify(args) => commands::notify(&mut session, args).await,
        Command::Batch { file, .. } => commands::batch(&mut session, file, printer).await,
        Command::Send { json, .. } => commands::send(&session, json).await,
        Command::Discover { .. } => commands::discover(&session, printer).await,
        Command::Methods { name, .. } => commands::methods(&session, name.as_deref()).await,
        Command::Subscribe {
            call,
            notification,
            unsubscribe,
        } => {
            let names = (notification.as_deref(), unsubscribe.as_deref());
            commands::subscribe(&mut session, call, names, printer).await
        }
        Command::Codegen { out, .. } => commands::codegen(&session, out).await,
        Command::Completions { .. } | Command::Man => Ok(()),
    };
    session.conn.close().await;
    outcome
}

fn id_generator(kind: IdKind) -> Arc<dyn IdGenerator> {
    match kind {
        IdKind::Decimal => Arc::new(DecimalIds::new()),
        IdKind::Hex => Arc::new(HexIds::new()),
        IdKind::Uuid => Arc::new(UuidIds),
        IdKind::Random => Arc::new(RandomIds::new(16)),
    }
}

/// `rpc completions SHELL`: the script.
fn completions(shell: Shell) -> String {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rpc", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// `-v`: the HTTP client's request/response events (status, headers) on
/// stderr; the messages themselves are printed by the session.
fn wire_log() {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter("rpc_client::http=debug")
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}
