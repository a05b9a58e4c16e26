// Loads baoluu's status page in headless Chromium for tests/web.rs (issue 19).
//
// Usage: node status-check.mjs PLAN.json
// The plan (written by the Rust test) names the browser, the status page's base URL, the pages
// to load, the portal page whose replay link to follow and the title it must show in pywb.
// Checks: every page answers 200 with no console error, no page error and no dialog (a hostile
// title that ran as script would open one); a screenshot of "/" goes to plan.screenshot; the
// hostile title shows as text; the replay link opens the archived article in pywb. Waits are on
// expected content with a deadline, never a fixed sleep. Exits 1 naming the failed check.
import { launch, loadPlan } from "./chromium.mjs";

const plan = loadPlan();
const deadline = plan.timeout_ms ?? 60000;


// A page of ours: every console error, page error and dialog is a failure.
async function open(browser, path, problems) {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${path}: console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${path}: page error: ${e.message}`));
  page.on("dialog", async (d) => { problems.push(`${path}: dialog: ${d.message()}`); await d.dismiss(); });
  const response = await page.goto(plan.base + path, { waitUntil: "load", timeout: deadline });
  if (response.status() !== 200) problems.push(`${path}: status ${response.status()}`);
  return page;
}

// The replay (pywb frames the archived page in an iframe) whose body shows `text`.
async function waitForReplay(page, text) {
  const start = Date.now();
  let seen = "";
  while (Date.now() - start < deadline) {
    for (const frame of page.frames()) {
      const body = await frame.evaluate(() => (document.body ? document.body.innerText : "")).catch(() => "");
      if (body.includes(text) && frame !== page.mainFrame()) return frame.url();
      if (body) seen = body.slice(0, 200);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`replay never showed ${JSON.stringify(text)}; last seen ${JSON.stringify(seen)}`);
}

const browser = await launch(plan);
const problems = [];
let code = 0;
try {
  for (const path of plan.pages) {
    const page = await open(browser, path, problems);
    if (path === "/") await page.screenshot({ path: plan.screenshot, fullPage: true });
    await page.close();
  }
  const page = await open(browser, plan.portal, problems);
  const text = await page.evaluate(() => document.body.innerText);
  if (!text.includes(plan.hostile)) problems.push(`${plan.portal}: the hostile title is not shown as text`);
  const href = await page.evaluate((title) => {
    const a = [...document.querySelectorAll("td a")].find((x) => x.textContent === title);
    return a ? a.href : null;
  }, plan.expect);
  if (!href) throw new Error(`${plan.portal}: no replay link for ${plan.expect}`);
  await Promise.all([page.waitForNavigation({ timeout: deadline }), page.click(`a[href="${href}"]`)]);
  const frameUrl = await waitForReplay(page, plan.expect);
  if (problems.length) throw new Error(problems.join("\n"));
  console.log(JSON.stringify({ ok: true, replay: href, frame: frameUrl }));
} catch (err) {
  console.error(`status page check failed: ${err.message}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
