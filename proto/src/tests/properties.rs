//! Property tests (proptest) on the in-memory pair: any sequence of messages, cut into any
//! fragments, with pings between the fragments, sent by either end and carried in any
//! pieces, arrives intact and in order; every ping arrives and is answered, up to a bounded
//! run of unwritten pongs whose last answers the most recent ping (§5.5.3); the closing
//! handshake completes after them.

use bytes::BytesMut;
use proptest::prelude::*;

use super::pair::{End, Got, Pair};
use crate::connection::pong::MAX_OWED_PONGS;
use crate::{CloseCode, CloseFrame, CloseState, DataKind, Message};

/// One message and how it is sent: the sizes of its fragments (the last fragment takes
/// the rest) and, after each fragment but the last, maybe a ping.
#[derive(Debug, Clone)]
struct Sent {
    message: Message,
    cuts: Vec<(usize, Option<Vec<u8>>)>,
}

fn ping() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=125)
}

fn sent() -> impl Strategy<Value = Sent> {
    let message = prop_oneof![
        ".{0,80}".prop_map(Message::text),
        prop::collection::vec(any::<u8>(), 0..400).prop_map(Message::binary),
    ];
    let cuts = prop::collection::vec((0usize..120, prop::option::of(ping())), 0..6);
    (message, cuts).prop_map(|(message, cuts)| Sent { message, cuts })
}

/// Queue `sent` on `end`'s connection; returns the pings sent, in order.
fn send(end: &mut End, sent: &Sent) -> Vec<Vec<u8>> {
    let bytes = sent.message.as_bytes();
    let kind = sent.message.kind();
    let mut pings = Vec::new();
    let mut at = 0;
    let mut first = true;
    for (size, ping) in &sent.cuts {
        let end_at = (at + size).min(bytes.len());
        let piece = &bytes[at..end_at];
        if first {
            end.conn.send_fragment(kind, piece, false).unwrap();
        } else {
            end.conn.send_continuation(piece, false).unwrap();
        }
        first = false;
        at = end_at;
        if let Some(p) = ping {
            end.conn.send_ping(p).unwrap();
            pings.push(p.clone());
        }
    }
    if first {
        end.conn.send_fragment(kind, &bytes[at..], true).unwrap();
    } else {
        end.conn.send_continuation(&bytes[at..], true).unwrap();
    }
    pings
}

/// Carry `from`'s output to `to` in pieces of the given sizes (cycled; 0 means 1), draining
/// `to` after each piece; returns what `to` received.
fn carry(from: &mut End, to: &mut End, pieces: &[usize]) -> Vec<Got> {
    let out: BytesMut = from.conn.take_output();
    let mut got = Vec::new();
    let mut rest = &out[..];
    let mut sizes = pieces.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        to.inbox.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        got.extend(to.drain().expect("a valid stream fails nothing"));
    }
    got
}

fn exchange(messages: &[Sent], pieces: &[usize], client_sends: bool) {
    let mut pair = Pair::new();
    let (sender, receiver) = if client_sends {
        (&mut pair.client, &mut pair.server)
    } else {
        (&mut pair.server, &mut pair.client)
    };
    let mut expected = Vec::new();
    let mut pings = Vec::new();
    for m in messages {
        let sent_pings = send(sender, m);
        expected.extend(sent_pings.iter().cloned().map(Got::Ping));
        expected.push(Got::Message(m.message.clone()));
        pings.extend(sent_pings);
    }
    sender.conn.send_close(CloseCode::NORMAL, "bye").unwrap();
    expected.push(Got::Close(Some(CloseFrame::new(CloseCode::NORMAL, "bye"))));

    assert_eq!(carry(sender, receiver, pieces), expected);
    assert_eq!(receiver.conn.close_state(), CloseState::Closed);
    // The receiver writes nothing but pongs before its close reply, so its pongs form one
    // unwritten run, bounded (§5.5.3): the first answers up to the bound, then the answer
    // to the most recent ping in place of the rest; then the close reply.
    let mut answers: Vec<Got> = if pings.len() <= MAX_OWED_PONGS {
        pings.into_iter().map(Got::Pong).collect()
    } else {
        let last = pings[pings.len() - 1].clone();
        let mut kept: Vec<Got> = pings
            .into_iter()
            .take(MAX_OWED_PONGS - 1)
            .map(Got::Pong)
            .collect();
        kept.push(Got::Pong(last));
        kept
    };
    answers.push(Got::Close(Some(CloseFrame::new(CloseCode::NORMAL, ""))));
    assert_eq!(carry(receiver, sender, pieces), answers);
    assert_eq!(sender.conn.close_state(), CloseState::Closed);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_messages_in_any_fragments_with_pings_arrive_intact_client_to_server(
        messages in prop::collection::vec(sent(), 0..8),
        pieces in prop::collection::vec(0usize..40, 1..8),
    ) {
        exchange(&messages, &pieces, true);
    }

    #[test]
    fn any_messages_in_any_fragments_with_pings_arrive_intact_server_to_client(
        messages in prop::collection::vec(sent(), 0..8),
        pieces in prop::collection::vec(0usize..40, 1..8),
    ) {
        exchange(&messages, &pieces, false);
    }

    /// A text message cut anywhere, even inside a character, arrives as the same text.
    #[test]
    fn text_cut_inside_characters_arrives_whole(
        text in "\\PC{0,40}",
        cuts in prop::collection::vec((0usize..8, Just(None)), 1..10),
    ) {
        let sent = Sent { message: Message::text(text), cuts };
        prop_assert_eq!(sent.message.kind(), DataKind::Text);
        exchange(&[sent], &[1], true);
    }
}
