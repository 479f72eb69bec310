//! Protocol tests on an in-memory client↔server pair, grouped by RFC 6455 section.

mod pair;
mod properties;
mod sections;
