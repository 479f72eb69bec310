//! This process's resident memory, from `/proc` (Linux). The tests that bound it each run
//! alone in their own test binary, so that no other test's memory is counted.

/// The page size, from the auxiliary vector the kernel gave this process (`AT_PAGESZ`):
/// 4 KiB on most machines, 16 or 64 KiB on some.
pub(crate) fn page_size() -> usize {
    const AT_NULL: usize = 0;
    const AT_PAGESZ: usize = 6;
    const WORD: usize = size_of::<usize>();
    let auxv = std::fs::read("/proc/self/auxv").expect("/proc/self/auxv");
    let word = |chunk: &[u8]| usize::from_ne_bytes(chunk.try_into().expect("a whole word"));
    for entry in auxv.chunks_exact(2 * WORD) {
        match word(&entry[..WORD]) {
            AT_NULL => break,
            AT_PAGESZ => return word(&entry[WORD..]),
            _ => {}
        }
    }
    panic!("no AT_PAGESZ in /proc/self/auxv")
}

/// The resident set size, in bytes (resident pages of `/proc/self/statm` × the page size).
pub(crate) fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("resident pages");
    pages * page_size()
}

/// The peak resident set size, in bytes (`VmHWM` of `/proc/self/status`).
pub(crate) fn peak_resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("kB");
    kib * 1024
}
