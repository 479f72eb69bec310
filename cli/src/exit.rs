//! What `rfc6455 connect` tells a script: the exit code of each outcome (listed in its
//! `--help`, `cli::CONNECT_EXIT_CODES`).

use rfc6455::{CloseCode, Error, ErrorKind};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Connected, and closed with 1000 or without a code.
    Normal = 0,
    /// A local problem (a file, a header, stdin).
    Local = 1,
    /// The handshake was refused with an HTTP status.
    Refused = 3,
    /// Closed with an error close code.
    CloseError = 4,
    /// A network error.
    Network = 5,
}

impl Outcome {
    /// The process exit code.
    pub(crate) fn code(self) -> i32 {
        self as i32
    }

    /// The outcome of a peer's close code (`None`: a close without a code).
    pub(crate) fn of_close(code: Option<CloseCode>) -> Self {
        match code {
            None => Self::Normal,
            Some(code) if code == CloseCode::NORMAL => Self::Normal,
            Some(_) => Self::CloseError,
        }
    }

    /// The outcome of a library error.
    pub(crate) fn of_error(error: &Error) -> Self {
        match error.kind() {
            ErrorKind::Handshake | ErrorKind::Redirect if error.response().is_some() => {
                Self::Refused
            }
            ErrorKind::Protocol => Self::CloseError,
            ErrorKind::InvalidUrl | ErrorKind::Send => Self::Local,
            _ => Self::Network,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes() {
        assert_eq!(Outcome::of_close(None), Outcome::Normal);
        assert_eq!(Outcome::of_close(Some(CloseCode::NORMAL)), Outcome::Normal);
        assert_eq!(
            Outcome::of_close(Some(CloseCode::from(4000))),
            Outcome::CloseError
        );
        let io = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(Outcome::of_error(&io), Outcome::Network);
    }
}
