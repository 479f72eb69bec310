//! This process's TCP sockets, from `/proc` (Linux), for the tests that show a connection
//! leaves nothing behind. Only TCP sockets count: every tokio runtime holds a Unix socket
//! of its own (the signal driver's), which comes and goes with the tests that run
//! alongside.

use std::collections::HashSet;

/// The number of this process's open file descriptors that are TCP sockets (IPv4 or IPv6,
/// listening or connected).
pub(crate) fn open_tcp_sockets() -> usize {
    let mut tcp = HashSet::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // Header line, then one socket per line; the inode is the tenth column.
        for line in text.lines().skip(1) {
            if let Some(inode) = line.split_whitespace().nth(9) {
                tcp.insert(format!("socket:[{inode}]"));
            }
        }
    }
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| tcp.contains(&*target.to_string_lossy()))
        .count()
}
