/**
 * The toolbar popup. Opening it is the click that checks the page: it asks the service
 * worker to check the active tab (or shows the result it already has), then lists the
 * debunked claims with their fact-checks, the claims fact-checked with another rating, the
 * fact-checks that may be related, and the claims still being reviewed (words and tones
 * from content/verdict.js, which popup.html loads first).
 *
 * `popup.html?tab=ID` targets another tab; the tests use it, since they cannot click the
 * toolbar button.
 */
import { ext } from "./lib/browser.js";
import { loadSettings, saveSettings, siteOf, sitePattern } from "./lib/settings.js";

const $ = (id) => document.getElementById(id);
let tab = null;
let reportContext = "";

async function targetTab() {
  const param = new URLSearchParams(location.search).get("tab");
  if (param) {
    return ext.tabs.get(Number(param));
  }
  const [active] = await ext.tabs.query({ active: true, currentWindow: true });
  return active;
}

async function send(message) {
  const reply = await ext.runtime.sendMessage(message);
  if (!reply?.ok) {
    throw reply?.error ?? { code: "internal", message: "The extension did not answer. Try again." };
  }
  return reply.result;
}

function element(tag, { text = "", className = "", attrs = {} } = {}) {
  const node = document.createElement(tag);
  if (text) {
    node.textContent = text;
  }
  if (className) {
    node.className = className;
  }
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  return node;
}

