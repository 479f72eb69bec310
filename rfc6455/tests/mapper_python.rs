//! The service mapper against another implementation's client: Python `websockets`
//! (from the virtualenv `.venv` that `scripts/install-peers.sh` makes), which checks on its
//! side that every `101` is valid and names only a subprotocol it offered. A missing peer
//! fails the test; it is never skipped.

mod support;

use rfc6455::{PathParams, ServiceMapper, serve_mapped};

use support::LIMIT;
use support::peers::{self, python};
use support::server::local;

/// Runs each case `[path, [subprotocols…]]` in order and prints one JSON object per case.
const CLIENT: &str = r#"
import asyncio, json, sys
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

async def case(base, path, protocols):
    try:
        async with connect(base + path, subprotocols=protocols or None) as ws:
            first = await ws.recv()
            return {"status": ws.response.status_code,
                    "subprotocol": ws.subprotocol,
                    "header": ws.response.headers.get("Sec-WebSocket-Protocol"),
                    "first": first}
    except InvalidStatus as e:
        return {"status": e.response.status_code,
                "body": e.response.body.decode("utf-8", "replace")}
    except Exception as e:
        return {"status": None, "error": f"{type(e).__name__}: {e}"}

async def main():
    base, cases = sys.argv[1], json.loads(sys.argv[2])
    for path, protocols in cases:
        print(json.dumps(await case(base, path, protocols)), flush=True)

asyncio.run(main())
"#;

/// (path, offered, expected status, expected subprotocol, expected first message)
type Case = (
    &'static str,
    &'static [&'static str],
    u16,
    Option<&'static str>,
    &'static str,
);

fn table() -> ServiceMapper {
    let say = |tag: &'static str| {
        move |mut ws: rfc6455::WebSocket, params: PathParams| async move {
            let text = format!(
                "{tag} {} {}",
                params.get("room").unwrap_or("-"),
                ws.subprotocol().unwrap_or("-")
            );
            let _ = ws.send_text(&text).await;
            while let Some(Ok(_)) = ws.recv().await {}
        }
    };
    ServiceMapper::builder()
        .path("/test")
        .no_subprotocol(say("test-none"))
        .subprotocol("subprotocol", say("test-sub"))
        .path(r"/rooms/(?<room>\w+)")
        .subprotocols(["chat.v2", "chat"], say("rooms-chat"))
        .subprotocol("json", say("rooms-json"))
        .path("/fir.*")
        .no_subprotocol(say("fir-star"))
        .path("/first")
        .no_subprotocol(say("never: the earlier row wins"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn python_websockets_client_against_the_mapper() {
    let server = serve_mapped(local(), table()).await.unwrap();
    let base = format!("ws://127.0.0.1:{}", server.local_addr().port());
    let cases: &[Case] = &[
        ("/test", &[], 101, None, "test-none - -"),
        ("/test?x=/rooms/a", &[], 101, None, "test-none - -"),
        (
            "/test",
            &["subprotocol"],
            101,
            Some("subprotocol"),
            "test-sub - subprotocol",
        ),
        (
            "/test",
            &["nope", "subprotocol"],
            101,
            Some("subprotocol"),
            "test-sub - subprotocol",
        ),
        (
            "/rooms/lobby",
            &["json", "chat"],
            101,
            Some("json"),
            "rooms-json lobby json",
        ),
        (
            "/rooms/lobby",
            &["chat", "json"],
            101,
            Some("chat"),
            "rooms-chat lobby chat",
        ),
        (
            "/rooms/hall",
            &["chat.v2"],
            101,
            Some("chat.v2"),
            "rooms-chat hall chat.v2",
        ),
        ("/first", &[], 101, None, "fir-star - -"),
        ("/rooms/lobby", &[], 400, None, ""),
        ("/test", &["chat"], 400, None, ""),
        ("/rooms/a/b", &["chat"], 404, None, ""),
        ("/x/test", &[], 404, None, ""),
    ];
    let json_cases: Vec<String> = cases
        .iter()
        .map(|(path, offered, ..)| {
            let offered: Vec<String> = offered.iter().map(|p| format!("\"{p}\"")).collect();
            format!("[\"{path}\", [{}]]", offered.join(", "))
        })
        .collect();
    let mut command = tokio::process::Command::new(python());
    command
        .arg("-c")
        .arg(CLIENT)
        .arg(&base)
        .arg(format!("[{}]", json_cases.join(", ")));
    let output = peers::run(command, "python", LIMIT).await;
    output.assert_success("python");
    let stdout = output.stdout;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), cases.len(), "{stdout}");
    for ((path, offered, status, protocol, first), line) in cases.iter().zip(&lines) {
        let what = format!("{path} offering {offered:?}: {line}");
        assert!(line.contains(&format!("\"status\": {status}")), "{what}");
        if *status == 101 {
            match protocol {
                Some(p) => {
                    assert!(
                        line.contains(&format!("\"subprotocol\": \"{p}\"")),
                        "{what}"
                    );
                    assert!(line.contains(&format!("\"header\": \"{p}\"")), "{what}");
                }
                None => {
                    assert!(line.contains("\"subprotocol\": null"), "{what}");
                    assert!(line.contains("\"header\": null"), "{what}");
                }
            }
            assert!(line.contains(&format!("\"first\": \"{first}\"")), "{what}");
        }
    }
    server.stop().await;
}
