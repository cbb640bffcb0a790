//! A deadline on a connection's first bytes.
//!
//! hyper's `header_read_timeout` starts once HTTP/1.1 is chosen, but the
//! choice between HTTP/1.1 and HTTP/2 (hyper-util's `auto` builder) waits,
//! without a limit, for enough bytes to tell the HTTP/2 preface apart. A
//! client that connects and sends nothing, or a preface trickled byte by
//! byte, would hold its connection slot forever. This wrapper fails the
//! read instead when those bytes have not arrived within the deadline.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
#[cfg(test)]
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How many bytes the protocol sniff needs: the HTTP/2 preface's length.
const SNIFF_LEN: usize = 24;

/// An I/O stream whose first [`SNIFF_LEN`] bytes must arrive in time.
pub(crate) struct FirstBytesDeadline<T> {
    inner: T,
    /// Armed until the first bytes are in (or the peer closed).
    deadline: Option<Pin<Box<Sleep>>>,
    remaining: usize,
}

impl<T> FirstBytesDeadline<T> {
    /// Wraps `inner`; `None` sets no deadline.
    #[cfg(test)]
    pub(crate) fn new(inner: T, timeout: Option<Duration>) -> Self {
        Self::until(inner, timeout.and_then(|t| Instant::now().checked_add(t)))
    }

    /// Wraps `inner`, the first bytes due by `deadline` (counted from the
    /// accept, so a TLS handshake's time is part of it); `None` sets none.
    pub(crate) fn until(inner: T, deadline: Option<Instant>) -> Self {
        Self {
            inner,
            deadline: deadline.map(|at| Box::pin(tokio::time::sleep_until(at))),
            remaining: SNIFF_LEN,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FirstBytesDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Some(deadline) = this.deadline.as_mut() {
            match &poll {
                Poll::Ready(Ok(())) => {
                    let read = buf.filled().len() - before;
                    this.remaining = this.remaining.saturating_sub(read);
                    if this.remaining == 0 || read == 0 {
                        this.deadline = None;
                    }
                }
                Poll::Ready(Err(_)) => {}
                Poll::Pending => {
                    if deadline.as_mut().poll(cx).is_ready() {
                        this.deadline = None;
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client did not start its request in time",
                        )));
                    }
                }
            }
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FirstBytesDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[tokio::test]
    async fn silence_times_out_but_enough_bytes_disarm_the_deadline() {
        let (client, server) = tokio::io::duplex(64);
        let mut server = FirstBytesDeadline::new(server, Some(Duration::from_millis(50)));
        let mut buf = [0u8; 64];
        let error = server.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        drop(client);

        let (mut client, server) = tokio::io::duplex(64);
        let mut server = FirstBytesDeadline::new(server, Some(Duration::from_millis(50)));
        client.write_all(&[b'x'; SNIFF_LEN]).await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), SNIFF_LEN);
        // Past the deadline, a quiet but live stream is not cut off.
        tokio::time::sleep(Duration::from_millis(80)).await;
        let later = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            client.write_all(b"more").await.unwrap();
            client
        });
        assert_eq!(server.read(&mut buf).await.unwrap(), 4);
        drop(later.await.unwrap());
    }
}
