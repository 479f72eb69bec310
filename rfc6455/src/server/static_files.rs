//! A folder of static files as an HTTP service, for the page beside the WebSockets.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use percent_encoding::percent_decode_str;

type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

/// Serves the files of one folder over HTTP: the helper for a page beside the WebSocket
/// endpoints on one port, as the fallback of a server
/// ([`ServerOptions::fallback`](crate::ServerOptions::fallback)).
///
/// - `GET` and `HEAD` only (others get `405` with `Allow: GET, HEAD`).
/// - `/` and every folder answer their index file (`index.html` unless
///   [`index`](Self::index) says otherwise); a folder asked for without its final `/` is
///   redirected (`308`) to the path with it, so that the page's relative links work.
/// - `Content-Type` from the file name's extension (HTML, CSS, JavaScript, JSON, SVG,
///   PNG, JPEG, GIF, ICO, WebP, WebAssembly, fonts, text; otherwise
///   `application/octet-stream`), with `X-Content-Type-Options: nosniff` and
///   `Cache-Control: no-cache`.
///
/// # Security
/// Only files inside the folder are served. The path is percent-decoded, then refused
/// (`404`) if any segment is `..`, `.`, starts with a dot (hidden files such as `.env`
/// are never served), or holds a backslash or NUL; and the file actually opened, with
/// symbolic links resolved, must still lie inside the folder.
///
/// Files are read whole into memory: this is for pages and their scripts, not for large
/// downloads (use tower-http's `ServeDir` for those).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use rfc6455::{ServerOptions, StaticFiles, serve};
///
/// // http://localhost:8081/ serves ./public/index.html; ws://localhost:8081/ the echo.
/// let options = ServerOptions::default()
///     .port(8081)
///     .fallback(StaticFiles::new("public"));
/// let server = serve(options, |mut ws| async move {
///     while let Some(Ok(msg)) = ws.recv().await {
///         if ws.send(msg).await.is_err() {
///             break;
///         }
///     }
/// })
/// .await?;
/// # server.stop().await; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "StaticFiles serve nothing until given to ServerOptions::fallback or a server"]
pub struct StaticFiles {
    root: Arc<Path>,
    index: Arc<str>,
}

impl StaticFiles {
    /// Serve the files under `root`.
    ///
    /// ```
    /// let files = rfc6455::StaticFiles::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static"));
    /// # drop(files);
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into().into(),
            index: "index.html".into(),
        }
    }

    /// The file answered for `/` and for every folder. Default `index.html`.
    ///
    /// ```
    /// let files = rfc6455::StaticFiles::new("examples/static").index("client.html");
    /// # drop(files);
    /// ```
    pub fn index(mut self, file: &str) -> Self {
        self.index = file.into();
        self
    }

    /// Answer `req` from the folder (the body of `req` is not read).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let files = rfc6455::StaticFiles::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static"))
    ///     .index("client.html");
    /// let response = files.respond(&http::Request::get("/").body(()).unwrap()).await;
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    /// let response = files.respond(&http::Request::get("/../Cargo.toml").body(()).unwrap()).await;
    /// assert_eq!(response.status(), 404);
    /// # }
    /// ```
    pub async fn respond<B>(&self, req: &Request<B>) -> Response<Full<Bytes>> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                return response;
            }
        };
        let raw = req.uri().path();
        let Some((relative, segments)) = safe_relative_path(raw) else {
            return not_found();
        };
        let mut file = self.root.join(&relative);
        match tokio::fs::metadata(&file).await {
            Ok(meta) if meta.is_dir() => {
                if !raw.ends_with('/') {
                    // Rebuilt from the checked segments: `//evil.example` must not become a
                    // redirect to another host.
                    let mut location = String::from("/");
                    for segment in &segments {
                        location.push_str(segment);
                        location.push('/');
                    }
                    if let Some(query) = req.uri().query() {
                        location.push('?');
                        location.push_str(query);
                    }
                    let mut response = text(StatusCode::PERMANENT_REDIRECT, "");
                    if let Ok(value) = HeaderValue::from_str(&location) {
                        response.headers_mut().insert(header::LOCATION, value);
                    }
                    return response;
                }
                file.push(&*self.index);
            }
            Ok(_) => {}
            Err(e) => return io_error(&e),
        }
        // Symbolic links must not lead out of the folder.
        let (root, resolved) = match (
            tokio::fs::canonicalize(&self.root).await,
            tokio::fs::canonicalize(&file).await,
        ) {
            (Ok(root), Ok(resolved)) => (root, resolved),
            (Err(e), _) | (_, Err(e)) => return io_error(&e),
        };
        if !resolved.starts_with(&root) {
            return not_found();
        }
        let contents = match tokio::fs::read(&resolved).await {
            Ok(contents) => contents,
            Err(e) => return io_error(&e),
        };
        let length = contents.len();
        let body = if head {
            Bytes::new()
        } else {
            Bytes::from(contents)
        };
        let mut response = Response::new(Full::new(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(&resolved)),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// The decoded path as a relative file path, and its raw segments; `None` for any path
/// that could leave the folder or reach a hidden file.
fn safe_relative_path(raw: &str) -> Option<(PathBuf, Vec<&str>)> {
    let mut relative = PathBuf::new();
    let mut segments = Vec::new();
    for segment in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(segment).decode_utf8().ok()?;
        if decoded.starts_with('.')
            || decoded.contains(['/', '\\', '\0'])
            || (cfg!(windows) && decoded.contains(':'))
        {
            return None;
        }
        relative.push(&*decoded);
        segments.push(segment);
    }
    Some((relative, segments))
}

/// The `Content-Type` for a file name's extension.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("webp") => "image/webp",
        Some("wasm") => "application/wasm",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn not_found() -> Response<Full<Bytes>> {
    text(StatusCode::NOT_FOUND, "Not Found\n")
}

fn io_error(e: &io::Error) -> Response<Full<Bytes>> {
    match e.kind() {
        // A missing file, a file where a folder was expected, or one we may not read:
        // all look the same from outside.
        io::ErrorKind::NotFound
        | io::ErrorKind::NotADirectory
        | io::ErrorKind::PermissionDenied => not_found(),
        _ => {
            tracing::warn!("static files: {e}");
            text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n")
        }
    }
}

impl<B> hyper::service::Service<Request<B>> for StaticFiles {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, req: Request<B>) -> Self::Future {
        let files = self.clone();
        let (parts, _body) = req.into_parts();
        let req = Request::from_parts(parts, ());
        Box::pin(async move { Ok(files.respond(&req).await) })
    }
}

impl<B> tower_service::Service<Request<B>> for StaticFiles {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        hyper::service::Service::call(&*self, req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/%2E%2E%2Fx",
            "/a%2f..%2f..%2fx",
            "/.env",
            "/a/.git/config",
            "/..%5c..%5cx",
            "/a%00b",
            "/%ff",
        ] {
            assert!(safe_relative_path(bad).is_none(), "{bad}");
        }
        let (path, segments) = safe_relative_path("//a//b%20c/").unwrap();
        assert_eq!(path, PathBuf::from("a").join("b c"));
        assert_eq!(segments, ["a", "b%20c"]);
        assert_eq!(safe_relative_path("/").unwrap().0, PathBuf::new());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a/client.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("x.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }
}
