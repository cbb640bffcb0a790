//! ZeroMQ endpoint addresses: `tcp://host:port` and `ipc://path`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a ZeroMQ socket binds or connects, written as ZeroMQ writes it:
/// `tcp://host:port` (`*` for every interface, `[::1]` for an IPv6
/// address, port `0` to bind any free port) or `ipc://path` (a Unix
/// socket).
///
/// ```
/// use rpc_runtime::zmq::ZmqEndpoint;
/// let tcp: ZmqEndpoint = "tcp://127.0.0.1:5555".parse().unwrap();
/// assert_eq!(tcp, ZmqEndpoint::Tcp { host: "127.0.0.1".into(), port: 5555 });
/// let any: ZmqEndpoint = "tcp://*:0".parse().unwrap();
/// assert_eq!(any.to_string(), "tcp://0.0.0.0:0");
/// let v6: ZmqEndpoint = "tcp://[::1]:7".parse().unwrap();
/// assert_eq!(v6.to_string(), "tcp://[::1]:7");
/// let ipc: ZmqEndpoint = "ipc:///tmp/rpc.sock".parse().unwrap();
/// assert_eq!(ipc, ZmqEndpoint::Ipc("/tmp/rpc.sock".into()));
/// assert!("udp://x:1".parse::<ZmqEndpoint>().is_err());
/// assert!("tcp://host".parse::<ZmqEndpoint>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZmqEndpoint {
    /// TCP: a host name or IP address (without brackets) and a port.
    Tcp {
        /// The host name or IP address.
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix domain socket at this path.
    Ipc(PathBuf),
}

/// Why an endpoint could not be read.
///
/// ```
/// use rpc_runtime::zmq::{EndpointError, ZmqEndpoint};
/// let error = "inproc://x".parse::<ZmqEndpoint>().unwrap_err();
/// assert!(error.to_string().contains("inproc://x"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ZeroMQ endpoint {endpoint:?}: {reason}")]
#[non_exhaustive]
pub struct EndpointError {
    /// The endpoint as given.
    pub endpoint: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for ZmqEndpoint {
    type Err = EndpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| EndpointError {
            endpoint: text.to_owned(),
            reason,
        };
        if let Some(path) = text.strip_prefix("ipc://") {
            if path.is_empty() {
                return Err(fail("an ipc endpoint needs a path"));
            }
            return Ok(ZmqEndpoint::Ipc(PathBuf::from(path)));
        }
        let Some(rest) = text.strip_prefix("tcp://") else {
            return Err(fail("expected tcp://host:port or ipc://path"));
        };
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| fail("a tcp endpoint needs a port (tcp://host:port)"))?;
        let port = port
            .parse::<u16>()
            .map_err(|_| fail("the port is not a number from 0 to 65535"))?;
        let host = match host {
            "*" => "0.0.0.0",
            host => host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host),
        };
        if host.is_empty() {
            return Err(fail("a tcp endpoint needs a host"));
        }
        Ok(ZmqEndpoint::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for ZmqEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZmqEndpoint::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            ZmqEndpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            ZmqEndpoint::Ipc(path) => write!(f, "ipc://{}", path.display()),
        }
    }
}
