// Launching Debian's chromium (headless, through playwright-core) for the two drivers:
// tests/browser/browser-test.mjs and tests/interop/chromium_client.mjs. Each keeps its
// own checks and its own messages when a piece is missing.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// playwright-core's `chromium` (pinned by tests/browser/package-lock.json and installed
// next to this file); throws if it is not installed.
export function playwrightChromium() {
  return createRequire(import.meta.url)("playwright-core").chromium;
}

// Runs `body(page, context)` in a headless Chromium with a fresh profile (a temporary
// folder named after `profilePrefix`), collecting the page's console lines and errors.
// Returns `{ value, consoleLines, pageErrors }`, `value` being what `body` returned; the
// browser is closed and the profile removed either way (an error is thrown on).
// `extraArgs` go to Chromium after the usual ones.
export async function withPage(chromium, profilePrefix, body, extraArgs = []) {
  const userDataDir = mkdtempSync(join(tmpdir(), profilePrefix));
  const consoleLines = [];
  const pageErrors = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...ARGS, ...extraArgs],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (msg) => consoleLines.push(msg.text()));
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    const value = await body(page, context);
    return { value, consoleLines, pageErrors };
  } finally {
    if (context) { await context.close().catch(() => {}); }
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