function truncate(text, limit = 160) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1).trimEnd()}\u2026` : flat;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "";
  } catch {
    return "";
  }
}

function showError(error) {
  $("status").hidden = true;
  $("summary").hidden = true;
  $("error").hidden = false;
  $("error").dataset.code = error.code ?? "";
  $("error-message").textContent = error.message ?? "Something went wrong.";
  const detail = [];
  if (error.code === "rate_limited" && error.retryAfterS !== null && error.retryAfterS !== undefined) {
    detail.push(`Retry-After: ${error.retryAfterS} s`);
  }
  if (error.status) {
    detail.push(`HTTP ${error.status}`);
  }
  if (error.requestId) {
    detail.push(`request id ${error.requestId}`);
  }
  $("error-detail").textContent = detail.join(" · ");
  $("error-detail").hidden = detail.length === 0;
}

/** A claim in curly quotes, without doubling the quotation marks it already has. */
function quoted(text) {
  const bare = String(text).trim().replace(/^["'\u201c\u201d\u2018\u2019\u00ab\u00bb]+|["'\u201c\u201d\u2018\u2019\u00ab\u00bb]+$/g, "");
  return `\u201c${truncate(bare)}\u201d`;
}

const Verdict = globalThis.FactcheckVerdict;

function shownItem(shown, claim, missing) {
  const { debunk } = shown;
  const item = element("li");
  item.append(element("span", { className: "claim-text", text: quoted(claim.reported?.text ?? claim.text) }));
  if (shown.mentioned) {
    item.append(element("span", { className: "detail", text: "Mentioned on the page, not necessarily endorsed." }));
  }
  if (shown.status === "possibly_related") {
    item.append(element("span", { className: "related-to", text: `May be related to: ${truncate(debunk.claim_reviewed)}` }));
  }
  if (!shown.sourced) {
    // Never a bare verdict: without a source the popup says so instead of a rating.
    item.append(element("span", { className: "detail", text: "Matches a claim in the database, but no source is given." }));
    return item;
  }
  const rating = shown.status === "possibly_related" ? `Rated ${shown.rating}` : shown.rating;
  item.append(element("span", { className: `rating tone-${shown.tone}`, text: rating }));
  item.append(document.createTextNode(debunk.reviewer_name ? `${debunk.reviewer_name} · ` : ""));
  const url = safeUrl(debunk.review_url);
  if (url) {
    item.append(element("a", { text: "Read the fact-check", attrs: { href: url, target: "_blank", rel: "noopener noreferrer" } }));
  }
  if (missing.has(claim.text)) {
    item.append(element("p", { className: "detail", text: "Not found on the page to highlight (the page may have changed)." }));
  }
  return item;
}

function statusLine(counts, what) {
  if (counts.debunked) {
    return `factcheck found ${counts.debunked === 1 ? "a claim" : "claims"} in ${what} that fact-checkers have rated.`;
  }
  if (counts.fact_checked) {
    return `factcheck found fact-checked claims in ${what}; none is rated false.`;
  }
  if (counts.possibly_related) {
    return `No known debunked claims in ${what}, but a fact-check may be related.`;
  }
  return `No known debunked claims in ${what}.`;
}

function showReport(state) {
  $("error").hidden = true;
  const { summary, claims } = state.report;
  const shown = { debunked: [], fact_checked: [], possibly_related: [] };
  for (const claim of claims) {
    const presented = Verdict.present(claim);
    if (presented) {
      shown[presented.status].push(shownItem(presented, claim, new Set(state.highlight?.missing ?? [])));
    }
  }
  const review = claims.filter((claim) => claim.status === "needs_review");
  const counts = Object.fromEntries(Object.entries(shown).map(([status, items]) => [status, items.length]));
  const what = state.kind === "selection" ? "your selection" : state.kind === "webmail" ? "this message" : "this page";
  $("status").hidden = false;
  $("status").textContent = statusLine(counts, what);
  const parts = [`${summary.claims} claim${summary.claims === 1 ? "" : "s"} checked`, `${counts.debunked} debunked`];
  if (counts.fact_checked) {
    parts.push(`${counts.fact_checked} fact-checked`);
  }
  if (counts.possibly_related) {
    parts.push(`${counts.possibly_related} possibly related`);
  }
  if (summary.needs_review) {
    parts.push(`${summary.needs_review} being reviewed`);
  }
  $("counts").textContent = parts.join(" · ");
  $("debunked").replaceChildren(...shown.debunked);
  $("checked").replaceChildren(...shown.fact_checked);
  $("checked-block").hidden = counts.fact_checked === 0;
  $("related").replaceChildren(...shown.possibly_related);
  $("related-block").hidden = counts.possibly_related === 0;
  $("review").replaceChildren(
    ...review.map((claim) => element("li", { text: `${quoted(claim.text)} (being reviewed)` })),
  );
  $("review-summary").textContent = `Being reviewed (${review.length})`;
  $("review-block").hidden = review.length === 0;
  $("summary").hidden = false;
  if (state.truncated) {
    $("counts").textContent += " · only the first 100,000 characters were checked";
  }
}

function render(state) {
  $("recheck").disabled = false;
  if (!state) {
    return;
  }
  if (state.status === "error") {
    showError(state.error);
  } else if (state.status === "done") {
    showReport(state);
  }
}

async function check(force) {
  $("recheck").disabled = true;
  $("error").hidden = true;
  $("status").hidden = false;
  $("status").textContent = "Checking this page…";
  const slow = setTimeout(() => {
    $("status").textContent = "Still checking… the server is taking a while.";
  }, 4_000);
  try {
    render(await send({ type: "check", tabId: tab.id, force }));
  } catch (error) {
    showError(error);
    $("recheck").disabled = false;
  } finally {
    clearTimeout(slow);
  }
}

async function setUpAuto() {
  const site = siteOf(tab.url ?? "");
  if (!site) {
    return;
  }
  const settings = await loadSettings();
  $("auto-site").textContent = new URL(site).hostname;
  $("auto").checked = settings.autoSites.includes(site);
  $("auto-row").hidden = false;
  $("auto").addEventListener("change", async (event) => {
    const enabled = event.target.checked;
    if (enabled) {
      // The request must come first, inside the click; the popup may close while the
      // browser asks, so the worker finishes the job on permissions.onAdded.
      ext.storage.local.set({ pendingAutoSite: site });
      const granted = await ext.permissions.request({ origins: [sitePattern(site)] });
      if (!granted) {
        event.target.checked = false;
        return;
      }
    }
    const current = await loadSettings();
    const sites = new Set(current.autoSites);
    if (enabled) {
      sites.add(site);
    } else {
      sites.delete(site);
    }
    await saveSettings({ autoSites: [...sites], pendingAutoSite: null });
    await send({ type: "autoSitesChanged" });
  });
}

function setUpReport() {
  $("report-open").addEventListener("click", async () => {
    $("report-status").textContent = "";
    $("report-sent").textContent = "";
    $("report-form").hidden = false;
    try {
      const picked = await send({ type: "selection", tabId: tab.id });
      $("report-text").value = picked?.text ?? "";
      reportContext = picked?.context ?? "";
    } catch {
      reportContext = "";
    }
    $("report-text").focus();
  });
  $("report-cancel").addEventListener("click", () => {
    $("report-form").hidden = true;
  });
  $("report-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("report-form").querySelector("button[type=submit]");
    button.disabled = true;
    $("report-status").textContent = "Sending…";
    try {
      await send({
        type: "report",
        tabId: tab.id,
        text: $("report-text").value,
        context: reportContext,
        comment: $("report-comment").value,
      });
      // Sent: the form closes; the thanks stay beside the button that opens it again.
      $("report-form").hidden = true;
      $("report-comment").value = "";
      $("report-text").value = "";
      $("report-sent").textContent = "Thank you. The editors will look at it.";
      $("report-open").focus();
    } catch (error) {
      $("report-status").textContent = error.message ?? "The report could not be sent.";
    } finally {
      button.disabled = false;
    }
  });
}

async function main() {
  tab = await targetTab();
  if (!tab) {
    showError({ code: "no_tab", message: "No page to check." });
    return;
  }
  $("preview-link").href = `options.html?tab=${tab.id}#preview`;
  $("recheck").addEventListener("click", () => check(true));
  setUpReport();
  setUpAuto();
  const state = await send({ type: "getState", tabId: tab.id });
  // Compared whole: webmail opens another message by changing only the fragment.
  const samePage = state?.url && tab.url && state.url === tab.url;
  if (state?.status === "done" && (samePage || !tab.url)) {
    render(state);
  } else {
    await check(state?.status === "done");
  }
}

main().catch((error) => showError({ code: "internal", message: String(error?.message ?? error) }));
