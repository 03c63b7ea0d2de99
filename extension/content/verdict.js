/**
 * How a claim's status and its fact-check's rating read to people: the tone (colour family)
 * and the words of the highlight, the card and the popup, in one place.
 *
 * Red (the "false" tone) is only for debunked claims, whose fact-check rates them false,
 * mostly false or misleading. A claim matched to a fact-check rated otherwise is
 * "fact-checked" in its own tone; a possibly related fact-check is shown softly and never
 * as a verdict on the text.
 *
 * A classic script: the content scripts and the popup (popup.html) both load it.
 */
(() => {
  if (globalThis.FactcheckVerdict) {
    return;
  }

  const SHOWN_STATUSES = Object.freeze(["debunked", "fact_checked", "possibly_related"]);
  const RATING_CLASS_OF_LABEL = {
    false: "refuted",
    mostly_false: "refuted",
    misleading: "refuted",
    true: "supported",
    mostly_true: "supported",
    mixed: "mixed",
    unproven: "unproven",
    satire: "satire",
    other: "other",
  };
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
  // By rating class: the tone and the headline of a matched claim.
  const MATCHED = {
    refuted: { tone: "false", headline: "Debunked by fact-checkers" },
    supported: { tone: "supported", headline: "Fact-checked: supported" },
    mixed: { tone: "neutral", headline: "Fact-checked: partly true, partly false" },
    unproven: { tone: "neutral", headline: "Fact-checked: unproven" },
    satire: { tone: "satire", headline: "Fact-checked: satire, not meant as fact" },
    other: { tone: "neutral", headline: "Fact-checked" },
  };
  const RELATED = {
    tone: "related",
    headline: "May be related to a fact-check",
    caution: "factcheck is not sure this fact-check is about the same claim. It does not say this text is false.",
  };

  function ratingClass(debunk) {
    return debunk.rating_class ?? RATING_CLASS_OF_LABEL[debunk.label] ?? "other";
  }

  /**
   * What a reader is shown for `claim` (a report claim), or null when nothing is shown.
   * {status, tone, headline, rating, ratingClass, caution, debunk, confidence}
   */
  function present(claim) {
    const match = claim?.matches?.[0];
    if (!match || !SHOWN_STATUSES.includes(claim.status)) {
      return null;
    }
    const { debunk, confidence } = match;
    const rc = ratingClass(debunk);
    const rating = debunk.rating_text || LABELS[debunk.label] || debunk.label;
    if (claim.status === "possibly_related") {
      return { status: claim.status, ...RELATED, rating, ratingClass: rc, debunk, confidence };
    }
    // A server from before rating-aware statuses said "debunked" for any match: the rating decides.
    const status = rc === "refuted" ? "debunked" : "fact_checked";
    return { status, ...MATCHED[rc], caution: "", rating, ratingClass: rc, debunk, confidence };
  }

  globalThis.FactcheckVerdict = Object.freeze({ SHOWN_STATUSES, present, ratingClass });
})();
