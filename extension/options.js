/**
 * The options page: the server URL, the sites checked automatically, and a preview of
 * exactly what a check sends (built by the same functions the service worker uses).
 * `options.html?tab=ID#preview` previews that tab's page; otherwise a sample article.
 */
import { buildCheckRequest, describeRequest } from "./lib/api.js";
import { ext } from "./lib/browser.js";
import { loadSettings, normalizeServerUrl, saveSettings, siteOf, sitePattern } from "./lib/settings.js";

const $ = (id) => document.getElementById(id);
const SAMPLE = {
  kind: "sample",
  url: "https://example.org/news/story.html",
  text: [
    "City council approves new bike lanes",
    "The council voted 7 to 2 on Tuesday to add protected bike lanes on Main Street.",
    "One resident told the meeting that COVID-19 vaccines contain microchips to track people.",
  ].join("\n\n"),
};

async function send(message) {
  const reply = await ext.runtime.sendMessage(message);
  if (!reply?.ok) {
    throw reply?.error ?? { message: "The extension did not answer." };
  }
  return reply.result;
}

async function renderPreview() {
  const settings = await loadSettings();
  const tabId = Number(new URLSearchParams(location.search).get("tab"));
  let source = `A sample article (open "What is sent?" from the popup to see the current page).`;
  let request = describeRequest("/v1/check", buildCheckRequest(SAMPLE, settings), settings);
  if (tabId) {
    try {
      const result = await send({ type: "preview", tabId });
      request = result.request;
      const what = { selection: "your selection", webmail: "the open message", article: "the article", page: "the page" };
      source = `This is what a check of ${what[result.kind] ?? "the page"} in that tab sends, and all it sends.`;
      if (result.truncated) {
        source += " The text is cut at 100,000 characters.";
      }
    } catch (error) {
      source = `The tab's page cannot be previewed (${error.message}). Here is a sample instead.`;
    }
  }
  $("preview-source").textContent = source;
  $("preview-json").textContent = JSON.stringify(request, null, 2);
}

async function renderSites() {
  const { autoSites } = await loadSettings();
  const items = autoSites.map((site) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = site;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Stop checking ${site} automatically`);
    remove.addEventListener("click", async () => {
      const current = await loadSettings();
      await saveSettings({ autoSites: current.autoSites.filter((s) => s !== site) });
      // Permissions the manifest asks for (the local server's) cannot be removed; that is fine.
      await ext.permissions.remove({ origins: [sitePattern(site)] }).catch(() => false);
      await send({ type: "autoSitesChanged" });
      $("auto-status").textContent = `${site} is no longer checked automatically.`;
      renderSites();
    });
    item.append(name, remove);
    return item;
  });
  $("auto-sites").replaceChildren(...items);
  $("auto-empty").hidden = items.length > 0;
}

function setUpServer(settings) {
  $("server-url").value = settings.serverUrl;
  $("send-source-url").checked = settings.sendSourceUrl;
  $("timeout").value = String(Math.round(settings.timeoutMs / 1000));

  $("server-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const url = normalizeServerUrl($("server-url").value);
    if (!url) {
      $("server-status").textContent = "Enter an http:// or https:// address, without a query or a password.";
      return;
    }
    // Asked inside the click. Without it the server must allow the extension by CORS,
    // which the factcheck server does by default.
    const asked = ext.permissions.request({ origins: [`${new URL(url).origin}/*`] }).catch(() => false);
    await saveSettings({ serverUrl: url });
    $("server-url").value = url;
    const granted = await asked;
    $("server-status").textContent = granted
      ? `Saved. Checks go to ${url}.`
      : `Saved. Checks go to ${url}; without the permission, that server must allow this extension by CORS.`;
    renderPreview();
  });

  $("server-test").addEventListener("click", async () => {
    const url = normalizeServerUrl($("server-url").value);
    if (!url) {
      $("server-status").textContent = "Enter a server URL first.";
      return;
    }
    $("server-status").textContent = "Testing…";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5_000);
    try {
      const response = await fetch(`${url}/healthz`, { signal: controller.signal, credentials: "omit", cache: "no-store" });
      $("server-status").textContent = response.ok
        ? `The server at ${url} is up.`
        : `The server at ${url} answered ${response.status}.`;
    } catch {
      $("server-status").textContent = `Can't reach ${url}. Is the server running (make run)?`;
    } finally {
      clearTimeout(timer);
    }
  });

  $("send-source-url").addEventListener("change", async (event) => {
    await saveSettings({ sendSourceUrl: event.target.checked });
    renderPreview();
  });

  $("timeout").addEventListener("change", async (event) => {
    const seconds = Math.min(60, Math.max(2, Number(event.target.value) || 10));
    event.target.value = String(seconds);
    await saveSettings({ timeoutMs: seconds * 1000 });
  });
}

function setUpAutoForm() {
  $("auto-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const site = siteOf($("auto-site").value.trim());
    if (!site) {
      $("auto-status").textContent = "Enter a site address starting with http:// or https://.";
      return;
    }
    const granted = await ext.permissions.request({ origins: [sitePattern(site)] }).catch(() => false);
    if (!granted) {
      $("auto-status").textContent = `Not added: the browser did not give permission for ${site}.`;
      return;
    }
    const { autoSites } = await loadSettings();
    await saveSettings({ autoSites: [...new Set([...autoSites, site])] });
    await send({ type: "autoSitesChanged" });
    $("auto-site").value = "";
    $("auto-status").textContent = `${site} is now checked automatically.`;
    renderSites();
  });
}

async function main() {
  const settings = await loadSettings();
  setUpServer(settings);
  setUpAutoForm();
  await renderSites();
  await renderPreview();
  if (location.hash === "#preview") {
    $("preview").scrollIntoView();
  }
}

main();
