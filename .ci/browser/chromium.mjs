// What both browser checks share: the plan file the Rust test writes, and Debian's chromium
// started as root in a sandbox without network (no sandbox of its own, nothing beyond
// 127.0.0.1, a fresh profile).
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

/** The JSON plan named by the first argument. */
export function loadPlan() {
  return JSON.parse(readFileSync(process.argv[2], "utf8"));
}

/** Headless chromium for `plan` (its `chromium` path and `profile` folder). */
export function launch(plan, timeout = 30000) {
  return puppeteer.launch({
    executablePath: plan.chromium,
    headless: true,
    timeout,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-data-dir=${plan.profile}`,
    ],
  });
}
