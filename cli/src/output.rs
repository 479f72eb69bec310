//! How `connect` shows what it receives: raw on stdout, or one JSON object per line; and
//! how it reports a refused handshake and the end of a connection on stderr.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rfc6455::{CloseCode, Error, Message};

/// One received message as a JSON line: `{"time","kind","size","payload"}`; `time` is
/// seconds since the Unix epoch, a binary payload is base64 (`"encoding":"base64"`).
pub(crate) fn json_line(message: &Message) -> String {
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let value = match message {
        Message::Text(text) => serde_json::json!({
            "time": time,
            "kind": "text",
            "size": text.len(),
            "payload": text.as_str(),
        }),
        Message::Binary(data) => serde_json::json!({
            "time": time,
            "kind": "binary",
            "size": data.len(),
            "payload": base64::engine::general_purpose::STANDARD.encode(data),
            "encoding": "base64",
        }),
    };
    let mut line = value.to_string();
    line.push('\n');
    line
}

/// One received message as raw bytes: a text message and its newline, a binary message
/// as it is.
pub(crate) fn raw(message: &Message) -> Vec<u8> {
    match message {
        Message::Text(text) => {
            let mut bytes = Vec::with_capacity(text.len() + 1);
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(b'\n');
            bytes
        }
        Message::Binary(data) => data.to_vec(),
    }
}

/// The headers of a refusal worth showing.
const HEADERS_THAT_MATTER: &[&str] = &[
    "content-type",
    "location",
    "www-authenticate",
    "retry-after",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "server",
    "upgrade",
    "connection",
];

/// How much of a refusal's body is shown.
const BODY_START: usize = 512;

/// The report of a failed connect: for a refusal, its status, the headers that matter and
/// the start of its body.
pub(crate) fn error_report(error: &Error) -> String {
    let mut out = format!("error: {error}\n");
    if let Some(response) = error.response() {
        let status = response.status();
        out += &format!(
            "HTTP {} {}\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        for name in HEADERS_THAT_MATTER {
            for value in response.headers().get_all(*name) {
                out += &format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes()));
            }
        }
        let body = response.body();
        if !body.is_empty() {
            let shown = &body[..body.len().min(BODY_START)];
            out += "\n";
            out += &String::from_utf8_lossy(shown);
            if body.len() > BODY_START {
                out += &format!("… ({} bytes in all)", body.len());
            }
            out += "\n";
        }
    }
    out
}

/// The last line of a connection: the peer's close code and reason.
pub(crate) fn close_report(code: Option<CloseCode>, reason: &str) -> String {
    match code {
        Some(code) if reason.is_empty() => format!("closed by the peer: {code}"),
        Some(code) => format!("closed by the peer: {code} {reason}"),
        None => "closed by the peer without a close code".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines() {
        let text: serde_json::Value =
            serde_json::from_str(&json_line(&Message::text("héllo"))).unwrap();
        assert_eq!(text["kind"], "text");
        assert_eq!(text["size"], 6);
        assert_eq!(text["payload"], "héllo");
        let binary: serde_json::Value =
            serde_json::from_str(&json_line(&Message::binary(vec![0u8, 255]))).unwrap();
        assert_eq!(binary["kind"], "binary");
        assert_eq!(binary["payload"], "AP8=");
    }
}
