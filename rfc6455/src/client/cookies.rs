//! The cookies a client sends: checked when given (RFC 6265 §4.1.1) and sent in one
//! `Cookie` header (§5.4). A redirect to another host or port drops them (see
//! `redirect`).

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

/// `name=value`, or `None` when either holds a character a cookie cannot hold (`;`, `,`,
/// `"`, `\`, spaces, controls, and `=` in the name).
pub(crate) fn pair(name: &str, value: &str) -> Option<String> {
    // RFC 6265 §4.1.1: cookie-name is a token, cookie-value cookie-octets.
    let octet_ok = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | ',' | ';' | '\\');
    let name_ok = !name.is_empty() && name.chars().all(|c| octet_ok(c) && c != '=');
    (name_ok && value.chars().all(octet_ok)).then(|| format!("{name}={value}"))
}

/// Join every cookie, and any `Cookie` header given, into one `Cookie` header.
pub(crate) fn merge(headers: &mut HeaderMap, cookies: &[String]) {
    let mut all: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    all.extend(cookies.iter().cloned());
    if let Ok(value) = HeaderValue::try_from(all.join("; ")) {
        // Always taken: every part is a valid header value.
        headers.insert(COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_a_cookie_can_hold() {
        assert_eq!(pair("session", "abc123").as_deref(), Some("session=abc123"));
        assert_eq!(pair("empty", "").as_deref(), Some("empty="));
        for (name, value) in [
            ("", "x"),
            ("a=b", "x"),
            ("a b", "x"),
            ("a", "x;y"),
            ("a", "x,y"),
            ("a", "\"x\""),
            ("a", "x y"),
            ("a", "x\ny"),
        ] {
            assert!(pair(name, value).is_none(), "{name:?}={value:?}");
        }
    }

    #[test]
    fn all_cookies_go_in_one_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("given=1"));
        headers.append(COOKIE, HeaderValue::from_static("also=2"));
        merge(
            &mut headers,
            &["session=abc".to_owned(), "theme=dark".to_owned()],
        );
        let all: Vec<_> = headers.get_all(COOKIE).iter().collect();
        assert_eq!(all, ["given=1; also=2; session=abc; theme=dark"]);
    }
}
