//! Internal items for the fuzz targets of `fuzz/`, and nothing else: this module exists
//! only when the crate is built with `--cfg fuzzing`, as `cargo fuzz` builds it. It is not
//! part of the API and follows no versioning.
//!
//! ```ignore
//! // Only under `--cfg fuzzing`:
//! let read = rfc6455::fuzzing::read_request_head(vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()], 1024);
//! assert!(read.outcome.starts_with("Other"));
//! ```

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;

use crate::http1::testing::Pieces;
use crate::http1::{request, response};

/// What reading one head did: the outcome as text (to compare runs whose reads were split
/// differently), what the reader left in its buffer, and how many reads it made.
///
/// ```ignore
/// let read = rfc6455::fuzzing::read_response_head(vec![], 1024);
/// assert_eq!(read.buffered, b"");
/// ```
#[derive(Debug)]
pub struct HeadRead {
    /// `Debug` of the result (the head and its length, or the error's text).
    pub outcome: String,
    /// The reader's buffer at the end: the bytes it read, head included.
    pub buffered: Vec<u8>,
    /// How many times the stream was read.
    pub reads: usize,
}

/// Run a future over a reader that is always ready: it finishes in one poll.
fn run<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the in-memory reader never waits"),
    }
}

/// The server's fast-path reader (`http1::request::read_head`) over a stream that yields
/// `pieces`, one a read, then end of stream; `limit` is the head size limit.
///
/// ```ignore
/// let read = rfc6455::fuzzing::read_request_head(vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()], 1024);
/// assert_eq!(read.reads, 1);
/// ```
pub fn read_request_head(pieces: Vec<Vec<u8>>, limit: usize) -> HeadRead {
    let mut io = Pieces::new(pieces);
    let mut buf = BytesMut::new();
    let outcome = run(request::read_head(&mut io, &mut buf, limit));
    HeadRead {
        outcome: format!("{outcome:?}"),
        buffered: buf.to_vec(),
        reads: io.reads,
    }
}

/// The client's reader of the server's answer (`http1::response::read_head`), as
/// [`read_request_head`].
///
/// ```ignore
/// let read = rfc6455::fuzzing::read_response_head(vec![b"HTTP/1.1 101 OK\r\n\r\n".to_vec()], 1024);
/// assert!(read.outcome.starts_with("Ok"));
/// ```
pub fn read_response_head(pieces: Vec<Vec<u8>>, limit: usize) -> HeadRead {
    let mut io = Pieces::new(pieces);
    let mut buf = BytesMut::new();
    let outcome = match run(response::read_head(&mut io, &mut buf, limit)) {
        Ok(head) => format!("Ok({head:?})"),
        Err(error) => format!("Err({error})"),
    };
    HeadRead {
        outcome,
        buffered: buf.to_vec(),
        reads: io.reads,
    }
}
