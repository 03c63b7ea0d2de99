"""Stage 2: a Document's text -> the claims in it, each located exactly and scored for check-worthiness.

    Document.text
      │  segment      spaCy blank pipeline of the document's language (English, French, Spanish, German, ...):
      │               its tokenizer + `factcheck_line_breaks` + rule-based `sentencizer`
      ▼
    sentence spans    whitespace and list bullets trimmed; `text[start:end]` is the sentence exactly
      │  attach       a same-line tail of tags ("#Masks4All", "via @site", "— Name (@handle) Date") joins
      │               the sentence before it
      │  join         "X. Because Y." / "X. That's why Y." / "X:" + next sentence become one claim
      ▼
    candidates        fragments (< 3 words once normalised), bare URLs and short verbless headings dropped
      │  score        CheckworthinessScorer.score(normalized texts) -> probability in [0, 1]
      ▼
    list[Claim]       every candidate with its score and language; the caller applies the threshold

Segmenting. The rule-based sentencizer splits after sentence-final punctuation. On its own it ignores line
breaks, so a heading and the paragraph under it, or the lines of a tweet, would fuse into one "sentence". The
`factcheck_line_breaks` component runs first and marks a sentence start after every *hard* break: a blank
line, a line shorter than 60 characters (a heading, a list item, a line of a social post), a title-case line
(a headline), or a line that ends in sentence-final punctuation, or before a list bullet. A single line break after a long line that
ends mid-sentence is taken as a soft wrap (plain-text email at 72 columns) and does not split.

Attaching. A sentence start never falls between '#' or '@' and its word. A span on the same line as the
sentence before it that holds only tags, handles, links, emoji, a "via @site" or an embedded tweet's
signature is part of that sentence (the post it ends), not a claim of its own.

Joining. Two sentences are joined into one claim when the second only makes sense with the first:
it opens with a causal connective ("Because ...", "That's why ...", "This is why ...", "Which means ...",
"This means ...", "That means ...", and their French, Spanish and German peers: "Parce que ...",
"C'est pourquoi ...", "Porque ...", "Por eso ...", "Weil ...", "Deshalb ..."), or the first ends in ':'
and the second continues it. At most three sentences (and 600 characters) are joined. The joined claim's span runs from the first sentence's start to
the last one's end, so its `text` holds the original spacing between them.

Dropping. Every other sentence-like unit is a claim: one-line paragraphs, headlines, list items,
hashtag-led lines, posts. A candidate is not a claim only when, after normalisation, it has fewer than 3
words (letters or digits), which also removes bare URLs, emoji runs and "Share if you agree!"; or when it
is a short heading: under 6 words, no sentence-final punctuation, no digit, no verb-like word and no tag
("Health and Science News"). A title-case headline of 6 words or more ("Pope Francis Shocks World,
Endorses Donald Trump For President") is a claim: headlines are how satire and hoax sites state theirs.

Languages. The document's language (`Document.language`, declared or detected by the pipeline; "en"
when empty) picks the spaCy blank pipeline: each language's tokenizer exceptions keep its abbreviations
("M. Dupont", "Sr. García", "z.B.") inside the sentence. No model is downloaded; a pipeline is built on
first use and kept per language (a language spaCy has no blank pipeline for gets the multilingual one).
A Spanish sentence's opening "¡" or "¿" starts it. Each claim's language is its own text's when
`factcheck.language.LanguageDetector` is confident about it (enough words), else the document's: one
quoted English sentence in a French post is English. The heading rule knows the commonest verbs of each
supported language.

Normalising (`Claim.normalized`, used for scoring and matching; `Claim.text` keeps the original) is
`factcheck._normalize.normalize_claim_text`, the one normaliser of the social-media register (handles,
hashtags, shouting, emoji, "via @x", URLs, tweet signatures, "BREAKING:", calls to share).

Spans index `Document.text` in Python characters (code points). `prefix`/`suffix` carry 32 characters of
raw context on each side, as a W3C TextQuoteSelector does, so a browser can find the passage again even
where its own offsets (UTF-16, rendered whitespace) differ.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import spacy
from spacy.attrs import IDX, IS_PUNCT, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from factcheck._normalize import normalize_claim_text
from factcheck.language import FALLBACK_LANGUAGE, LanguageDetector, default_detector, language_code
from factcheck.types import Claim, Document

__all__ = [
    "CONTEXT_CHARS",
    "MIN_CLAIM_WORDS",
    "CheckworthinessScorer",
    "ClaimCandidate",
    "ClaimWindow",
    "SentenceSpan",
    "candidate_spans",
    "claim_windows",
    "extract_claims",
    "normalize_claim_text",
    "sentence_pipeline",
    "sentence_spans",
]

CONTEXT_CHARS = 32
MIN_CLAIM_WORDS = 3
# A single line break after a line at least this long that ends mid-sentence is a soft wrap, not a break.
SOFT_WRAP_MIN_CHARS = 60
# ... unless it is a headline: this share of its words of 4+ letters are capitalised.
TITLE_CASE_SHARE = 0.8
# A verbless line this short is a heading ("Health and Science News"), not a claim.
MAX_HEADING_WORDS = 5
MAX_JOINED_SENTENCES = 3
MAX_JOINED_CHARS = 600
# Well above the 5 MB fetch limit; the blank pipeline has no parser, so long texts cost only tokens.
MAX_TEXT_CHARS = 20_000_000
# spaCy keeps every string it has seen; a long-running server rebuilds the shared pipeline past this.
MAX_VOCAB_STRINGS = 1_000_000
# A paragraph or post this short (first claim's start to last claim's end) is also matched in windows.
MAX_WINDOW_PARAGRAPH_CHARS = 320
WINDOW_SIZES = (2, 3)


class CheckworthinessScorer(Protocol):
    """What extract_claims needs from a check-worthiness model (CheckworthinessModel satisfies it)."""

    def score(
        self, texts: Sequence[str], *, normalized: bool = False, languages: Sequence[str] | None = None
    ) -> np.ndarray:
        """Probabilities in [0, 1]; `normalized=True` says the texts went through normalize_claim_text."""
        ...

    def transfers(self, language: str) -> bool:
        """True when claims in `language` get a score carried over from another language's model."""
        ...


