/**
 * The service worker: the only part that sends anything to the factcheck server (page
 * CSPs do not apply here), and only after a click on the toolbar button (the popup asks
 * for the check) or on a site the user switched to automatic checking.
 *
 * Per-tab results live in storage.session so the popup can show them after the worker
 * has been stopped and restarted.
 *
 * Messages (runtime.sendMessage), all answered with plain JSON:
 *   {type: "check", tabId, force}     run a check (or return the one in progress/done)
 *   {type: "getState", tabId}         the last result for a tab
 *   {type: "preview", tabId}          the exact request a check would send, without sending it
 *   {type: "selection", tabId}        the tab's selected text, for "Report a claim"
 *   {type: "report", tabId, text, context, comment}   POST /v1/reports
 *   {type: "autoSitesChanged"}        re-register the content script of automatic sites
 *   {type: "autoCheck"}               from that content script, on a page load
 */
import { ApiError, buildCheckRequest, buildReportRequest, checkText, describeRequest, sendReport } from "./lib/api.js";
import { ext } from "./lib/browser.js";
import { loadSettings, saveSettings, siteOf, sitePattern } from "./lib/settings.js";

const CONTENT_FILES = ["content/anchor.js", "content/extract.js", "content/verdict.js", "content/card.js", "content/content.js"];
const AUTO_SCRIPT_ID = "factcheck-auto";
const BADGE_COLORS = { debunked: "#c62828", shown: "#0969da", clean: "#2e7d32", error: "#b26a00", busy: "#57606a" };
// Claims a fact-check is shown for (content/verdict.js); the popup also lists needs_review ones.
const SHOWN_STATUSES = ["debunked", "fact_checked", "possibly_related"];

const running = new Map();

function stateKey(tabId) {
  return `tab:${tabId}`;
}

async function getState(tabId) {
  const key = stateKey(tabId);
  const stored = await ext.storage.session.get(key);
  return stored[key] ?? null;
}

async function setState(tabId, state) {
  await ext.storage.session.set({ [stateKey(tabId)]: state });
  await updateBadge(tabId, state);
}

async function updateBadge(tabId, state) {
  let text = "";
  let color = BADGE_COLORS.busy;
  if (state?.status === "checking") {
    text = "\u2026";
  } else if (state?.status === "error") {
    text = "!";
    color = BADGE_COLORS.error;
  } else if (state?.status === "done") {
    // Red and a count only for debunked claims; "i" when fact-checks are shown but none says false.
    const { summary, claims } = state.report;
    const debunked = summary.debunked;
    const shown = claims.some((claim) => SHOWN_STATUSES.includes(claim.status));
    text = debunked ? String(debunked) : shown ? "i" : "\u2713";
    color = debunked ? BADGE_COLORS.debunked : shown ? BADGE_COLORS.shown : BADGE_COLORS.clean;
  }
  try {
    await ext.action.setBadgeText({ tabId, text });
    await ext.action.setBadgeBackgroundColor({ tabId, color });
  } catch {
    // The tab closed meanwhile.
  }
}

async function inject(tabId) {
  await ext.scripting.executeScript({ target: { tabId }, files: CONTENT_FILES });
}

async function inTab(tabId, func, args = []) {
  const [result] = await ext.scripting.executeScript({ target: { tabId }, func, args });
  return result?.result;
}

function cannotReadPage(error) {
  return new ApiError(
    "cannot_read_page",
    "factcheck can't read this page. Browser pages, the extension store and other extensions' pages are off limits.",
    { serverCode: String(error?.message ?? "") },
  );
}

/** Extract the page's text in the tab (no network). */
async function extractFrom(tabId) {
  try {
    await inject(tabId);
    return await inTab(tabId, () => globalThis.__factcheck.extract());
  } catch (error) {
    throw cannotReadPage(error);
  }
}

