// Opens a kafka-finops report in real headless Chromium and checks what a reader's browser would do with it.
//
//   node ci/browser/check.mjs RUN_DIR/index.html SCREENSHOT.png
//
// Prints one JSON object: load time, console errors and page errors, every request that was not the page itself
// (a self-contained report makes none), and whether clicking a sortable table's header sorts it (ascending, then
// descending). Exits 1 when any check fails, 2 on a usage or browser error. The browser is CHROMIUM (default
// /usr/bin/chromium, Debian's package), driven through puppeteer-core; it binds nothing to the network.
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const [html, screenshot] = process.argv.slice(2);
if (!html || !screenshot) {
  console.error("usage: node check.mjs RUN_DIR/index.html SCREENSHOT.png");
  process.exit(2);
}
const pageUrl = pathToFileURL(html).href;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
  timeout: 60_000,
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const consoleErrors = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => { if (r.url() !== pageUrl) requests.push(r.url()); });

  const started = Date.now();
  await page.goto(pageUrl, { waitUntil: "load", timeout: 60_000 });
  const loadMs = Date.now() - started;

  // The next-actions table: sort by "Saving / month" (numbers in data-sort) by clicking its header twice.
  const sortCheck = await page.evaluate(async () => {
    const table = document.querySelector("#actions table.sortable");
    if (!table) return { ok: false, why: "no sortable table in #actions" };
    const headers = Array.from(table.tHead.rows[0].cells);
    const index = headers.findIndex((h) => h.textContent.includes("Saving"));
    if (index < 0) return { ok: false, why: "no Saving column" };
    const values = () => Array.from(table.tBodies[0].rows).map((r) => parseFloat(r.cells[index].dataset.sort));
    const sorted = (xs, dir) => xs.every((x, i) => i === 0 || dir * (x - xs[i - 1]) >= 0);
    const before = values();
    headers[index].click();
    const ascending = values();
    headers[index].click();
    const descending = values();
    return {
      ok: before.length > 1 && sorted(ascending, 1) && sorted(descending, -1) &&
        headers[index].getAttribute("aria-sort") === "descending",
      rows: before.length,
      first_ascending: ascending[0],
      first_descending: descending[0],
    };
  });
  await page.screenshot({ path: screenshot, fullPage: false });
  const result = { load_ms: loadMs, console_errors: consoleErrors, requests, sort: sortCheck };
  console.log(JSON.stringify(result));
  process.exitCode = consoleErrors.length === 0 && requests.length === 0 && sortCheck.ok ? 0 : 1;
} catch (e) {
  console.error(`browser check failed: ${e}`);
  process.exitCode = 2;
} finally {
  await browser.close();
}
