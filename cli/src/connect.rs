//! `rfc6455 connect`: the client. Builds the options from the flags, connects, then runs
//! the pipe (stdin → messages → stdout) or, on a terminal, the interactive session.

use std::io::{IsTerminal, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use rfc6455::{ClientOptions, CloseCode, Config, Error, Limits, Message, RecvHalf, SendHalf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::oneshot;

use crate::cli::{ConnectArgs, InputMode};
use crate::exit::Outcome;
use crate::output;

/// Run `rfc6455 connect`.
pub(crate) async fn run(args: ConnectArgs) -> Outcome {
    if !close_code(&args).is_sendable() {
        eprintln!(
            "error: --close-code {}: not a code that may be sent (1000-1003, 1007-1014, 3000-4999)",
            args.close_code
        );
        return Outcome::Local;
    }
    let options = match options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Local;
        }
    };
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: the server's certificate is NOT verified; anyone on the path \
             can read and change this connection"
        );
    }
    let (ws, _response) = match rfc6455::connect_with(&args.url, options).await {
        Ok(connected) => connected,
        Err(error) => {
            eprint!("{}", output::error_report(&error));
            return Outcome::of_error(&error);
        }
    };
    if !args.quiet {
        let mut agreed = Vec::new();
        if let Some(protocol) = ws.subprotocol() {
            agreed.push(format!("subprotocol {protocol}"));
        }
        if let Some(deflate) = ws.handshake().deflate() {
            agreed.push(deflate.answer().to_string());
        }
        if ws.handshake().http_version() == http::Version::HTTP_2 {
            agreed.push("HTTP/2".to_owned());
        }
        match agreed.is_empty() {
            true => eprintln!("connected to {}", args.url),
            false => eprintln!("connected to {} ({})", args.url, agreed.join(", ")),
        }
    }
    let (rx, tx) = ws.split();
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        crate::interactive::run(rx, tx, &args).await
    } else {
        pipe(rx, tx, &args).await
    }
}

/// The client options the flags ask for.
fn options(args: &ConnectArgs) -> Result<ClientOptions, String> {
    let limits = Limits::default()
        .max_message_size(args.max_message)
        .max_frame_size(args.max_message.min(Limits::DEFAULT_MAX_FRAME_SIZE));
    let mut options = ClientOptions::default()
        .config(Config::default().limits(limits))
        .proxy_from_env(!args.no_proxy)
        .subprotocols(&args.protocols);
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("-H {header:?}: not `Name: value`"))?;
        let name = HeaderName::try_from(name.trim())
            .map_err(|e| format!("-H {header:?}: bad header name: {e}"))?;
        let value = HeaderValue::try_from(value.trim())
            .map_err(|e| format!("-H {header:?}: bad header value: {e}"))?;
        options = options.header(name, value);
    }
    if let Some(origin) = &args.origin {
        options = options.origin(origin.as_str());
    }
    #[cfg(feature = "tls")]
    {
        if let Some(ca) = &args.ca {
            options = options
                .ca_pem_file(ca)
                .map_err(|e| format!("--ca {}: {e}", ca.display()))?;
        }
        if args.insecure {
            options = options.danger_accept_invalid_certificates(true);
        }
    }
    #[cfg(not(feature = "tls"))]
    if args.ca.is_some() || args.insecure {
        return Err("--ca and --insecure need TLS: this build has none (feature `tls`)".into());
    }
    if args.compress {
        options = options.compression(Some(rfc6455::DeflateConfig::default()));
    }
    if args.h2c {
        options = options.http2(rfc6455::http2::Http2::Require);
    } else if args.http2 {
        options = options.http2(rfc6455::http2::Http2::Prefer);
    }
    Ok(options)
}

/// The close code of `--close-code`, checked.
pub(crate) fn close_code(args: &ConnectArgs) -> CloseCode {
    CloseCode::from(args.close_code)
}