/**
 * The claim a sentence only reports ("He added that …"), as offsets into the claim's text, so
 * the page highlights that clause and the card says the sentence *mentions* a rated claim.
 */
function reportedPart(claim) {
  const reported = claim.reported;
  if (!reported || reported.start < claim.start || reported.end > claim.end) {
    return null;
  }
  return { text: reported.text, start: reported.start - claim.start, end: reported.end - claim.start };
}

/** What is kept of a report: enough for the popup and the highlighter, nothing about other claims. */
function keptReport(report) {
  const length = report.document?.text_length || 1;
  const keep = (claim) => ({
    text: claim.text,
    prefix: claim.prefix,
    suffix: claim.suffix,
    status: claim.status,
    language: claim.language,
    position: Math.min(1, Math.max(0, claim.start / length)),
    matches: SHOWN_STATUSES.includes(claim.status) ? claim.matches.slice(0, 1) : [],
    block_confidence: claim.block_confidence ?? null,
    reported: reportedPart(claim),
  });
  return {
    request_id: report.request_id,
    summary: report.summary,
    claims: report.claims
      .filter((c) => SHOWN_STATUSES.includes(c.status) || c.status === "needs_review")
      .map(keep),
  };
}

async function runCheck(tabId, { force = false } = {}) {
  if (running.has(tabId)) {
    return running.get(tabId);
  }
  const task = (async () => {
    const previous = await getState(tabId);
    const settings = await loadSettings();
    const now = Date.now();
    if (!force && previous?.status === "done") {
      return previous;
    }
    if (previous?.retryAt && previous.retryAt > now) {
      const seconds = Math.ceil((previous.retryAt - now) / 1000);
      return failed(tabId, new ApiError("rate_limited", `The factcheck server is busy. Try again in ${seconds} s.`, {
        status: 429,
        retryAfterS: seconds,
      }), previous.retryAt);
    }
    await setState(tabId, { status: "checking", startedAt: now });
    try {
      const extracted = await extractFrom(tabId);
      if (!extracted?.text?.trim()) {
        throw new ApiError("no_text", "There is no readable text on this page to check.");
      }
      const report = await checkText(buildCheckRequest(extracted, settings), settings);
      const kept = keptReport(report);
      let highlight = { claims: 0, highlighted: 0, missing: [] };
      try {
        highlight = await inTab(tabId, (claims) => globalThis.__factcheck.highlight(claims), [kept.claims]);
      } catch {
        // The tab navigated away while the server was answering; the popup still shows the result.
      }
      const state = {
        status: "done",
        url: extracted.url,
        title: extracted.title,
        kind: extracted.kind,
        truncated: extracted.truncated,
        checkedAt: Date.now(),
        report: kept,
        highlight,
      };
      await setState(tabId, state);
      return state;
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError("internal", String(error?.message ?? error));
      const retryAt = apiError.retryAfterS ? Date.now() + apiError.retryAfterS * 1000 : null;
      return failed(tabId, apiError, retryAt);
    }
  })();
  running.set(tabId, task);
  try {
    return await task;
  } finally {
    running.delete(tabId);
  }
}

async function failed(tabId, error, retryAt = null) {
  const state = { status: "error", error: error.toJSON(), failedAt: Date.now(), retryAt };
  await setState(tabId, state);
  return state;
}

async function preview(tabId) {
  const settings = await loadSettings();
  const extracted = await extractFrom(tabId);
  return {
    kind: extracted.kind,
    truncated: extracted.truncated,
    request: describeRequest("/v1/check", buildCheckRequest(extracted, settings), settings),
  };
}

async function report(tabId, { text, context, comment }) {
  const settings = await loadSettings();
  const url = await ext.tabs.get(tabId).then((tab) => tab.url ?? "", () => "");
  if (!String(text ?? "").trim()) {
    throw new ApiError("no_text", "Select the claim on the page first, or type it in.");
  }
  const body = buildReportRequest({ text, url, context, comment }, settings);
  return sendReport(body, settings);
}

