//! `rfc6455 connect` on a terminal: each line typed is a text message, received messages
//! are printed above the line being typed (`terminal.rs`), and slash commands ping, close,
//! send binary and quit.

use std::time::Duration;

use rfc6455::{CloseCode, Message, RecvHalf, SendHalf, Transport};

use crate::cli::ConnectArgs;
use crate::connect::{close_code, ping};
use crate::exit::Outcome;
use crate::output;
use crate::terminal::Terminal;

/// The commands, as `/help` prints them.
const HELP: &str = "\
commands:
  /ping [payload]         send a ping (prints the round-trip time when the pong comes back)
  /close [code [reason]]  close the connection (1000 by default)
  /binary HEX             send a binary message (`/binary 00ff 10`)
  /quit                   close with --close-code/--close-reason and exit (also Ctrl-D)
  //text                  send a text message that starts with `/`";

/// Run the interactive session until the connection ends.
pub(crate) async fn run(
    mut rx: RecvHalf<Transport>,
    mut tx: SendHalf<Transport>,
    args: &ConnectArgs,
) -> Outcome {
    let mut terminal = match Terminal::open() {
        Ok(terminal) => terminal,
        Err(e) => {
            eprintln!("error: the terminal: {e}");
            return Outcome::Local;
        }
    };
    if !args.quiet {
        terminal.print("type a message, or /help");
    }
    let period = args.ping_interval.map(Duration::from_secs_f64);
    let every = period.unwrap_or(Duration::from_secs(3600));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut our_close = None;
    let mut outcome = None;
    // The receiving half runs in a task of its own, so that it takes pongs (and answers
    // pings) while a `/ping` waits for its round trip.
    let (messages_in, mut messages) = tokio::sync::mpsc::channel(64);
    let receiver = tokio::spawn(async move {
        while let Some(received) = rx.recv().await {
            let failed = received.is_err();
            if messages_in.send(received).await.is_err() || failed {
                break;
            }
        }
        rx
    });
    loop {
        tokio::select! {
            received = messages.recv() => match received {
                Some(Ok(message)) => terminal.print(&show(&message)),
                Some(Err(error)) => {
                    terminal.print(&format!("error: {error}"));
                    outcome = Some(Outcome::of_error(&error));
                    break;
                }
                None => break,
            },
            _ = ticks.tick(), if period.is_some() && our_close.is_none() => {
                terminal.print(&ping_report(ping(&mut tx, b"").await));
            }
            line = terminal.next_line(), if our_close.is_none() => {
                let command = line.unwrap_or_else(|| "/quit".to_owned());
                match run_command(&command, &mut tx, args).await {
                    Ok(Done::Said(report)) => terminal.print(&report),
                    Ok(Done::Sent) => {}
                    Ok(Done::Closed(code)) => our_close = Some(code),
                    Err(report) => terminal.print(&report),
                }
            }
        }
    }
    drop(messages);
    let rx = match receiver.await {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("error: the receiving task: {e}");
            return Outcome::Local;
        }
    };
    let outcome = outcome.unwrap_or_else(|| {
        let code = rx.peer_close_code();
        let report = output::close_report(code, &rx.peer_close_reason());
        if our_close.is_some() {
            terminal.print(&format!("{report} (the answer to our close)"));
        } else {
            terminal.print(&report);
        }
        // Our own close code, echoed back, is what we asked for.
        if our_close.is_some() && code == our_close {
            Outcome::Normal
        } else {
            Outcome::of_close(code)
        }
    });
    drop(terminal);
    outcome
}

/// How a received message is shown.
fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => format!("< {}", text.as_str()),
        Message::Binary(data) => {
            let shown: String = data.iter().take(64).map(|b| format!("{b:02x}")).collect();
            let more = if data.len() > 64 { "…" } else { "" };
            format!("< binary, {} bytes: {shown}{more}", data.len())
        }
    }
}

/// The line printed after a ping.
fn ping_report(result: Result<Option<Duration>, rfc6455::Error>) -> String {
    match result {
        Ok(Some(rtt)) => format!("pong: round trip {:.3} ms", rtt.as_secs_f64() * 1e3),
        Ok(None) => "ping sent (a ping with a payload of yours is not timed)".to_owned(),
        Err(e) => format!("ping failed: {e}"),
    }
}

/// What a typed line did.
enum Done {
    /// Sent a message.
    Sent,
    /// Has a line to print.
    Said(String),
    /// Closed the connection with this code.
    Closed(CloseCode),
}

/// Run one typed line: a slash command or a text message. `Err(line)` is a mistake to
/// print.
async fn run_command(
    line: &str,
    tx: &mut SendHalf<Transport>,
    args: &ConnectArgs,
) -> Result<Done, String> {
    let Some(command) = line.strip_prefix('/') else {
        tx.send_text(line)
            .await
            .map_err(|e| format!("error: {e}"))?;
        return Ok(Done::Sent);
    };
    if command.starts_with('/') {
        tx.send_text(command)
            .await
            .map_err(|e| format!("error: {e}"))?;
        return Ok(Done::Sent);
    }
    let (name, rest) = command.split_once(' ').unwrap_or((command, ""));
    let rest = rest.trim();
    match name {
        "ping" => Ok(Done::Said(ping_report(ping(tx, rest.as_bytes()).await))),
        "close" => {
            let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
            let code = if code.is_empty() {
                CloseCode::NORMAL
            } else {
                let code: u16 = code
                    .parse()
                    .map_err(|_| format!("/close: {code:?} is not a close code"))?;
                CloseCode::from(code)
            };
            if !code.is_sendable() {
                return Err(format!(
                    "/close: {code} may not be sent (1000-1003, 1007-1014, 3000-4999)"
                ));
            }
            tx.close(code, reason.trim())
                .await
                .map_err(|e| format!("error: {e}"))?;
            Ok(Done::Closed(code))
        }
        "binary" => {
            let data = hex(rest).ok_or_else(|| format!("/binary: {rest:?} is not hex"))?;
            tx.send_binary(&data)
                .await
                .map_err(|e| format!("error: {e}"))?;
            Ok(Done::Sent)
        }
        "quit" => {
            tx.close(close_code(args), &args.close_reason)
                .await
                .map_err(|e| format!("error: {e}"))?;
            Ok(Done::Closed(close_code(args)))
        }
        _ => Err(HELP.to_owned()),
    }
}

/// Hex digits (spaces allowed between bytes) to bytes.
fn hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_bytes() {
        assert_eq!(hex("00ff 10"), Some(vec![0, 255, 16]));
        assert_eq!(hex("0"), None);
        assert_eq!(hex("zz"), None);
        assert_eq!(hex(""), Some(vec![]));
    }
}
