//! The core `Connection`, in both roles and all three framings (RFC 6455, hybi-00 old and
//! new), fed arbitrary bytes from a peer under small limits chosen by the input.
//!
//! Input: 6 setup bytes (flags, frame limit, message limit, fragment limit, streamed limit,
//! split seed), then the peer's bytes.
//!
//! Oracles (not just "no panic"):
//! - the same bytes fed at once, in the input's chunk sizes, and a byte at a time give the
//!   same events (data chunks joined per frame), the same error and the same output;
//! - every frame the connection writes is valid for its role (read back with the reference
//!   decoder: masked iff client, RSV 0, control frames whole and ≤ 125 bytes); it writes only
//!   pongs echoing each ping in order, and one close frame, last, whose code is sendable
//!   (§7.4) and is the error's code after a failure or the peer's code after its close;
//! - when it asks for more bytes, what it holds buffered is within the configured limits
//!   (a header plus one frame of at most `max_frame_size`; a header plus a control frame
//!   when data is delivered in parts; one message for hybi-00);
//! - no data message exceeds `max_message_size` (or `max_streamed_message_size` for a
//!   streamed one) or `max_fragments` frames; text messages are valid UTF-8, and every
//!   chunk of one leaves a valid UTF-8 prefix.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rfc6455_fuzz::wire::{self, WireFrame};
use rfc6455_proto::hybi00::FramingMode;
use rfc6455_proto::{
    CloseState, Connection, DataKind, Event, Limits, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
    ProtocolError, Role,
};

#[derive(Debug, Clone, Copy)]
enum Framing {
    Rfc6455,
    Hybi00(FramingMode),
}

#[derive(Debug, Clone, Copy)]
struct Setup {
    role: Role,
    framing: Framing,
    partial: bool,
    stream_first: bool,
    limits: Limits,
}

impl Setup {
    fn connection(&self) -> Connection {
        let mut conn = match (self.framing, self.role) {
            (Framing::Hybi00(mode), role) => Connection::hybi00(role, mode, self.limits),
            (Framing::Rfc6455, Role::Server) => Connection::server(self.limits),
            (Framing::Rfc6455, Role::Client) => Connection::client(self.limits, [7; 32]),
        };
        if self.stream_first {
            conn.stream_incoming_message();
        }
        conn
    }
}

/// What the peer's bytes made the connection report, normalised so that chunking does not
/// show: data chunks are joined per frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Frame {
        kind: DataKind,
        first: bool,
        fin: bool,
        payload: Vec<u8>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

#[derive(Debug, PartialEq, Eq)]
struct Run {
    seen: Vec<Seen>,
    error: Option<ProtocolError>,
    output: Vec<u8>,
    close: CloseState,
}

/// The state of the message being received, for the per-message oracles.
#[derive(Default)]
struct Message {
    /// The frame being delivered in chunks: kind, whether it began the message, bytes.
    frame: Option<(DataKind, bool, Vec<u8>)>,
    kind: Option<DataKind>,
    bytes: Vec<u8>,
    frames: u32,
    /// Messages completed so far.
    done: u32,
}

