// Drives Atrium's web console in Debian's chromium and prints one JSON line of what it saw:
// - the plugins, a crashed-and-restarted process plugin's crash and restart counts and last error,
//   a failed plugin's row offering Start (clicked: the plugin is launched again), the plugin folder's
//   refused and failed files;
// - a refresh keeps the button under the pointer, the focus and the selected text; a press held
//   across a refresh and quick clicks across refreshes each reach the server (counted by the caller);
// - with the API unreachable (its requests refused) a banner says since when, and goes once it is back;
// - at 375 px the page does not scroll sideways and every button can be seen and hit;
// - a row's transport links to the list of that transport's plugins alone;
// - every console error, page error (an unhandled rejection) and CSP violation.
// Usage: node console-check.mjs BASE_URL TOKEN SCREENSHOT.png   (the narrow screenshot: SCREENSHOT-375.png)
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"]
});
const seen = { millis: {}, consoleErrors: [], outageConsoleErrors: [], pageErrors: [], failures: [] };
let outage = false;

/** Runs one check; a failure is recorded (the caller asserts on it), and the next checks still run. */
async function check(name, body) {
  const start = Date.now();
  try {
    await body();
  } catch (e) {
    seen.failures.push(name + ": " + String(e.message || e).split("\n")[0]);
  }
  seen.millis[name] = Date.now() - start; // for whoever keeps the test short
}