# --------------------------------------------------------------------------------------------- segmenting

_TERMINAL = ".!?…:;\"'”’)»"
_BULLET = re.compile(r"[-*•·▪‣◦►▶✓✔➢–—]\s|\d{1,3}[.)]\s")


def _is_title_case(line: str) -> bool:
    """A headline ("Pope Francis Shocks World, Endorses Donald Trump For President"), not wrapped prose."""
    words = [word for word in line.split() if len(word) > 3]
    return len(words) >= 3 and sum(word[0].isupper() for word in words) >= TITLE_CASE_SHARE * len(words)


def _is_hard_break(text: str, index: int, space: str) -> bool:
    if space.count("\n") >= 2:
        return True
    line = text[text.rfind("\n", 0, index) + 1 : index].strip()
    if not line or len(line) < SOFT_WRAP_MIN_CHARS or line[-1] in _TERMINAL or _is_title_case(line):
        return True
    following = text[index + len(space) : index + len(space) + 5]
    return bool(_BULLET.match(following))


_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")
_TEXT_KEY = "factcheck.text"


@Language.component("factcheck_line_breaks")
def mark_line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every hard line break (see the module docstring)."""
    # doc.text is rebuilt token by token on every access; sentence_spans hands the string over instead.
    text = doc.user_data.get(_TEXT_KEY) or doc.text
    breaks = [
        match.end()
        for match in _LINE_BREAK.finditer(text)
        if match.end() < len(text) and _is_hard_break(text, match.start(), match.group())
    ]
    if breaks:
        # Set all starts in one array write: `Token.is_sent_start = True` scans the whole doc on each
        # call, so a long text with many paragraphs would take quadratic time.
        positions = np.asarray(breaks)
        token_starts = doc.to_array(IDX)
        tokens = np.searchsorted(token_starts, positions)
        found = tokens < len(doc)
        found[found] = token_starts[tokens[found]] == positions[found]
        sent_starts = doc.to_array(SENT_START)
        sent_starts[tokens[found]] = 1
        doc.from_array([SENT_START], sent_starts.reshape(-1, 1))
    return doc


@functools.cache
def _terminal_hashes(vocab: Vocab) -> np.ndarray:
    return np.asarray([vocab.strings.add(char) for char in Sentencizer.default_punct_chars], dtype=np.uint64)


_OPENING_MARKS = ("¡", "¿")


@functools.cache
def _opening_hashes(vocab: Vocab) -> np.ndarray:
    return np.asarray([vocab.strings.add(char) for char in _OPENING_MARKS], dtype=np.uint64)


@Language.component("factcheck_sentencizer")
def split_sentences(doc: Doc) -> Doc:
    """spaCy's rule-based `Sentencizer`, computed on token arrays: the same boundaries, faster.

    The rule: a sentence starts at the first token that is neither punctuation nor a sentence-final
    character after a sentence-final character ("." "!" "?" and the other scripts' ones). spaCy's
    component builds a Python object per token to apply it, a large share of the claims stage's time.
    Like it, starts already set (hard line breaks) are kept. Unlike it, a sentence opening with "¡" or
    "¿" (Spanish) starts at that mark, not at the word after it.
    """
    if not len(doc):
        return doc
    words, punct = doc.to_array([ORTH, IS_PUNCT]).T
    terminal = np.isin(words, _terminal_hashes(doc.vocab))
    word_positions = np.flatnonzero(~terminal & (punct == 0))
    terminals_so_far = np.cumsum(terminal)
    before = np.concatenate([[0], terminals_so_far[word_positions[:-1]]])
    starts = np.zeros(len(doc), dtype=bool)
    starts[0] = True
    found = word_positions[terminals_so_far[word_positions] > before]
    opened = found[found > 0]
    opened = opened[np.isin(words[opened - 1], _opening_hashes(doc.vocab))]
    starts[found] = True
    starts[opened] = False
    starts[opened - 1] = True
    current = doc.to_array(SENT_START)  # uint64: -1 ("not a start") wraps around
    merged = np.where(current == 0, np.where(starts, 1, -1).astype(current.dtype), current)
    doc.from_array([SENT_START], merged.reshape(-1, 1))
    return doc


def sentence_pipeline(language: str = FALLBACK_LANGUAGE) -> Language:
    """The shared sentence segmenter of a language: spaCy's blank pipeline for it (no download), line
    breaks, rule-based sentencizer. Built on first use, then kept for the process."""
    return _pipeline(_spacy_language(language_code(language) or FALLBACK_LANGUAGE))


@functools.lru_cache(maxsize=64)  # codes come from documents ("lang" attributes): keep the cache bounded
def _spacy_language(language: str) -> str:
    try:
        spacy.util.get_lang_class(language)
    except ImportError:
        return "xx"  # spaCy's multi-language tokenizer
    return language


@functools.cache
def _pipeline(code: str) -> Language:
    try:
        nlp = spacy.blank(code)
    except ImportError:
        # Korean, Japanese, Thai, Vietnamese, ... tokenizers need packages we do not install.
        return _pipeline("xx")
    nlp.add_pipe("factcheck_line_breaks")
    nlp.add_pipe("factcheck_sentencizer")
    nlp.max_length = MAX_TEXT_CHARS
    return nlp


@dataclass(frozen=True)
class SentenceSpan:
    """A stretch of the document, `start`/`end` in characters: `text[start:end]` is the sentence(s)."""

    start: int
    end: int


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    bullet = _BULLET.match(text, start, end)
    if bullet:
        start = bullet.end()
        while start < end and text[start].isspace():
            start += 1
    return start, end


def sentence_spans(
    text: str, *, nlp: Language | None = None, language: str = FALLBACK_LANGUAGE
) -> list[SentenceSpan]:
    """Split `text` into sentences and return their trimmed character spans, in order.

    `nlp` defaults to `sentence_pipeline(language)`.
    """
    if not text.strip():
        return []
    if nlp is None:
        nlp = sentence_pipeline(language)
        if len(nlp.vocab.strings) > MAX_VOCAB_STRINGS:
            _pipeline.cache_clear()
            nlp = sentence_pipeline(language)
    doc = nlp.make_doc(text)
    doc.user_data[_TEXT_KEY] = text
    doc = nlp(doc)
    # Boundaries are read as arrays: doc.sents and doc.has_annotation build a Python object per token,
    # which cost more than the tokenizer itself.
    sent_starts = doc.to_array(SENT_START).astype(np.int64)
    if not sent_starts[1:].any() and len(doc) > 1:  # a blank doc marks only its first token
        raise ValueError("the spaCy pipeline sets no sentence boundaries; add a 'sentencizer' to it")
    token_starts = doc.to_array(IDX)
    first_tokens = np.flatnonzero(sent_starts == 1)
    # The tokenizer splits "#Masks4All" into "#" and "Masks4All": keep the mark with its word.
    bounds = [
        start - 1 if start and text[start - 1] in "#@" else start
        for start in token_starts[first_tokens].tolist()
    ]
    bounds.append(len(text))
    if bounds[0] != 0:
        bounds.insert(0, 0)
    spans = []
    for sent_start, sent_end in itertools.pairwise(bounds):
        start, end = _trim(text, sent_start, sent_end)
        if start < end:
            spans.append(SentenceSpan(start, end))
    return spans


# --------------------------------------------------------------------------------------------- attaching

_URL_TAIL = r"(?:https?://|www\.|pic\.twitter\.com/)\S+"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_TAIL = re.compile(
    rf"(?:[#@]\w+|{_URL_TAIL}|(?:via|vía|h/t|cc)\s+@\w+|[^\w\s]|\s)+"  # tags, links, emoji, marks
    rf"|[—–-]*\s*[^\n]{{0,80}}?\(@\w{{1,30}}\)\s*(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})?",  # a signature
    re.I,
)


def _attach_tails(text: str, spans: Sequence[SentenceSpan]) -> list[SentenceSpan]:
    attached: list[SentenceSpan] = []
    for span in spans:
        if (
            attached
            and "\n" not in text[attached[-1].end : span.start]
            and _TAIL.fullmatch(text, span.start, span.end)
        ):
            attached[-1] = SentenceSpan(attached[-1].start, span.end)
        else:
            attached.append(span)
    return attached


# --------------------------------------------------------------------------------------------- joining

_FOLLOW_UP = re.compile(
    r"(?:because\b|that['’]?s why\b|that is why\b|this is why\b|which is why\b|which means\b"
    r"|this means\b|that means\b"
    r"|parce qu|c['’]est pourquoi\b|c['’]est pour ça\b|ce qui veut dire\b"  # fr
    r"|porque\b|por eso\b|por lo tanto\b|lo que significa\b"  # es
    r"|weil\b|deshalb\b|darum\b|deswegen\b|das heißt\b)",  # de
    re.IGNORECASE,
)


def _joins(text: str, first: SentenceSpan, second: SentenceSpan) -> bool:
    if text[first.end - 1] == ":":
        return True
    return bool(_FOLLOW_UP.match(text, second.start, second.end))


def _join_spans(text: str, spans: Sequence[SentenceSpan]) -> list[SentenceSpan]:
    joined: list[SentenceSpan] = []
    parts = 0
    for span in spans:
        if (
            joined
            and parts < MAX_JOINED_SENTENCES
            and span.end - joined[-1].start <= MAX_JOINED_CHARS
            and _joins(text, joined[-1], span)
        ):
            joined[-1] = SentenceSpan(joined[-1].start, span.end)
            parts += 1
        else:
            joined.append(span)
            parts = 1
    return joined


# --------------------------------------------------------------------------------------------- dropping

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]»]*$")
_DIGIT = re.compile(r"\d")
_VERB_SUFFIX = re.compile(r"^[a-z]{3,}(?:ed|ing)$")
_CONTRACTION = re.compile(r"['’](?:s|re|ve|ll|d|m|t)$", re.I)
# Closed-class verbs plus the commonest lexical verbs of headlines; a heading needs none of them to be
# dropped, so the list errs on the side of keeping.
_VERB_STEMS = """
be is are was were been being am do does did done has have had having will would shall should can could
may might must ought need needs let lets
say says said tell tells told claim claims show shows reveal reveals confirm confirms deny denies admit
admits warn warns report reports find finds found cause causes kill kills cure cures spread spreads prevent
prevents contain contains make makes made give gives gave take takes took get gets got go goes went come
comes came know knows knew think thinks thought see sees saw want wants use uses ban bans fall falls fell
rise rises rose grow grows grew lose loses lost win wins won cut cuts raise raises pay pays paid cost costs
put puts keep keeps kept hold holds held leave leaves left bring brings brought become becomes became
begin begins began seem seems mean means work works help helps stop stops start starts end ends turn
turns run runs ran set sets try tries move moves live lives die dies believe believes lead leads led
create creates build builds built spend spends spent sell sells sold buy buys bought send sends sent
steal steals stole vote votes sign signs signed plan plans call calls hide hides hid poison poisons
link links linked boost boosts double doubles triple triples drop drops jump jumps soar soars plunge
plunges hit hits beat beats destroy destroys protect protects attack attacks arrest arrests charge charges
infect infects test tests suffer suffers face faces hurt hurts harm harms save saves block blocks
force forces allow allows require requires ask asks agree agrees refuse refuses order orders
"""
_VERBS = frozenset(_VERB_STEMS.split())
# The same for the other supported languages: auxiliaries, modals, the verbs of hoax headlines in the
# present and past, and the regular past participles (not "-té" nouns, "-heit"/"-keit" ones).
_OTHER_VERBS = {
    "fr": """
est sont était étaient été être a ont avait avaient aura auront sera seront serait seraient fait font
peut peuvent doit doivent va vont veut veulent sait savent dit disent affirme affirment révèle révèlent
confirme confirment nie nient avoue avouent annonce annoncent montre montrent découvre découvrent cause
causent provoque provoquent tue tuent guérit guérissent soigne soignent interdit interdisent contient
contiennent protège protègent empêche empêchent donne donnent prend prennent vend vendent cache cachent
""",
    "es": """
es son era eran fue fueron ser sido ha han había habían será serán sería está están estaba hay puede
pueden debe deben va van quiere quieren sabe saben dice dicen afirma afirman revela revelan confirma
confirman niega niegan admite admiten anuncia anuncian muestra muestran descubre causa causan provoca
provocan mata matan cura curan prohíbe prohíben contiene contienen protege protegen evita evitan da dan
toma toman vende venden oculta ocultan esconde esconden
""",
    "de": """
ist sind war waren sein gewesen hat haben hatte hatten wird werden wurde wurden kann können konnte muss
müssen musste soll sollen will wollen darf dürfen sagt sagen sagte behauptet behaupten zeigt zeigen
enthüllt bestätigt bestätigen leugnet gibt geben gab verursacht verursachen tötet töten heilt heilen
verbietet verbieten enthält enthalten schützt schützen verhindert verhindern nimmt verkauft versteckt
""",
}
_OTHER_VERB_SUFFIX = {
    "fr": re.compile(r"^[^\W\d_]{2,}(?<!t)(?:é|ée|és|ées)$"),
    "es": re.compile(r"^[^\W\d_]{2,}(?:ado|ada|ados|adas|ido|ida|idos|idas)$"),
    "de": re.compile(r"^ge[^\W\d_]{3,}(?:(?<!hei)(?<!kei)t|en)$"),
}
_VERBS_OF = {"en": _VERBS} | {code: frozenset(verbs.split()) for code, verbs in _OTHER_VERBS.items()}


def _looks_like_heading(text: str, words: Sequence[str], language: str) -> bool:
    if len(words) > MAX_HEADING_WORDS or _SENTENCE_END.search(text) or _DIGIT.search(text):
        return False
    verbs = _VERBS_OF.get(language, _VERBS)
    suffix = _OTHER_VERB_SUFFIX.get(language, _VERB_SUFFIX)
    for word in words:
        lowered = word.lower()
        if lowered in verbs or suffix.match(lowered) or (verbs is _VERBS and _CONTRACTION.search(word)):
            return False
    return True


def _is_claim_like(raw: str, normalized: str, language: str) -> bool:
    words = _WORD.findall(normalized)
    if len(words) < MIN_CLAIM_WORDS:
        return False
    is_post = "#" in raw or "@" in raw
    return is_post or not _looks_like_heading(normalized, words, language)


# --------------------------------------------------------------------------------------------- extracting


@dataclass(frozen=True)
class ClaimCandidate:
    """A claim before scoring: its span and its normalised text."""

    span: SentenceSpan
    normalized: str


def candidate_spans(
    text: str, *, nlp: Language | None = None, language: str = FALLBACK_LANGUAGE
) -> list[ClaimCandidate]:
    """Segment, join and filter: every stretch of `text` (in `language`) that could be a claim, unscored."""
    candidates = []
    spans = sentence_spans(text, nlp=nlp, language=language)
    for span in _join_spans(text, _attach_tails(text, spans)):
        raw = text[span.start : span.end]
        normalized = normalize_claim_text(raw)
        if _is_claim_like(raw, normalized, language):
            candidates.append(ClaimCandidate(span, normalized))
    return candidates


def extract_claims(
    document: Document,
    *,
    scorer: CheckworthinessScorer,
    nlp: Language | None = None,
    min_checkworthiness: float | None = None,
    detector: LanguageDetector | None = None,
) -> list[Claim]:
    """The claims of `document`, in document order, each with its exact span, check-worthiness and language.

    Every candidate is returned with its score, so the caller decides what "check-worthy" means (the
    pipeline compares `claim.checkworthiness` with its threshold and reports the rest as
    `not_checkworthy`); pass `min_checkworthiness` to drop the low scorers here instead.

    Parameters
    ----------
    document : Document
        Spans index `document.text`: `document.text[claim.start:claim.end] == claim.text`.
    scorer : CheckworthinessScorer
        Gives each claim its probability of being check-worthy (`CheckworthinessModel.load(...)`).
    nlp : spacy.Language, optional
        A pipeline that sets sentence boundaries; defaults to `sentence_pipeline(<document's language>)`.
    min_checkworthiness : float, optional
        Drop claims scoring below this (e.g. `scorer.threshold`).
    detector : LanguageDetector, optional
        Detects the document's language when `document.language` is empty, and each claim's own when its
        text is long enough; defaults to `default_detector()` (en, fr, es, de).

    Example
    -------
    >>> model = CheckworthinessModel.load("models/checkworthiness")
    >>> doc = Document(text="Thanks for reading. The unemployment rate fell to 3.5 percent in 2019.")
    >>> [claim.text for claim in extract_claims(doc, scorer=model, min_checkworthiness=model.threshold)]
    ['The unemployment rate fell to 3.5 percent in 2019.']
    """
    detector = detector or default_detector()
    language = document.language or detector.for_document(document.text)
    candidates = candidate_spans(document.text, nlp=nlp, language=language)
    languages = [detector.for_claim(c.normalized, document_language=language) for c in candidates]
    scores = _scores(scorer, [candidate.normalized for candidate in candidates], languages)
    return [
        _claim(
            document.text,
            candidate.span,
            candidate.normalized,
            score,
            claim_language,
            scorer.transfers(claim_language),
        )
        for candidate, claim_language, score in zip(candidates, languages, scores, strict=True)
        if min_checkworthiness is None or score >= min_checkworthiness
    ]


def _scores(scorer: CheckworthinessScorer, normalized: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    if not normalized:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(scorer.score(normalized, normalized=True, languages=languages), dtype=np.float64)


def _claim(
    text: str, span: SentenceSpan, normalized: str, score: float, language: str, transferred: bool
) -> Claim:
    start, end = span.start, span.end
    return Claim(
        text=text[start:end],
        normalized=normalized,
        start=start,
        end=end,
        checkworthiness=float(score),
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        language=language,
        checkworthiness_transferred=transferred,
    )


# --------------------------------------------------------------------------------------------- windows

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


@dataclass(frozen=True)
class ClaimWindow:
    """Consecutive claims of one short paragraph or post, to be matched as one text.

    A hoax told in two or three sentences ("The CDC admits it. Vaccines cause autism.") can match its
    debunk as a whole better than any of its sentences does. `claim` is the window as a Claim (its span
    runs from the first member's start to the last one's end); `members` are the indices, in the list
    the window was built from, of the claims it spans: a verdict for the window belongs to them.
    """

    claim: Claim
    members: tuple[int, ...]


def claim_windows(
    document: Document,
    claims: Sequence[Claim],
    *,
    scorer: CheckworthinessScorer,
    sizes: Sequence[int] = WINDOW_SIZES,
    max_paragraph_chars: int = MAX_WINDOW_PARAGRAPH_CHARS,
) -> list[ClaimWindow]:
    """Every run of `sizes` consecutive claims inside one paragraph of at most `max_paragraph_chars`.

    `claims` are those of `document`, in document order (as extract_claims returns them). A paragraph
    ends at a blank line; the lines of a post without blank lines between them are one paragraph.
    """
    text = document.text
    paragraphs: list[list[int]] = []
    for index, claim in enumerate(claims):
        if paragraphs and not _PARAGRAPH_BREAK.search(text, claims[index - 1].end, claim.start):
            paragraphs[-1].append(index)
        else:
            paragraphs.append([index])
    spans: list[tuple[int, ...]] = []
    for paragraph in paragraphs:
        if len(paragraph) < 2 or claims[paragraph[-1]].end - claims[paragraph[0]].start > max_paragraph_chars:
            continue
        for size in sizes:
            spans.extend(tuple(paragraph[i : i + size]) for i in range(len(paragraph) - size + 1))
    normalized = [" ".join(claims[i].normalized for i in members) for members in spans]
    languages = [_window_language(document, [claims[i] for i in members]) for members in spans]
    scores = _scores(scorer, normalized, languages)
    return [
        ClaimWindow(
            claim=_claim(
                text,
                SentenceSpan(claims[members[0]].start, claims[members[-1]].end),
                joined,
                score,
                language,
                scorer.transfers(language),
            ),
            members=members,
        )
        for members, joined, score, language in zip(spans, normalized, scores, languages, strict=True)
    ]


def _window_language(document: Document, members: Sequence[Claim]) -> str:
    """The members' language when they share one, else the document's."""
    languages = {claim.language for claim in members}
    return languages.pop() if len(languages) == 1 else document.language or FALLBACK_LANGUAGE
