//! The RFC 7230 token grammar that handshake headers are made of (§3.2.3 whitespace, §3.2.6
//! tokens).

/// RFC 7230 §3.2.3 optional whitespace.
pub(crate) fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 7230 §3.2.6 `tchar`: visible ASCII except the delimiters `"(),/:;<=>?@[\]{}`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7230 §3.2.6 `token = 1*tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_rfc7230() {
        assert!(is_token("permessage-deflate"));
        assert!(is_token("v1.chat~!#$%&'*+^_`|"));
        for bad in ["", "a b", "a,b", "a;b", "a=b", "\"a\"", "a/b", "é"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }
}
