// Drives Atrium's web console in Debian's chromium: the page lists the plugins, the API token is
// typed in, a click on english's Reload reloads it, the plugin folder's refused file is shown, and a
// screenshot is kept.
// Usage: node console-check.mjs BASE_URL TOKEN SCREENSHOT.png   (prints one JSON line of what it saw)
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 500 } });
  const seen = { consoleErrors: [] };
  page.on("pageerror", e => seen.consoleErrors.push(String(e)));
  await page.goto(base, { waitUntil: "load" });            // "/" redirects to the console's page
  seen.url = page.url();
  await page.waitForSelector('tr[data-plugin="english"]');
  await page.waitForSelector('tr[data-plugin="uzbek"]');
  seen.plugins = await page.$$eval("#plugins tbody tr", trs => trs.map(tr => tr.dataset.plugin));
  seen.englishRow = await page.$eval('tr[data-plugin="english"]', tr => [...tr.cells].slice(0, 5).map(td => td.textContent));
  await page.waitForSelector('#files tr[data-file="broken.jar"]');
  seen.brokenRow = await page.$eval('#files tr[data-file="broken.jar"]', tr => [...tr.cells].map(td => td.textContent));
  await page.fill("#token", token);
  await page.dispatchEvent("#token", "change");
  await page.click('button[data-plugin="english"][data-action="reload"]');
  // a locator, not waitForFunction: the page's Content-Security-Policy forbids the eval that needs
  await page.locator("#status", { hasText: /^reload english: / }).waitFor({ timeout: 20000 });
  seen.status = await page.textContent("#status");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
