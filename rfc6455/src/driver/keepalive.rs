//! Keepalive: ping a peer that has gone quiet, fail the connection when no pong answers in
//! time, and measure the round trip of a ping for [`WebSocket::ping_rtt`].
//!
//! Time is cut into intervals of [`Config::ping_interval`]: at the end of an interval in
//! which no whole frame arrived, a ping leaves (its payload is an 8-byte counter). When
//! its pong has not come back within [`Config::pong_timeout`] the connection is failed
//! with 1011 and [`ErrorKind::PongTimeout`]. Whole *frames* count, not bytes, so a peer
//! that trickles a frame a byte at a time is pinged like a silent one, and its pong cannot
//! come back before the frame ends.
//!
//! Like every timer of a connection, these run while it is being received from
//! ([`recv`](crate::WebSocket::recv) or a [`RecvHalf`](crate::RecvHalf)).
//!
//! [`WebSocket::ping_rtt`]: crate::WebSocket::ping_rtt
//! [`Config::ping_interval`]: crate::Config::ping_interval
//! [`Config::pong_timeout`]: crate::Config::pong_timeout
//! [`ErrorKind::PongTimeout`]: crate::ErrorKind::PongTimeout

use std::collections::VecDeque;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rfc6455_proto::{CloseCode, Variant};
use tokio::time::Instant;

use super::chunk::Chunk;
use super::{Driver, Phase};
use crate::error::Error;

impl<S> Driver<S> {
    /// The next keepalive deadline: the pong's if a ping awaits one, else the end of the
    /// interval. `None` when keepalive is off (or for hybi-00, which has no pings).
    pub(super) fn keepalive_deadline(&self) -> Option<Instant> {
        match self.keepalive.ping() {
            Some(sent) => self.config.pong_timeout.map(|timeout| sent + timeout),
            None if self.core.variant() == Variant::Hybi00 => None,
            None => self.config.ping_interval.map(|_| self.keepalive.tick()),
        }
    }

    /// A keepalive deadline passed at `now`: fail the connection whose pong is late, or
    /// ping a peer that was silent for a whole interval.
    pub(super) fn keepalive_due(&mut self, now: Instant) {
        let Some(deadline) = self.keepalive_deadline() else {
            return;
        };
        if now < deadline {
            return;
        }
        if self.keepalive.ping().is_some() {
            let _ = self
                .core
                .send_close(CloseCode::INTERNAL_ERROR, "keepalive ping timeout");
            self.error = Some(Error::pong_timeout());
            self.phase = Phase::Finishing;
            return;
        }
        let interval = self.config.ping_interval.unwrap_or_default();
        self.keepalive.start_interval(now + interval);
        if std::mem::take(&mut self.keepalive.heard) {
            return;
        }
        // A ping the core refuses (closing) is simply not sent.
        let _ = self.send_counted_ping(now);
    }

    /// Send a ping with the next counter as payload; its number.
    fn send_counted_ping(&mut self, now: Instant) -> Result<u64, Error> {
        let number = self.keepalive.sent + 1;
        self.core.send_ping(&number.to_be_bytes())?;
        self.keepalive.sent = number;
        self.keepalive.ping_sent(now);
        Ok(number)
    }

    /// A pong arrived: if it answers our ping, note the round trip, start a new interval
    /// and wake whoever awaits it (`ping_rtt` on the other half of a split connection).
    pub(super) fn pong_received(&mut self, payload: &[u8], cx: &Context<'_>) {
        self.keepalive.heard = true;
        let Some(sent) = self.keepalive.ping() else {
            return;
        };
        if payload != self.keepalive.sent.to_be_bytes() {
            return;
        }
        let now = Instant::now();
        if let Some(round_trip) = &mut self.keepalive.round_trip {
            round_trip.answered = self.keepalive.sent;
            round_trip.rtt = now - sent;
        }
        self.keepalive.heard = false;
        let interval = self.config.ping_interval.unwrap_or_default();
        self.keepalive.start_interval(now + interval);
        cx.waker().wake_by_ref();
    }

    /// Send a ping for [`WebSocket::ping_rtt`](crate::WebSocket::ping_rtt) (or share the
    /// one already awaiting its pong): its number, for [`poll_rtt`](Self::poll_rtt).
    pub(crate) fn start_rtt_ping(&mut self) -> Result<u64, Error> {
        self.keepalive.round_trip.get_or_insert_with(Box::default);
        if self.keepalive.ping().is_some() {
            return Ok(self.keepalive.sent);
        }
        self.send_counted_ping(Instant::now())
    }

    /// The round trip of ping `number` once its pong has arrived; an error once the
    /// connection is closing or over. Reads nothing: the receiving half of a split
    /// connection does.
    pub(crate) fn poll_rtt_answered(&self, number: u64) -> Poll<Result<Duration, Error>> {
        if let Some(rtt) = self.rtt_of(number) {
            Poll::Ready(Ok(rtt))
        } else if !matches!(self.phase, Phase::Open) {
            Poll::Ready(Err(Error::closed()))
        } else {
            Poll::Pending
        }
    }

    /// The round trip of ping `number`, once its pong has arrived.
    fn rtt_of(&self, number: u64) -> Option<Duration> {
        let round_trip = self.keepalive.round_trip.as_ref()?;
        (round_trip.answered >= number).then_some(round_trip.rtt)
    }

    /// Take a data chunk that arrived while [`poll_rtt`](Self::poll_rtt) waited.
    #[inline]
    pub(super) fn take_held(&mut self) -> Option<Chunk> {
        let round_trip = self.keepalive.round_trip.as_mut()?;
        let chunk = round_trip.held.pop_front()?;
        round_trip.held_bytes -= chunk.payload.len();
        if round_trip.held.is_empty() {
            // Give the queue's memory back.
            round_trip.held = VecDeque::new();
        }
        Some(chunk)
    }
}

impl<S> Driver<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    /// Read until ping `number`'s pong arrives; its round trip. Data that arrives before it
    /// is held, in order, for the next receive — at most one message's worth
    /// ([`Limits::max_message_size`](crate::Limits::max_message_size)); beyond that,
    /// reading pauses and the pong timeout decides.
    pub(crate) fn poll_rtt(
        &mut self,
        cx: &mut Context<'_>,
        number: u64,
    ) -> Poll<Result<Duration, Error>> {
        loop {
            if let Some(rtt) = self.rtt_of(number) {
                return Poll::Ready(Ok(rtt));
            }
            let held = self
                .keepalive
                .round_trip
                .as_ref()
                .map_or(0, |r| r.held_bytes);
            let full = held as u64 >= self.config.limits.max_message_size;
            if full && matches!(self.phase, Phase::Open) {
                ready!(self.poll_timers(cx));
                continue;
            }
            match ready!(self.poll_read_chunk(cx, false)) {
                Some(Ok(chunk)) => {
                    let round_trip = self.keepalive.round_trip.get_or_insert_with(Box::default);
                    round_trip.held_bytes += chunk.payload.len();
                    round_trip.held.push_back(chunk);
                }
                // The pong came, then the end (read in the same pass): the end is for
                // the next receive.
                Some(Err(e)) if self.rtt_of(number).is_some() => {
                    self.error.get_or_insert(e);
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None if self.rtt_of(number).is_some() => {}
                None => return Poll::Ready(Err(Error::closed())),
            }
        }
    }
}
