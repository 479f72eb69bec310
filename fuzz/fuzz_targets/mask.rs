//! Masking (RFC 6455 §5.3): the library's fast `apply_mask` against its own byte-by-byte
//! `apply_mask_reference` and against the fuzz crate's reference, for every key, offset,
//! length and alignment the input picks.
//!
//! Oracles: all three agree; masking twice gives the data back; masking in two pieces (the
//! second at the first's length as offset) equals masking at once; `unmask_ascii` masks
//! the same and says whether the result is all ASCII exactly when it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455_fuzz::reference;
use rfc6455_proto::mask::{apply_mask, apply_mask_reference, unmask_ascii};

fuzz_target!(|data: &[u8]| {
    let [k0, k1, k2, k3, offset, start, cut, payload @ ..] = data else {
        return;
    };
    let key = [*k0, *k1, *k2, *k3];
    let offset = usize::from(*offset);
    // Start inside the input so that the slice's alignment varies too.
    let payload = &payload[usize::from(*start % 8).min(payload.len())..];

    let mut fast = payload.to_vec();
    apply_mask(&mut fast, key, offset);
    let mut library_reference = payload.to_vec();
    apply_mask_reference(&mut library_reference, key, offset);
    let mut ours = payload.to_vec();
    reference::mask(&mut ours, key, offset);
    assert_eq!(fast, ours, "apply_mask disagrees with §5.3");
    assert_eq!(
        library_reference, ours,
        "apply_mask_reference disagrees with §5.3"
    );

    let mut twice = fast.clone();
    apply_mask(&mut twice, key, offset);
    assert_eq!(twice, payload, "masking is not an involution");

    let mut pieces = payload.to_vec();
    let at = usize::from(*cut).min(pieces.len());
    let (a, b) = pieces.split_at_mut(at);
    apply_mask(a, key, offset);
    apply_mask(b, key, offset + at);
    assert_eq!(pieces, fast, "masking in pieces differs");

    // Unmasking a masked text: half the inputs are made ASCII (bar the bytes the fuzzer
    // sets to 0xff), where a missed high bit would show.
    let text: Vec<u8> = if cut & 1 == 1 {
        payload
            .iter()
            .map(|&b| if b == 0xff { b } else { b & 0x7f })
            .collect()
    } else {
        payload.to_vec()
    };
    let mut checked = text.clone();
    reference::mask(&mut checked, key, offset);
    let all_ascii = unmask_ascii(&mut checked, key, offset);
    assert_eq!(checked, text, "unmask_ascii unmasks differently");
    assert_eq!(all_ascii, text.is_ascii(), "unmask_ascii misjudges ASCII");
});
