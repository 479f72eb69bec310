//! Negotiation tables (RFC 7692 §5, §7.1): every parameter alone and combined, valid and
//! invalid, on the server (accept or decline) and on the client (accept or fail).

use super::{DeflateConfig, DeflateParams};
use crate::HandshakeError;
use crate::extension::parse_header_value;

fn accept(config: &DeflateConfig, offers: &str) -> Option<String> {
    config
        .accept(&parse_header_value(offers).unwrap())
        .map(|p| p.answer().to_string())
}

#[test]
fn s7_1_server_accepts_each_parameter() {
    let config = DeflateConfig::default();
    let pmd = "permessage-deflate";
    for (offer, answer) in [
        ("permessage-deflate", "permessage-deflate"),
        ("Permessage-Deflate", "permessage-deflate"),
        (
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
        ),
        // §7.1.1.2: the client will reset anyway; the answer makes it explicit.
        (
            "permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "permessage-deflate; server_max_window_bits=\"15\"",
            "permessage-deflate; server_max_window_bits=15",
        ),
        (
            "permessage-deflate; server_max_window_bits=8",
            "permessage-deflate; server_max_window_bits=8",
        ),
        (
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=15",
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            "permessage-deflate; client_max_window_bits=9",
        ),
        (
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; client_max_window_bits=8",
        ),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=11",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=11",
        ),
        ("x-other, permessage-deflate", pmd),
    ] {
        assert_eq!(accept(&config, offer).as_deref(), Some(answer), "{offer}");
    }
}

#[test]
fn s5_server_declines_invalid_offers_and_takes_the_next() {
    let config = DeflateConfig::default();
    for offer in [
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=a",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=x",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; unknown",
        "permessage-deflate; unknown=1",
        "x-other",
        "",
    ] {
        assert_eq!(accept(&config, offer), None, "{offer}");
        let fallback = format!("{offer}, permessage-deflate; client_max_window_bits");
        assert_eq!(
            accept(&config, &fallback).as_deref(),
            Some("permessage-deflate; client_max_window_bits=15"),
            "{fallback}"
        );
    }
}

#[test]
fn s7_1_server_configuration_shapes_the_answer() {
    let config = DeflateConfig::default()
        .window_bits(11)
        .no_context_takeover(true)
        .peer_window_bits(Some(10))
        .peer_no_context_takeover(true);
    assert_eq!(
        accept(&config, "permessage-deflate").as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=11"
        )
    );
    assert_eq!(
        accept(
            &config,
            "permessage-deflate; server_max_window_bits=13; client_max_window_bits"
        )
        .as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=11; client_max_window_bits=10"
        )
    );
}

fn check(config: &DeflateConfig, answer: &str) -> Result<Option<DeflateParams>, HandshakeError> {
    config.check_answer(&parse_header_value(answer).unwrap())
}

#[test]
fn s7_1_client_accepts_valid_answers() {
    let config = DeflateConfig::default();
    assert_eq!(check(&config, "").unwrap(), None);
    assert_eq!(check(&config, "x-other").unwrap(), None);
    let p = check(&config, "permessage-deflate").unwrap().unwrap();
    assert_eq!(
        (p.server_max_window_bits, p.client_max_window_bits),
        (15, 15)
    );
    assert!(!p.server_no_context_takeover && !p.client_no_context_takeover);
    let p = check(
        &config,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=9; client_max_window_bits=8",
    )
    .unwrap()
    .unwrap();
    assert!(p.server_no_context_takeover && p.client_no_context_takeover);
    assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (9, 8));
}

#[test]
fn s7_1_client_fails_invalid_or_unoffered_answers() {
    let config = DeflateConfig::default();
    for answer in [
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; x",
        "permessage-deflate, permessage-deflate",
    ] {
        assert!(
            matches!(
                check(&config, answer),
                Err(HandshakeError::InvalidExtensionAnswer(_))
            ),
            "{answer}"
        );
    }
    // Over what was offered.
    let asked = DeflateConfig::default()
        .peer_window_bits(Some(10))
        .window_bits(12);
    for answer in [
        "permessage-deflate",
        "permessage-deflate; server_max_window_bits=11",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=13",
    ] {
        assert!(check(&asked, answer).is_err(), "{answer}");
    }
    assert!(check(&asked, "permessage-deflate; server_max_window_bits=9").is_ok());
}

#[test]
fn s7_1_offer_then_answer_round_trip() {
    for config in [
        DeflateConfig::default(),
        DeflateConfig::default().no_context_takeover(true),
        DeflateConfig::default()
            .window_bits(10)
            .peer_window_bits(Some(12))
            .peer_no_context_takeover(true),
    ] {
        let server = DeflateConfig::default();
        let agreed = server.accept(&[config.offer()]).unwrap();
        let client = config.check_answer(&[agreed.answer()]).unwrap().unwrap();
        assert_eq!(agreed, client, "{}", config.offer());
    }
}
