//! A deterministic in-memory client↔server pair: no sockets, no clock.

use bytes::BytesMut;

use crate::{Assembler, CloseFrame, Connection, Event, Limits, Message, ProtocolError};

/// One end plus the bytes that have arrived for it.
pub(crate) struct End {
    pub(crate) conn: Connection,
    pub(crate) inbox: BytesMut,
    assembler: Assembler,
}

impl End {
    fn new(conn: Connection) -> Self {
        Self {
            conn,
            inbox: BytesMut::new(),
            assembler: Assembler::default(),
        }
    }

    /// Decode everything buffered: whole messages, other events, or the failure.
    pub(crate) fn drain(&mut self) -> Result<Vec<Got>, ProtocolError> {
        let mut got = Vec::new();
        while let Some(event) = self.conn.poll_event(&mut self.inbox, false)? {
            match event {
                Event::Data {
                    kind,
                    payload,
                    first,
                    fin,
                    ..
                } => {
                    if let Some(msg) = self.assembler.push(kind, payload, first, fin) {
                        got.push(Got::Message(msg));
                    }
                }
                Event::Ping(p) => got.push(Got::Ping(p.to_vec())),
                Event::Pong(p) => got.push(Got::Pong(p.to_vec())),
                Event::Close(c) => got.push(Got::Close(c)),
            }
        }
        Ok(got)
    }
}

#[derive(Debug, PartialEq)]
pub(crate) enum Got {
    Message(Message),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<CloseFrame>),
}

pub(crate) struct Pair {
    pub(crate) client: End,
    pub(crate) server: End,
}

impl Pair {
    pub(crate) fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    pub(crate) fn with_limits(limits: Limits) -> Self {
        Self {
            client: End::new(Connection::client(limits, [42; 32])),
            server: End::new(Connection::server(limits)),
        }
    }

    /// A pair that agreed on permessage-deflate: `server` answers the offer `client` makes.
    pub(crate) fn deflate(
        limits: Limits,
        server: &crate::extension::deflate::DeflateConfig,
        client: &crate::extension::deflate::DeflateConfig,
    ) -> Self {
        let agreed = server.accept(&[client.offer()]).expect("offer accepted");
        let client_side = client
            .check_answer(&[agreed.answer()])
            .expect("valid answer")
            .expect("deflate agreed");
        Self {
            client: End::new(
                Connection::client(limits, [42; 32]).with_deflate(client_side, client),
            ),
            server: End::new(Connection::server(limits).with_deflate(agreed, server)),
        }
    }

    /// Move the client's output to the server's inbox, in one piece.
    pub(crate) fn client_to_server(&mut self) {
        let out = self.client.conn.take_output();
        self.server.inbox.extend_from_slice(&out);
    }

    /// Move the server's output to the client's inbox.
    pub(crate) fn server_to_client(&mut self) {
        let out = self.server.conn.take_output();
        self.client.inbox.extend_from_slice(&out);
    }
}
