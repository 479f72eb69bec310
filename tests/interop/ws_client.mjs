// Client on Node's `ws` package: runs a scenario against our server
// (rfc6455/tests/interop_node.rs starts both).
//
//   node ws_client.mjs URL SCENARIO [ARG]
//
// The server at URL must echo every message unchanged (text as text, binary as binary),
// pick the `chat` subprotocol when it is offered, and obey the text commands
//   close-me            close with 4000 "server says bye"
//   ping-me:<payload>   send a ping with <payload>, then the text `PINGED:<payload>`
//   fragments-me:<n>    send the text "fragment 0|…|fragment n-1" in <n> frames, then the
//                       binary bytes 0..n-1 in <n> frames
//
// Prints `OK <check>` for every check that passed and `PASS <scenario>` at the end; on a
// mismatch prints `FAIL <scenario>: <what>` and exits 1 (2 for usage, 3 if ws is missing).
// `close` also prints `CLOSE_RECEIVED <code> <reason>`: the server's answer to our close.
//
// Scenarios:
//   sizes 0,1,125,…     text and binary messages of each size (UTF-8 bytes for text)
//   fragmented          messages sent in fragments (fin: false), and received in fragments
//   ping                our pings answered with the same payload; the server's pings seen
//   close               we close with 4000 "client says bye"
//   server-close        the server closes with 4000 "server says bye"
//   subprotocol         offers chat; superchat, chat; nothing (opens); superchat (ws fails
//                       the connection: the server picks none)

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let WebSocket;
try {
  WebSocket = require("ws");
} catch (e) {
  console.log(`FAIL: ws is not installed: run 'npm ci --prefix tests/interop' (scripts/install-peers.sh does it): ${e.message}`);
  process.exit(3);
}

const TIMEOUT_MS = 60000;
const MAX_PAYLOAD = 128 * 1024 * 1024;

class CheckFailed extends Error {}

function out(line) { console.log(line); }

function check(ok, what) {
  if (!ok) { throw new CheckFailed(what); }
}

function describe(value) {
  if (typeof value === "string") {
    return value.length > 40 ? `text of ${Buffer.byteLength(value)} bytes` : `text ${JSON.stringify(value)}`;
  }
  return `binary of ${value.length} bytes`;
}

/** A text of exactly `size` UTF-8 bytes, with 1-, 2- and 3-byte characters. */
function textOf(size) {
  const text = "aé€".repeat(Math.floor(size / 6)) + "x".repeat(size % 6);
  check(Buffer.byteLength(text) === size, `textOf(${size})`);
  return text;
}

function binaryOf(size) {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 1) { data[i] = i % 251; }
  return data;
}

