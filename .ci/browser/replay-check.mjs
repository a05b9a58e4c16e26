// Drives ReplayWeb.page in headless Chromium for tests/replayweb.rs (issue 20).
//
// Usage: node replay-check.mjs PLAN.json
// The plan (written by the Rust test) names the browser, the app URL, the WACZ URL and the
// checks: texts the page list must show, articles (optionally at a capture time `ts`) whose
// replay frame must show given texts,
// an image whose archived bytes must load inside the replay, a redirect, the Resources tab.
// Every wait is on expected content with a deadline, never a fixed sleep. On failure a
// screenshot goes to plan.screenshot and the script exits 1 naming the check; on success it
// prints one JSON line of timings (ms) and exits 0.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { launch, loadPlan } from "./chromium.mjs";

const plan = loadPlan();
const deadline = plan.timeout_ms ?? 60000;


// Text of a document including every open shadow root (the app is built of web components).
function deepText() {
  const parts = [];
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
      else walk(child);
    }
  };
  walk(document);
  return parts.join(" ");
}

async function waitForText(page, texts, what) {
  const start = Date.now();
  while (Date.now() - start < deadline) {
    const text = await page.evaluate(deepText).catch(() => "");
    if (texts.every((t) => text.includes(t))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: never showed ${JSON.stringify(texts)}`);
}

// The replay frame (served by the service worker under /w/) whose body shows all `texts`.
async function waitForReplay(page, texts, what) {
  const start = Date.now();
  let seen = "";
  while (Date.now() - start < deadline) {
    for (const frame of page.frames()) {
      if (!frame.url().includes("/w/")) continue;
      const text = await frame
        .evaluate(() => (document.body ? document.body.innerText : ""))
        .catch(() => "");
      if (texts.every((t) => text.includes(t))) return frame;
      if (text) seen = text.slice(0, 300);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: the replay never showed ${JSON.stringify(texts)}; last seen: ${JSON.stringify(seen)}`);
}

function view(params) {
  const hash = new URLSearchParams(params).toString();
  return `${plan.app}/?source=${encodeURIComponent(plan.wacz)}#${hash}`;
}

// The bytes the replay serves for the article's first image, fetched from inside the frame.
async function imageHex(frame) {
  return frame.evaluate(async () => {
    const img = document.querySelector("img");
    if (!img) return "no <img> in the replayed page";
    const resp = await fetch(img.src);
    if (!resp.ok) return `status ${resp.status} for ${img.src}`;
    const bytes = new Uint8Array(await resp.arrayBuffer());
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  });
}

async function run(page, timings) {
  const t0 = Date.now();
  await page.goto(view({ view: "pages" }), { waitUntil: "domcontentloaded" });
  await waitForText(page, plan.page_titles, "page list");
  timings.page_list_ms = Date.now() - t0;
  for (const [n, article] of plan.articles.entries()) {
    const t1 = Date.now();
    // `ts` opens one capture (a revisit's time); without it the viewer picks the newest.
    const params = { view: "replay", url: article.url };
    if (article.ts) params.ts = article.ts;
    // A full load for each article: going from one replay URL to the next changes only the
    // hash, a same-document navigation the app missed once under load (the frame kept the
    // previous article).
    await page.goto("about:blank");
    await page.goto(view(params), { waitUntil: "domcontentloaded" });
    const frame = await waitForReplay(page, article.texts, `article ${article.url}`);
    if (n === 0) timings.first_article_ms = Date.now() - t0;
    timings[`article_${n}_ms`] = Date.now() - t1;
    if (article.content_type) {
      // The replay answers with the original's type (not a bare 304's headers, not sniffed).
      const got = await frame.evaluate(async () => {
        const resp = await fetch(location.href);
        return `${resp.status} ${resp.headers.get("content-type")}`;
      });
      if (got !== article.content_type) {
        throw new Error(`${article.url}: replayed as ${got}, not ${article.content_type}`);
      }
    }
    if (article.image_hex) {
      const got = await imageHex(frame);
      if (got !== article.image_hex) {
        throw new Error(`image of ${article.url}: expected ${article.image_hex}, got ${got}`);
      }
    }
  }
  if (plan.resources_texts) {
    await page.goto(view({ view: "resources" }), { waitUntil: "domcontentloaded" });
    await waitForText(page, plan.resources_texts, "Resources tab");
  }
}

const browser = await launch(plan, deadline);
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 900 });
const timings = {};
let failed = null;
try {
  await run(page, timings);
} catch (e) {
  failed = e;
  try {
    mkdirSync(dirname(plan.screenshot), { recursive: true });
    await page.screenshot({ path: plan.screenshot, fullPage: true });
  } catch (_) {
    // The failure itself is what matters.
  }
}
await browser.close();
if (failed) {
  console.error(`FAILED: ${failed.message}\nscreenshot: ${plan.screenshot}`);
  process.exit(1);
}
console.log(JSON.stringify(timings));
