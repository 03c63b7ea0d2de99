// Runs the extension in Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi
// (Playwright cannot drive a stock Firefox). tests/test_extension_browser.py calls it:
//
//   node tools/firefox_check.mjs FIREFOX API_URL PAGE_URL
//
// It installs the unpacked extension (webExtension.install), points it at API_URL, opens PAGE_URL,
// opens the popup aimed at that tab (which checks the page), and prints one JSON object: what the
// popup said, what the page highlights, and any extension errors.
import { fileURLToPath } from "node:url";
import path from "node:path";
import puppeteer from "puppeteer-core";

const [firefox, apiUrl, pageUrl] = process.argv.slice(2);
const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ADDON_ID = "factcheck@factcheck.invalid";
// A fixed internal UUID, so the test knows the moz-extension:// origin of the extension's pages.
const UUID = "5f0c2a4e-8d1b-4c3a-9e7f-0a1b2c3d4e5f";

/** Open an extension page in `page`. BiDi never reports such a page's load to puppeteer (the tab
 * moves to the extension process), so the navigation is not awaited: the page is polled instead. */
async function openExtensionPage(page, url) {
  page.goto(url).catch(() => {});
  for (let attempt = 0; attempt < 150; attempt += 1) {
    try {
      const ready = await page.evaluate(
        (wanted) => location.href === wanted && document.readyState === "complete",
        url,
      );
      if (ready) {
        return;
      }
    } catch {
      // The context is being replaced while the page loads: ask again.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not open`);
}

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: firefox,
  headless: true,
  // WebDriver BiDi refuses to navigate to moz-extension:// pages without it.
  args: ["--remote-allow-system-access"],
  extraPrefsFirefox: {
    "extensions.webextensions.uuids": JSON.stringify({ [ADDON_ID]: UUID }),
    "network.proxy.type": 0,
  },
});
const errors = [];
try {
  const id = await browser.installExtension(EXTENSION_DIR);
  const page = await browser.newPage();
  await page.goto(pageUrl);

  const control = await browser.newPage();
  control.on("pageerror", (error) => errors.push(`options: ${error.message}`));
  await openExtensionPage(control, `moz-extension://${UUID}/options.html`);
  const tabId = await control.evaluate(
    async ([serverUrl, url]) => {
      await browser.storage.local.set({ serverUrl, timeoutMs: 60000, sendSourceUrl: true, autoSites: [] });
      const tabs = await browser.tabs.query({});
      return tabs.find((tab) => tab.url === url)?.id ?? null;
    },
    [apiUrl, pageUrl],
  );

  const popup = await browser.newPage();
  popup.on("pageerror", (error) => errors.push(`popup: ${error.message}`));
  await openExtensionPage(popup, `moz-extension://${UUID}/popup.html?tab=${tabId}`);
  await popup.waitForSelector("#summary:not([hidden]), #error:not([hidden])", { timeout: 90000 });
  const popupResult = await popup.evaluate(() => ({
    status: document.querySelector("#status")?.textContent ?? "",
    error: document.querySelector("#error:not([hidden])")?.textContent ?? "",
    claims: [...document.querySelectorAll("#debunked .claim-text")].map((node) => node.textContent),
  }));

  await page.bringToFront();
  const marks = await page.evaluate(() =>
    [...document.querySelectorAll("factcheck-mark")].map((mark) => ({
      text: mark.textContent,
      status: mark.dataset.factcheckStatus,
      label: mark.getAttribute("aria-label"),
      paragraph: mark.closest("p")?.id ?? "",
    })),
  );
  process.stdout.write(`${JSON.stringify({ id, tabId, popup: popupResult, marks, errors })}\n`);
} finally {
  await browser.close();
}
