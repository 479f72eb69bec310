//! `rfc6455 serve`: a server that echoes, broadcasts, or bridges each connection to a
//! program, with a folder (or the demo page) on the same port.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use rfc6455::{
    CloseCode, Config, Handshake, Limits, Message, Rejection, ServerOptions, StaticFiles,
    WebSocket, serve_with_hook,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::broadcast;

use crate::cli::ServeArgs;

/// How many messages a slow client of `--broadcast` may fall behind before it is closed.
const ROOM_BACKLOG: usize = 1024;

/// What each connection gets.
#[derive(Debug)]
enum Behaviour {
    Echo,
    Broadcast(broadcast::Sender<Message>),
    Exec(String),
}

/// How much to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Quiet,
    Normal,
    Verbose,
}

/// Run `rfc6455 serve` until Ctrl-C (or SIGTERM).
pub(crate) async fn run(args: ServeArgs) -> i32 {
    let level = if args.quiet {
        Level::Quiet
    } else if args.verbose {
        Level::Verbose
    } else {
        Level::Normal
    };
    let limits = Limits::default()
        .max_message_size(args.max_message)
        .max_frame_size(args.max_message.min(Limits::DEFAULT_MAX_FRAME_SIZE));
    let mut options = ServerOptions::default()
        .listen_addr(args.listen)
        .port(args.port)
        .hybi00(args.hybi00)
        .h2c(args.h2c)
        .config(Config::default().limits(limits));
    if args.compress {
        options = options.compression(Some(rfc6455::DeflateConfig::default()));
    }
    #[cfg(feature = "tls")]
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        match rfc6455::tls::ServerTls::from_pem_files(cert, key) {
            Ok(tls) => options = options.tls(tls),
            Err(e) => {
                eprintln!("error: --tls-cert/--tls-key: {e}");
                return 1;
            }
        }
    }
    #[cfg(not(feature = "tls"))]
    if args.tls_cert.is_some() {
        eprintln!("error: --tls-cert needs TLS: this build has none (feature `tls`)");
        return 1;
    }
    match &args.static_dir {
        Some(None) => options = options.fallback(service_fn(demo_page)),
        Some(Some(dir)) if !dir.is_dir() => {
            eprintln!("error: --static {}: not a folder", dir.display());
            return 1;
        }
        Some(Some(dir)) => options = options.fallback(StaticFiles::new(dir)),
        None => {}
    }
    let behaviour = Arc::new(if args.behaviour.broadcast {
        Behaviour::Broadcast(broadcast::channel(ROOM_BACKLOG).0)
    } else if let Some(cmd) = &args.behaviour.exec {
        Behaviour::Exec(cmd.clone())
    } else {
        Behaviour::Echo
    });
    let open = Arc::new(AtomicUsize::new(0));
    let max = args.max_connections.unwrap_or(usize::MAX);
    let protocols = args.protocols.clone();
    let counter = Arc::clone(&open);
    let room = Arc::clone(&behaviour);
    let hook = move |hs: &mut Handshake<'_>| -> Result<Slot, Rejection> {
        if counter.fetch_add(1, Ordering::SeqCst) >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            if level >= Level::Normal {
                eprintln!("refused a connection: --max-connections {max} reached (503)");
            }
            return Err(Rejection::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many connections\n",
            ));
        }
        // Join the room here, before the 101: a client that has connected misses nothing.
        let news = match &*room {
            Behaviour::Broadcast(room) => Some(room.subscribe()),
            _ => None,
        };
        let slot = Slot(Arc::clone(&counter), news);
        let offered = hs.offered_subprotocols().to_vec();
        if let Some(chosen) = offered.iter().find(|p| protocols.contains(p)) {
            hs.accept_subprotocol(chosen);
        }
        Ok(slot)
    };
    let handler = move |ws: WebSocket, mut slot: Slot| {
        let behaviour = Arc::clone(&behaviour);
        async move {
            let peer = ws.handshake().peer_addr();
            if level >= Level::Normal {
                let mut protocol = ws
                    .subprotocol()
                    .map(|p| format!(" (subprotocol {p})"))
                    .unwrap_or_default();
                if ws.handshake().http_version() == http::Version::HTTP_2 {
                    protocol.push_str(" over HTTP/2");
                }
                eprintln!(
                    "{} connected: {}{protocol}",
                    who(peer),
                    ws.handshake().path()
                );
            }
            let end = match &*behaviour {
                Behaviour::Echo => echo(ws, peer, level).await,
                Behaviour::Broadcast(room) => match slot.1.take() {
                    Some(news) => broadcast(ws, peer, level, room, news).await,
                    None => "failed: not in the room".to_owned(),
                },
                Behaviour::Exec(cmd) => exec(ws, peer, level, cmd).await,
            };
            if level >= Level::Normal {
                eprintln!("{} {end}", who(peer));
            }
        }
    };
    let server = match serve_with_hook(options, hook, handler).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {}:{}: {e}", args.listen, args.port);
            return 1;
        }
    };
    let scheme = if args.tls_cert.is_some() { "wss" } else { "ws" };
    // On stdout, always (even with -q): scripts read the port from it.
    println!("listening on {scheme}://{}/", server.local_addr());
    wait_for_stop().await;
    if level >= Level::Normal {
        eprintln!(
            "stopping ({} connections open)",
            open.load(Ordering::SeqCst)
        );
    }
    server.stop().await;
    0
}

