//! Protocol tests on an in-memory client↔server pair, grouped by RFC 6455 section
//! (and RFC 7692 section for permessage-deflate).

mod deflate;
mod pair;
mod properties;
mod sections;
