/**
 * How a claim's status and its fact-check's rating read to people: the tone (colour family)
 * and the words of the highlight, the card and the popup, in one place.
 *
 * Red (the "false" tone) is only for debunked claims, whose fact-check rates them false,
 * mostly false or misleading. A claim matched to a fact-check rated otherwise is
 * "fact-checked" in its own tone; a possibly related fact-check is shown softly and never
 * as a verdict on the text. A sentence that only reports the claim ("He added that …") is
 * said to *mention* it, in its status's words; a fact-check with no source (no reviewer, no
 * link) is never shown as a verdict at all.
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

  // No reviewer and no link: the database holds the claim, but nobody is named as saying so.
  const UNSOURCED = {
    tone: "neutral",
    headline: "In the fact-check database",
    caution: "",
    notice: "This matches a claim in the fact-check database, but no source is given, so no verdict is shown.",
  };
  const NOT_NECESSARILY = "the highlighted part. The sentence does not necessarily make the claim itself.";

  function ratingClass(debunk) {
    return debunk.rating_class ?? RATING_CLASS_OF_LABEL[debunk.label] ?? "other";
  }

  function hasSource(debunk) {
    return Boolean(String(debunk.reviewer_name ?? "").trim() || /^https?:\/\//i.test(String(debunk.review_url ?? "")));
  }

  /** What the fact-check is, in this status's words (for the mention line and the label). */
  function ratedAs(status, rating) {
    if (status === "possibly_related") {
      return `a claim that may be related to a fact-check rated ${rating}`;
    }
    return status === "debunked" ? `a claim rated ${rating}` : `a fact-checked claim, rated ${rating}`;
  }

  /**
   * What a reader is shown for `claim` (a report claim), or null when nothing is shown.
   * {status, tone, headline, rating, ratingClass, caution, notice, mentioned, sourced, debunk, confidence,
   *  blockConfidence, claimLanguage}
   * `blockConfidence` is the confidence of the sentence's block or paragraph weighed as a whole (a chain
   * letter told in several sentences), null when it was not weighed.
   * `notice` is the line above the card: the sentence mentions the claim, or there is no source.
   * `claimLanguage` is the claim's language code ("" from a server that does not say).
   */
  function present(claim) {
    const match = claim?.matches?.[0];
    if (!match || !SHOWN_STATUSES.includes(claim.status)) {
      return null;
    }
    const { debunk, confidence } = match;
    const rc = ratingClass(debunk);
    const rating = debunk.rating_text || LABELS[debunk.label] || debunk.label;
    // A server from before rating-aware statuses said "debunked" for any match: the rating decides.
    const status =
      claim.status === "possibly_related" ? claim.status : rc === "refuted" ? "debunked" : "fact_checked";
    const words = status === "possibly_related" ? RELATED : { ...MATCHED[rc], caution: "" };
    const mentioned = Boolean(claim.reported);
    const sourced = hasSource(debunk);
    const notice = mentioned ? `This sentence mentions ${ratedAs(status, rating)}: ${NOT_NECESSARILY}` : "";
    return {
      status, ...words, notice, ...(sourced ? {} : UNSOURCED),
      rating, ratingClass: rc, mentioned, sourced, debunk, confidence, claimLanguage: claim.language || "",
      blockConfidence: typeof claim.block_confidence === "number" ? claim.block_confidence : null,
    };
  }

  /** The highlight's screen-reader label: what the card will say, in one sentence. */
  function describe(shown, markedText) {
    if (!shown.sourced) {
      return `Matches a claim in the fact-check database, with no source given: ${markedText}`;
    }
    const by = shown.debunk.reviewer_name ? ` by ${shown.debunk.reviewer_name}` : "";
    if (shown.mentioned) {
      return `This sentence mentions ${ratedAs(shown.status, shown.rating)}${by}: ${markedText}`;
    }
    const what =
      shown.status === "possibly_related"
        ? `May be related to a fact-check rated ${shown.rating}`
        : `Fact-checked claim, rated ${shown.rating}`;
    return `${what}${by}: ${markedText}`;
  }

  globalThis.FactcheckVerdict = Object.freeze({ SHOWN_STATUSES, describe, present, ratingClass });
})();
