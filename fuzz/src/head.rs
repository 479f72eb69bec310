//! Building `http` requests and responses from fuzz input: one line a field, so that the
//! fuzzer can mutate header names and values directly.

use http::{Request, Response, Version};

/// `METHOD URI` on the first line, `name: value` on each further line (lines split on
/// `\n`); the version is HTTP/1.1 unless the input's flag says 1.0. `None` when `http`
/// refuses a part (such a request cannot reach the handshake: the HTTP layer refuses it).
pub fn request(input: &[u8], old_version: bool) -> Option<Request<()>> {
    let mut lines = input.split(|&b| b == b'\n');
    let first = lines.next()?;
    let (method, uri) = split_at_byte(first, b' ')?;
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .version(if old_version {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        });
    for line in lines {
        let (name, value) = split_at_byte(line, b':')?;
        builder = builder.header(name, value.trim_ascii_start());
    }
    builder.body(()).ok()
}

/// A status code on the first line (three ASCII digits), headers on the next as above.
pub fn response(input: &[u8]) -> Option<Response<()>> {
    let mut lines = input.split(|&b| b == b'\n');
    let status = std::str::from_utf8(lines.next()?)
        .ok()?
        .parse::<u16>()
        .ok()?;
    let mut builder = Response::builder().status(status);
    for line in lines {
        let (name, value) = split_at_byte(line, b':')?;
        builder = builder.header(name, value.trim_ascii_start());
    }
    builder.body(()).ok()
}

fn split_at_byte(line: &[u8], at: u8) -> Option<(&[u8], &[u8])> {
    let i = line.iter().position(|&b| b == at)?;
    Some((&line[..i], &line[i + 1..]))
}
