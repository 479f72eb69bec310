// The checks of the Chromium-as-client interop test (rfc6455/tests/interop_chromium.rs),
// run by the browser's own WebSocket against the echo endpoint `/echo` of the server that
// served this page. That endpoint echoes every message, picks the subprotocol `chat` when
// it is offered, and obeys the text commands `close-me` (close 4000 "server says bye"),
// `ping-me:<payload>` (a ping, then the text `PINGED:<payload>`) and `fragments-me:<n>`
// (a text and a binary message sent in <n> frames each).
//
// Query: ?sizes=0,1,125,… (the message sizes, in UTF-8 bytes for text). Each check is
// logged on the page and the console as `OK <name>` or `FAIL <name>: <detail>`;
// `window.interop` holds { done, results: [{ name, ok, detail }] } for the driver.
"use strict";

const TIMEOUT_MS = 60000;
const interop = { done: false, results: [] };
window.interop = interop;

function record(name, ok, detail = "") {
  interop.results.push({ name, ok, detail });
  const line = `${ok ? "OK" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`;
  console.log(line);
  const li = document.createElement("li");
  li.className = ok ? "ok" : "fail";
  li.textContent = line;
  document.getElementById("log").appendChild(li);
}

/** A text of exactly `size` UTF-8 bytes, with 1-, 2- and 3-byte characters. */
function textOf(size) {
  return "aé€".repeat(Math.floor(size / 6)) + "x".repeat(size % 6);
}

function binaryOf(size) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) { data[i] = i % 251; }
  return data;
}

function sameBytes(a, b) {
  if (a.length !== b.length) { return false; }
  for (let i = 0; i < a.length; i += 1) { if (a[i] !== b[i]) { return false; } }
  return true;
}

function describe(value) {
  if (typeof value === "string") {
    return value.length > 40 ? `text of ${new TextEncoder().encode(value).length} bytes` : `text ${JSON.stringify(value)}`;
  }
  if (value instanceof ArrayBuffer) { return `binary of ${value.byteLength} bytes`; }
  return `${value && value.type} event`;
}

/** A connection whose messages and close are queued, to be awaited in order. */
class Conn {
  static open(url, protocols) {
    return new Promise((resolve, reject) => {
      const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
      ws.binaryType = "arraybuffer";
      const conn = new Conn(ws);
      const timer = setTimeout(() => reject(new Error("no open in time")), TIMEOUT_MS);
      ws.onopen = () => { clearTimeout(timer); resolve(conn); };
      ws.onerror = () => { clearTimeout(timer); reject(new Error("the connection failed")); };
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    ws.onmessage = (event) => this.push({ type: "message", data: event.data });
    ws.onclose = (event) => this.push({ type: "close", code: event.code, reason: event.reason, wasClean: event.wasClean });
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) { waiter(item); } else { this.queue.push(item); }
  }

  next() {
    if (this.queue.length) { return Promise.resolve(this.queue.shift()); }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ type: "timeout" }), TIMEOUT_MS);
      this.waiters.push((item) => { clearTimeout(timer); resolve(item); });
    });
  }

  async message() {
    const item = await this.next();
    return item.type === "message" ? item.data : item;
  }

  async expectText(name, expected) {
    const got = await this.message();
    const ok = typeof got === "string" && got === expected;
    record(name, ok, ok ? "" : `expected ${describe(expected)}, got ${describe(got)}`);
  }

  async expectBinary(name, expected) {
    const got = await this.message();
    const ok = got instanceof ArrayBuffer && sameBytes(new Uint8Array(got), expected);
    record(name, ok, ok ? "" : `expected binary of ${expected.length} bytes, got ${describe(got)}`);
  }

  async closed() {
    for (;;) {
      const item = await this.next();
      if (item.type !== "message") { return item; }
    }
  }
}

