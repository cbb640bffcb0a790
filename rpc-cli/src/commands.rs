//! What each subcommand does.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use futures_util::StreamExt as _;
use serde_json::Value;

use crate::batch::{self, BatchInput};
use crate::cli::CallArgs;
use crate::exit::Failure;
use crate::message::read_response;
use crate::output::{emit, render, use_colour, Output};
use crate::session::Session;

/// Where results go and how they look.
#[derive(Clone, Copy)]
pub(crate) struct Printer {
    /// `--output`.
    pub(crate) output: Output,
    /// Colour stdout (a terminal, no `NO_COLOR`).
    pub(crate) colour: bool,
}

impl Printer {
    /// For `--output`, colour decided by stdout.
    pub(crate) fn new(output: Output) -> Self {
        let no_color = std::env::var_os("NO_COLOR");
        Self {
            output,
            colour: use_colour(std::io::stdout().is_terminal(), no_color.as_deref()),
        }
    }

    /// Prints `value` on stdout.
    pub(crate) fn print(&self, value: &Value) -> Result<(), Failure> {
        emit(&render(value, self.output, self.colour))
    }
}

/// `rpc call`.
pub(crate) async fn call(
    session: &mut Session,
    args: &CallArgs,
    printer: Printer,
) -> Result<(), Failure> {
    let params = session
        .params(&args.method, &args.args, args.params.as_ref())
        .await?;
    let result = session.call(&args.method, params.as_ref()).await?;
    printer.print(&result)
}

/// `rpc notify`.
pub(crate) async fn notify(session: &mut Session, args: &CallArgs) -> Result<(), Failure> {
    let params = session
        .params(&args.method, &args.args, args.params.as_ref())
        .await?;
    let text = session.envelope.notification(&args.method, params.as_ref());
    session.exchange(&text).await?;
    Ok(())
}

/// `rpc send`: the answer exactly as received.
pub(crate) async fn send(session: &Session, json: &str) -> Result<(), Failure> {
    let answer = session.exchange(json).await?;
    if answer.is_empty() {
        return Ok(());
    }
    emit(&answer)
}

/// `rpc discover`.
pub(crate) async fn discover(session: &Session, printer: Printer) -> Result<(), Failure> {
    let doc = session.call("rpc.discover", None).await?;
    printer.print(&doc)
}

/// `rpc methods [NAME]`.
pub(crate) async fn methods(session: &Session, name: Option<&str>) -> Result<(), Failure> {
    let doc = session.call("rpc.discover", None).await?;
    let text = match name {
        Some(name) => rpc_cli::describe::method_detail(&doc, name)?,
        None => rpc_cli::describe::method_lines(&doc),
    };
    if text.is_empty() {
        return Ok(());
    }
    emit(&text)
}

/// `rpc batch FILE|-`.
pub(crate) async fn batch(
    session: &mut Session,
    file: &str,
    printer: Printer,
) -> Result<(), Failure> {
    let text = read_input(file)?;
    let message = match batch::read(&text)? {
        BatchInput::Json(array) => array,
        BatchInput::Lines(calls) => {
            let mut members = Vec::with_capacity(calls.len());
            for words in &calls {
                let (method, args) = words
                    .split_first()
                    .ok_or_else(|| Failure::Usage("an empty call".to_owned()))?;
                let params = session.params(method, args, None).await?;
                members.push(session.envelope.request(method, params.as_ref()).0);
            }
            format!("[{}]", members.join(","))
        }
    };
    let answer = session.exchange(&message).await?;
    if answer.trim().is_empty() {
        // A batch of notifications only: nothing comes back.
        return Ok(());
    }
    let responses: Value = serde_json::from_str(&answer)
        .map_err(|error| Failure::InvalidResponse(format!("not JSON ({error}): {answer}")))?;
    let members = match &responses {
        Value::Array(members) => members.as_slice(),
        // A server answers a batch it cannot read with one error object.
        other => std::slice::from_ref(other),
    };
    let errors = members
        .iter()
        .filter(|member| matches!(read_response(member, None), Err(Failure::Rpc(_))))
        .count();
    if let Some(bad) = members.iter().find_map(|m| match read_response(m, None) {
        Err(Failure::InvalidResponse(why)) => Some(why),
        _ => None,
    }) {
        return Err(Failure::InvalidResponse(bad));
    }
    if printer.output == Output::Json {
        // Compact already: as received, members in the server's order.
        emit(answer.trim())?;
    } else {
        printer.print(&responses)?;
    }
    if errors > 0 {
        return Err(Failure::BatchErrors(errors));
    }
    Ok(())
}

