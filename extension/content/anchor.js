/**
 * Finding a claim again in the rendered page, and wrapping it.
 *
 * The server returns each claim's exact `text` plus a little `prefix`/`suffix` context
 * (the W3C Web Annotation TextQuoteSelector idea). The page's text nodes are joined into
 * one folded string in which whitespace, zero-width characters and the `>` of quoted
 * email lines are dropped, and quotes/dashes are folded, so the search does not care how
 * the page breaks lines or how the extractor joined blocks. Each folded character keeps
 * a pointer to its text node and offset, so a match maps back to a DOM range.
 *
 * Plain DOM code with no extension APIs: the test suite loads this file into an ordinary
 * page to test it.
 */
(() => {
  if (globalThis.FactcheckAnchor) {
    return;
  }

  const SKIP_TAGS = new Set([
    "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TEXTAREA", "INPUT", "SELECT", "OPTION",
    "SVG", "CANVAS", "IFRAME", "OBJECT", "FACTCHECK-CARD",
  ]);
  // Wrapping a whitespace-only text node inside these would add a box where none may go.
  const NO_INLINE_CHILD = new Set([
    "TABLE", "THEAD", "TBODY", "TFOOT", "TR", "COLGROUP", "UL", "OL", "DL", "SELECT", "DATALIST",
  ]);
  const IGNORABLE = /[\s\u00ad\u200b-\u200d\u2060\ufeff>]/u;
  const FOLD = new Map([
    ["\u2018", "'"], ["\u2019", "'"], ["\u201a", "'"], ["\u201b", "'"], ["\u2032", "'"], ["`", "'"],
    ["\u201c", '"'], ["\u201d", '"'], ["\u201e", '"'], ["\u201f", '"'], ["\u2033", '"'],
    ["\u00ab", '"'], ["\u00bb", '"'],
    ["\u2010", "-"], ["\u2011", "-"], ["\u2012", "-"], ["\u2013", "-"], ["\u2014", "-"], ["\u2212", "-"],
  ]);
  const MARK_TAG = "factcheck-mark";

  function foldChar(ch) {
    const mapped = FOLD.get(ch);
    if (mapped) {
      return mapped;
    }
    const lower = ch.toLowerCase();
    return lower.length === ch.length ? lower : ch;
  }

  /** The folded form of a string, for needles (prefix, claim text, suffix). */
  function fold(text) {
    let out = "";
    for (const ch of String(text ?? "").normalize("NFC")) {
      if (!IGNORABLE.test(ch)) {
        out += foldChar(ch);
      }
    }
    return out;
  }

  function acceptNode(node) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      return SKIP_TAGS.has(node.tagName.toUpperCase()) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
    }
    return NodeFilter.FILTER_ACCEPT;
  }

  /**
   * One folded string for every text node under `root`, with the way back:
   * `nodeAt[i]` is the index in `nodes` of folded char i, `offsetAt[i]` its UTF-16 offset there.
   */
  function buildIndex(root) {
    const nodes = [];
    const chars = [];
    const nodeAt = [];
    const offsetAt = [];
    const walker = root.ownerDocument.createTreeWalker(
      root,
      NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT,
      { acceptNode },
    );
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType !== Node.TEXT_NODE) {
        continue;
      }
      const value = node.nodeValue;
      const nodeIndex = nodes.push(node) - 1;
      for (let offset = 0; offset < value.length; offset += 1) {
        const ch = value[offset];
        if (IGNORABLE.test(ch)) {
          continue;
        }
        chars.push(foldChar(ch));
        nodeAt.push(nodeIndex);
        offsetAt.push(offset);
      }
    }
    return { root, nodes, text: chars.join(""), nodeAt, offsetAt };
  }

  function commonSuffixLength(a, b) {
    let n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) {
      n += 1;
    }
    return n;
  }

  function commonPrefixLength(a, b) {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) {
      n += 1;
    }
    return n;
  }

  /**
   * Where the quote is in the index, as [start, end) in folded characters, or null.
   * Among several occurrences the one whose surroundings best match prefix and suffix wins;
   * `position` (0..1, where the claim sat in the extracted text) breaks ties.
   */
  function findQuote(index, { text, prefix = "", suffix = "", position = null }) {
    const needle = fold(text);
    if (!needle) {
      return null;
    }
    const foldedPrefix = fold(prefix);
    const foldedSuffix = fold(suffix);
    const hay = index.text;
    let best = null;
    for (let at = hay.indexOf(needle), seen = 0; at !== -1 && seen < 200; at = hay.indexOf(needle, at + 1), seen += 1) {
      const before = hay.slice(Math.max(0, at - foldedPrefix.length), at);
      const after = hay.slice(at + needle.length, at + needle.length + foldedSuffix.length);
      let score = commonSuffixLength(foldedPrefix, before) + commonPrefixLength(foldedSuffix, after);
      if (position !== null && hay.length > 0) {
        score += 1 - Math.abs(at / hay.length - position);
      }
      if (best === null || score > best.score) {
        best = { start: at, end: at + needle.length, score };
      }
    }
    return best;
  }

  /** The DOM Range of folded characters [start, end). */
  function toRange(index, start, end) {
    const range = index.root.ownerDocument.createRange();
    range.setStart(index.nodes[index.nodeAt[start]], index.offsetAt[start]);
    range.setEnd(index.nodes[index.nodeAt[end - 1]], index.offsetAt[end - 1] + 1);
    return range;
  }

  /**
   * Wrap folded characters [start, end) in inline marks, one per text node, so the
   * range may cross element boundaries without moving any element. Returns the marks.
   */
  function wrap(index, start, end, decorate) {
    const doc = index.root.ownerDocument;
    const firstNode = index.nodeAt[start];
    const lastNode = index.nodeAt[end - 1];
    const pieces = [];
    for (let n = firstNode; n <= lastNode; n += 1) {
      const node = index.nodes[n];
      const from = n === firstNode ? index.offsetAt[start] : 0;
      const to = n === lastNode ? index.offsetAt[end - 1] + 1 : node.nodeValue.length;
      if (to <= from) {
        continue;
      }
      const segment = node.nodeValue.slice(from, to);
      const parent = node.parentNode;
      if (!parent || (!segment.trim() && NO_INLINE_CHILD.has(parent.nodeName.toUpperCase()))) {
        continue;
      }
      pieces.push({ node, from, to });
    }
    const marks = [];
    for (const { node, from, to } of pieces) {
      let target = node;
      if (to < target.nodeValue.length) {
        target.splitText(to);
      }
      if (from > 0) {
        target = target.splitText(from);
      }
      const mark = doc.createElement(MARK_TAG);
      target.parentNode.insertBefore(mark, target);
      mark.appendChild(target);
      marks.push(mark);
    }
    marks.forEach((mark, i) => decorate(mark, i, marks.length));
    return marks;
  }

  /** Put a mark's text back where it was; adjacent text nodes stay split, which is harmless. */
  function unwrap(mark) {
    const parent = mark.parentNode;
    if (!parent) {
      return;
    }
    while (mark.firstChild) {
      parent.insertBefore(mark.firstChild, mark);
    }
    parent.removeChild(mark);
  }

  globalThis.FactcheckAnchor = Object.freeze({
    MARK_TAG,
    buildIndex,
    findQuote,
    fold,
    toRange,
    unwrap,
    wrap,
  });
})();