let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
  page.on("console", m => { if (m.type() === "error") (outage ? seen.outageConsoleErrors : seen.consoleErrors).push(m.text()); });
  page.on("pageerror", e => seen.pageErrors.push(String(e)));
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation",
    e => (window.cspViolations = window.cspViolations || []).push(e.violatedDirective + " " + e.blockedURI)));
  const posts = { sent: 0, answered: 0 };
  page.on("request", r => { if (r.method() === "POST" && r.url().endsWith("/api/plugins/english:reload")) posts.sent++; });
  page.on("response", r => { if (r.request().method() === "POST" && r.url().endsWith("/api/plugins/english:reload")) posts.answered++; });

  /** Waits for a refresh that starts after this call to be answered, then for it to be rendered. */
  async function nextRefresh() {
    const started = page.waitForEvent("request", { predicate: r => r.url().endsWith("/api/deploys"), timeout: 15000 });
    const request = await started;
    await page.waitForEvent("requestfinished", { predicate: r => r === request, timeout: 15000 });
    await page.evaluate(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  /** The cell of a plugin's row under a column's header. */
  const cellOf = (plugin, column) => page.evaluate(([plugin, column]) => {
    const i = [...document.querySelectorAll("#plugins thead th")].findIndex(th => th.textContent === column);
    const tr = document.querySelector(`#plugins tr[data-plugin="${plugin}"]`);
    return i < 0 || !tr ? null : tr.cells[i].textContent;
  }, [plugin, column]);
  const reloadEnglish = 'button[data-plugin="english"][data-action="reload"]';

  await page.goto(base, { waitUntil: "load" });            // "/" redirects to the console's page
  seen.url = page.url();
  await page.waitForSelector('tr[data-plugin="english"]');
  await page.waitForSelector('tr[data-plugin="uzbek"]');
  await page.waitForSelector('tr[data-plugin="crashy"]');
  await page.waitForSelector('tr[data-plugin="doomed"]');
  seen.plugins = await page.$$eval("#plugins tbody tr", trs => trs.map(tr => tr.dataset.plugin));
  seen.englishRow = await page.$eval('tr[data-plugin="english"]', tr => [...tr.cells].slice(0, 5).map(td => td.textContent));
  await check("files", async () => {
    await page.waitForSelector('#files tr[data-file="broken.jar"]', { timeout: 10000 });
    seen.brokenRow = await page.$eval('#files tr[data-file="broken.jar"]', tr => [...tr.cells].map(td => td.textContent));
    await page.waitForSelector('#files tr[data-file="doomed.plugin.json"]', { timeout: 10000 });
    seen.doomedFileRow = await page.$eval('#files tr[data-file="doomed.plugin.json"]', tr => [...tr.cells].map(td => td.textContent));
  });
  await check("crashes", async () => {
    seen.crashy = { state: await cellOf("crashy", "State"), crashes: await cellOf("crashy", "Crashes"),
      restarts: await cellOf("crashy", "Restarts"), problem: await cellOf("crashy", "Problem / last error") };
  });
  await page.fill("#token", token);
  await page.dispatchEvent("#token", "change");

  // a failed plugin offers Start (and no Stop); a click on it launches the plugin again
  await check("failed", async () => {
    seen.doomedActions = await page.$$eval('button[data-plugin="doomed"]', bs => bs.map(b => b.dataset.action));
    await page.click('button[data-plugin="doomed"][data-action="start"]', { timeout: 5000 });
    // the answer, not the "start doomed…" said while the request runs
    // a locator, matched by Playwright's own script: a predicate run in the page was once refused by the page's CSP (no eval)
    await page.locator("#status", { hasText: /^start doomed(:| failed)/ }).waitFor({ timeout: 20000 });
    seen.doomedStartStatus = await page.textContent("#status");
  });

  // a refresh keeps the element under the pointer, the focus and the selection
  await check("in place", async () => {
    await page.evaluate(sel => {
      window.keptButton = document.querySelector(sel);
      window.keptButton.focus();
      const cell = document.querySelector('#plugins tr[data-plugin="uzbek"]').cells[0];
      const range = document.createRange();
      range.selectNodeContents(cell);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }, reloadEnglish);
    await nextRefresh();
    seen.inPlace = await page.evaluate(sel => ({
      sameButton: document.querySelector(sel) === window.keptButton,
      focused: document.activeElement === window.keptButton,
      selection: getSelection().toString()
    }), reloadEnglish);
  });

  // clicks across refreshes: one press held while a refresh lands, then quick ones
  seen.reloadClicks = 0;
  await check("held click", async () => {
    const box = await page.locator(reloadEnglish).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    seen.reloadClicks++;
    await nextRefresh();
    await page.mouse.up();
  });
  await check("quick clicks", async () => {
    const box = await page.locator(reloadEnglish).boundingBox();
    for (let i = 0; i < 12; i++) {
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 40 });
      seen.reloadClicks++;
      await page.waitForTimeout(120); // a person's pace: the clicks span a refresh
    }
  });
  await check("answers", async () => {
    const deadline = Date.now() + 60000;
    while (posts.answered < posts.sent && Date.now() < deadline) await page.waitForTimeout(100);
    seen.reloadPosts = posts.sent;
    seen.reloadAnswers = posts.answered;
    await page.waitForFunction(() => /^reload english: /.test(document.getElementById("status").textContent), null, { timeout: 20000 });
    seen.status = await page.textContent("#status");
  });
  await check("doomed relaunched", async () => {
    await page.waitForFunction(() => {
      const i = [...document.querySelectorAll("#plugins thead th")].findIndex(th => th.textContent === "Crashes");
      return i >= 0 && document.querySelector('#plugins tr[data-plugin="doomed"]').cells[i].textContent === "2";
    }, null, { timeout: 20000 });
    seen.doomedCrashesAfterStart = await cellOf("doomed", "Crashes");
  });
  await page.screenshot({ path: screenshot, fullPage: true });

  // the server unreachable: a banner says since when; a click then is an error line, not an unhandled rejection
  await check("outage", async () => {
    outage = true;
    await page.route("**/api/**", route => route.abort("connectionrefused"));
    await page.click(reloadEnglish);
    await page.waitForSelector("#stale", { state: "visible", timeout: 10000 });
    seen.banner = await page.textContent("#stale");
    seen.outageStatus = await page.textContent("#status");
    await page.unroute("**/api/**");
    await page.waitForSelector("#stale", { state: "hidden", timeout: 10000 });
    outage = false;
    seen.bannerGone = true;
    seen.statusAfterOutage = await page.textContent("#status");
  });
  outage = false;

  // 375 px wide: no sideways scroll of the page; every button can be seen and is what a tap there hits
  await check("narrow", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.evaluate(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))));
    seen.narrow = await page.evaluate(() => {
      const buttons = [...document.querySelectorAll("#plugins button")];
      const unreachable = buttons.filter(b => {
        b.scrollIntoView({ block: "center", inline: "nearest" });
        const r = b.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.width === 0 || r.left < 0 || r.right > innerWidth || hit !== b;
      }).map(b => b.dataset.plugin + ":" + b.dataset.action);
      return { scrollWidth: document.documentElement.scrollWidth, buttons: buttons.length, unreachable };
    });
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-375.png"), fullPage: true });
  });

  // a row's transport links to the plugins of that transport alone
  await check("filter", async () => {
    await page.setViewportSize({ width: 1280, height: 700 });
    await page.click('tr[data-plugin="crashy"] td a', { timeout: 5000 });
    await page.waitForURL(/\?transport=process$/, { timeout: 10000 });
    await page.waitForSelector('tr[data-plugin="crashy"]', { timeout: 10000 });
    seen.filtered = await page.$$eval("#plugins tbody tr", trs => trs.map(tr => tr.dataset.plugin));
    seen.filterNote = await page.textContent("#filter");
  });
  seen.cspViolations = await page.evaluate(() => window.cspViolations || []);
} catch (e) {
  seen.failures.push("stopped: " + String(e.message || e).split("\n")[0]);
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
