//! Oracles shared by the fuzz targets of `rfc6455`: a reference frame decoder and masker
//! (`reference`), and a checker of what a connection writes (`wire`).

pub mod reference;
pub mod wire;
