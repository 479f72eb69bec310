// Headless Chromium as a WebSocket client: opens the interop page (tests/interop/chromium/)
// that our server serves, waits for its checks (interop.js) and prints them.
//
//   node tests/interop/chromium_client.mjs --url http://127.0.0.1:PORT/?sizes=0,1,…
//        [--timeout-ms 90000] [--screenshot /tmp/page.png] [--trust-cert cert.pem]
//
// With --trust-cert, Chromium trusts that server certificate (its public key, by
// --ignore-certificate-errors-spki-list), for a page served over https://.
//
// Uses Debian's /usr/bin/chromium (or $CHROMIUM) through playwright-core, installed in
// tests/browser (scripts/install-peers.sh: apt-get install chromium; npm ci there).
// Prints `OK <check>` / `FAIL <check>: <detail>` for each check of the page, then
// `PASS chromium (<n> checks)` and exits 0 only if every check passed (1 otherwise, 3 if
// a piece is missing). Run by rfc6455/tests/interop_chromium.rs, which starts the server.

import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
// playwright-core is pinned and installed by tests/browser's package-lock.json.
import { CHROMIUM, playwrightChromium, withPage } from "../browser/chromium.mjs";

function parseArgs(argv) {
  const args = { url: null, timeoutMs: 90000, screenshot: null, trustCert: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--url") { args.url = value; }
    else if (key === "--timeout-ms") { args.timeoutMs = Number(value); }
    else if (key === "--screenshot") { args.screenshot = value; }
    else if (key === "--trust-cert") { args.trustCert = value; }
    else { throw new Error(`unknown argument ${key}`); }
  }
  if (!args.url) { throw new Error("--url is required"); }
  return args;
}

function missing(message) {
  console.log(`FAIL setup: ${message}; run scripts/install-peers.sh`);
  process.exit(3);
}

const args = parseArgs(process.argv.slice(2));
if (!existsSync(CHROMIUM)) { missing(`${CHROMIUM} not found (apt-get install chromium)`); }
let chromium;
try {
  chromium = playwrightChromium();
} catch (e) {
  missing(`playwright-core is not installed in tests/browser (npm ci --prefix tests/browser): ${e.message}`);
}

// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what Chromium's
// --ignore-certificate-errors-spki-list takes.
function spkiHash(pemFile) {
  const spki = new X509Certificate(readFileSync(pemFile)).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}
const extraArgs = args.trustCert ? [`--ignore-certificate-errors-spki-list=${spkiHash(args.trustCert)}`] : [];

let results;
let timedOut;
let consoleLines;
let pageErrors;
try {
  ({ value: { results, timedOut }, consoleLines, pageErrors } = await withPage(
    chromium, "rfc6455-interop-chromium-", async (page, context) => {
      const browserVersion = context.browser() ? context.browser().version() : "(persistent context)";
      console.error(`chromium ${browserVersion}`);
      await page.goto(args.url, { timeout: args.timeoutMs });
      let timedOut = false;
      try {
        await page.waitForFunction(() => window.interop && window.interop.done, null, { timeout: args.timeoutMs });
      } catch (e) {
        timedOut = true;
      }
      const results = await page.evaluate(() => (window.interop ? window.interop.results : []));
      if (args.screenshot) { await page.screenshot({ path: args.screenshot, fullPage: true }); }
      return { results, timedOut };
    }, extraArgs));
} catch (e) {
  console.log(`FAIL browser: ${e.stack || e}`);
  process.exit(1);
}

for (const r of results) {
  console.log(`${r.ok ? "OK" : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.detail}`}`);
}
const failed = results.filter((r) => !r.ok).length;
if (timedOut) { console.log(`FAIL page: not done within ${args.timeoutMs} ms`); }
for (const err of pageErrors) { console.log(`FAIL page error: ${err}`); }
if (timedOut || pageErrors.length || failed || results.length === 0) {
  console.error(consoleLines.join("\n"));
  process.exit(1);
}
console.log(`PASS chromium (${results.length} checks)`);
