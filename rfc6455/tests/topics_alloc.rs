//! No allocation per subscriber per message: a counting global allocator (this test binary
//! has its own) counts what the server's thread allocates while a topic's messages fan out
//! to many real connections, and what the publishing thread allocates per publish.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use rfc6455::topics::{Topics, TopicsOptions};
use rfc6455::{Config, connect};
use tokio::sync::{mpsc, oneshot};

use support::server::url;
use support::topics::topic_server;
use support::within;

/// Counts the allocations of the threads marked as counted, while [`MEASURING`].
struct Counting;

thread_local! {
    /// Which counter this thread's allocations go to (0: none, 1: server, 2: publisher).
    static ROLE: Cell<u8> = const { Cell::new(0) };
}
static MEASURING: AtomicBool = AtomicBool::new(false);
static SERVER_ALLOCS: AtomicUsize = AtomicUsize::new(0);
static PUBLISHER_ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn count() {
    if MEASURING.load(Relaxed) {
        match ROLE.with(Cell::get) {
            1 => SERVER_ALLOCS.fetch_add(1, Relaxed),
            2 => PUBLISHER_ALLOCS.fetch_add(1, Relaxed),
            _ => 0,
        };
    }
}

// SAFETY: forwards every call to the system allocator; counting touches only atomics and a
// const-initialised thread-local (which does not allocate).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as the caller promised for `layout`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as the caller promised.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SUBSCRIBERS: usize = 200;
const MESSAGES: usize = 100;
/// As many messages in one burst as the measured ones: each queue reaches the size the
/// measured burst needs.
const WARM_UP: usize = MESSAGES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_allocates_nothing_per_subscriber() {
    let topics = Topics::new(TopicsOptions::default().queue_len(1024));
    // The server on a thread of its own (a current-thread runtime), whose allocations are
    // counted.
    let (addr_tx, addr_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    // A way to hold the server's thread still while the warm-up is published (below).
    let (hold_tx, hold_rx) = oneshot::channel::<(SyncSender<()>, Receiver<()>)>();
    let hub = topics.clone();
    let server_thread = std::thread::spawn(move || {
        ROLE.with(|role| role.set(1));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            tokio::spawn(async move {
                if let Ok((held, release)) = hold_rx.await {
                    held.send(()).unwrap();
                    // Blocks the whole (single-threaded) runtime until released.
                    let _ = release.recv();
                }
            });
            let (server, _ended) = topic_server(hub, Config::default()).await;
            addr_tx.send(url(&server, "/feed")).unwrap();
            let _ = stop_rx.await;
            server.stop().await;
        });
    });
    let url = addr_rx.await.unwrap();
    // The clients, on the test's runtime (not counted): each reports how many it has.
    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let mut clients = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let (mut ws, _) = within(connect(&url)).await.unwrap();
        let ready = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(ready.as_text(), Some("ready"));
        let progress_tx = progress_tx.clone();
        clients.push(tokio::spawn(async move {
            for i in 0..WARM_UP + MESSAGES {
                let message = ws.recv().await.unwrap().unwrap();
                assert_eq!(message.len(), 1024);
                assert_eq!(message.as_bytes()[0], (i % 251) as u8);
                progress_tx.send(()).unwrap();
            }
            ws
        }));
    }
    let payload = |i: usize| vec![(i % 251) as u8; 1024];
    // Warm up: buffers and queues reach their working size. The whole burst is published
    // while the server's thread is held, so every subscriber's queue grows to hold all of
    // it at once, as many as the measured burst can ever queue (however fast the server
    // drains it then).
    let (held_tx, held_rx) = sync_channel(1);
    let (release_tx, release_rx) = channel();
    hold_tx.send((held_tx, release_rx)).unwrap();
    tokio::task::spawn_blocking(move || held_rx.recv())
        .await
        .unwrap()
        .unwrap();
    for i in 0..WARM_UP {
        topics.publish("feed", payload(i));
    }
    release_tx.send(()).unwrap();
    for _ in 0..SUBSCRIBERS * WARM_UP {
        within(progress.recv()).await.unwrap();
    }
    // Measure: the publisher's frames are built outside the count, the publish inside.
    let frames: Vec<_> = (WARM_UP..WARM_UP + MESSAGES)
        .map(|i| rfc6455::SharedFrame::binary(payload(i)))
        .collect();
    let publisher = std::thread::spawn({
        let topics = topics.clone();
        move || {
            ROLE.with(|role| role.set(2));
            MEASURING.store(true, Relaxed);
            for frame in frames {
                topics.publish("feed", frame);
            }
        }
    });
    publisher.join().unwrap();
    for _ in 0..SUBSCRIBERS * MESSAGES {
        within(progress.recv()).await.unwrap();
    }
    MEASURING.store(false, Relaxed);
    let server_allocs = SERVER_ALLOCS.load(Relaxed);
    let publisher_allocs = PUBLISHER_ALLOCS.load(Relaxed);
    let deliveries = SUBSCRIBERS * MESSAGES;
    println!(
        "{deliveries} deliveries: {server_allocs} allocations on the server thread, \
         {publisher_allocs} on the publisher's"
    );
    // One allocation per subscriber per message would be 20 000; allow a few (the
    // runtime's own bookkeeping), none per delivery.
    assert!(
        server_allocs <= 10,
        "{server_allocs} allocations on the server"
    );
    assert!(
        publisher_allocs <= 10,
        "{publisher_allocs} allocations publishing"
    );
    for client in clients {
        drop(within(client).await.unwrap());
    }
    stop_tx.send(()).unwrap();
    server_thread.join().unwrap();
}