fn run(setup: &Setup, input: &[u8], chunks: &mut dyn Iterator<Item = usize>) -> Run {
    let mut conn = setup.connection();
    let limits = setup.limits;
    let mut buf = BytesMut::new();
    let mut seen = Vec::new();
    let mut output = Vec::new();
    let mut msg = Message::default();
    let mut error = None;
    let mut rest = input;
    'feed: loop {
        let n = chunks.next().unwrap_or(rest.len()).min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            // Streaming applies to the first message, and not on hybi-00.
            let streamed =
                setup.stream_first && msg.done == 0 && matches!(setup.framing, Framing::Rfc6455);
            let event = conn.poll_event(&mut buf, setup.partial);
            output.extend_from_slice(conn.pending_output());
            conn.consume_output(conn.pending_output().len());
            match event {
                Ok(Some(event)) => on_event(setup, &limits, streamed, event, &mut msg, &mut seen),
                Ok(None) => {
                    check_buffered(setup, &limits, streamed, buf.len(), conn.close_state());
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
        if rest.is_empty() {
            break;
        }
    }
    Run {
        seen,
        error,
        output,
        close: conn.close_state(),
    }
}

fn on_event(
    setup: &Setup,
    limits: &Limits,
    streamed: bool,
    event: Event,
    msg: &mut Message,
    seen: &mut Vec<Seen>,
) {
    match event {
        Event::Data {
            kind,
            payload,
            first,
            frame_end,
            fin,
        } => {
            if !setup.partial && !streamed {
                assert!(frame_end, "a buffered frame delivered in parts");
            }
            assert!(
                frame_end || !fin,
                "fin on a chunk that does not end its frame"
            );
            match &mut msg.frame {
                None => msg.frame = Some((kind, first, Vec::new())),
                Some((k, _, _)) => {
                    assert_eq!(*k, kind, "the kind changed inside a frame");
                    assert!(!first, "`first` on a later chunk of a frame");
                }
            }
            if first {
                assert!(msg.kind.is_none(), "a new message while one is open");
                msg.kind = Some(kind);
            }
            assert_eq!(
                msg.kind,
                Some(kind),
                "data outside a message, or of another kind"
            );
            msg.bytes.extend_from_slice(&payload);
            if let Some((_, _, bytes)) = &mut msg.frame {
                bytes.extend_from_slice(&payload);
            }
            let max = if streamed {
                limits.max_streamed_message_size.unwrap_or(u64::MAX)
            } else {
                limits.max_message_size
            };
            assert!(
                msg.bytes.len() as u64 <= max,
                "message over its limit {max}"
            );
            if kind == DataKind::Text
                && let Err(e) = std::str::from_utf8(&msg.bytes)
            {
                assert!(e.error_len().is_none() && !fin, "text that is not UTF-8");
            }
            if frame_end {
                msg.frames += 1;
                assert!(
                    msg.frames <= limits.max_fragments.max(1),
                    "more frames than max_fragments"
                );
                let (kind, first, payload) = msg.frame.take().expect("frame open");
                seen.push(Seen::Frame {
                    kind,
                    first,
                    fin,
                    payload,
                });
            }
            if fin {
                msg.kind = None;
                msg.bytes.clear();
                msg.frames = 0;
                msg.done += 1;
            }
        }
        Event::Ping(p) => {
            assert!(p.len() <= MAX_CONTROL_PAYLOAD);
            seen.push(Seen::Ping(p.to_vec()));
        }
        Event::Pong(p) => {
            assert!(p.len() <= MAX_CONTROL_PAYLOAD);
            seen.push(Seen::Pong(p.to_vec()));
        }
        Event::Close(frame) => {
            let frame = frame.map(|f| {
                assert!(wire::sendable_close_code(f.code().as_u16()));
                (f.code().as_u16(), f.reason().to_owned())
            });
            seen.push(Seen::Close(frame));
        }
        _ => panic!("an event this target does not know"),
    }
}

/// When the connection asks for more bytes, what it keeps buffered is bounded by the limits.
fn check_buffered(setup: &Setup, limits: &Limits, streamed: bool, held: usize, close: CloseState) {
    if matches!(close, CloseState::Closed | CloseState::Failed) {
        return; // it reads nothing more; the caller drops the buffer
    }
    let bound = match setup.framing {
        // A whole message, plus new mode's 9-byte frame head and old mode's sentinel.
        Framing::Hybi00(_) => limits.max_message_size.saturating_add(16),
        Framing::Rfc6455 if setup.partial || streamed => {
            (MAX_HEADER_LEN + MAX_CONTROL_PAYLOAD) as u64
        }
        Framing::Rfc6455 => (MAX_HEADER_LEN as u64)
            .saturating_add(limits.max_frame_size.max(MAX_CONTROL_PAYLOAD as u64)),
    };
    assert!(
        held as u64 <= bound,
        "{held} bytes buffered, over the bound {bound}"
    );
}

/// What the connection wrote must be what the rules and the events call for.
fn check_output(setup: &Setup, run: &Run) {
    let peer_close = run.seen.iter().find_map(|s| match s {
        Seen::Close(c) => Some(c.clone()),
        _ => None,
    });
    if let Some(error) = &run.error {
        assert!(wire::sendable_close_code(error.close_code().as_u16()));
    }
    let Framing::Rfc6455 = setup.framing else {
        // hybi-00 writes nothing but its closing frame, after a close or a failure.
        let close: &[u8] = match setup.framing {
            Framing::Hybi00(FramingMode::Old) => &[0xFF, 0x00],
            _ => &[0, 0, 0, 0, 0, 0, 0, 0, 0],
        };
        let closes = run.error.is_some() || peer_close.is_some();
        assert_eq!(run.output, if closes { close } else { &[][..] });
        return;
    };
    let frames = wire::frames(&run.output, setup.role == Role::Client);
    let (closes, pongs): (Vec<&WireFrame>, Vec<&WireFrame>) =
        frames.iter().partition(|f| f.opcode == 0x8);
    for f in &frames {
        assert!(matches!(f.opcode, 0x8 | 0xA), "unexpected frame {f:?}");
        assert!(f.fin && f.payload.len() <= MAX_CONTROL_PAYLOAD);
    }
    // §5.5.2: one pong per ping, same payload, in order.
    let pings: Vec<&Vec<u8>> = run
        .seen
        .iter()
        .filter_map(|s| match s {
            Seen::Ping(p) => Some(p),
            _ => None,
        })
        .collect();
    let pong_payloads: Vec<&Vec<u8>> = pongs.iter().map(|f| &f.payload).collect();
    assert_eq!(pong_payloads, pings, "pongs do not echo the pings");
    // One close frame at most, the last thing written, with the right code.
    assert!(closes.len() <= 1, "two close frames");
    if let Some(close) = closes.first() {
        assert_eq!(frames.last(), Some(*close), "a frame after the close frame");
    }
    let sent = closes.first().map(|f| wire::close_payload(&f.payload));
    match (&run.error, peer_close) {
        (Some(e), _) => assert_eq!(
            sent,
            Some(Some(e.close_code().as_u16())),
            "close after {e:?}"
        ),
        (None, Some(Some((code, _)))) => {
            assert_eq!(sent, Some(Some(code)), "echo of the close code")
        }
        (None, Some(None)) => assert_eq!(sent, Some(None), "an empty close answers an empty close"),
        (None, None) => assert_eq!(sent, None, "a close frame nobody asked for"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, frame, message, fragments, streamed, seed, input @ ..] = data else {
        return;
    };
    let framing = match flags >> 4 & 3 {
        1 => Framing::Hybi00(FramingMode::Old),
        2 => Framing::Hybi00(FramingMode::New),
        _ => Framing::Rfc6455,
    };
    let setup = Setup {
        role: if flags & 1 == 0 {
            Role::Server
        } else {
            Role::Client
        },
        framing,
        partial: flags & 2 != 0,
        stream_first: flags & 4 != 0,
        limits: Limits::default()
            .max_frame_size(u64::from(*frame) * 3)
            .max_message_size(u64::from(*message) * 5)
            .max_fragments(u32::from(fragments % 16))
            .max_streamed_message_size((*streamed != 255).then(|| u64::from(*streamed) * 7)),
    };

    let whole = run(&setup, input, &mut std::iter::empty());
    check_output(&setup, &whole);

    // The same bytes in the chunk sizes the seed picks (0 to 15 bytes), and one at a time.
    let mut x = u32::from(*seed) | 1;
    let mut sizes = std::iter::from_fn(move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        Some((x % 16) as usize)
    });
    let split = run(&setup, input, &mut sizes);
    assert_eq!(split, whole, "splitting the input changed what happened");
    let bytewise = run(&setup, input, &mut std::iter::repeat(1));
    assert_eq!(bytewise, whole, "a byte at a time changed what happened");
});
