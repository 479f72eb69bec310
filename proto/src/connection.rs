//! placeholder
#![allow(missing_docs, unreachable_pub)]
#[derive(Debug)] pub struct Connection; #[derive(Debug)] pub enum Event {} #[derive(Debug)] pub enum DataKind {} #[derive(Debug)] pub enum CloseState {}
