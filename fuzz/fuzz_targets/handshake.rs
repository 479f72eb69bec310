//! The opening handshake as the core checks it: a server reading a request (RFC 6455 and
//! hybi-00) and a client checking the server's answer, on requests and responses whose
//! method, target, status and headers come from the input (see `src/head.rs`).
//!
//! Input: one selector byte (target, HTTP/1.0 flag), 16 nonce bytes for the client, then
//! the head.
//!
//! Oracles:
//! - server: an accepted request has every §4.2.1 property, read by this target itself
//!   (GET, HTTP/1.1, one Host, `Upgrade: websocket`, `Connection: upgrade`, version 13, a
//!   key of 16 bytes in base64); its 101 carries the accept value computed here from the
//!   key with SHA-1 and the GUID; the client's own handshake accepts that 101. A refused
//!   request gets a 4xx (or 5xx) refusal, never a 101 or 2xx;
//! - client: an accepted answer is a 101 with `Upgrade: websocket`, `Connection: upgrade`
//!   and the accept value computed here for the client's key, and a chosen subprotocol
//!   is one the client offered. A request the client builds is accepted by the server;
//! - hybi-00: an accepted request's answer is the draft's MD5 challenge computed here from
//!   the two keys (digits ÷ spaces) and key3.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{CONNECTION, HOST, UPGRADE};
use http::{HeaderMap, Method, Request, StatusCode, Version};
use libfuzzer_sys::fuzz_target;
use md5::{Digest as _, Md5};
use rfc6455_fuzz::head;
use rfc6455_proto::{handshake, hybi00};
use sha1::Sha1;

/// §4.2.2 item 5.4: base64(SHA-1(key ++ GUID)).
fn reference_accept(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    STANDARD.encode(sha.finalize())
}

/// Whether a comma-separated header holds `token`, ASCII case-insensitively.
fn has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// A header's only value, byte for byte.
fn raw_only_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    all.next().is_none().then_some(first.as_bytes())
}

/// A header's only value, without the optional whitespace around it (RFC 9110 §5.5:
/// a field value does not include leading or trailing SP / HTAB).
fn only_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let value = first.as_bytes();
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    all.next().is_none().then_some(&value[start..end])
}

fn server(req: &Request<()>) {
    match handshake::check_request(req) {
        Ok(offer) => {
            let h = req.headers();
            assert_eq!(req.method(), Method::GET);
            assert!(req.version() >= Version::HTTP_11);
            assert!(only_value(h, "host").is_some(), "Host missing or repeated");
            assert!(has_token(h, UPGRADE, "websocket"));
            assert!(has_token(h, CONNECTION, "upgrade"));
            assert_eq!(only_value(h, "sec-websocket-version"), Some(&b"13"[..]));
            let key = only_value(h, "sec-websocket-key").expect("one key");
            assert_eq!(key, offer.key().as_bytes());
            assert_eq!(
                STANDARD.decode(key).map(|k| k.len()),
                Ok(16),
                "key not 16 bytes"
            );
            let response = offer.response(None);
            assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
            let accept = response.headers()["sec-websocket-accept"].to_str().unwrap();
            assert_eq!(accept, reference_accept(offer.key()));
        }
        Err(error) => {
            let refusal = handshake::reject(&error);
            let status = refusal.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{status}"
            );
        }
    }
}

fn client(nonce: [u8; 16], answer: &[u8]) {
    let request =
        handshake::ClientRequest::new(http::Uri::from_static("ws://example.com/chat"), nonce)
            .subprotocols(["chat", "superchat"]);
    let (req, hs) = request.build().expect("a request from a fixed URL");
    // What this client sends, the server accepts, and its 101 satisfies this client.
    let offer = handshake::check_request(&req).expect("the server accepts our request");
    let ok = offer.response(offer.select_subprotocol(&["superchat"]));
    let answer_ok = hs
        .check_response(&ok)
        .expect("our server's 101 is accepted");
    assert_eq!(answer_ok.subprotocol(), Some("superchat"));

    let Some(response) = head::response(answer) else {
        return;
    };
    if let Ok(answer) = hs.check_response(&response) {
        let h = response.headers();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert!(has_token(h, UPGRADE, "websocket"));
        assert!(has_token(h, CONNECTION, "upgrade"));
        assert_eq!(
            only_value(h, "sec-websocket-accept"),
            Some(reference_accept(hs.key()).as_bytes()),
            "accepted a wrong Sec-WebSocket-Accept"
        );
        if let Some(p) = answer.subprotocol() {
            assert!(
                ["chat", "superchat"].contains(&p),
                "unrequested subprotocol {p}"
            );
        }
    }
}

/// The draft's key number: the key's digits as a number, divided by its spaces.
fn key_number(key: &[u8]) -> Option<u32> {
    let digits: String = key
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    let spaces = key.iter().filter(|&&b| b == b' ').count() as u64;
    let number: u64 = digits.parse().ok()?;
    if spaces == 0 || !number.is_multiple_of(spaces) {
        return None;
    }
    u32::try_from(number / spaces).ok()
}

fn hybi00_server(req: &Request<()>, key3: [u8; 8]) {
    let Ok(offer) = hybi00::check_request(req) else {
        return;
    };
    let h = req.headers();
    assert!(h.contains_key(HOST));
    // The draft counts every space of a key, those at its ends too: the raw value.
    let n1 =
        key_number(raw_only_value(h, "sec-websocket-key1").expect("key1")).expect("key1 number");
    let n2 =
        key_number(raw_only_value(h, "sec-websocket-key2").expect("key2")).expect("key2 number");
    let mut md5 = Md5::new();
    md5.update(n1.to_be_bytes());
    md5.update(n2.to_be_bytes());
    md5.update(key3);
    let expected: [u8; 16] = md5.finalize().into();
    assert_eq!(offer.answer(&key3), expected, "the MD5 challenge");
}

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else {
        return;
    };
    let Some((nonce, head_bytes)) = rest.split_first_chunk::<16>() else {
        return;
    };
    let old_version = selector & 0x80 != 0;
    match selector % 3 {
        0 => {
            if let Some(req) = head::request(head_bytes, old_version) {
                server(&req);
            }
        }
        1 => client(*nonce, head_bytes),
        _ => {
            if let Some(req) = head::request(head_bytes, old_version) {
                let key3 = [
                    nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7],
                ];
                hybi00_server(&req, key3);
            }
        }
    }
});
