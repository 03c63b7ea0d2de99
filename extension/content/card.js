/**
 * The small card beside a highlighted claim: what the fact-check says of it (debunked,
 * fact-checked with its rating, or possibly related), rating, reviewer, the explanation with
 * the fact-check's date, "Fact-check in English" when the fact-check is written in another
 * language than the claim (issue 15), and the link to the fact-check. A sentence that only
 * reports a claim ("He added that …") is said to *mention* it; a debunk with no source is
 * never shown as a bare verdict. Tones and words come from verdict.js.
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
    /* Red only for a debunked claim (tone "false"); see verdict.js. */
    .card[data-tone="supported"] .rating { background: #dafbe1; color: #116329; }
    .card[data-tone="neutral"] .rating { background: #fff1c2; color: #7a4d00; }
    .card[data-tone="satire"] .rating { background: #fbefff; color: #6639ba; }
    .card[data-tone="related"] { border: 1px dashed #54aeff; box-shadow: 0 4px 16px rgba(0, 0, 0, .10); }
    .card[data-tone="related"] .rating { background: #ddf4ff; color: #0a3069; text-transform: none; }
    .headline { margin: 0 0 4px; font-weight: 700; }
    .card[data-tone="false"] .headline { color: #a40e26; }
    .card[data-tone="related"] .headline { color: #0a3069; font-weight: 600; }
    .caution { margin: 0 0 6px; color: #57606a; font-size: 12px; }
    .caution:empty { display: none; }
    .reviewer { color: #57606a; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .claim { margin: 0 0 4px; font-weight: 600; }
    .mention { margin: 0 0 6px; color: #7a4d00; font-weight: 600; }
    .mention:empty, .meta:empty, .language:empty { display: none; }
    .language {
      display: inline-block; margin: 0 0 6px; padding: 1px 6px; border-radius: 4px;
      background: #eef1f6; color: #3d444d; font-size: 12px; font-weight: 600;
    }
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
      element("p", "mention"),
      top,
      element("p", "headline"),
      element("p", "claim"),
      element("p", "language"),
      element("p", "caution"),
      element("p", "explanation"),
      element("p", "meta"),
      link,
      element("p", "note"),
    );
    fields = {
      mention: card.querySelector(".mention"),
      meta: card.querySelector(".meta"),
      headline: card.querySelector(".headline"),
      caution: card.querySelector(".caution"),
      rating: card.querySelector(".rating"),
      reviewer: card.querySelector(".reviewer"),
      claim: card.querySelector(".claim"),
      language: card.querySelector(".language"),
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

  const DATES = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });

  function languageName(code) {
    try {
      return new Intl.DisplayNames(undefined, { type: "language" }).of(code) ?? code;
    } catch {
      return code;
    }
  }

  /**
   * When the fact-check was published; and in which language, from a server that does not say the
   * claim's (then the reader cannot be told whether the two differ).
   */
  function meta(debunk, claimLanguage) {
    const parts = [];
    const date = debunk.review_date ? new Date(`${debunk.review_date}T00:00:00Z`) : null;
    if (date && !Number.isNaN(date.getTime())) {
      parts.push(`Fact-checked ${DATES.format(date)}`);
    }
    if (debunk.language && !claimLanguage) {
      parts.push(`in ${languageName(debunk.language)}`);
    }
    return parts.join(" ");
  }

  /** "Fact-check in English" when the fact-check is not in the claim's language, else "". */
  function languageNote(debunk, claimLanguage) {
    if (!claimLanguage || !debunk.language || debunk.language === claimLanguage) {
      return "";
    }
    return `Fact-check in ${languageName(debunk.language)}`;
  }

  function fill(shown) {
    const { debunk, confidence, blockConfidence } = shown;
    card.dataset.tone = shown.tone;
    card.dataset.status = shown.status;
    fields.mention.textContent = shown.notice;
    fields.headline.textContent = shown.headline;
    fields.caution.textContent = shown.caution;
    // Never a bare verdict: without a source there is no rating pill.
    fields.rating.hidden = !shown.sourced;
    // A possibly related fact-check's rating is the fact-check's, said as such.
    fields.rating.textContent = !shown.sourced
      ? ""
      : shown.status === "possibly_related"
        ? `Rated ${shown.rating}`
        : shown.rating;
    fields.rating.dataset.label = debunk.label;
    fields.reviewer.textContent = debunk.reviewer_name ?? "";
    fields.claim.textContent = oneLine(debunk.claim_reviewed, 300);
    // Read aloud in its own language; the note says it is not the page's.
    fields.claim.lang = debunk.language || "";
    fields.language.textContent = languageNote(debunk, shown.claimLanguage);
    fields.explanation.textContent = String(debunk.explanation || debunk.title || "").trim();
    fields.meta.textContent = meta(debunk, shown.claimLanguage);
    const url = safeUrl(debunk.review_url);
    fields.link.hidden = !url;
    fields.link.href = url || "about:blank";
    fields.link.textContent = `Read the fact-check${debunk.reviewer_site ? ` on ${debunk.reviewer_site}` : ""}`;
    // A calibrated probability is never certainty: 0.998 reads "99%", not "100%".
    const asPercent = (probability) => Math.min(99, Math.round(probability * 100));
    const percent = typeof confidence === "number" ? asPercent(confidence) : null;
    if (percent === null) {
      fields.note.textContent = "";
    } else if (shown.status === "possibly_related") {
      fields.note.textContent = `Suggested by factcheck, ${percent}% confident it is the same claim.`;
    } else if (blockConfidence !== null && blockConfidence > confidence) {
      // The match was decided on the whole message: the sentence's own, lower figure would contradict it.
      fields.note.textContent = `Matched by factcheck with the sentences around it, ${asPercent(blockConfidence)}% confident.`;
    } else {
      fields.note.textContent = `Matched by factcheck, ${percent}% confident.`;
    }
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

  /** Show the card for `shown`, what FactcheckVerdict.present(claim) says a reader sees. */
  function show(target, shown) {
    ensureHost();
    clearTimeout(hideTimer);
    if (anchor && anchor !== target) {
      anchor.setAttribute("aria-expanded", "false");
    }
    anchor = target;
    fill(shown);
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
    HOST_TAG, contains, focusLink, hide, isOpenFor, remove, scheduleHide, show,
  });
})();
