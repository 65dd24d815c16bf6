// Opens a kafka-finops report in real headless Chromium and checks what a reader's browser would do with it.
//
//   node ci/browser/check.mjs RUN_DIR/index.html SCREENSHOT.png
//
// Prints one JSON object: load time, console errors and page errors, every request that was not the page itself
// (a self-contained report makes none), and whether clicking a sortable table's header sorts it (ascending, then
// descending), and the layout at 1280 and 1920 px (horizontal overflow, rows whose cells do not match their
// header, where the next actions start). Exits 1 when any check fails, 2 on a usage or browser error. The browser is CHROMIUM (default
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

  // The layout at the widths readers use: no horizontal overflow of the page, every table row as many cells as its
  // header (colspans counted), and how far down the next actions start.
  const layout = {};
  for (const width of [1280, 1920]) {
    await page.setViewport({ width, height: 900 });
    layout[width] = await page.evaluate(() => {
      const cells = (row) => Array.from(row.cells).reduce((n, c) => n + c.colSpan, 0);
      const ragged = [];
      for (const table of document.querySelectorAll("table")) {
        const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
        if (!head) continue;
        const want = cells(head);
        const where = (table.closest("section, details") || {}).id || table.closest("section")?.id || "?";
        for (const body of table.tBodies) {
          Array.from(body.rows).forEach((row, i) => {
            if (cells(row) !== want) ragged.push(`${where} row ${i + 1}: ${cells(row)} cells, header ${want}`);
          });
        }
      }
      const root = document.documentElement;
      const wide = Array.from(document.querySelectorAll("body *"))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll"))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}`);
      const actions = document.querySelector("#actions");
      return {
        overflow_px: Math.max(0, root.scrollWidth - window.innerWidth),
        wide,
        ragged: ragged.slice(0, 10),
        ragged_rows: ragged.length,
        actions_top_px: actions ? Math.round(actions.getBoundingClientRect().top + window.scrollY) : null,
      };
    });
  }
  const laidOut = Object.values(layout).every((l) => l.overflow_px === 0 && l.ragged_rows === 0);
  const result = { load_ms: loadMs, console_errors: consoleErrors, requests, sort: sortCheck, layout };
  console.log(JSON.stringify(result));
  process.exitCode = consoleErrors.length === 0 && requests.length === 0 && sortCheck.ok && laidOut ? 0 : 1;
} catch (e) {
  console.error(`browser check failed: ${e}`);
  process.exitCode = 2;
} finally {
  await browser.close();
}
