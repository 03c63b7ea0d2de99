/**
 * The small card beside a highlighted claim: rating, reviewer, the explanation with the
 * fact-check's date and language, and the link to the fact-check. A sentence that only
 * reports a claim ("He added that …") is said to *mention* it; a debunk with no source is
 * never shown as a bare verdict.
 *
 * It lives in a shadow root on a zero-size, absolutely positioned host at the end of
 * <html>, so the page's CSS cannot reach it and its CSS cannot reach the page, and
 * showing it moves nothing. Only textContent is ever set from server data.
 */
(() => {
  if (globalThis.FactcheckCard) {
    return;
  }

  const HOST_TAG = "factcheck-card";
  const LABELS = {
    false: "False",
    mostly_false: "Mostly false",
    mixed: "Mixed",
    misleading: "Misleading",
    unproven: "Unproven",
    mostly_true: "Mostly true",
    true: "True",
    satire: "Satire",
    other: "Disputed",
  };
  const CSS = `
    :host { all: initial; }
    .card {
      position: absolute; box-sizing: border-box; width: 340px; max-width: calc(100vw - 16px);
      padding: 12px 14px; border-radius: 8px; border: 1px solid #d0d4da;
      background: #fff; color: #1f2328; box-shadow: 0 6px 24px rgba(0, 0, 0, .18);
      font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      text-align: left; direction: ltr; z-index: 2147483647;
    }
    .card[hidden] { display: none; }
    .top { display: flex; align-items: center; gap: 8px; margin: 0 0 6px; }
    .rating {
      display: inline-block; padding: 1px 8px; border-radius: 999px; font-weight: 700;
      font-size: 12px; letter-spacing: .02em; text-transform: uppercase;
      background: #fde2e1; color: #a40e26;
    }
    .rating[data-label="misleading"], .rating[data-label="mixed"], .rating[data-label="unproven"],
    .rating[data-label="other"], .rating[data-label="satire"] { background: #fff1c2; color: #7a4d00; }
    .reviewer { color: #57606a; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .claim { margin: 0 0 4px; font-weight: 600; }
    .mention { margin: 0 0 6px; color: #7a4d00; font-weight: 600; }
    .mention:empty, .meta:empty { display: none; }
    .explanation {
      margin: 0 0 6px; color: #3d444d; overflow-wrap: anywhere; max-height: 12em; overflow-y: auto;
    }
    .explanation:empty { display: none; }
    .meta { margin: 0 0 8px; color: #57606a; font-size: 12px; }
    .rating[hidden] { display: none; }
    .link { color: #0b57d0; font-weight: 600; text-decoration: underline; }
    .link:focus-visible, .close:focus-visible { outline: 2px solid #0b57d0; outline-offset: 2px; }
    .close {
      margin-left: auto; border: 0; background: none; color: #57606a; font: inherit; font-size: 16px;
      line-height: 1; padding: 2px 4px; cursor: pointer;
    }
    .note { margin: 8px 0 0; color: #6e7781; font-size: 11px; }
  `;

  let host = null;
  let card = null;
  let fields = null;
  let anchor = null;
  let hideTimer = null;

  function element(tag, className, text = "") {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function build() {
    host = document.createElement(HOST_TAG);
    // Inline and !important so no page rule can give the host a size or move it.
    for (const [property, value] of [
      ["all", "initial"], ["position", "absolute"], ["top", "0"], ["left", "0"],
      ["width", "0"], ["height", "0"], ["overflow", "visible"], ["z-index", "2147483647"],
      ["display", "block"], ["pointer-events", "auto"],
    ]) {
      host.style.setProperty(property, value, "important");
    }
    const shadow = host.attachShadow({ mode: "open" });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement("style");
      style.textContent = CSS;
      shadow.append(style);
    }
    card = document.createElement("div");
    card.className = "card";
    card.hidden = true;
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", "Fact-check");
    const top = element("div", "top");
    top.append(element("span", "rating"), element("span", "reviewer"));
    const close = element("button", "close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    top.append(close);
    const link = element("a", "link", "Read the fact-check");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    card.append(
      element("p", "mention"), top, element("p", "claim"), element("p", "explanation"), element("p", "meta"),
      link, element("p", "note"),
    );
    fields = {
      mention: card.querySelector(".mention"),
      meta: card.querySelector(".meta"),
      rating: card.querySelector(".rating"),
      reviewer: card.querySelector(".reviewer"),
      claim: card.querySelector(".claim"),
      explanation: card.querySelector(".explanation"),
      link: card.querySelector(".link"),
      note: card.querySelector(".note"),
      close: card.querySelector(".close"),
    };
    shadow.append(card);
    card.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    card.addEventListener("mouseleave", () => scheduleHide());
    card.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        hide({ restoreFocus: true });
      }
    });
    fields.close.addEventListener("click", () => hide({ restoreFocus: true }));
    card.addEventListener("focusout", (event) => {
      if (!card.contains(event.relatedTarget) && event.relatedTarget !== anchor) {
        scheduleHide();
      }
    });
  }

  function ensureHost() {
    if (!host) {
      build();
    }
    if (!host.isConnected) {
      document.documentElement.append(host);
    }
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "";
    } catch {
      return "";
    }
  }

  function oneLine(text, limit = 160) {
    const flat = String(text ?? "").replace(/\s+/g, " ").trim();
    return flat.length > limit ? `${flat.slice(0, limit - 1).trimEnd()}\u2026` : flat;
  }

  function hasSource(debunk) {
    return Boolean(String(debunk.reviewer_name ?? "").trim() || safeUrl(debunk.review_url));
  }

  function ratingOf(debunk) {
    return debunk.rating_text || LABELS[debunk.label] || debunk.label;
  }

  /** The highlight's screen-reader label: what the card will say, in one sentence. */
  function describe(claim, markedText) {
    const { debunk } = claim.matches[0];
    if (!hasSource(debunk)) {
      return `Matches a claim in the fact-check database, with no source given: ${markedText}`;
    }
    const by = debunk.reviewer_name ? ` by ${debunk.reviewer_name}` : "";
    const what = claim.reported ? "This sentence mentions a claim" : "Fact-checked claim,";
    return `${what} rated ${ratingOf(debunk)}${by}: ${markedText}`;
  }

  const DATES = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });

  function languageName(code) {
    try {
      return new Intl.DisplayNames(undefined, { type: "language" }).of(code) ?? code;
    } catch {
      return code;
    }
  }

  function meta(debunk) {
    const parts = [];
    const date = debunk.review_date ? new Date(`${debunk.review_date}T00:00:00Z`) : null;
    if (date && !Number.isNaN(date.getTime())) {
      parts.push(`Fact-checked ${DATES.format(date)}`);
    }
    if (debunk.language) {
      parts.push(`in ${languageName(debunk.language)}`);
    }
    return parts.join(" ");
  }

  function fill(claim) {
    const { debunk, confidence } = claim.matches[0];
    const sourced = hasSource(debunk);
    const rating = ratingOf(debunk);
    fields.mention.textContent = !sourced
      ? "This matches a claim in the fact-check database, but no source is given, so no verdict is shown."
      : claim.reported
        ? `This sentence mentions a claim rated ${rating}: the highlighted part. The sentence does not necessarily make the claim itself.`
        : "";
    fields.rating.hidden = !sourced;
    fields.rating.textContent = sourced ? rating : "";
    fields.rating.dataset.label = debunk.label;
    fields.reviewer.textContent = debunk.reviewer_name ?? "";
    fields.claim.textContent = oneLine(debunk.claim_reviewed, 300);
    fields.explanation.textContent = String(debunk.explanation || debunk.title || "").trim();
    fields.meta.textContent = meta(debunk);
    const url = safeUrl(debunk.review_url);
    fields.link.hidden = !url;
    fields.link.href = url || "about:blank";
    fields.link.textContent = `Read the fact-check${debunk.reviewer_site ? ` on ${debunk.reviewer_site}` : ""}`;
    fields.note.textContent =
      typeof confidence === "number" ? `Matched by factcheck, ${Math.round(confidence * 100)}% confident.` : "";
  }

  function place(target) {
    const rects = [...target.getClientRects()];
    const rect = rects[rects.length - 1] ?? target.getBoundingClientRect();
    const view = document.defaultView;
    const width = Math.min(340, view.innerWidth - 16);
    const left = Math.max(8, Math.min(rect.left, view.innerWidth - width - 8));
    card.style.left = `${left + view.scrollX}px`;
    card.hidden = false;
    const height = card.offsetHeight;
    const below = rect.bottom + 6;
    const top = below + height > view.innerHeight && rect.top - height - 6 > 0 ? rect.top - height - 6 : below;
    card.style.top = `${top + view.scrollY}px`;
  }

  function show(target, claim) {
    ensureHost();
    clearTimeout(hideTimer);
    if (anchor && anchor !== target) {
      anchor.setAttribute("aria-expanded", "false");
    }
    anchor = target;
    fill(claim);
    place(target);
    target.setAttribute("aria-expanded", "true");
  }

  function hide({ restoreFocus = false } = {}) {
    clearTimeout(hideTimer);
    if (!card || card.hidden) {
      return;
    }
    // Focus inside a card that disappears would fall back to <body>; give it back to the claim.
    const focusInside = Boolean(host.shadowRoot.activeElement);
    card.hidden = true;
    const previous = anchor;
    anchor = null;
    previous?.setAttribute("aria-expanded", "false");
    if ((restoreFocus || focusInside) && previous?.isConnected) {
      previous.focus({ preventScroll: true });
    }
  }

  function scheduleHide(delay = 250) {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => hide(), delay);
  }

  function focusLink() {
    if (card && !card.hidden) {
      (fields.link.hidden ? fields.close : fields.link).focus();
    }
  }

  function isOpenFor(target) {
    return Boolean(card && !card.hidden && anchor === target);
  }

  function contains(node) {
    return Boolean(host && (node === host || host.contains(node)));
  }

  function remove() {
    hide();
    host?.remove();
  }

  globalThis.FactcheckCard = Object.freeze({
    HOST_TAG, contains, describe, focusLink, hide, isOpenFor, remove, scheduleHide, show,
  });
})();
