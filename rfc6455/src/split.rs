//! Owned receive and send halves of a [`WebSocket`] for use in two tasks.
//!
//! Both halves hold the connection behind one lock, taken only for the duration of a poll.
//! A poll of either half may write (the receiver flushes pongs and the close reply), so
//! both halves are woken when the socket becomes writable: a waker that wakes both is
//! registered with the socket, and a spurious wake-up costs one poll.

use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use rfc6455_proto::{CloseCode, DataKind, Message, OpCode};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::Error;
use crate::socket::WebSocket;

#[derive(Debug, Default)]
struct BothWakers {
    slots: Mutex<[Option<Waker>; 2]>,
}

impl BothWakers {
    fn set(&self, slot: usize, waker: &Waker) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if !slots[slot].as_ref().is_some_and(|w| w.will_wake(waker)) {
            slots[slot] = Some(waker.clone());
        }
    }
}

impl Wake for BothWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for waker in slots.iter().flatten() {
            waker.wake_by_ref();
        }
    }
}

#[derive(Debug)]
struct Shared<S> {
    ws: Mutex<WebSocket<S>>,
    wakers: Arc<BothWakers>,
}

impl<S> Shared<S> {
    /// Lock the connection and build the context that wakes both halves.
    fn with<R>(
        &self,
        slot: usize,
        cx: &Context<'_>,
        f: impl FnOnce(&mut WebSocket<S>, &mut Context<'_>) -> R,
    ) -> R {
        self.wakers.set(slot, cx.waker());
        let waker = Waker::from(self.wakers.clone());
        let mut cx = Context::from_waker(&waker);
        let mut ws: MutexGuard<'_, WebSocket<S>> =
            self.ws.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut ws, &mut cx)
    }
}

const RECV: usize = 0;
const SEND: usize = 1;

pub(crate) fn split<S>(ws: WebSocket<S>) -> (RecvHalf<S>, SendHalf<S>) {
    let shared = Arc::new(Shared {
        ws: Mutex::new(ws),
        wakers: Arc::default(),
    });
    (
        RecvHalf {
            shared: shared.clone(),
        },
        SendHalf { shared },
    )
}

/// The receiving half of a split [`WebSocket`].
///
/// ```no_run
/// # async fn demo(ws: rfc6455::WebSocket) {
/// let (mut rx, _tx) = ws.split();
/// while let Some(Ok(msg)) = rx.recv().await {
///     println!("{msg:?}");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct RecvHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecvHalf<S> {
    /// The next whole message; see [`WebSocket::recv`].
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`WebSocket::recv`].
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.shared.with(RECV, cx, |ws, cx| ws.poll_recv(cx))).await
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.shared
            .with(RECV, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.is_closed()
            })
    }

    /// The status code of the peer's close frame; see [`WebSocket::close_code`].
    pub fn close_code(&self) -> Option<CloseCode> {
        self.shared
            .with(RECV, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.close_code()
            })
    }

    /// The reason of the peer's close frame; see [`WebSocket::close_reason`].
    pub fn close_reason(&self) -> String {
        self.shared
            .with(RECV, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.close_reason().to_owned()
            })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecvHalf<S> {
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        partial: bool,
    ) -> Poll<Option<Result<crate::socket::Chunk, Error>>> {
        self.shared
            .with(RECV, cx, |ws, cx| ws.poll_chunk(cx, partial))
    }

    pub(crate) fn begin_streamed_receive(&mut self) {
        self.shared
            .with(RECV, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.begin_streamed_receive()
            });
    }

    pub(crate) fn variant(&self) -> rfc6455_proto::Variant {
        self.shared
            .with(RECV, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.variant()
            })
    }
}

impl<S> RecvHalf<S> {
    pub(crate) fn mark_discarding(&mut self) {
        let mut ws = self.shared.ws.lock().unwrap_or_else(|p| p.into_inner());
        ws.mark_discarding_any();
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> SendHalf<S> {
    pub(crate) fn poll_ready_to_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared
            .with(SEND, cx, |ws, cx| ws.poll_ready_to_send(cx))
    }

    pub(crate) fn enqueue_fragment(
        &mut self,
        kind: Option<DataKind>,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.enqueue_with(|core| core.send_fragment(kind, data, fin))
            })
    }

    pub(crate) fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.with(SEND, cx, |ws, cx| ws.poll_flush_out(cx))
    }

    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.start_close(code, reason)
            })
    }

    pub(crate) fn variant(&self) -> rfc6455_proto::Variant {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.variant()
            })
    }

    pub(crate) fn stream_fragment_size(&self) -> usize {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.stream_fragment_size()
            })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::Stream for RecvHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.shared.with(RECV, cx, |ws, cx| ws.poll_recv(cx))
    }
}

/// The sending half of a split [`WebSocket`].
///
/// ```no_run
/// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
/// let (_rx, mut tx) = ws.split();
/// tx.send_text("hello").await?;
/// tx.close(rfc6455::CloseCode::NORMAL, "done").await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SendHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SendHalf<S> {
    async fn queue(
        &mut self,
        f: impl FnOnce(&mut rfc6455_proto::Connection) -> Result<(), rfc6455_proto::SendError>,
    ) -> Result<(), Error> {
        poll_fn(|cx| {
            self.shared
                .with(SEND, cx, |ws, cx| ws.poll_ready_to_send(cx))
        })
        .await?;
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.enqueue_with(f)
            })?;
        self.flush().await
    }

    /// Send a message; see [`WebSocket::send`].
    ///
    /// # Errors
    /// As for [`WebSocket::send`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.queue(|core| core.send_message(&message)).await
    }

    /// Send a text message.
    ///
    /// # Errors
    /// As for [`WebSocket::send`].
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.queue(|core| core.send_text(text)).await
    }

    /// Send a binary message.
    ///
    /// # Errors
    /// As for [`WebSocket::send`].
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_binary(data)).await
    }

    /// Send one fragment; see [`WebSocket::send_fragment`].
    ///
    /// # Errors
    /// As for [`WebSocket::send_fragment`].
    pub async fn send_fragment(
        &mut self,
        kind: Option<DataKind>,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.queue(|core| core.send_fragment(kind, data, fin)).await
    }

    /// Send a ping.
    ///
    /// # Errors
    /// As for [`WebSocket::ping`].
    pub async fn ping(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_frame(OpCode::Ping, true, data))
            .await
    }

    /// Write everything queued.
    ///
    /// # Errors
    /// An I/O error of the socket.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.shared.with(SEND, cx, |ws, cx| ws.poll_flush_out(cx))).await
    }

    /// Send a close frame and flush it. The receiving half sees the end of the stream
    /// (`None`) once the peer answers, and then the socket is closed.
    ///
    /// # Errors
    /// As for [`WebSocket::close`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.start_close(code, reason)
            })?;
        self.flush().await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for SendHalf<S> {
    type Error = Error;

    fn poll_ready(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared
            .with(SEND, cx, |ws, cx| ws.poll_ready_to_send(cx))
    }

    fn start_send(self: std::pin::Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.shared
            .with(SEND, &Context::from_waker(Waker::noop()), |ws, _| {
                ws.enqueue(&item)
            })
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.with(SEND, cx, |ws, cx| ws.poll_flush_out(cx))
    }

    fn poll_close(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.with(SEND, cx, |ws, cx| {
            ws.start_close(CloseCode::NORMAL, "")?;
            ws.poll_flush_out(cx)
        })
    }
}