async function selection(tabId) {
  try {
    await inject(tabId);
    return await inTab(tabId, () => globalThis.__factcheck.selection());
  } catch (error) {
    throw cannotReadPage(error);
  }
}

/** Register the on-load content script for the automatic sites whose permission is granted. */
async function syncAutoScript() {
  const { autoSites } = await loadSettings();
  const patterns = [];
  for (const site of autoSites) {
    const pattern = sitePattern(site);
    if (await ext.permissions.contains({ origins: [pattern] })) {
      patterns.push(pattern);
    }
  }
  const existing = await ext.scripting.getRegisteredContentScripts({ ids: [AUTO_SCRIPT_ID] });
  if (existing.length) {
    await ext.scripting.unregisterContentScripts({ ids: [AUTO_SCRIPT_ID] });
  }
  if (patterns.length) {
    await ext.scripting.registerContentScripts([
      {
        id: AUTO_SCRIPT_ID,
        matches: patterns,
        js: [...CONTENT_FILES, "content/auto.js"],
        runAt: "document_idle",
        allFrames: false,
        persistAcrossSessions: true,
      },
    ]);
  }
  return patterns;
}

async function autoCheck(sender) {
  const tabId = sender.tab?.id;
  if (tabId === undefined || sender.frameId !== 0) {
    return null;
  }
  const site = siteOf(sender.tab.url ?? sender.url ?? "");
  const { autoSites } = await loadSettings();
  // The registered script only runs on these sites; check again in case the list just changed.
  if (!site || !autoSites.includes(site)) {
    return null;
  }
  return runCheck(tabId, { force: true });
}

function errorJson(error) {
  return { error: error instanceof ApiError ? error.toJSON() : { code: "internal", message: String(error?.message ?? error) } };
}

const handlers = {
  check: (message) => runCheck(message.tabId, { force: Boolean(message.force) }),
  getState: (message) => getState(message.tabId),
  preview: (message) => preview(message.tabId),
  selection: (message) => selection(message.tabId),
  report: (message) => report(message.tabId, message),
  autoSitesChanged: () => syncAutoScript(),
  autoCheck: (_message, sender) => autoCheck(sender),
};

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = handlers[message?.type];
  // Only our own pages and content scripts can message us; content scripts may only ask for autoCheck.
  if (!handler || sender.id !== ext.runtime.id || (sender.tab && message.type !== "autoCheck" && !sender.url?.startsWith(ext.runtime.getURL("")))) {
    return false;
  }
  Promise.resolve()
    .then(() => handler(message, sender))
    .then((result) => sendResponse({ ok: true, result }), (error) => sendResponse({ ok: false, ...errorJson(error) }));
  return true;
});

ext.tabs.onUpdated.addListener((tabId, changeInfo) => {
  // A reload or a new page: the highlights are gone, so is the result.
  if (changeInfo.status === "loading") {
    ext.storage.session.remove(stateKey(tabId));
    updateBadge(tabId, null);
  }
});

ext.tabs.onRemoved.addListener((tabId) => {
  ext.storage.session.remove(stateKey(tabId));
});

ext.runtime.onInstalled.addListener(() => {
  syncAutoScript();
});

ext.permissions.onRemoved?.addListener(() => {
  syncAutoScript();
});

// The popup closes while the browser asks for a site's permission; finish enabling the site here.
ext.permissions.onAdded?.addListener(async () => {
  const { pendingAutoSite } = await ext.storage.local.get("pendingAutoSite");
  if (pendingAutoSite && (await ext.permissions.contains({ origins: [sitePattern(pendingAutoSite)] }))) {
    const { autoSites } = await loadSettings();
    await saveSettings({ autoSites: [...new Set([...autoSites, pendingAutoSite])], pendingAutoSite: null });
  }
  await syncAutoScript();
});
