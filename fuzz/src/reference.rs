//! A frame header decoder written to be obviously correct rather than fast: it reads RFC 6455
//! §5.2 field by field, in the order the RFC draws them, and lists *every* rule the bytes
//! break instead of stopping at the first. The library's decoder is checked against it.

/// The fields of a header, as the RFC names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefHeader {
    /// FIN.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as a 3-bit number (RSV1 is the high bit).
    pub rsv: u8,
    /// The 4-bit opcode, as on the wire.
    pub opcode: u8,
    /// The masking key, when MASK is 1.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
    /// How many bytes the header takes.
    pub header_len: usize,
}

/// A rule of §5.2 / §5.5 a header can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// §5.2: opcodes 0x3–0x7 and 0xB–0xF are reserved.
    ReservedOpcode(u8),
    /// §5.5: control frames carry at most 125 bytes.
    ControlTooLong,
    /// §5.5: control frames are not fragmented.
    ControlFragmented,
    /// §5.2: the most significant bit of a 64-bit length is 0.
    LengthTopBit,
    /// §5.2: "the minimal number of bytes MUST be used to encode the length".
    NonMinimal,
}

/// What the reference makes of the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not enough bytes to know the whole header, and nothing seen so far is wrong.
    Incomplete,
    /// A whole, valid header.
    Header(RefHeader),
    /// The rules broken by what is there (never empty).
    Broken(Vec<Rule>),
}

fn bit(byte: u8, n: u8) -> bool {
    // Bit 0 is the most significant, as in the RFC's diagram.
    (byte >> (7 - n)) & 1 == 1
}

/// Decode the header at the front of `buf`. A header needs its first two bytes before
/// anything is judged.
pub fn decode(buf: &[u8]) -> Verdict {
    if buf.len() < 2 {
        return Verdict::Incomplete;
    }
    let fin = bit(buf[0], 0);
    let rsv =
        u8::from(bit(buf[0], 1)) * 4 + u8::from(bit(buf[0], 2)) * 2 + u8::from(bit(buf[0], 3));
    let opcode = buf[0] % 16;
    let masked = bit(buf[1], 0);
    let len7 = buf[1] % 128;

    let mut broken = Vec::new();
    let is_control = opcode >= 8;
    let known = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA];
    if !known.contains(&opcode) {
        broken.push(Rule::ReservedOpcode(opcode));
    }
    if is_control && len7 > 125 {
        broken.push(Rule::ControlTooLong);
    }
    if is_control && !fin {
        broken.push(Rule::ControlFragmented);
    }

    let mut pos = 2;
    let payload_len: Option<u64> = if len7 == 126 {
        if buf.len() < 4 {
            None
        } else {
            let len = u64::from(buf[2]) * 256 + u64::from(buf[3]);
            if len < 126 {
                broken.push(Rule::NonMinimal);
            }
            pos = 4;
            Some(len)
        }
    } else if len7 == 127 {
        if buf.len() < 10 {
            None
        } else {
            let mut len: u64 = 0;
            for &b in &buf[2..10] {
                len = len.wrapping_mul(256) + u64::from(b);
            }
            if buf[2] >= 128 {
                broken.push(Rule::LengthTopBit);
            } else if len < 65536 {
                broken.push(Rule::NonMinimal);
            }
            pos = 10;
            Some(len)
        }
    } else {
        Some(u64::from(len7))
    };

    if !broken.is_empty() {
        return Verdict::Broken(broken);
    }
    let Some(payload_len) = payload_len else {
        return Verdict::Incomplete;
    };
    let mask = if masked {
        if buf.len() < pos + 4 {
            return Verdict::Incomplete;
        }
        let key = [buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]];
        pos += 4;
        Some(key)
    } else {
        None
    };
    Verdict::Header(RefHeader {
        fin,
        rsv,
        opcode,
        mask,
        payload_len,
        header_len: pos,
    })
}

/// Byte-at-a-time XOR with the key, exactly as §5.3 says: "octet i of the transformed data
/// is the XOR of octet i of the original data with octet at index i modulo 4 of the masking
/// key", where `offset` payload bytes of the frame came before `data`.
pub fn mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for i in 0..data.len() {
        data[i] ^= key[(offset + i) % 4];
    }
}
