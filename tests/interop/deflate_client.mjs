// Client on Node's `ws` with perMessageDeflate: sends the message-size matrix and
// compressible JSON to an echo server and checks every echo
// (rfc6455/tests/interop_deflate.rs starts both).
//
//   node deflate_client.mjs URL OFFER
//
// OFFER is `on` (perMessageDeflate with context takeover, every message compressed) or
// `no-context-takeover` (it asks for server_no_context_takeover and offers
// client_no_context_takeover).
//
// Prints `EXTENSIONS <the server's Sec-WebSocket-Extensions answer>`, then `PASS deflate` once every
// echo came back identical; on a mismatch prints `FAIL deflate: <what>` and exits 1 (2 for
// usage, 3 if ws is missing).

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let WebSocket;
try {
  WebSocket = require("ws");
} catch (e) {
  console.log(`FAIL: ws is not installed: run 'npm ci --prefix tests/interop' (scripts/install-peers.sh does it): ${e.message}`);
  process.exit(3);
}

const TIMEOUT_MS = 60_000;
const SIZES = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

function textOf(size, seed) {
  let s = "";
  for (let i = 0; i < size; i += 1) { s += String.fromCharCode(32 + ((i * 7 + seed) % 95)); }
  return s;
}

function binaryOf(size, seed) {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 1) { data[i] = (i * 13 + seed) % 251; }
  return data;
}

function item(i) {
  return JSON.stringify({ id: i, name: `item ${i}`, tags: ["red", "green", "blue"], in_stock: true });
}

class CheckFailed extends Error {}

async function main(url, offer) {
  const deflate = offer === "on"
    ? { threshold: 0 }
    : { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };
  const ws = new WebSocket(url, { maxPayload: 64 << 20, perMessageDeflate: deflate });
  let answer = "";
  ws.once("upgrade", (res) => { answer = res.headers["sec-websocket-extensions"] ?? ""; });
  const queue = [];
  const waiting = [];
  ws.on("message", (data, isBinary) => {
    const message = isBinary ? data : data.toString("utf8");
    const next = waiting.shift();
    if (next) { next(message); } else { queue.push(message); }
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckFailed("no open")), TIMEOUT_MS);
    ws.once("open", () => { clearTimeout(timer); resolve(); });
    ws.once("error", (err) => { clearTimeout(timer); reject(err); });
  });
  console.log(`EXTENSIONS ${answer}`);
  if (!ws.extensions.includes("permessage-deflate")) {
    throw new CheckFailed("the server did not agree to permessage-deflate");
  }
  const recv = () => new Promise((resolve, reject) => {
    if (queue.length > 0) { resolve(queue.shift()); return; }
    const timer = setTimeout(() => reject(new CheckFailed("no echo in time")), TIMEOUT_MS);
    waiting.push((m) => { clearTimeout(timer); resolve(m); });
  });
  const roundtrip = async (message, name) => {
    ws.send(message, { binary: typeof message !== "string", compress: true });
    const got = await recv();
    if (typeof got !== typeof message) { throw new CheckFailed(`${name}: the echo changed type`); }
    const same = typeof message === "string" ? got === message : Buffer.compare(got, message) === 0;
    if (!same) { throw new CheckFailed(`${name}: the echo differs (${got.length} against ${message.length})`); }
  };
  for (const [seed, size] of SIZES.entries()) {
    await roundtrip(textOf(size, seed), `text of ${size}`);
    await roundtrip(binaryOf(size, seed), `binary of ${size}`);
  }
  for (let i = 0; i < 200; i += 1) { await roundtrip(item(i), `json ${i}`); }
  await roundtrip(item(7).repeat(20_000), "large JSON");
  await new Promise((resolve) => { ws.once("close", resolve); ws.close(1000); });
  console.log("PASS deflate");
}

const [url, offer] = process.argv.slice(2);
if (!url || !["on", "no-context-takeover"].includes(offer)) {
  console.log("usage: node deflate_client.mjs URL on|no-context-takeover");
  process.exit(2);
}
main(url, offer).catch((e) => {
  console.log(`FAIL deflate: ${e.message}`);
  process.exit(1);
});
