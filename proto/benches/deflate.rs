//! permessage-deflate throughput: compressing (a connection's send) and inflating (a
//! connection's receive, through `poll_event`) typical JSON and incompressible data, in
//! each mode: dedicated with context takeover (the default), dedicated without context
//! takeover, and shared (a compressor and an inflater borrowed per message).
//!
//! ```sh
//! cargo bench -p rfc6455-proto --bench deflate
//! ```

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode};
use rfc6455_proto::{Connection, Event, Limits};

/// How many messages one iteration sends or receives.
const MESSAGES: usize = 100;

fn modes() -> [(&'static str, DeflateConfig); 3] {
    let base = DeflateConfig::default().threshold(0);
    [
        ("dedicated", base),
        (
            "no-takeover",
            base.no_context_takeover(true)
                .peer_no_context_takeover(true),
        ),
        ("shared", base.mode(DeflateMode::Shared)),
    ]
}

/// About 1 KiB of JSON, different for each `i`, as an API sends.
fn json(i: usize) -> Vec<u8> {
    let items: Vec<String> = (0..12)
        .map(|k| {
            format!(
                r#"{{"id":{},"name":"item {}","price":{}.{:02},"tags":["red","blue"],"ok":true}}"#,
                i * 12 + k,
                i * 12 + k,
                (i * 31 + k * 7) % 500,
                k * 3 % 100
            )
        })
        .collect();
    format!(r#"{{"items":[{}]}}"#, items.join(",")).into_bytes()
}

/// 16 KiB that DEFLATE cannot shrink (a xorshift stream).
fn noise(i: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_u32 ^ i as u32 | 1;
    (0..16 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A client and a server that agreed on `config` (the same settings on both ends).
fn pair(config: &DeflateConfig) -> (Connection, Connection) {
    let agreed = config.accept(&[config.offer()]).expect("accepted");
    let client_side = config
        .check_answer(&[agreed.answer()])
        .expect("valid")
        .expect("agreed");
    (
        Connection::client(Limits::default(), [5; 32]).with_deflate(client_side, config),
        Connection::server(Limits::default()).with_deflate(agreed, config),
    )
}

fn bench_data(c: &mut Criterion, name: &str, messages: &[Vec<u8>]) {
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group(format!("deflate/{name}"));
    group.throughput(Throughput::Bytes(bytes as u64));
    for (mode, config) in modes() {
        group.bench_function(format!("compress/{mode}"), |b| {
            let (_, mut server) = pair(&config);
            b.iter(|| {
                for m in messages {
                    server.send_binary(black_box(m)).unwrap();
                }
                black_box(server.take_output().len())
            });
        });
        // What the client sends, inflated by a fresh server each iteration (the wire
        // depends on the client's context, so it is recorded once).
        let (mut client, _) = pair(&config);
        for m in messages {
            client.send_binary(m).unwrap();
        }
        let wire = client.take_output();
        group.bench_function(format!("inflate/{mode}"), |b| {
            b.iter(|| {
                let (_, mut server) = pair(&config);
                let mut buf = BytesMut::from(&wire[..]);
                let mut n = 0;
                while let Some(event) = server.poll_event(&mut buf, false).unwrap() {
                    if let Event::Data { payload, .. } = event {
                        n += payload.len();
                    }
                }
                assert_eq!(n, bytes);
                black_box(n)
            });
        });
    }
    group.finish();
}

fn json_messages(c: &mut Criterion) {
    let messages: Vec<Vec<u8>> = (0..MESSAGES).map(json).collect();
    bench_data(c, "json-1k", &messages);
}

fn incompressible(c: &mut Criterion) {
    let messages: Vec<Vec<u8>> = (0..MESSAGES / 10).map(noise).collect();
    bench_data(c, "noise-16k", &messages);
}

criterion_group!(benches, json_messages, incompressible);
criterion_main!(benches);
