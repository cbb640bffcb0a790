//! Where to send: the server URL, read by its scheme.

use rpc_client::stream::Framing;

use crate::exit::Failure;

/// A server address, by transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `http://` or `https://`: the URL as given.
    Http(String),
    /// `ws://` or `wss://`: the URL as given.
    Ws(String),
    /// `tcp://HOST:PORT[?framing=…]`.
    Tcp {
        /// `HOST:PORT`.
        addr: String,
        /// How messages are cut.
        framing: Framing,
    },
    /// `unix:/path[?framing=…]`.
    Unix {
        /// The socket's path.
        path: String,
        /// How messages are cut.
        framing: Framing,
    },
    /// `zmq+tcp://HOST:PORT`: a ZeroMQ REQ socket.
    Zmq(String),
    /// `stdio:'command args'`: a server spawned with its stdio piped.
    Stdio {
        /// The program and its arguments, split shell-like.
        argv: Vec<String>,
        /// How messages are cut.
        framing: Framing,
    },
}

impl Target {
    /// Reads a URL.
    pub(crate) fn parse(url: &str) -> Result<Self, Failure> {
        let bad = |why: &str| Failure::Usage(format!("URL `{url}`: {why}"));
        if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(Target::Http(url.to_owned()));
        }
        if url.starts_with("ws://") || url.starts_with("wss://") {
            return Ok(Target::Ws(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("zmq+tcp://") {
            if rest.is_empty() {
                return Err(bad("needs HOST:PORT"));
            }
            return Ok(Target::Zmq(format!("tcp://{rest}")));
        }
        if let Some(rest) = url.strip_prefix("tcp://") {
            let (addr, framing) = framing_of(rest).map_err(|why| bad(&why))?;
            if addr.is_empty() {
                return Err(bad("needs HOST:PORT"));
            }
            return Ok(Target::Tcp { addr, framing });
        }
        if let Some(rest) = url.strip_prefix("unix:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let (path, framing) = framing_of(rest).map_err(|why| bad(&why))?;
            if path.is_empty() {
                return Err(bad("needs a socket path"));
            }
            return Ok(Target::Unix { path, framing });
        }
        if let Some(rest) = url.strip_prefix("stdio:") {
            // The command's own arguments may hold `?`: framing only from a
            // trailing `?framing=…` that stands apart.
            let (command, framing) = match rest.rsplit_once("?framing=") {
                Some((command, name)) => (command, framing_named(name).map_err(|why| bad(&why))?),
                None => (rest, Framing::Newline),
            };
            let argv = shlex::split(command).ok_or_else(|| bad("unbalanced quotes"))?;
            if argv.is_empty() {
                return Err(bad("needs a command, e.g. stdio:'server --stdio'"));
            }
            return Ok(Target::Stdio { argv, framing });
        }
        Err(bad(
            "unknown scheme (http(s)://, ws(s)://, tcp://, unix:, zmq+tcp://, stdio:)",
        ))
    }

    /// Whether the transport can carry server-pushed notifications.
    pub(crate) fn can_push(&self) -> bool {
        !matches!(self, Target::Http(_) | Target::Zmq(_))
    }
}

/// Splits `?framing=…` off a stream address.
fn framing_of(rest: &str) -> Result<(String, Framing), String> {
    match rest.split_once('?') {
        None => Ok((rest.to_owned(), Framing::Newline)),
        Some((addr, query)) => {
            let name = query.strip_prefix("framing=").ok_or_else(|| {
                format!("unknown query `{query}` (only framing=newline|content-length)")
            })?;
            Ok((addr.to_owned(), framing_named(name)?))
        }
    }
}

fn framing_named(name: &str) -> Result<Framing, String> {
    match name {
        "newline" => Ok(Framing::Newline),
        "content-length" => Ok(Framing::ContentLength),
        other => Err(format!(
            "unknown framing `{other}` (newline or content-length)"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            Target::parse("http://h:1/x").unwrap(),
            Target::Http("http://h:1/x".into())
        );
        assert_eq!(
            Target::parse("wss://h/").unwrap(),
            Target::Ws("wss://h/".into())
        );
        assert_eq!(
            Target::parse("tcp://127.0.0.1:9?framing=content-length").unwrap(),
            Target::Tcp {
                addr: "127.0.0.1:9".into(),
                framing: Framing::ContentLength
            }
        );
        assert_eq!(
            Target::parse("unix:/tmp/s.sock").unwrap(),
            Target::Unix {
                path: "/tmp/s.sock".into(),
                framing: Framing::Newline
            }
        );
        assert_eq!(
            Target::parse("zmq+tcp://127.0.0.1:5").unwrap(),
            Target::Zmq("tcp://127.0.0.1:5".into())
        );
        assert_eq!(
            Target::parse("stdio:server --stdio 'a b'").unwrap(),
            Target::Stdio {
                argv: vec!["server".into(), "--stdio".into(), "a b".into()],
                framing: Framing::Newline
            }
        );
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("tcp://x?framing=xml").is_err());
        assert!(Target::parse("stdio:'unbalanced").is_err());
    }
}
