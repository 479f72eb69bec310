//! Redirects: which answers are followed, where they lead, and what is not carried to
//! another host.

use http::header::{AUTHORIZATION, COOKIE, LOCATION};
use http::{HeaderMap, Response, StatusCode};
use rfc6455_proto::HandshakeError;

use crate::client::options::ClientOptions;
use crate::error::Error;

/// Whether `status` is a redirect the client follows.
fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Whether `response` is a redirect that can be followed (it has a `Location`).
pub(crate) fn is_followable<B>(response: &Response<B>) -> bool {
    is_redirect(response.status()) && response.headers().contains_key(LOCATION)
}

/// After the attempt at `url` failed with `err`: the URL to try next, when `err` is a
/// redirect to follow (the `redirects`-th, counting from 0), with `headers` cleared of
/// the credentials when it leads to another host or port. Otherwise the error to return:
/// `err` itself, or an [`ErrorKind::Redirect`](crate::ErrorKind::Redirect) error for a
/// redirect that cannot be followed.
pub(crate) fn follow(
    url: &url::Url,
    err: Error,
    redirects: usize,
    options: &ClientOptions,
    headers: &mut HeaderMap,
) -> Result<url::Url, Error> {
    let redirect = options.max_redirects > 0
        && matches!(
            err.handshake_error(),
            Some(HandshakeError::UnexpectedStatus(status)) if is_redirect(*status)
        );
    if !redirect {
        return Err(err);
    }
    let response = err.into_response();
    let location = response
        .as_ref()
        .and_then(|r| r.headers().get(LOCATION))
        .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
    let Some(location) = location else {
        return Err(Error::redirect(
            format!("{url} answered a redirect without a Location"),
            response,
        ));
    };
    if redirects == options.max_redirects {
        return Err(Error::redirect(
            format!(
                "too many redirects: {url} redirects to {location:?} after {redirects} \
                 (the limit; see ClientOptions::max_redirects)"
            ),
            response,
        ));
    }
    let next = match resolve(url, &location, options.allow_insecure_redirects) {
        Ok(next) => next,
        Err(why) => return Err(Error::redirect(why, response)),
    };
    if (next.host_str(), next.port_or_known_default())
        != (url.host_str(), url.port_or_known_default())
    {
        // Credentials are for the host they were given for.
        headers.remove(AUTHORIZATION);
        headers.remove(COOKIE);
    }
    tracing::debug!("redirect {url} → {next}");
    Ok(next)
}

/// Where a redirect from `current` to `location` leads: resolved against `current`,
/// `http`/`https` mapped to `ws`/`wss`, without fragment. Refuses other schemes and, unless
/// `allow_insecure`, a step from `wss` down to `ws`.
fn resolve(current: &url::Url, location: &str, allow_insecure: bool) -> Result<url::Url, String> {
    let mut next = current
        .join(location.trim())
        .map_err(|e| format!("{current} redirects to {location:?}, not a URL: {e}"))?;
    let scheme = match next.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(format!(
                "{current} redirects to {next}: scheme {other:?} is not ws, wss, http or https"
            ));
        }
    };
    if current.scheme() == "wss" && scheme == "ws" && !allow_insecure {
        return Err(format!(
            "{current} redirects to {next}, from wss:// down to ws:// (without TLS); \
             refused (see ClientOptions::danger_allow_insecure_redirects)"
        ));
    }
    if next.scheme() != scheme {
        // http ↔ ws and https ↔ wss are all "special" schemes: the change is allowed.
        next.set_scheme(scheme)
            .map_err(|()| format!("{current} redirects to {next}: cannot map the scheme"))?;
    }
    next.set_fragment(None);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        s.parse().unwrap()
    }

    #[test]
    fn locations_resolve_and_map_to_websocket_schemes() {
        let here = url("ws://a.example/dir/page?x=1");
        for (location, expected) in [
            ("/root", "ws://a.example/root"),
            ("next", "ws://a.example/dir/next"),
            ("  http://b.example:8080/p  ", "ws://b.example:8080/p"),
            ("https://b.example/p#frag", "wss://b.example/p"),
            ("wss://b.example/", "wss://b.example/"),
        ] {
            assert_eq!(resolve(&here, location, false).unwrap().as_str(), expected);
        }
        assert!(resolve(&here, "ftp://b.example/", false).is_err());
    }

    #[test]
    fn wss_to_ws_only_when_allowed() {
        let here = url("wss://a.example/");
        for location in ["ws://a.example/", "http://a.example/"] {
            let err = resolve(&here, location, false).unwrap_err();
            assert!(err.contains("danger_allow_insecure_redirects"), "{err}");
            assert_eq!(resolve(&here, location, true).unwrap().scheme(), "ws");
        }
    }

    #[test]
    fn which_answers_are_followable() {
        for status in [301, 302, 303, 307, 308] {
            let mut response = Response::new(());
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            assert!(!is_followable(&response), "{status} without Location");
            response
                .headers_mut()
                .insert(LOCATION, "/next".parse().unwrap());
            assert!(is_followable(&response), "{status}");
        }
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
            .headers_mut()
            .insert(LOCATION, "/next".parse().unwrap());
        assert!(!is_followable(&response));
    }
}
