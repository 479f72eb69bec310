//! Micro-benchmarks of the protocol core: masking (fast and reference), frame header
//! decoding, UTF-8 validation, and reassembly of a stream of small frames.
//!
//! ```sh
//! cargo bench -p rfc6455-proto --bench core
//! ```

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rfc6455_proto::mask::{apply_mask, apply_mask_reference};
use rfc6455_proto::{Connection, Event, FrameHeader, Limits, Utf8Validator};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn masking(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [20usize, 1024, 64 * 1024, 1 << 20] {
        let mut data = vec![0x5au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("fast/{size}"), |b| {
            b.iter(|| apply_mask(black_box(&mut data), KEY, 1));
        });
        group.bench_function(format!("reference/{size}"), |b| {
            b.iter(|| apply_mask_reference(black_box(&mut data), KEY, 1));
        });
    }
    group.finish();
}

fn header_decode(c: &mut Criterion) {
    let frames: [&[u8]; 3] = [
        &[0x81, 0x94, 1, 2, 3, 4],
        &[0x82, 0xFE, 0x40, 0x00, 1, 2, 3, 4],
        &[0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4],
    ];
    c.bench_function("header_decode", |b| {
        b.iter(|| {
            for f in frames {
                black_box(FrameHeader::decode(black_box(f)).ok());
            }
        });
    });
}

fn utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("utf8");
    for (name, text) in [
        ("ascii", "a".repeat(1 << 20)),
        ("mixed", "κόσμε € 𝄞 text ".repeat(1 << 16)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("validator/{name}"), |b| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                // In 4 KiB pieces, as frames arrive.
                for piece in text.as_bytes().chunks(4096) {
                    v.feed(black_box(piece)).unwrap();
                }
                v.finish().unwrap();
            });
        });
    }
    group.finish();
}

/// 1000 masked 20-byte text frames from a client, decoded and unmasked by a server.
fn reassembly(c: &mut Criterion) {
    let mut client = Connection::client(Limits::default(), [9; 32]);
    for _ in 0..1000 {
        client.send_text("twenty bytes of text").unwrap();
    }
    let wire = client.take_output();
    let mut group = c.benchmark_group("poll_event");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("1000 x 20 B text", |b| {
        b.iter(|| {
            let mut server = Connection::server(Limits::default());
            let mut buf = BytesMut::from(&wire[..]);
            let mut n = 0;
            while let Some(event) = server.poll_event(&mut buf, false).unwrap() {
                if let Event::Data { payload, .. } = event {
                    n += payload.len();
                }
            }
            black_box(n)
        });
    });
    group.finish();
}

criterion_group!(benches, masking, header_decode, utf8, reassembly);
criterion_main!(benches);