fn read_input(file: &str) -> Result<String, Failure> {
    let mut text = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| Failure::Usage(format!("cannot read stdin: {error}")))?;
    } else {
        text = std::fs::read_to_string(file)
            .map_err(|error| Failure::Usage(format!("cannot read {file}: {error}")))?;
    }
    Ok(text)
}

/// `rpc subscribe`: items one JSON per line until the stream ends or a
/// signal comes (then unsubscribes and returns success).
pub(crate) async fn subscribe(
    session: &mut Session,
    args: &CallArgs,
    names: (Option<&str>, Option<&str>),
    printer: Printer,
) -> Result<(), Failure> {
    let params = session
        .params(&args.method, &args.args, args.params.as_ref())
        .await?;
    let (notification, unsubscribe) = match names {
        (Some(notification), Some(unsubscribe)) => {
            (notification.to_owned(), unsubscribe.to_owned())
        }
        (notification, unsubscribe) => {
            let spec = subscription_spec(session, &args.method).await?;
            (
                notification.map_or(spec.0, str::to_owned),
                unsubscribe.map_or(spec.1, str::to_owned),
            )
        }
    };
    if session.verbose {
        eprintln!(
            "> subscribe {} (notification {notification}, unsubscribe {unsubscribe})",
            args.method
        );
    }
    let mut items = session
        .conn
        .subscribe(&args.method, params.as_ref(), &notification, &unsubscribe)
        .await?;
    // One JSON per line: never indented.
    let line = Printer {
        output: if printer.output == Output::Raw {
            Output::Raw
        } else {
            Output::Json
        },
        colour: false,
    };
    let stop = crate::signal::stop();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            item = items.next() => match item {
                Some(Ok(item)) => {
                    if session.verbose {
                        eprintln!("< {notification} {item}");
                    }
                    if let Err(closed) = line.print(&item) {
                        // Nobody reads any more: end the subscription cleanly.
                        let _ = items.unsubscribe().await;
                        return Err(closed);
                    }
                }
                Some(Err(error)) => eprintln!("rpc: {error}"),
                None => return Ok(()),
            },
            () = &mut stop => {
                if session.verbose {
                    eprintln!("> {unsubscribe} (stopping)");
                }
                items.unsubscribe().await?;
                return Ok(());
            }
        }
    }
}

/// The notification and unsubscribe methods of `method`, from the
/// document's `x-subscription`.
async fn subscription_spec(
    session: &mut Session,
    method: &str,
) -> Result<(String, String), Failure> {
    let missing = || {
        Failure::Usage(format!(
            "cannot tell the notification and unsubscribe methods of `{method}` (no x-subscription in rpc.discover): pass --notification and --unsubscribe"
        ))
    };
    let doc = session.doc().await?.ok_or_else(missing)?;
    let spec = doc
        .get("methods")
        .and_then(Value::as_array)
        .and_then(|methods| {
            methods
                .iter()
                .find(|m| m.get("name").and_then(Value::as_str) == Some(method))
        })
        .and_then(|m| m.get("x-subscription"))
        .ok_or_else(missing)?;
    let name = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_owned);
    match (name("notification"), name("unsubscribe")) {
        (Some(notification), Some(unsubscribe)) => Ok((notification, unsubscribe)),
        _ => Err(missing()),
    }
}

/// `rpc codegen typescript URL --out DIR`: the server's document.
pub(crate) async fn codegen(session: &Session, out: &Path) -> Result<(), Failure> {
    let doc = session.call("rpc.discover", None).await?;
    write_client(&doc, out)
}

/// `rpc codegen typescript --file DOC --out DIR`: no server involved.
pub(crate) fn codegen_file(file: &Path, out: &Path) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| Failure::Usage(format!("cannot read {}: {error}", file.display())))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|error| Failure::Usage(format!("{}: not JSON: {error}", file.display())))?;
    write_client(&doc, out)
}

/// Writes `DIR/client.ts` and prints its path.
fn write_client(doc: &Value, out: &Path) -> Result<(), Failure> {
    let module = rpc_cli::codegen::typescript(doc)
        .map_err(|error| Failure::Usage(format!("cannot generate a client: {error}")))?;
    let cannot = |error: std::io::Error| {
        Failure::Usage(format!("cannot write into {}: {error}", out.display()))
    };
    std::fs::create_dir_all(out).map_err(cannot)?;
    let path = out.join("client.ts");
    std::fs::write(&path, module).map_err(cannot)?;
    emit(&path.display().to_string())
}
