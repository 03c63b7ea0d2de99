/**
 * The readable text of a page: what gets checked, and where its highlights may go.
 *
 * In order: the user's selection (when there is one); an open webmail message (Gmail,
 * Outlook and Yahoo layouts: the message bodies inside the main region, forwarded chains
 * and `>`-quoted text included, which is where chain-mail hoaxes live); the page's
 * `article`, `main` or `[role=main]`; else the element holding the most paragraph text.
 * Navigation, asides, forms, scripts, styles and hidden elements are left out.
 *
 * Plain DOM code with no extension APIs, testable in an ordinary page.
 */
(() => {
  if (globalThis.FactcheckExtract) {
    return;
  }

  const MAX_CHARS = 100_000;
  const MIN_SELECTION_CHARS = 12;
  const SKIP_TAGS = new Set([
    "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "CANVAS", "IFRAME", "OBJECT", "EMBED",
    "BUTTON", "SELECT", "TEXTAREA", "INPUT", "NAV", "ASIDE", "FOOTER", "FORM", "DIALOG",
    "FACTCHECK-CARD",
  ]);
  const SKIP_ROLES = new Set([
    "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar",
    "toolbar", "dialog", "alert", "tablist",
  ]);
  const BLOCK_TAGS = new Set([
    "ADDRESS", "ARTICLE", "BLOCKQUOTE", "CAPTION", "DD", "DETAILS", "DIV", "DL", "DT",
    "FIELDSET", "FIGCAPTION", "FIGURE", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR",
    "LI", "MAIN", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE", "TD", "TH", "TR", "UL",
  ]);
  const WEBMAIL_BODIES = [
    // Gmail: each open message's body; `.gmail_quote` chains live inside it.
    "[role=main] .a3s",
    // Outlook on the web.
    "[role=main] [aria-label='Message body']",
    "[role=main] [role=document]",
    // Yahoo Mail.
    "[data-test-id='message-view-body-content']",
  ];

  function isHidden(element) {
    if (element.hidden || element.getAttribute("aria-hidden") === "true") {
      return true;
    }
    if (typeof element.checkVisibility === "function") {
      return !element.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true });
    }
    const style = element.ownerDocument.defaultView.getComputedStyle(element);
    return style.display === "none" || style.visibility === "hidden";
  }

  function isSkipped(element) {
    return (
      SKIP_TAGS.has(element.tagName.toUpperCase()) ||
      SKIP_ROLES.has(element.getAttribute("role") ?? "") ||
      isHidden(element)
    );
  }

  /**
   * The text under `root`, blocks separated by line breaks and runs of spaces collapsed
   * (except in `pre`-like elements), skipping what is not reading matter.
   */
  function textOf(root) {
    const parts = [];
    const preCache = new WeakMap();
    const view = root.ownerDocument.defaultView;

    function keepsWhitespace(element) {
      if (!element) {
        return false;
      }
      if (!preCache.has(element)) {
        preCache.set(element, view.getComputedStyle(element).whiteSpace.startsWith("pre"));
      }
      return preCache.get(element);
    }

    function visit(node) {
      if (node.nodeType === Node.TEXT_NODE) {
        const value = node.nodeValue;
        parts.push(keepsWhitespace(node.parentElement) ? value : value.replace(/\s+/g, " "));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || (node !== root && isSkipped(node))) {
        return;
      }
      if (node.tagName.toUpperCase() === "BR") {
        parts.push("\n");
        return;
      }
      const block = BLOCK_TAGS.has(node.tagName.toUpperCase());
      if (block) {
        parts.push("\n");
      }
      for (let child = node.firstChild; child; child = child.nextSibling) {
        visit(child);
      }
      if (block) {
        parts.push("\n");
      }
    }

    visit(root);
    return tidy(parts.join(""));
  }

  function tidy(text) {
    return text
      .split("\n")
      .map((line) => line.replace(/[^\S\n]+/g, " ").trim())
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim();
  }

  /** Drop the `>` markers of quoted email lines, so the server sees plain sentences. */
  function unquote(text) {
    return text
      .split("\n")
      .map((line) => line.replace(/^\s*(?:>\s?)+/, ""))
      .join("\n");
  }

  // Forwarded-message headers are never claims, and other people's addresses stay in the browser.
  const ADDRESS_LINE = /^(?:from|to|cc|bcc|date|sent|reply-to):\s/i;
  const HEADER_LINE = /^(?:from|to|cc|bcc|date|sent|reply-to|subject):\s/i;
  const FORWARD_MARKER = /^-{2,}\s*(?:forwarded message|original message)\s*-{2,}$/i;

  /**
   * Plain-text email is hard-wrapped at ~72 columns; join a line to the next when the
   * sentence clearly goes on ("...10% of our" + "brain."), so the server sees whole sentences.
   * Drop the header block of forwarded messages (subject included) and any address line.
   */
  function unwrapMail(text) {
    const out = [];
    let inHeaders = false;
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (FORWARD_MARKER.test(line)) {
        inHeaders = true;
        out.push(line);
        continue;
      }
      if (ADDRESS_LINE.test(line) || (inHeaders && HEADER_LINE.test(line))) {
        inHeaders = true;
        continue;
      }
      inHeaders = false;
      const previous = out.length ? out[out.length - 1] : "";
      if (previous && line && !/[.!?:;"\u201d)]$/.test(previous) && /^[\p{Ll}\d(\u201c"']/u.test(line)) {
        out[out.length - 1] = `${previous} ${line}`;
      } else {
        out.push(line);
      }
    }
    return out.join("\n");
  }

  function outermost(elements) {
    return elements.filter((el) => !elements.some((other) => other !== el && other.contains(el)));
  }

  function visible(elements) {
    return elements.filter((el) => !isHidden(el));
  }

  function webmailBodies(doc) {
    for (const selector of WEBMAIL_BODIES) {
      const found = outermost(visible([...doc.querySelectorAll(selector)]));
      if (found.length) {
        return found;
      }
    }
    return [];
  }

  function paragraphScore(element) {
    let score = 0;
    for (const p of element.querySelectorAll(":scope > p, :scope > div > p")) {
      score += (p.textContent ?? "").trim().length;
    }
    return score;
  }

  /** The element holding most of the reading matter, for pages without article/main. */
  function largestTextBlock(doc) {
    const candidates = new Set();
    for (const p of doc.body.querySelectorAll("p")) {
      if (p.parentElement) {
        candidates.add(p.parentElement);
      }
      if (p.parentElement?.parentElement) {
        candidates.add(p.parentElement.parentElement);
      }
    }
    let best = null;
    let bestScore = 0;
    for (const element of candidates) {
      if (element.closest("nav, aside, footer, form, [role=navigation], [role=complementary]")) {
        continue;
      }
      const score = paragraphScore(element);
      if (score > bestScore) {
        best = element;
        bestScore = score;
      }
    }
    return bestScore >= 200 ? best : null;
  }

  function mainRoots(doc) {
    const articles = outermost(visible([...doc.querySelectorAll("article")]));
    if (articles.length === 1) {
      return articles;
    }
    const main = visible([...doc.querySelectorAll("main, [role=main]")]);
    if (main.length) {
      return outermost(main).slice(0, 1);
    }
    if (articles.length > 1) {
      return articles;
    }
    const block = largestTextBlock(doc);
    return [block ?? doc.body];
  }

  function selectionContext(selection) {
    const node = selection.rangeCount ? selection.getRangeAt(0).commonAncestorContainer : null;
    const element = node?.nodeType === Node.ELEMENT_NODE ? node : node?.parentElement;
    const block = element?.closest("p, li, blockquote, td, div, article, section") ?? element;
    return block ? textOf(block).slice(0, 2_000) : "";
  }

  function cap(text) {
    if (text.length <= MAX_CHARS) {
      return { text, truncated: false };
    }
    const cut = text.lastIndexOf("\n", MAX_CHARS);
    return { text: text.slice(0, cut > MAX_CHARS / 2 ? cut : MAX_CHARS), truncated: true };
  }

  /**
   * The language the page declares for `root` (its own or an ancestor's `lang`), "" when none.
   * Not for webmail: the page's language is the mail client's, not the message's.
   */
  function declaredLanguage(root) {
    const element = root?.closest?.("[lang]") ?? root?.ownerDocument?.documentElement;
    return String(element?.getAttribute?.("lang") ?? "").trim();
  }

  /**
   * What to check on this page: { kind, text, url, title, truncated, language }, and `roots`,
   * the elements the text came from (the highlighter searches them first).
   */
  function extract(doc = document, { useSelection = true } = {}) {
    const base = { url: doc.location?.href ?? "", title: doc.title ?? "" };
    const selection = useSelection ? doc.getSelection() : null;
    const selected = selection && !selection.isCollapsed ? tidy(selection.toString()) : "";
    if (selected.length >= MIN_SELECTION_CHARS) {
      const range = selection.getRangeAt(0);
      const container = range.commonAncestorContainer;
      const root = container.nodeType === Node.ELEMENT_NODE ? container : container.parentElement;
      return { ...base, kind: "selection", roots: [root], language: declaredLanguage(root), ...cap(selected) };
    }
    const mail = webmailBodies(doc);
    if (mail.length) {
      const text = mail.map((body) => unwrapMail(unquote(textOf(body)))).join("\n\n");
      return { ...base, kind: "webmail", roots: mail, ...cap(tidy(text)) };
    }
    const roots = mainRoots(doc);
    const text = roots.map((root) => textOf(root)).join("\n\n");
    const kind = roots[0] === doc.body ? "page" : "article";
    return { ...base, kind, roots, language: declaredLanguage(roots[0]), ...cap(tidy(text)) };
  }

  /** The current selection and its paragraph, for "Report a claim". */
  function selectionForReport(doc = document) {
    const selection = doc.getSelection();
    const text = selection && !selection.isCollapsed ? tidy(selection.toString()) : "";
    return {
      text,
      context: text ? selectionContext(selection) : "",
      url: doc.location?.href ?? "",
      title: doc.title ?? "",
    };
  }

  globalThis.FactcheckExtract = Object.freeze({ extract, selectionForReport, textOf, unquote, unwrapMail });
})();