async function run() {
  const params = new URLSearchParams(location.search);
  const sizes = (params.get("sizes") || "0,1,125,126,65535,65536,1048576,16777216").split(",").map(Number);
  // wss:// on a page served over https:// (HTTP/2 there: the WebSocket is one of its streams).
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/echo`;

  // 1. Offering superchat and chat: the server picks chat.
  const a = await Conn.open(url, ["superchat", "chat"]);
  record("subprotocol-chat", a.ws.protocol === "chat", `protocol ${JSON.stringify(a.ws.protocol)}`);
  // With ?extensions=<value>: what the browser says was agreed (permessage-deflate when
  // the server turns compression on), and a large compressible message round-trips.
  if (params.has("extensions")) {
    const want = params.get("extensions");
    record("extensions", a.ws.extensions === want, `extensions ${JSON.stringify(a.ws.extensions)}`);
    const json = JSON.stringify({ items: Array.from({ length: 40000 }, (_, i) => ({ id: i, ok: true })) });
    a.ws.send(json);
    await a.expectText("compressible-json", json);
  }

  // 2. Every size, text and binary (an ArrayBuffer), echoed unchanged.
  for (const size of sizes) {
    const text = textOf(size);
    a.ws.send(text);
    await a.expectText(`text-${size}`, text);
    const data = binaryOf(size);
    a.ws.send(data.buffer);
    await a.expectBinary(`binary-${size}`, data);
  }

  // 3. Messages the server sends in fragments arrive whole.
  a.ws.send("fragments-me:5");
  await a.expectText("received-fragmented-text", "fragment 0|fragment 1|fragment 2|fragment 3|fragment 4");
  await a.expectBinary("received-fragmented-binary", new Uint8Array([0, 1, 2, 3, 4]));

  // 4. The server pings (the browser answers by itself) and the connection goes on.
  a.ws.send("ping-me:from rfc6455");
  await a.expectText("server-ping", "PINGED:from rfc6455");
  a.ws.send("after ping");
  await a.expectText("after-ping", "after ping");

  // 5. The browser closes with 4000 and a reason; the server echoes the code.
  a.ws.close(4000, "browser says bye");
  const aClosed = await a.closed();
  record("browser-close-4000", aClosed.type === "close" && aClosed.code === 4000 && aClosed.wasClean,
    JSON.stringify(aClosed));

  // 6. No subprotocol offered: none chosen. The server closes with 4000 and a reason.
  const b = await Conn.open(url);
  record("subprotocol-none-offered", b.ws.protocol === "", `protocol ${JSON.stringify(b.ws.protocol)}`);
  b.ws.send("close-me");
  const bClosed = await b.closed();
  record("server-close-4000",
    bClosed.type === "close" && bClosed.code === 4000 && bClosed.reason === "server says bye" && bClosed.wasClean,
    JSON.stringify(bClosed));

  // 7. Only superchat offered: the server picks none, which the browser refuses (the
  //    WebSocket standard fails a connection whose offered subprotocols got no answer).
  const refused = await new Promise((resolve) => {
    const ws = new WebSocket(url, ["superchat"]);
    let opened = false;
    const timer = setTimeout(() => resolve({ type: "timeout" }), TIMEOUT_MS);
    ws.onopen = () => { opened = true; };
    ws.onclose = (event) => {
      clearTimeout(timer);
      resolve({ type: "close", opened, code: event.code, wasClean: event.wasClean });
    };
  });
  record("subprotocol-none-shared-refused",
    refused.type === "close" && !refused.opened && refused.code === 1006 && !refused.wasClean,
    JSON.stringify(refused));

  // 8. A plain connection closed normally by the browser.
  const d = await Conn.open(url);
  d.ws.send("plain");
  await d.expectText("plain-echo", "plain");
  d.ws.close(1000);
  const dClosed = await d.closed();
  record("browser-close-1000", dClosed.type === "close" && dClosed.code === 1000 && dClosed.wasClean,
    JSON.stringify(dClosed));
}

run()
  .catch((e) => record("run", false, String(e && e.stack || e)))
  .finally(() => {
    const failed = interop.results.filter((r) => !r.ok).length;
    document.getElementById("status").textContent =
      `${interop.results.length - failed} passed, ${failed} failed`;
    document.body.dataset.state = "done";
    interop.done = true;
  });
