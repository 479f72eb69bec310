//! Which protocol a connection speaks, and what each one can carry.

use crate::message::DataKind;

/// Which protocol a connection speaks.
///
/// ```
/// use rfc6455_proto::{Connection, Variant};
/// assert_eq!(Connection::server(Default::default()).variant(), Variant::Rfc6455);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Variant {
    /// RFC 6455: text and binary, fragments, ping/pong, close status and reason.
    Rfc6455,
    /// The hybi-00 draft: text only, no fragments, no ping, close without status.
    Hybi00,
}

impl Variant {
    /// Whether messages can be sent in several fragments.
    pub fn supports_fragmentation(self) -> bool {
        self == Self::Rfc6455
    }

    /// Whether messages of this type can be sent.
    pub fn supports_payload_kind(self, kind: DataKind) -> bool {
        self == Self::Rfc6455 || kind == DataKind::Text
    }

    /// Whether close frames carry a status code and reason.
    pub fn signals_status_on_close(self) -> bool {
        self == Self::Rfc6455
    }
}
