//! [`Chunk`]: a piece of a data message, as the read loop delivers it.

use bytes::Bytes;
use rfc6455_proto::DataKind;

/// A piece of a data message, as `Driver::poll_chunk` delivers it.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) kind: DataKind,
    pub(crate) payload: Bytes,
    pub(crate) first: bool,
    pub(crate) fin: bool,
}
