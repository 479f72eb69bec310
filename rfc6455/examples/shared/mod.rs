//! Services shared by the examples (`#[path = "shared/mod.rs"] mod shared;`); not an
//! example itself.
#![allow(dead_code)]

use std::time::Duration;

use rfc6455::{CloseCode, WebSocket};

/// Listen, from now on, for the program being asked to stop: Ctrl-C (SIGINT) or, on Unix,
/// SIGTERM (what `kill`, systemd, Docker and Kubernetes send). The returned future
/// resolves at the first of them; the caller then runs `server.stop()`, which closes every
/// connection with 1001 after what was queued for it. Call it before announcing the
/// server, so that a signal sent as soon as the server is up is not missed.
pub(crate) fn stop_requested() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The original's test service: says "Waited another second" every second, answers each
/// message with `You said: "…"`, and on `goodbye` answers `Goodbye!` and closes.
pub(crate) async fn test_service(mut ws: WebSocket) {
    let peer = ws
        .handshake()
        .peer_addr()
        .map_or_else(|| "?".to_owned(), |a| a.to_string());
    println!(
        "[{peer}] connected to {} (subprotocol: {})",
        ws.handshake().request_target(),
        ws.subprotocol().unwrap_or("none")
    );
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            msg = ws.recv() => match msg {
                Some(Ok(msg)) => {
                    let text = msg.as_text().unwrap_or("<binary>").to_owned();
                    println!("[{peer}] got: {text}");
                    if text == "goodbye" {
                        let _ = ws.send_text("Goodbye!").await;
                        let _ = ws.close(CloseCode::NORMAL, "").await;
                        break;
                    }
                    if ws.send_text(&format!("You said: {text:?}")).await.is_err() {
                        break;
                    }
                }
                Some(Err(e)) => {
                    println!("[{peer}] error: {e}");
                    break;
                }
                None => break,
            },
            _ = tick.tick() => {
                if ws.send_text("Waited another second").await.is_err() {
                    break;
                }
            }
        }
    }
    println!(
        "[{peer}] closed: status {}",
        ws.peer_close_code().map_or(1006, |c| c.as_u16())
    );
}

/// For clients that offer the subprotocol `subprotocol`: says so, then behaves as the
/// test service.
pub(crate) async fn subprotocol_service(mut ws: WebSocket) {
    if ws
        .send_text("This is the subprotocol handler")
        .await
        .is_ok()
    {
        test_service(ws).await;
    }
}

/// Echo every message back as it came (text as text, binary as binary).
pub(crate) async fn echo_service(mut ws: WebSocket) {
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
}
