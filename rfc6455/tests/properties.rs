//! Property tests of the tokio layer: any messages, cut into any fragments, with pings
//! between the fragments, sent by our client over an in-memory connection of any buffer
//! size, reach our server intact and in order, and its echoes come back intact; the
//! pings are answered on the way. (The core's own properties, on its sans-I/O pair, are in
//! `proto/src/tests/properties.rs`.)

mod support;

use proptest::prelude::*;
use rfc6455::{CloseCode, Config, DataKind, Message};

use support::server::pair;

/// One message as the test sends it: its kind, payload, where it is cut into fragments,
/// and after which fragments a ping goes out.
#[derive(Debug, Clone)]
struct Sent {
    text: bool,
    payload: Vec<u8>,
    cuts: Vec<usize>,
    pings_after: Vec<bool>,
}

impl Sent {
    fn message(&self) -> Message {
        if self.text {
            Message::text(String::from_utf8(self.payload.clone()).unwrap())
        } else {
            Message::binary(self.payload.clone())
        }
    }

    /// The payload's fragments (the cuts may fall inside a UTF-8 character).
    fn fragments(&self) -> Vec<&[u8]> {
        let mut cuts: Vec<usize> = self
            .cuts
            .iter()
            .map(|c| c % (self.payload.len() + 1))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::new();
        let mut at = 0;
        for cut in cuts {
            out.push(&self.payload[at..cut]);
            at = cut;
        }
        out.push(&self.payload[at..]);
        out
    }
}

fn sent() -> impl Strategy<Value = Sent> {
    let payload = prop_oneof![
        (any::<bool>(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(text, bytes)| {
            if text {
                (
                    true,
                    String::from_utf8_lossy(&bytes).into_owned().into_bytes(),
                )
            } else {
                (false, bytes)
            }
        }),
        ".{0,200}".prop_map(|s: String| (true, s.into_bytes())),
        // Now and then a message larger than the buffers on the way.
        (any::<bool>(), 60_000usize..140_000)
            .prop_map(|(text, n)| (text, (0..n).map(|i| b'a' + (i % 26) as u8).collect())),
    ];
    (
        payload,
        prop::collection::vec(any::<usize>(), 0..5),
        prop::collection::vec(any::<bool>(), 0..6),
    )
        .prop_map(|((text, payload), cuts, pings_after)| Sent {
            text,
            payload,
            cuts,
            pings_after,
        })
}

/// Sends `messages` from a client over a duplex of `capacity` bytes to an echoing
/// server; returns what the server received and what came back.
fn exchange(messages: &[Sent], capacity: usize) -> (Vec<Message>, Vec<Message>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, mut server) = pair(capacity, Config::default(), Config::default());
        let count = messages.len();
        let serving = async {
            let mut received = Vec::new();
            while received.len() < count {
                let message = server.recv().await.expect("open").expect("a message");
                server
                    .send(message.clone())
                    .await
                    .expect("the echo is sent");
                received.push(message);
            }
            // Keep reading until the client's close, so that a ping it sends after its
            // last fragment is read (and answered) however small the buffers are; the
            // closing handshake completes.
            let end = server.recv().await;
            assert!(
                end.is_none(),
                "nothing after the last message but the close: {end:?}"
            );
            received
        };
        let sending = async {
            let mut echoes = Vec::new();
            let (mut rx, mut tx) = client.split();
            let reading = async {
                while echoes.len() < count {
                    echoes.push(rx.recv().await.expect("open").expect("an echo"));
                }
            };
            let writing = async {
                for m in messages {
                    let kind = if m.text {
                        DataKind::Text
                    } else {
                        DataKind::Binary
                    };
                    let fragments = m.fragments();
                    let last = fragments.len() - 1;
                    for (i, fragment) in fragments.into_iter().enumerate() {
                        if i == 0 {
                            tx.send_fragment(kind, fragment, i == last).await.unwrap();
                        } else {
                            tx.send_continuation(fragment, i == last).await.unwrap();
                        }
                        if m.pings_after.get(i) == Some(&true) {
                            tx.ping(b"between").await.unwrap();
                        }
                    }
                }
            };
            tokio::join!(reading, writing);
            tx.close(CloseCode::NORMAL, "")
                .await
                .expect("our close is sent");
            // The server's answer to our close ends the receiving half.
            let end = rx.recv().await;
            assert!(
                end.is_none(),
                "nothing after the echoes but the close: {end:?}"
            );
            echoes
        };
        // A case takes well under a second; a hang fails it in 20 s (and shrinking is
        // bounded below), so a failure cannot hold CI for long.
        let (received, echoes) = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            tokio::join!(serving, sending)
        })
        .await
        .expect("the exchange finishes");
        (received, echoes)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_messages_in_any_fragments_with_pings_arrive_and_echo_intact(
        messages in prop::collection::vec(sent(), 1..6),
        capacity in prop_oneof![1usize..64, 64usize..70_000],
    ) {
        let (received, echoes) = exchange(&messages, capacity);
        let expected: Vec<Message> = messages.iter().map(Sent::message).collect();
        prop_assert_eq!(&received, &expected);
        prop_assert_eq!(&echoes, &expected);
    }
}
