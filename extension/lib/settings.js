/**
 * User settings, kept in storage.local (never storage.sync: nothing leaves the browser
 * unless the user asks). `autoSites` lists the sites ("https://example.org") whose pages
 * are checked on load; every other page is checked only when the toolbar button is clicked.
 */
import { ext } from "./browser.js";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:8000";
export const DEFAULT_TIMEOUT_MS = 10_000;

export const DEFAULTS = Object.freeze({
  serverUrl: DEFAULT_SERVER_URL,
  autoSites: [],
  sendSourceUrl: true,
  timeoutMs: DEFAULT_TIMEOUT_MS,
});

export async function loadSettings() {
  const stored = await ext.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored, autoSites: [...(stored.autoSites ?? DEFAULTS.autoSites)] };
}

export async function saveSettings(changes) {
  await ext.storage.local.set(changes);
}

/** "https://example.org:8443/a/b" -> "https://example.org" (ports are ignored, as match patterns do). */
export function siteOf(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      return null;
    }
    return `${parsed.protocol}//${parsed.hostname}`;
  } catch {
    return null;
  }
}

/** The host-permission match pattern that covers every page of a site. */
export function sitePattern(site) {
  return `${site}/*`;
}

/** A server URL as typed by the user, cleaned up, or null when it is not an http(s) URL. */
export function normalizeServerUrl(value) {
  try {
    const parsed = new URL(String(value).trim());
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      return null;
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash) {
      return null;
    }
    return parsed.href.replace(/\/+$/, "");
  } catch {
    return null;
  }
}
