/**
 * The content script's state: the claims last reported for this page, their highlights,
 * and the observer that puts highlights back when the page rewrites its DOM.
 *
 * The service worker drives it through `globalThis.__factcheck` (scripting.executeScript):
 * extract() -> the text to check; highlight(claims) -> marks; clear(); selection().
 * Only claims a fact-check is shown for are highlighted (debunked, fact_checked,
 * possibly_related), each in its tone from verdict.js: red only for debunked.
 */
(() => {
  if (globalThis.__factcheck) {
    return;
  }
  const { buildIndex, findQuote, fold, unwrap, wrap, MARK_TAG } = globalThis.FactcheckAnchor;
  const Card = globalThis.FactcheckCard;
  const Extract = globalThis.FactcheckExtract;
  const Verdict = globalThis.FactcheckVerdict;

  const MARK_CLASS = "factcheck-highlight";
  const REAPPLY_DELAY_MS = 300;
  const BACKOFF_DELAY_MS = 5_000;
  const MAX_REAPPLIES_PER_10S = 20;

  // Inline !important: page rules cannot restyle the mark, and nothing here changes a box size.
  // Per tone (verdict.js): the fill and the underline. Red is only for debunked claims; a possibly
  // related fact-check gets a faint fill and a dotted underline.
  const TONE_STYLE = {
    false: [["background-color", "rgba(255, 153, 145, 0.42)"], ["box-shadow", "inset 0 -2px 0 #d1242f"]],
    supported: [["background-color", "rgba(74, 194, 107, 0.25)"], ["box-shadow", "inset 0 -2px 0 #1a7f37"]],
    neutral: [["background-color", "rgba(255, 212, 59, 0.30)"], ["box-shadow", "inset 0 -2px 0 #9a6700"]],
    satire: [["background-color", "rgba(194, 151, 255, 0.25)"], ["box-shadow", "inset 0 -2px 0 #8250df"]],
    related: [
      ["background-color", "rgba(84, 174, 255, 0.10)"],
      ["box-shadow", "none"],
      ["text-decoration", "underline dotted #0969da"],
      ["text-decoration-thickness", "2px"],
      ["text-underline-offset", "3px"],
    ],
  };
  const MARK_STYLE = [
    ["display", "inline"],
    ["color", "inherit"],
    ["font", "inherit"],
    ["margin", "0"],
    ["padding", "0"],
    ["border", "0"],
    ["border-radius", "2px"],
    ["cursor", "pointer"],
    ["text-decoration", "inherit"],
    ["outline-offset", "1px"],
  ];

  // A sentence that only reports a debunked claim ("He added that …"): the reported clause is
  // marked in amber rather than red, and the reporter's own words are not marked.
  const MENTION_STYLE = [
    ["background-color", "rgba(255, 214, 102, 0.38)"],
    ["box-shadow", "inset 0 -2px 0 #b7791f"],
  ];

  let roots = [];
  let entries = [];
  let observer = null;
  let timer = null;
  let reapplyTimes = [];
  let hoverTimer = null;
  let listening = false;

  function extract() {
    const result = Extract.extract(document);
    roots = result.roots.filter(Boolean);
    const { roots: _unused, ...plain } = result;
    return plain;
  }

  /** What to find and mark in the page: the reported clause of a reporting sentence, else the claim. */
  function quoteOf(claim) {
    const reported = claim.reported;
    if (!reported) {
      return claim;
    }
    return {
      text: reported.text,
      prefix: `${claim.prefix ?? ""}${claim.text.slice(0, reported.start)}`.slice(-64),
      suffix: `${claim.text.slice(reported.end)}${claim.suffix ?? ""}`.slice(0, 64),
      position: claim.position ?? null,
    };
  }

  function decorate(entry) {
    const { shown } = entry;
    // A reporter's sentence is never branded red: a debunked claim it only mentions is marked softly.
    const toneStyle = shown.mentioned && shown.tone === "false" ? MENTION_STYLE : TONE_STYLE[shown.tone];
    return (mark, i) => {
      mark.className = MARK_CLASS;
      mark.dataset.factcheckId = String(entry.id);
      mark.dataset.factcheckStatus = shown.mentioned ? "mentioned" : shown.status;
      mark.dataset.factcheckTone = shown.tone;
      for (const [property, value] of [...MARK_STYLE, ...toneStyle]) {
        mark.style.setProperty(property, value, "important");
      }
      if (i === 0) {
        mark.tabIndex = 0;
        mark.setAttribute("role", "button");
        mark.setAttribute("aria-haspopup", "dialog");
        mark.setAttribute("aria-expanded", "false");
        mark.setAttribute("aria-label", Verdict.describe(shown, entry.quote.text));
      }
    };
  }

  function anchorEntry(entry) {
    const scopes = [...roots.filter((root) => root.isConnected), document.body].filter(Boolean);
    for (const scope of scopes) {
      const index = buildIndex(scope);
      const found = findQuote(index, entry.quote);
      if (found) {
        entry.marks = wrap(index, found.start, found.end, decorate(entry));
        return true;
      }
    }
    entry.marks = [];
    return false;
  }

  function intact(entry) {
    return (
      entry.marks.length > 0 &&
      entry.marks.every((mark) => mark.isConnected) &&
      fold(entry.marks.map((mark) => mark.textContent).join("")) === fold(entry.quote.text)
    );
  }

  function withoutObserver(change) {
    observer?.disconnect();
    try {
      return change();
    } finally {
      if (observer) {
        observer.takeRecords();
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      }
    }
  }

  function isOurs(node) {
    return (
      (node.nodeType === Node.ELEMENT_NODE && node.tagName.toLowerCase() === MARK_TAG) ||
      Card.contains(node)
    );
  }

  function relevant(record) {
    if (Card.contains(record.target)) {
      return false;
    }
    const nodes = [...record.addedNodes, ...record.removedNodes];
    return !(record.type === "childList" && nodes.length > 0 && nodes.every(isOurs));
  }

  function schedule(delay = REAPPLY_DELAY_MS) {
    clearTimeout(timer);
    timer = setTimeout(reapply, delay);
  }

  /** Re-anchor claims whose marks the page removed or rewrote; rate-limited so it cannot loop. */
  function reapply() {
    const now = Date.now();
    reapplyTimes = reapplyTimes.filter((time) => now - time < 10_000);
    if (reapplyTimes.length >= MAX_REAPPLIES_PER_10S) {
      schedule(BACKOFF_DELAY_MS);
      return;
    }
    const broken = entries.filter((entry) => !intact(entry));
    if (!broken.length) {
      return;
    }
    reapplyTimes.push(now);
    withoutObserver(() => {
      for (const entry of broken) {
        entry.marks.filter((mark) => mark.isConnected).forEach(unwrap);
        anchorEntry(entry);
      }
    });
  }

  function observe() {
    if (observer || !document.body) {
      return;
    }
    observer = new MutationObserver((records) => {
      if (entries.length && records.some(relevant)) {
        schedule();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  }

  function entryOf(mark) {
    return entries.find((entry) => String(entry.id) === mark.dataset.factcheckId);
  }

  function markFrom(target) {
    const element = target?.nodeType === Node.ELEMENT_NODE ? target : target?.parentElement;
    return element?.closest?.(`${MARK_TAG}.${MARK_CLASS}`) ?? null;
  }

  function showFor(mark) {
    const entry = entryOf(mark);
    if (entry) {
      Card.show(mark, entry.shown);
    }
  }

  function listen() {
    if (listening) {
      return;
    }
    listening = true;
    document.addEventListener("mouseover", (event) => {
      const mark = markFrom(event.target);
      if (!mark) {
        return;
      }
      clearTimeout(hoverTimer);
      hoverTimer = setTimeout(() => showFor(mark), 120);
    }, true);
    document.addEventListener("mouseout", (event) => {
      const mark = markFrom(event.target);
      if (mark && !Card.contains(event.relatedTarget) && markFrom(event.relatedTarget) !== mark) {
        clearTimeout(hoverTimer);
        Card.scheduleHide();
      }
    }, true);
    document.addEventListener("focusin", (event) => {
      const mark = markFrom(event.target);
      if (mark) {
        showFor(mark);
      }
    }, true);
    document.addEventListener("focusout", (event) => {
      if (markFrom(event.target) && !Card.contains(event.relatedTarget)) {
        Card.scheduleHide(150);
      }
    }, true);
    document.addEventListener("click", (event) => {
      const mark = markFrom(event.target);
      if (mark) {
        clearTimeout(hoverTimer);
        showFor(mark);
      } else if (!Card.contains(event.target)) {
        Card.hide();
      }
    }, true);
    document.addEventListener("keydown", (event) => {
      const mark = markFrom(event.target);
      if (mark && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        showFor(mark);
        Card.focusLink();
      } else if (event.key === "Escape") {
        Card.hide({ restoreFocus: Boolean(mark) });
      }
    }, true);
  }

  function clear() {
    clearTimeout(timer);
    Card.hide();
    withoutObserver(() => {
      for (const entry of entries) {
        entry.marks.filter((mark) => mark.isConnected).forEach(unwrap);
      }
    });
    entries = [];
  }

  /**
   * Highlight these claims (those a fact-check is shown for; anything else is ignored). Each
   * claim is {text, prefix, suffix, position, status, matches}. Returns how many were found in
   * the page.
   */
  function highlight(claims) {
    clear();
    if (!roots.length) {
      extract();
    }
    entries = claims
      .map((claim) => ({ claim, shown: Verdict.present(claim) }))
      .filter((entry) => entry.shown)
      .map((entry, id) => ({ ...entry, id, quote: quoteOf(entry.claim), marks: [] }));
    withoutObserver(() => entries.forEach(anchorEntry));
    listen();
    observe();
    return status();
  }

  function status() {
    return {
      claims: entries.length,
      highlighted: entries.filter((entry) => entry.marks.length > 0).length,
      missing: entries.filter((entry) => entry.marks.length === 0).map((entry) => entry.claim.text),
    };
  }

  globalThis.__factcheck = Object.freeze({
    clear,
    extract,
    highlight,
    selection: () => Extract.selectionForReport(document),
    status,
  });
})();
