// Echo server on Node's `ws` package: the peer of our client (rfc6455/tests/interop_node.rs).
//
//   node ws_echo_server.mjs [--host 127.0.0.1] [--port 0] [--deflate off|on|no-context-takeover]
//
// Prints `PORT <n>` once listening. Echoes every message unchanged (text as text, binary
// as binary, messages up to 128 MiB), picks the `chat` subprotocol when it is offered
// (none otherwise), and obeys these text commands instead of echoing them:
//
//   close-me            close with 4000 "server says bye"
//   ping-me:<payload>   send a ping with <payload>; the pong is reported back as the text
//                       message `PONG:<payload>`
//   fragments-me:<n>    send the text "fragment 0|fragment 1|…" in <n> frames, then the
//                       binary bytes 0..n-1 in <n> frames (fin: false on all but the last)
//
// Every ping it receives is reported back as the text message `PING:<payload>` (after ws
// has answered it). When a connection ends it prints `CLOSED <code> <reason>`: the close
// code and reason it received (1005: a close without a status, 1006: no close at all).

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let WebSocketServer;
try {
  ({ WebSocketServer } = require("ws"));
} catch (e) {
  console.error(`ws is not installed: run 'npm ci --prefix tests/interop' (scripts/install-peers.sh does it): ${e.message}`);
  process.exit(3);
}

function parseArgs(argv) {
  const args = { host: "127.0.0.1", port: 0, deflate: "off" };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--host") { args.host = argv[i + 1]; }
    else if (argv[i] === "--port") { args.port = Number(argv[i + 1]); }
    else if (argv[i] === "--deflate") { args.deflate = argv[i + 1]; } // off | on | no-context-takeover
    else { throw new Error(`unknown argument ${argv[i]}`); }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const version = require("ws/package.json").version;

const server = new WebSocketServer({
  host: args.host,
  port: args.port,
  maxPayload: 128 * 1024 * 1024,
  // permessage-deflate: off by default; on (threshold 0: every message compressed); or
  // on without context takeover on either side.
  perMessageDeflate:
    args.deflate === "off"
      ? false
      : {
          threshold: 0,
          serverNoContextTakeover: args.deflate === "no-context-takeover",
          clientNoContextTakeover: args.deflate === "no-context-takeover",
        },
  handleProtocols: (protocols) => (protocols.has("chat") ? "chat" : false),
});

function sendFragments(ws, n) {
  const parts = Array.from({ length: n }, (_, i) => `fragment ${i}`);
  parts.forEach((part, i) => {
    const last = i === n - 1;
    ws.send(last ? part : `${part}|`, { binary: false, fin: last });
  });
  for (let i = 0; i < n; i += 1) {
    ws.send(Buffer.from([i % 256]), { binary: true, fin: i === n - 1 });
  }
}

server.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString("utf8");
      if (text === "close-me") {
        ws.close(4000, "server says bye");
        return;
      }
      if (text.startsWith("ping-me:")) {
        ws.ping(Buffer.from(text.slice("ping-me:".length), "utf8"));
        return;
      }
      if (text.startsWith("fragments-me:")) {
        sendFragments(ws, Number(text.slice("fragments-me:".length)));
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on("ping", (payload) => ws.send(`PING:${payload.toString("utf8")}`));
  ws.on("pong", (payload) => ws.send(`PONG:${payload.toString("utf8")}`));
  ws.on("error", (err) => console.error(`connection error: ${err.message}`));
  ws.on("close", (code, reason) => {
    console.log(`CLOSED ${code} ${reason.toString("utf8")}`);
  });
});

server.on("listening", () => {
  console.error(`ws ${version} echo server (node ${process.version})`);
  console.log(`PORT ${server.address().port}`);
});

server.on("error", (err) => {
  console.error(`server error: ${err.message}`);
  process.exit(1);
});

// End with the parent: stdin is a pipe from the test; when it closes, exit.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