/// Ctrl-C or SIGTERM.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// One place among `--max-connections`, given back when the connection ends; with
/// `--broadcast`, the room's news for this connection.
#[derive(Debug)]
struct Slot(Arc<AtomicUsize>, Option<broadcast::Receiver<Message>>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A peer's address in the logs.
fn who(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "[?]".to_owned(), |a| format!("[{a}]"))
}

/// How a connection ended, for the log.
fn ending(ws_code: Option<CloseCode>, reason: &str) -> String {
    match ws_code {
        Some(code) if reason.is_empty() => format!("closed: {code}"),
        Some(code) => format!("closed: {code} {reason}"),
        None => "closed without a close code".to_owned(),
    }
}

/// A received message in the verbose log.
fn log_message(peer: Option<SocketAddr>, level: Level, message: &Message) {
    if level >= Level::Verbose {
        match message {
            Message::Text(text) => eprintln!(
                "{} < text, {} bytes: {}",
                who(peer),
                text.len(),
                text.as_str()
            ),
            Message::Binary(data) => eprintln!("{} < binary, {} bytes", who(peer), data.len()),
        }
    }
}

/// `--echo`: every message back.
async fn echo(mut ws: WebSocket, peer: Option<SocketAddr>, level: Level) -> String {
    while let Some(received) = ws.recv().await {
        match received {
            Ok(message) => {
                log_message(peer, level, &message);
                if let Err(e) = ws.send(message).await {
                    return format!("failed: {e}");
                }
            }
            Err(e) => return format!("failed: {e}"),
        }
    }
    ending(ws.peer_close_code(), &ws.peer_close_reason())
}

/// `--broadcast`: every message to every client, the sender too.
async fn broadcast(
    mut ws: WebSocket,
    peer: Option<SocketAddr>,
    level: Level,
    room: &broadcast::Sender<Message>,
    mut news: broadcast::Receiver<Message>,
) -> String {
    loop {
        tokio::select! {
            received = ws.recv() => match received {
                Some(Ok(message)) => {
                    log_message(peer, level, &message);
                    let _ = room.send(message);
                }
                Some(Err(e)) => return format!("failed: {e}"),
                None => break,
            },
            news = news.recv() => match news {
                Ok(message) => {
                    if let Err(e) = ws.send(message).await {
                        return format!("failed: {e}");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = ws.close(CloseCode::from(1008), "too slow for the room").await;
                    return format!("closed with 1008: more than {ROOM_BACKLOG} messages behind");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    ending(ws.peer_close_code(), &ws.peer_close_reason())
}

/// `--exec CMD`: the program's stdin gets the messages (a text message and a newline, a
/// binary message as it is), each line it prints is a message (text, or binary when not
/// UTF-8). When the socket ends the program is killed; when the program's stdout ends the
/// socket is closed: 1000 if it exited with 0, else 1011 with its exit status.
async fn exec(ws: WebSocket, peer: Option<SocketAddr>, level: Level, cmd: &str) -> String {
    let spawned = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let mut ws = ws;
            let _ = ws
                .close(CloseCode::from(1011), "cannot start the program")
                .await;
            return format!("failed: cannot start `sh -c {cmd}`: {e}");
        }
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return "failed: no pipes to the program".to_owned();
    };
    let (mut rx, mut tx) = ws.split();
    let to_program = async move {
        while let Some(Ok(message)) = rx.recv().await {
            log_message(peer, level, &message);
            let written = match &message {
                Message::Text(text) => {
                    let mut line = Vec::with_capacity(text.len() + 1);
                    line.extend_from_slice(text.as_bytes());
                    line.push(b'\n');
                    stdin.write_all(&line).await
                }
                Message::Binary(data) => stdin.write_all(data).await,
            };
            if written.is_err() {
                // The program closed its stdin: keep reading so the close handshake ends.
                continue;
            }
        }
        rx
    };
    let from_program = async {
        let mut lines = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            match lines.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    let sent = match std::str::from_utf8(&line) {
                        Ok(text) => tx.send_text(text).await,
                        Err(_) => tx.send_binary(&line).await,
                    };
                    if sent.is_err() {
                        break;
                    }
                }
            }
        }
    };
    tokio::pin!(to_program);
    tokio::select! {
        rx = &mut to_program => {
            // The socket ended first: end the program.
            let _ = child.start_kill();
            let _ = child.wait().await;
            ending(rx.peer_close_code(), &rx.peer_close_reason())
        }
        () = from_program => {
            let status = child.wait().await;
            let (code, reason) = match status {
                Ok(status) if status.success() => (CloseCode::NORMAL, String::new()),
                Ok(status) => (CloseCode::from(1011), format!("program {status}")),
                Err(e) => (CloseCode::from(1011), format!("program: {e}")),
            };
            let _ = tx.close(code, &reason).await;
            let rx = to_program.await;
            let sent = if reason.is_empty() { code.to_string() } else { format!("{code} {reason}") };
            format!("program ended, sent close {sent}; {}", ending(rx.peer_close_code(), &rx.peer_close_reason()))
        }
    }
}

/// The demo page (`rfc6455/examples/static/`), built into the binary.
async fn demo_page(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (body, kind): (&'static str, &str) = match request.uri().path() {
        "/" | "/client.html" => (
            include_str!("../static/client.html"),
            "text/html; charset=utf-8",
        ),
        "/client.js" => (
            include_str!("../static/client.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => {
            let mut response = Response::new(Full::new(Bytes::from_static(b"not found\n")));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Ok(response);
        }
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_str(kind).unwrap_or(http::HeaderValue::from_static("text/plain")),
    );
    Ok(response)
}
