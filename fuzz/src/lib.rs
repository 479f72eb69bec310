//! Oracles shared by the fuzz targets of `rfc6455`: a reference frame decoder and masker
//! (`reference`), a checker of what a connection writes (`wire`), and `http` heads built
//! from fuzz input (`head`).

pub mod head;
pub mod reference;
pub mod wire;