/** An open connection with a queue of incoming messages and events. */
class Peer {
  static async open(url, protocols) {
    const ws = new WebSocket(url, protocols, { maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
    const peer = new Peer(ws);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new CheckFailed(`no open within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      ws.once("open", () => { clearTimeout(timer); resolve(); });
      ws.once("error", (err) => { clearTimeout(timer); reject(err); });
      ws.once("unexpected-response", (_req, res) => {
        clearTimeout(timer);
        reject(new CheckFailed(`handshake answered ${res.statusCode}`));
      });
    });
    return peer;
  }

  constructor(ws) {
    this.ws = ws;
    this.events = [];
    this.waiters = [];
    ws.on("message", (data, isBinary) => this.push({ type: "message", value: isBinary ? data : data.toString("utf8") }));
    ws.on("ping", (data) => this.push({ type: "ping", value: data }));
    ws.on("pong", (data) => this.push({ type: "pong", value: data }));
    ws.on("close", (code, reason) => this.push({ type: "close", value: { code, reason: reason.toString("utf8") } }));
    ws.on("error", (err) => this.push({ type: "error", value: err }));
  }

  push(event) {
    this.events.push(event);
    for (const wake of this.waiters.splice(0)) { wake(); }
  }

  /**
   * The first event of `type`, in arrival order; events of other types stay queued for
   * later calls (a pong may overtake a message). An error or a close fails it.
   */
  async expect(type, what) {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type || e.type === "error" || e.type === "close");
      if (i >= 0) {
        const [event] = this.events.splice(i, 1);
        if (event.type === "error") { throw new CheckFailed(`${what}: error ${event.value.message}`); }
        check(event.type === type, `${what}: expected ${type}, got ${event.type} ${JSON.stringify(event.value)}`);
        return event.value;
      }
      const left = deadline - Date.now();
      check(left > 0, `${what}: no ${type} within ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  send(data, options = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, options, (err) => (err ? reject(err) : resolve())));
  }

  async roundtrip(message, name) {
    await this.send(message, { binary: typeof message !== "string" });
    await this.expectMessage(message, name);
  }

  async expectMessage(expected, name) {
    const got = await this.expect("message", name);
    check(typeof got === typeof expected, `${name}: sent ${describe(expected)}, got ${describe(got)}`);
    const same = typeof got === "string" ? got === expected : Buffer.compare(got, expected) === 0;
    check(same, `${name}: sent ${describe(expected)}, got different ${describe(got)}`);
    out(`OK ${name}`);
  }

  async closeNormally() {
    this.ws.close(1000);
    const closed = await this.expect("close", "the close handshake");
    check(closed.code === 1000, `closed with ${closed.code}, not 1000`);
  }
}

// ------------------------------------------------------------------ scenarios

async function scenarioSizes(url, arg) {
  const sizes = (arg || "0,1,125,126,65535,65536,1048576,16777216").split(",").map(Number);
  const peer = await Peer.open(url);
  for (const size of sizes) {
    await peer.roundtrip(textOf(size), `text-${size}`);
    await peer.roundtrip(binaryOf(size), `binary-${size}`);
  }
  await peer.closeNormally();
}

async function scenarioFragmented(url) {
  const peer = await Peer.open(url);
  // Sent in fragments: ws sends the first frame with the message's opcode, the rest as
  // continuations, and `fin: true` on the last.
  const send = (parts, binary) => Promise.all(parts.map((part, i) => peer.send(part, { binary, fin: i === parts.length - 1 })));
  await send(["Hel", "lo, ", "wörld"], false);
  await peer.expectMessage("Hello, wörld", "fragmented-text");
  await send([Buffer.from([0, 1]), Buffer.alloc(0), Buffer.from([2, 255])], true);
  await peer.expectMessage(Buffer.from([0, 1, 2, 255]), "fragmented-binary");
  // A character split across fragments: UTF-8 is checked over the whole message.
  await send([Buffer.from("caf\xc3", "latin1"), Buffer.from("\xa9 \xe2\x82", "latin1"), Buffer.from("\xac", "latin1")], false);
  await peer.expectMessage("café €", "fragmented-split-utf8");
  // Many fragments, with a ping in the middle (control frames may interleave).
  const part = binaryOf(1000);
  const sends = [];
  for (let i = 0; i < 1000; i += 1) {
    if (i === 500) { peer.ws.ping(Buffer.from("mid-message")); }
    sends.push(peer.send(part, { binary: true, fin: i === 999 }));
  }
  await Promise.all(sends);
  check((await peer.expect("pong", "the pong of the ping in the middle")).toString() === "mid-message", "pong payload");
  await peer.expectMessage(Buffer.concat(Array(1000).fill(part)), "fragmented-1000x1000");
  // Received in fragments: the server sends them with send_fragment.
  await peer.send("fragments-me:5");
  await peer.expectMessage("fragment 0|fragment 1|fragment 2|fragment 3|fragment 4", "received-fragmented-text");
  await peer.expectMessage(Buffer.from([0, 1, 2, 3, 4]), "received-fragmented-binary");
  await peer.roundtrip("after fragments", "after-fragments");
  await peer.closeNormally();
}

async function scenarioPing(url) {
  const peer = await Peer.open(url);
  for (const [name, payload] of [["ping-text", "interop-ping"], ["ping-empty", ""], ["ping-125", "p".repeat(125)]]) {
    peer.ws.ping(Buffer.from(payload));
    const pong = await peer.expect("pong", name);
    check(pong.toString() === payload, `${name}: pong payload ${JSON.stringify(pong.toString())}`);
    out(`OK ${name}`);
  }
  // A ping between messages does not disturb them.
  await peer.send("before");
  peer.ws.ping(Buffer.from("between"));
  await peer.expectMessage("before", "message-before-pong");
  check((await peer.expect("pong", "pong-between")).toString() === "between", "pong-between payload");
  out("OK pong-between");
  // The server pings us: ws answers it by itself.
  await peer.send("ping-me:from the server");
  const ping = await peer.expect("ping", "server-ping");
  check(ping.toString() === "from the server", `server ping payload ${JSON.stringify(ping.toString())}`);
  await peer.expectMessage("PINGED:from the server", "server-ping");
  await peer.roundtrip("after ping", "after-ping");
  await peer.closeNormally();
}

async function scenarioClose(url) {
  const peer = await Peer.open(url);
  await peer.roundtrip("before close", "before-close");
  peer.ws.close(4000, "client says bye");
  const closed = await peer.expect("close", "the server's close answer");
  out(`CLOSE_RECEIVED ${closed.code} ${closed.reason}`);
  check(closed.code === 4000, `server answered our close 4000 with ${closed.code} ${JSON.stringify(closed.reason)}`);
  out("OK close-echoed");
}

async function scenarioServerClose(url) {
  const peer = await Peer.open(url);
  await peer.send("close-me");
  const closed = await peer.expect("close", "the server's close");
  out(`CLOSE_RECEIVED ${closed.code} ${closed.reason}`);
  check(closed.code === 4000 && closed.reason === "server says bye", `server closed with ${closed.code} ${JSON.stringify(closed.reason)}`);
  out("OK server-close");
}

async function scenarioSubprotocol(url) {
  const cases = [
    [["chat"], "chat"],
    [["superchat", "chat"], "chat"],
    [undefined, ""],
  ];
  for (const [offer, want] of cases) {
    const peer = await Peer.open(url, offer);
    check(peer.ws.protocol === want, `offered ${JSON.stringify(offer)}: got ${JSON.stringify(peer.ws.protocol)}, want ${JSON.stringify(want)}`);
    await peer.roundtrip(`offered ${JSON.stringify(offer ?? [])}`, `subprotocol-${JSON.stringify(offer ?? [])}`);
    await peer.closeNormally();
  }
  // The server speaks none of the offered subprotocols and picks none (RFC 6455 allows
  // it): ws, unlike browsers, then fails the connection itself.
  try {
    const peer = await Peer.open(url, ["superchat"]);
    throw new CheckFailed(`offered superchat: opened with ${JSON.stringify(peer.ws.protocol)}`);
  } catch (e) {
    if (e instanceof CheckFailed) { throw e; }
    check(/no subprotocol/i.test(e.message), `offered superchat: failed with ${e.message}`);
    out(`OK subprotocol-none-shared (ws: ${e.message})`);
  }
}

const SCENARIOS = {
  sizes: scenarioSizes,
  fragmented: scenarioFragmented,
  ping: scenarioPing,
  close: scenarioClose,
  "server-close": scenarioServerClose,
  subprotocol: scenarioSubprotocol,
};

const [url, scenario, arg] = process.argv.slice(2);
if (!url || !SCENARIOS[scenario]) {
  console.error(`usage: node ws_client.mjs URL {${Object.keys(SCENARIOS).join("|")}} [ARG]`);
  process.exit(2);
}
try {
  await SCENARIOS[scenario](url, arg);
  out(`PASS ${scenario}`);
  process.exit(0);
} catch (e) {
  out(`FAIL ${scenario}: ${e instanceof CheckFailed ? e.message : e.stack || e}`);
  process.exit(1);
}