/// Send a ping and measure its round trip.
///
/// Without a payload the ping is the library's own ([`SendHalf::ping_rtt`]) and its round
/// trip is returned once the pong arrives (the receiving half, running meanwhile, takes the
/// pong); a ping with the user's payload is sent as it is, and not timed.
pub(crate) async fn ping(
    tx: &mut SendHalf<rfc6455::Transport>,
    payload: &[u8],
) -> Result<Option<Duration>, Error> {
    if payload.is_empty() {
        return tx.ping_rtt().await.map(Some);
    }
    tx.ping(payload).await?;
    Ok(None)
}

/// The pipe: stdin → messages, messages → stdout, until either side ends.
///
/// When stdin ends the connection is not closed at once: the library drops what arrives
/// after our close (RFC 6455 §1.4), so the replies still on their way would be lost. It
/// waits until nothing has arrived for `--linger` (or, with `--one-message`, for the first
/// message), then closes.
async fn pipe(
    mut rx: RecvHalf<rfc6455::Transport>,
    tx: SendHalf<rfc6455::Transport>,
    args: &ConnectArgs,
) -> Outcome {
    let (stop, stopped) = oneshot::channel();
    let (eof, mut stdin_ended) = oneshot::channel();
    let we_closed = Arc::new(AtomicBool::new(false));
    let mut sender = tokio::spawn(send_stdin(
        tx,
        Input {
            mode: args.input_mode(),
            binary: args.binary,
            ping_interval: args.ping_interval.map(Duration::from_secs_f64),
            close: (close_code(args), args.close_reason.clone()),
            quiet: args.quiet,
        },
        eof,
        stopped,
        Arc::clone(&we_closed),
    ));
    let linger = Duration::from_secs_f64(args.linger);
    let mut stop = Some(stop);
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut stdout = std::io::stdout();
    let mut outcome = None;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let received = tokio::select! {
            received = rx.recv() => received,
            ended = &mut stdin_ended, if deadline.is_none() && stop.is_some() => {
                match ended {
                    // stdin ended: close once the peer has been quiet for --linger.
                    Ok(()) if !args.one_message => deadline = Some(tokio::time::Instant::now() + linger),
                    // --one-message waits for its message; a sender that failed has closed.
                    _ => deadline = Some(tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)),
                }
                continue;
            }
            () = sleep_until(deadline), if deadline.is_some() && stop.is_some() => {
                let _ = stop.take().map(|s| s.send(()));
                continue;
            }
            // Ctrl-C closes with --close-code/--close-reason (the close timeout bounds it).
            _ = &mut ctrl_c, if stop.is_some() => {
                let _ = stop.take().map(|s| s.send(()));
                continue;
            }
        };
        match received {
            None => break,
            Some(Err(error)) => {
                eprintln!("error: {error}");
                outcome = Some(Outcome::of_error(&error));
                break;
            }
            // --one-message: the first one is printed, the rest dropped.
            Some(Ok(_)) if stop.is_none() => {}
            Some(Ok(message)) => {
                if deadline.is_some() && !args.one_message {
                    deadline = Some(tokio::time::Instant::now() + linger);
                }
                let bytes = if args.json {
                    output::json_line(&message).into_bytes()
                } else {
                    output::raw(&message)
                };
                let written = stdout.write_all(&bytes).and_then(|()| stdout.flush());
                // stdout gone (`| head -1`), or the one message printed: close and leave.
                if written.is_err() || args.one_message {
                    let _ = stop.take().map(|s| s.send(()));
                }
            }
        }
    }
    // The sender has ended (it closed), or waits on stdin after the peer closed.
    let sent = match tokio::time::timeout(Duration::from_millis(200), &mut sender).await {
        Ok(result) => result.unwrap_or(Ok(())),
        Err(_) => {
            sender.abort();
            Ok(())
        }
    };
    if let Err(message) = sent {
        eprintln!("error: {message}");
        return Outcome::Local;
    }
    if let Some(outcome) = outcome {
        return outcome;
    }
    let code = rx.peer_close_code();
    let ours = we_closed.load(Ordering::SeqCst);
    if !args.quiet {
        let report = output::close_report(code, &rx.peer_close_reason());
        if ours {
            eprintln!("{report} (the answer to our close)");
        } else {
            eprintln!("{report}");
        }
    }
    // Our own close code, echoed back, is what we asked for.
    if ours && code == Some(close_code(args)) {
        Outcome::Normal
    } else {
        Outcome::of_close(code)
    }
}

