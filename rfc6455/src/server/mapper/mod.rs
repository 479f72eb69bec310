//! Routing upgrades by URL path and subprotocol: [`ServiceMapper`] (the original's
//! `ws-service-mapper`), served by [`serve_mapped`](crate::serve_mapped) or mounted in a
//! hyper or axum application as a [`MapperService`].
//!
//! | file | what |
//! |---|---|
//! | `routing.rs` | the table and how a request is routed; the mapper as a server endpoint |
//! | `params.rs` | [`PathParams`], what a handler learns of the path |
//! | `builder.rs` | [`MapperBuilder`], [`PathBuilder`] and the checks of `build` |
//! | `error.rs` | [`MapperError`] |
//! | `service.rs` | [`MapperService`] |
//! | `macros.rs` | `service_mapper!` |

mod builder;
mod error;
mod macros;
mod params;
mod routing;
mod service;

pub use builder::{MapperBuilder, PathBuilder};
pub use error::MapperError;
pub use params::PathParams;
pub use routing::ServiceMapper;
pub use service::MapperService;
