// Drives Debian's chromium (headless, through playwright-core) against the demo server's
// page and checks the exchange the page shows.
//
//   node tests/browser/browser-test.mjs --url http://127.0.0.1:8081/ [--protocol subprotocol]
//        [--ws ws://127.0.0.1:8081/test] [--expect exchange|refused]
//        [--screenshot /tmp/page.png] [--timeout-ms 45000]
//
// --url may also be the page's file:// URL (the page opened from the file system); --ws
// then tells it where to connect (its ?url= parameter).
//
// With --expect exchange (the default) the page must show, read from its DOM (and the
// console must log the same):
//   - the connection opened, with the subprotocol asked for (or none);
//   - "Hi there" sent and answered (You said: "Hi there");
//   - ten messages received before "goodbye" is sent;
//   - "Goodbye!" received after it;
//   - the close seen: code 1000, clean;
//   - with --protocol subprotocol, "This is the subprotocol handler" as the first message.
// With --expect refused (a subprotocol the server does not speak): the connection fails
// (close code 1006, not clean) without any message.
// Prints one JSON line with what it read, then PASS or FAIL lines; exits 0 only on PASS.
// Run by rfc6455/tests/browser.rs, which starts the demo server.

import { existsSync } from "node:fs";
import { CHROMIUM, playwrightChromium, withPage } from "./chromium.mjs";

function parseArgs(argv) {
  const args = { url: null, protocol: null, ws: null, expect: "exchange", screenshot: null, timeoutMs: 45000 };
  for (let i = 0; i < argv.length; i += 1) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--url") { args.url = value; i += 1; }
    else if (key === "--protocol") { args.protocol = value; i += 1; }
    else if (key === "--ws") { args.ws = value; i += 1; }
    else if (key === "--expect") { args.expect = value; i += 1; }
    else if (key === "--screenshot") { args.screenshot = value; i += 1; }
    else if (key === "--timeout-ms") { args.timeoutMs = Number(value); i += 1; }
    else { throw new Error(`unknown argument ${key}`); }
  }
  if (!args.url) { throw new Error("--url is required"); }
  if (!["exchange", "refused"].includes(args.expect)) { throw new Error("--expect: exchange or refused"); }
  return args;
}

function fail(message) {
  console.log(`FAIL: ${message}`);
  process.exit(1);
}

const args = parseArgs(process.argv.slice(2));

if (!existsSync(CHROMIUM)) {
  fail(`${CHROMIUM} not found: install Debian's chromium (scripts/install-peers.sh does it)`);
}
let chromium;
try {
  chromium = playwrightChromium();
} catch (e) {
  fail(`playwright-core is not installed: run 'npm ci --prefix tests/browser' (${e.message})`);
}

let result;
let consoleLines;
let pageErrors;
try {
  ({ value: result, consoleLines, pageErrors } = await withPage(chromium, "rfc6455-chromium-", async (page) => {
    const url = new URL(args.url);
    if (args.protocol) { url.searchParams.set("protocol", args.protocol); }
    if (args.ws) { url.searchParams.set("url", args.ws); }
    await page.goto(url.toString(), { timeout: args.timeoutMs });
    let timedOut = false;
    try {
      await page.waitForFunction(() => document.body.dataset.state === "closed" ||
        document.body.dataset.state === "error", null, { timeout: args.timeoutMs });
    } catch (e) {
      timedOut = true;
    }
    const read = await page.evaluate(() => ({
      title: document.title,
      state: document.body.dataset.state || null,
      status: document.getElementById("status").textContent,
      items: Array.from(document.querySelectorAll("#log li")).map((li) => ({
        kind: li.className, text: li.textContent,
      })),
    }));
    read.timedOut = timedOut;
    if (args.screenshot) {
      await page.screenshot({ path: args.screenshot, fullPage: true });
    }
    return read;
  }));
} catch (e) {
  fail(`browser: ${e.stack || e}`);
}

result.console = consoleLines;
result.pageErrors = pageErrors;
console.log(JSON.stringify(result));

// ---- the checks
const problems = [];
const check = (ok, what) => { if (!ok) { problems.push(what); } };
const items = result.items;
const indexOf = (pred) => items.findIndex(pred);
const received = items.filter((i) => i.kind === "received");
const wanted = args.protocol || "none";

if (args.expect === "refused") {
  check(!result.timedOut, `the page reached a final state within ${args.timeoutMs} ms (state: ${result.state})`);
  check(pageErrors.length === 0, `no JavaScript errors (${pageErrors.join("; ")})`);
  check(!items.some((i) => i.kind === "open"), "the connection never opened");
  check(received.length === 0, `no message received (saw ${received.length})`);
  const close = items.find((i) => i.kind === "close");
  check(close && close.text.startsWith("Closed: code 1006") && close.text.includes("(not clean)"),
    `the failure seen as close 1006 (${close ? close.text : "no close"})`);
  if (problems.length) {
    for (const p of problems) { console.log(`FAIL: ${p}`); }
    process.exit(1);
  }
  console.log(`PASS: subprotocol ${wanted} refused; the page saw close 1006`);
  process.exit(0);
}


check(!result.timedOut, `the page reached the closed state within ${args.timeoutMs} ms (state: ${result.state})`);
check(pageErrors.length === 0, `no JavaScript errors (${pageErrors.join("; ")})`);
const opened = items.find((i) => i.kind === "open");
check(opened && opened.text.includes(`subprotocol: ${wanted})`), `opened with subprotocol ${wanted}`);
const hiSent = indexOf((i) => i.kind === "sent" && i.text === "Sent: Hi there");
check(hiSent >= 0, "\"Hi there\" sent");
check(received.some((i) => i.text.endsWith(": You said: \"Hi there\"")), "\"Hi there\" answered with You said: \"Hi there\"");
const goodbyeSent = indexOf((i) => i.kind === "sent" && i.text === "Sent: goodbye");
check(goodbyeSent >= 0, "\"goodbye\" sent");
const beforeGoodbye = items.slice(0, Math.max(goodbyeSent, 0)).filter((i) => i.kind === "received");
check(beforeGoodbye.length === 10, `ten messages before goodbye (saw ${beforeGoodbye.length})`);
const goodbyeAnswered = indexOf((i) => i.kind === "received" && i.text.endsWith(": Goodbye!"));
check(goodbyeAnswered > goodbyeSent, "\"Goodbye!\" received after goodbye");
const closed = indexOf((i) => i.kind === "close");
check(closed > goodbyeAnswered, "the close seen after Goodbye!");
check(closed >= 0 && items[closed].text.startsWith("Closed: code 1000") && items[closed].text.includes("(clean)"),
  `closed cleanly with 1000 (${closed >= 0 ? items[closed].text : "no close"})`);
check(result.status.startsWith("Closed: code 1000"), `the status line shows the close (${result.status})`);
if (args.protocol === "subprotocol") {
  check(received.length > 0 && received[0].text === "Received #1: This is the subprotocol handler",
    "the first message is \"This is the subprotocol handler\"");
}
check(consoleLines.some((l) => l.startsWith("[sent] Sent: Hi there")) &&
  consoleLines.some((l) => l.startsWith("[close] Closed: code 1000")), "the console logged the exchange too");

if (problems.length) {
  for (const p of problems) { console.log(`FAIL: ${p}`); }
  process.exit(1);
}
console.log(`PASS: ${received.length} messages, goodbye, Goodbye!, close 1000 (subprotocol: ${wanted})`);