/// Sleep until `deadline` (forever without one).
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// How stdin becomes messages.
struct Input {
    mode: InputMode,
    binary: bool,
    ping_interval: Option<Duration>,
    close: (CloseCode, String),
    quiet: bool,
}

/// Read stdin into messages until it ends (then say so on `eof`), and close when `stop`
/// fires (or at once after a problem with stdin).
async fn send_stdin(
    mut tx: SendHalf<rfc6455::Transport>,
    input: Input,
    eof: oneshot::Sender<()>,
    mut stop: oneshot::Receiver<()>,
    we_closed: Arc<AtomicBool>,
) -> Result<(), String> {
    let Input {
        mode,
        binary,
        ping_interval,
        close: (code, reason),
        quiet,
    } = input;
    let mut stdin = BufReader::new(tokio::io::stdin());
    let period = ping_interval.unwrap_or(Duration::from_secs(3600));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut line = Vec::new();
    let mut problem = None;
    let mut reading = true;
    let mut eof = Some(eof);
    loop {
        line.clear();
        let read = tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick(), if ping_interval.is_some() => {
                match ping(&mut tx, b"").await {
                    Ok(Some(rtt)) if !quiet => eprintln!("ping: {:.3} ms", rtt.as_secs_f64() * 1e3),
                    Ok(_) => {}
                    Err(_) => return Ok(()),
                }
                continue;
            }
            read = async {
                match mode {
                    InputMode::Lines => stdin.read_until(b'\n', &mut line).await,
                    InputMode::Whole => stdin.read_to_end(&mut line).await,
                }
            }, if reading => read,
        };
        match read {
            Ok(0) if mode == InputMode::Lines => {}
            Ok(_) => {
                if mode == InputMode::Lines && line.last() == Some(&b'\n') {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                match send(&mut tx, &line, binary).await {
                    Ok(()) => {}
                    Err(SendFailure::NotUtf8) => {
                        problem = Some("stdin is not UTF-8: use --binary to send bytes".to_owned());
                        break;
                    }
                    Err(SendFailure::Closed) => return Ok(()),
                }
                if mode == InputMode::Lines {
                    continue;
                }
            }
            Err(e) => {
                problem = Some(format!("reading stdin: {e}"));
                break;
            }
        }
        // stdin has ended (a whole message was sent, or the last line).
        reading = false;
        let _ = eof.take().map(|eof| eof.send(()));
    }
    we_closed.store(true, Ordering::SeqCst);
    // The receiver sees the close handshake end; an error here means it already has.
    let _ = match problem {
        Some(_) => tx.close(CloseCode::NORMAL, "").await,
        None => tx.close(code, &reason).await,
    };
    problem.map_or(Ok(()), Err)
}

/// Why a message was not sent.
enum SendFailure {
    NotUtf8,
    Closed,
}

/// Send `data` as one message.
async fn send(
    tx: &mut SendHalf<rfc6455::Transport>,
    data: &[u8],
    binary: bool,
) -> Result<(), SendFailure> {
    let message = if binary {
        Message::binary(bytes::Bytes::copy_from_slice(data))
    } else {
        let text = std::str::from_utf8(data).map_err(|_| SendFailure::NotUtf8)?;
        Message::text(text.to_owned())
    };
    tx.send(message).await.map_err(|_| SendFailure::Closed)
}
