//! Opening one connection: the TCP connect and the upgrade handshake.

use std::time::Duration;

use http::HeaderMap;
use rpc_runtime::client::ClientError;
use rpc_runtime::ws::WsConfig;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Error as WsError;
#[cfg(feature = "tls")]
use tokio_tungstenite::Connector;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::tls::TlsOptions;

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(crate) async fn open(
    url: &str,
    headers: &HeaderMap,
    config: &WsConfig,
    tls: &TlsOptions,
    timeout: Option<Duration>,
) -> Result<Socket, ClientError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| ClientError::Transport(Box::new(e)))?;
    for (name, value) in headers {
        request.headers_mut().append(name, value.clone());
    }
    #[cfg(feature = "tls")]
    let handshake = {
        let connector = match request.uri().scheme_str() {
            Some("wss") => Some(Connector::Rustls(
                tls.client_config()
                    .map_err(|e| ClientError::Transport(Box::new(e)))?,
            )),
            _ => None,
        };
        tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(rpc_runtime::ws::__tungstenite::tungstenite_config(config)),
            true,
            connector,
        )
    };
    // Without TLS the builder refuses `wss://` URLs; there is nothing to use.
    #[cfg(not(feature = "tls"))]
    let handshake = {
        let _ = tls;
        tokio_tungstenite::connect_async_with_config(
            request,
            Some(rpc_runtime::ws::__tungstenite::tungstenite_config(config)),
            true,
        )
    };
    let outcome = match timeout {
        Some(limit) => tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| ClientError::Timeout(limit))?,
        None => handshake.await,
    };
    match outcome {
        Ok((socket, _response)) => Ok(socket),
        Err(WsError::Http(response)) => Err(ClientError::HttpStatus {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        }),
        Err(error) => Err(ClientError::Transport(Box::new(error))),
    }
}
