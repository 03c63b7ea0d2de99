"""Dev end-to-end benchmark: real article pages with a known viral claim planted in them, checked as a
reader's extension would have them checked (issue 13, item 1).

Built from ../shared/data only:

- **Carriers**: the article-extraction benchmark pages the matcher does *not* train on. Its training
  (`factcheck/training/matcher.py`, ARTICLES_FILE) takes the sentences of those pages as claims
  without a debunk, one page in five to dev by a hash of its id (`_part_of`); the other four in five
  are training negatives, so their sentences would look easy here. Only the dev-side pages are carriers
  (their sentences still calibrated the shipped thresholds: these are dev figures, not test figures).
- **Planted pages**: each CLEF-2020 task 2 dev tweet (197), exactly as in the data (handles, URLs,
  hashtags, "— Name (@handle) Date" signatures), inserted as its own `<p>` after a seeded choice of
  the carrier's article-body paragraphs. **Clean pages**: every carrier untouched.
- **Database**: the shipped corpus plus the 10,375 Snopes claims of that task, imported with the
  project's importer (format `checkthat-tsv`); kept in bench/.cache/ with its vectors, and copied to
  a temporary file for each run.

Modes: default, a real `factcheck serve` on a free 127.0.0.1 port with default settings, each page
POSTed to /v1/check as {"html", "source_url"} (plus `include_all`/`include_text`, which only add the
not-check-worthy claims and the extracted text the scoring needs); `--in-process`, a Checker from
`Checker.from_settings` calling `check` on each page's HTML (for tuning). `--sweep` (in-process) re-applies
a grid of (match, suggest) thresholds to that one run's candidates through `Thresholds`/`claim_status`.

    .venv/bin/python bench/e2e.py                    # against a real server
    .venv/bin/python bench/e2e.py --in-process --json
    .venv/bin/python bench/e2e.py --in-process --sweep
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _server import database_copy, running_server  # noqa: E402

from factcheck._text import canonical_key  # noqa: E402
from factcheck.evaluation.retrieval import read_qrels, read_queries  # noqa: E402
from factcheck.training.matcher import ARTICLES_FILE, _part_of  # noqa: E402
from factcheck.types import Claim, Debunk, Match  # noqa: E402
from factcheck.verdicts import Thresholds, claim_status  # noqa: E402

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

SHARED = REPO.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"
TASK = "clef2020_task2_claim_retrieval"
VCLAIMS = f"{TASK}/verified_claims.docs.tsv"
DEV_TWEETS = f"{TASK}/dev/tweets.queries.tsv"
DEV_QRELS = f"{TASK}/dev/tweet-vclaim-pairs.qrels"
TRAIN_2022 = "clef2022_task2a_claim_retrieval_tweets/train/CT2022-Task2A-EN-Train_Queries.tsv"
SEED = 13
MIN_ANCHOR_CHARS = 40  # a body paragraph this long is a safe place to plant after
SHINGLE = 4
# A match shown to the reader: `debunked` for a refuted rating, `fact_checked` for any other (the Snopes
# claims of CheckThat! carry no rating, so their matches are `fact_checked`, rating class "other").
MATCHED = ("debunked", "fact_checked")
# Both reach the editors' queue; `possibly_related` also shows the reader a softer card.
QUEUED = ("possibly_related", "needs_review")
FLAGGED = (*MATCHED, *QUEUED)
PRECISION_TARGET, FALSE_DEBUNKED_TARGET, QUEUE_TARGET = 0.95, 0.02, 0.5
DEEP_CANDIDATES = 50  # how deep a miss is looked for among the whole cascade's re-ranked candidates


# ------------------------------------------------------------------------------------------ the pages


@dataclass(frozen=True)
class Carrier:
    page_id: str
    url: str
    html: str
    body: str  # the gold articleBody


@dataclass(frozen=True)
class Tweet:
    tweet_id: str
    text: str
    gold_vclaims: frozenset[str]


@dataclass(frozen=True)
class Page:
    name: str
    carrier: Carrier
    html: str
    tweet: Tweet | None = None  # None: a clean page


def dev_carriers(data_dir: Path = SHARED) -> list[Carrier]:
    """The extraction-benchmark pages on the matcher's dev side (see the module docstring)."""
    truth = json.loads((data_dir / ARTICLES_FILE).read_text(encoding="utf-8"))
    folder = (data_dir / ARTICLES_FILE).parent / "html"
    return [
        Carrier(
            page_id,
            entry["url"],
            (folder / f"{page_id}.html").read_text(encoding="utf-8"),
            entry["articleBody"],
        )
        for page_id, entry in sorted(truth.items())
        if _part_of(page_id) == "dev"
    ]


def dev_tweets(data_dir: Path = SHARED) -> list[Tweet]:
    queries = read_queries(data_dir / DEV_TWEETS)
    qrels = read_qrels(data_dir / DEV_QRELS)
    return [Tweet(q, queries[q], frozenset(qrels[q])) for q in sorted(queries, key=int) if q in qrels]


class _ParagraphEnds(HTMLParser):
    """Each explicitly closed `<p>`: its text and the raw offset just after its `</p>`."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.markup = markup
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", markup))]
        self.found: list[tuple[str, int]] = []
        self._text: list[str] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._text is not None:
            line, column = self.getpos()
            start = self.line_starts[line - 1] + column
            self.found.append(("".join(self._text), self.markup.index(">", start) + 1))
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def plant_points(carrier: Carrier) -> list[int]:
    """Raw offsets just after the `</p>` of paragraphs that belong to the gold article body."""
    body = _squeezed(carrier.body)
    return [
        end
        for text, end in _ParagraphEnds(carrier.html).found
        if len(_squeezed(text)) >= MIN_ANCHOR_CHARS and _squeezed(text) in body
    ]


def plant(markup: str, text: str, offset: int) -> str:
    """The page with `text` as its own paragraph at `offset` (the text's characters escaped, nothing else)."""
    return f"{markup[:offset]}\n<p>{html.escape(text, quote=False)}</p>{markup[offset:]}"


def build_pages(carriers: Sequence[Carrier], tweets: Sequence[Tweet], *, seed: int = SEED) -> list[Page]:
    """One planted page per tweet (carriers dealt round a seeded shuffle, a seeded body paragraph to
    plant after), then every carrier clean. A carrier with no body paragraph to plant after (no `<p>`
    of its gold body) carries no tweet but is still a clean page."""
    usable = [(carrier, points) for carrier in carriers if (points := plant_points(carrier))]
    rng = random.Random(seed)
    rng.shuffle(usable)
    pages = []
    for i, tweet in enumerate(tweets):
        carrier, points = usable[i % len(usable)]
        markup = plant(carrier.html, tweet.text, rng.choice(points))
        pages.append(Page(f"tweet-{tweet.tweet_id}@{carrier.page_id[:10]}", carrier, markup, tweet))
    pages += [Page(f"clean@{c.page_id[:10]}", c, c.html) for c in carriers]
    return pages


def tweets_in_2022_train(tweets: Sequence[Tweet], data_dir: Path = SHARED) -> int:
    """How many of the tweets 2022 task 2A train holds too (its train = 2020 train + dev)."""
    train = {canonical_key(text) for text in read_queries(data_dir / TRAIN_2022).values()}
    return sum(canonical_key(t.text) in train for t in tweets)


# --------------------------------------------------------------------------------------- the database


def prepared_database(data_dir: Path = SHARED) -> Path:
    """bench/.cache/e2e-clef2020.db: the shipped corpus + the task's Snopes claims (built once)."""
    from factcheck.corpus import ensure_initialised
    from factcheck.importers import read_records
    from factcheck.store import open_store

    path = CACHE / "e2e-clef2020.db"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{building}")
    ensure_initialised(store, REPO / "corpus")
    _, records = read_records(data_dir / VCLAIMS, format="checkthat-tsv")
    summary = store.import_records(records, source=str(data_dir / VCLAIMS), format="checkthat-tsv")
    print(f"imported {summary.added} Snopes claims into {path}", file=sys.stderr)
    store.close()
    building.rename(path)
    return path


def gold_debunks(database: Path, tweets: Sequence[Tweet], data_dir: Path = SHARED) -> dict[str, set[int]]:
    """Tweet id -> the ids of the debunks that fact-check it: every debunk (imported or shipped) whose
    claim is one of the tweet's gold verified claims (the store merges identical wordings)."""
    from factcheck.store import open_store

    with (data_dir / VCLAIMS).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))[1:]
    vclaim_keys = {row[0].strip(): canonical_key(row[1]) for row in rows if len(row) >= 2}
    store = open_store(f"sqlite:///{database}")
    by_key: dict[str, set[int]] = {}
    for debunk in store.iter_debunks():
        if debunk.id is not None:
            by_key.setdefault(canonical_key(debunk.claim_reviewed), set()).add(debunk.id)
    store.close()
    return {
        t.tweet_id: {i for v in t.gold_vclaims for i in by_key.get(vclaim_keys.get(v, ""), ())}
        for t in tweets
    }


# -------------------------------------------------------------------------------------- checking pages


@dataclass(frozen=True)
class Checked:
    page: Page
    report: dict[str, Any]  # the /v1/check response (document text and every claim included)
    ms: float


def check_in_process(checker: Checker, pages: Sequence[Page]) -> list[Checked]:
    from factcheck.serialize import ReportOut

    out = []
    for number, page in enumerate(pages, start=1):
        started = time.perf_counter()
        report = checker.check(page.html, kind="html", source_url=page.carrier.url, include_all=True)
        ms = (time.perf_counter() - started) * 1000
        out.append(Checked(page, ReportOut.of(report, include_text=True).model_dump(mode="json"), ms))
        _progress(number, len(pages))
    return out


def check_with_server(base_url: str, pages: Sequence[Page]) -> list[Checked]:
    import httpx

    out = []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for number, page in enumerate(pages, start=1):
            body = {
                "html": page.html,
                "source_url": page.carrier.url,
                "options": {"include_all": True, "include_text": True},
            }
            started = time.perf_counter()
            response = client.post("/v1/check", json=body)
            ms = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            out.append(Checked(page, response.json(), ms))
            _progress(number, len(pages))
    return out


def _progress(number: int, total: int) -> None:
    if number % 25 == 0 or number == total:
        print(f"  {number}/{total} pages", file=sys.stderr, flush=True)


def build_checker(database: Path) -> Checker:
    from factcheck.pipeline import Checker
    from factcheck.review import ReviewQueue
    from factcheck.settings import Settings

    # as the CLI and the API build theirs: editors' rejections apply (the copy has none)
    checker = Checker.from_settings(
        Settings(database_url=f"sqlite:///{database}"),
        rejections=lambda store: ReviewQueue(store).rejection_check(),
    )
    # Every debunk's multilingual vector before the first page: a server encodes a large backlog in the
    # background (FACTCHECK_MULTILINGUAL_INLINE_ENCODE), which would make the first pages' figures depend
    # on how far it got. Read from the database after the first run.
    checker.matcher.warm_crosslingual()
    return checker


# ----------------------------------------------------------------------------------------------- scoring

StatusOf = Callable[[dict[str, Any]], str]  # a claim of a /v1/check response -> its status
Level = Literal["match", "suggest"]
LEVELS: tuple[Level, ...] = ("match", "suggest")


def planted_span(text: str, planted: str) -> tuple[int, int] | None:
    """Where the planted text landed in the extracted text: the longest run of its 4-word shingles
    (case-folded words, so the extractor's and the normaliser's changes of spaces and quotes do not matter)."""
    words = [(m.group().casefold(), m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    mine = [w.casefold() for w in re.findall(r"\w+", planted)]
    size = min(SHINGLE, len(mine))
    if size == 0:
        return None
    shingles = {tuple(mine[i : i + size]) for i in range(len(mine) - size + 1)}
    covered = sorted(
        {
            j
            for i in range(len(words) - size + 1)
            if tuple(w for w, _, _ in words[i : i + size]) in shingles
            for j in range(i, i + size)
        }
    )
    if not covered:
        return None
    runs: list[list[int]] = [[covered[0]]]
    for j in covered[1:]:
        if j - runs[-1][-1] <= SHINGLE:  # a word or two the extractor changed does not cut the run
            runs[-1].append(j)
        else:
            runs.append([j])
    best = max(runs, key=len)
    return words[best[0]][1], words[best[-1]][2]


def candidates(claim: dict[str, Any]) -> list[tuple[int, float]]:
    return [(m["debunk"]["id"], m["confidence"]) for m in claim["matches"]]


def gold_position(claim: dict[str, Any], gold: set[int]) -> tuple[int, float] | None:
    """(1-based rank, confidence) of the first right debunk among the claim's candidates."""
    for rank, (debunk_id, confidence) in enumerate(candidates(claim), start=1):
        if debunk_id in gold:
            return rank, confidence
    return None


def status_under(thresholds: Thresholds) -> StatusOf:
    """A claim's status as `claim_status` gives it under other thresholds (the sweep's one pass)."""

    def status(claim: dict[str, Any]) -> str:
        as_claim = Claim(
            text=claim["text"],
            normalized=claim["normalized"],
            start=claim["start"],
            end=claim["end"],
            checkworthiness=claim["checkworthiness"],
        )
        matches = [
            Match(
                debunk=Debunk(
                    claim_reviewed="", label=m["debunk"].get("label", "other"), id=m["debunk"]["id"]
                ),
                score=0.0,
                probability=m["confidence"],
            )
            for m in claim["matches"]
        ]
        return claim_status(as_claim, matches, thresholds)

    return status


def reported_status(claim: dict[str, Any]) -> str:
    return str(claim["status"])


def is_hit(claims: Sequence[dict[str, Any]], gold: set[int], level: Level, status_of: StatusOf) -> bool:
    """At match: a planted claim `debunked` or `fact_checked` with a right debunk first. At suggest: a match,
    `possibly_related` or `needs_review`, with a right debunk among those listed."""
    for claim in claims:
        status = status_of(claim)
        if level == "match" and status in MATCHED and candidates(claim)[0][0] in gold:
            return True
        if level == "suggest" and status in FLAGGED and gold_position(claim, gold) is not None:
            return True
    return False


@dataclass
class Planted:
    """One planted page: its tweet, the claims that overlap the planted text, and where that text went."""

    checked: Checked
    gold: set[int]
    span: tuple[int, int] | None
    claims: list[dict[str, Any]]


def planted_claims(checked: Checked, gold: dict[str, set[int]]) -> Planted:
    tweet = checked.page.tweet
    if tweet is None:
        raise ValueError(f"{checked.page.name} is a clean page")
    span = planted_span(checked.report["document"]["text"] or "", tweet.text)
    claims = (
        [c for c in checked.report["claims"] if c["start"] < span[1] and c["end"] > span[0]] if span else []
    )
    return Planted(checked, gold[tweet.tweet_id], span, claims)


@dataclass
class Figures:
    planted: int
    clean_pages: int
    recall_at_match: float
    recall_at_suggest: float
    precision_at_match: float
    false_debunked_per_clean_page: float
    queue_per_clean_page: float
    false_debunked: list[dict[str, Any]] = field(default_factory=list)
    wrong_debunked_planted: list[dict[str, Any]] = field(default_factory=list)
    clean_statuses: dict[str, int] = field(default_factory=dict)
    recall_shown: float = 0.0  # the reader sees the right fact-check first: a match or possibly_related
    related_per_clean_page: float = 0.0  # softer cards on pages with no planted claim


def figures(planted: Sequence[Planted], clean: Sequence[Checked], status_of: StatusOf) -> Figures:
    """The headline figures. Precision at match counts, among `debunked` claims, the planted claims
    with a right debunk first (one per page) against planted claims with a wrong one and every
    `debunked` claim of the clean pages (a carrier's own sentences count once, on its clean page)."""
    match_hits = sum(is_hit(p.claims, p.gold, "match", status_of) for p in planted)
    suggest_hits = sum(is_hit(p.claims, p.gold, "suggest", status_of) for p in planted)
    wrong = [
        _flag(p.checked, c)
        for p in planted
        for c in p.claims
        if status_of(c) in MATCHED and candidates(c)[0][0] not in p.gold
    ]
    false = [_flag(page, c) for page in clean for c in page.report["claims"] if status_of(c) in MATCHED]
    statuses = Counter(status_of(c) for page in clean for c in page.report["claims"])
    shown = sum(
        any(
            status_of(c) in (*MATCHED, "possibly_related") and candidates(c)[0][0] in p.gold for c in p.claims
        )
        for p in planted
    )
    debunked = match_hits + len(wrong) + len(false)
    pages = max(len(clean), 1)
    return Figures(
        planted=len(planted),
        clean_pages=len(clean),
        recall_at_match=match_hits / max(len(planted), 1),
        recall_at_suggest=suggest_hits / max(len(planted), 1),
        precision_at_match=match_hits / debunked if debunked else 1.0,
        false_debunked_per_clean_page=len(false) / pages,
        queue_per_clean_page=sum(statuses[s] for s in QUEUED) / pages,
        false_debunked=false,
        wrong_debunked_planted=wrong,
        clean_statuses=dict(statuses),
        recall_shown=shown / max(len(planted), 1),
        related_per_clean_page=statuses["possibly_related"] / pages,
    )


def _flag(checked: Checked, claim: dict[str, Any]) -> dict[str, Any]:
    top = claim["matches"][0]
    return {
        "page": checked.page.name,
        "sentence": claim["normalized"],
        "debunk_id": top["debunk"]["id"],
        "debunk": top["debunk"]["claim_reviewed"],
        "confidence": top["confidence"],
    }


def miss_cause(
    item: Planted, level: Level, status_of: StatusOf, ungated: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Why a planted claim missed at `level`: not extracted, gated, not retrieved, or below threshold.

    `ungated` holds the planted claims re-matched by the whole cascade (`gated=False`), per page name:
    a miss the whole cascade would have turned into a hit is the MiniLM gate's.
    """
    tweet = item.checked.page.tweet
    entry: dict[str, Any] = {
        "page": item.checked.page.name,
        "tweet": tweet.text if tweet else "",
        "level": level,
    }
    if item.span is None:
        return {**entry, "cause": "not_extracted", "detail": "the page extractor dropped the paragraph"}
    if not item.claims:
        return {**entry, "cause": "not_extracted", "detail": "in the page text, but no claim covers it"}
    if is_hit(ungated.get(item.checked.page.name, []), item.gold, level, status_of):
        found = [gold_position(c, item.gold) for c in ungated[item.checked.page.name]]
        rank, confidence = min(f for f in found if f is not None)
        return {
            **entry,
            "cause": "gated",
            "detail": f"whole cascade: rank {rank}, confidence {confidence:.3f}",
        }
    found = [(gold_position(c, item.gold), c) for c in item.claims]
    ranked = [(position, c) for position, c in found if position is not None]
    if not ranked:
        best = max(item.claims, key=lambda c: c["matches"][0]["confidence"] if c["matches"] else 0.0)
        top = best["matches"][0] if best["matches"] else None
        detail = (
            f"top: {top['debunk']['claim_reviewed'][:80]!r} at {top['confidence']:.3f}"
            if top
            else "no candidates"
        )
        deep = [
            c["deep"].index(d) + 1
            for c in ungated.get(item.checked.page.name, [])
            for d in c["deep"]
            if d in item.gold
        ]
        where = f"whole cascade rank {min(deep)}" if deep else f"not in the whole cascade's {DEEP_CANDIDATES}"
        return {
            **entry,
            "cause": "not_retrieved",
            "detail": f"{where}; {detail}",
            "deep_rank": min(deep) if deep else None,
            "claim": best["normalized"],
        }
    (rank, confidence), claim = min(ranked, key=lambda r: (r[0][0], -r[0][1]))
    return {
        **entry,
        "cause": "below_threshold",
        "rank": rank,
        "confidence": confidence,
        "status": status_of(claim),
        "words": len(claim["normalized"].split()),
        "claim": claim["normalized"],
    }


def percentile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else 0.0)


def rematch_ungated(checker: Checker, items: Sequence[Planted]) -> dict[str, list[dict[str, Any]]]:
    """The planted claims of `items` matched by the whole cascade (`gated=False`), with the checker's own
    thresholds; each keeps the API's 5 candidates and, under "deep", the ids of the re-ranker's 50 best."""
    from factcheck.pipeline import CANDIDATES_PER_CLAIM
    from factcheck.serialize import MatchOut

    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        claims = [
            Claim(
                text=c["text"],
                normalized=c["normalized"],
                start=c["start"],
                end=c["end"],
                checkworthiness=c["checkworthiness"],
            )
            for c in item.claims
        ]
        found = checker.match_claims(claims, k=DEEP_CANDIDATES, gated=False) if claims else []
        out[item.checked.page.name] = [
            {
                **c,
                "matches": [MatchOut.of(m).model_dump(mode="json") for m in matches[:CANDIDATES_PER_CLAIM]],
                "status": claim_status(claim, matches[:CANDIDATES_PER_CLAIM], checker.thresholds),
                "deep": [m.debunk.id for m in matches],
            }
            for c, claim, matches in zip(item.claims, claims, found, strict=True)
        ]
    return out


# ------------------------------------------------------------------------------------------ the report


def evaluate(
    results: Sequence[Checked], gold: dict[str, set[int]], status_of: StatusOf, checker: Checker
) -> dict[str, Any]:
    planted = [planted_claims(r, gold) for r in results if r.page.tweet is not None]
    clean = [r for r in results if r.page.tweet is None]
    headline = figures(planted, clean, status_of)
    missed = {
        level: [p for p in planted if not is_hit(p.claims, p.gold, level, status_of)] for level in LEVELS
    }
    ungated = rematch_ungated(checker, [p for p in missed["match"] if p.claims])
    misses = [miss_cause(p, level, status_of, ungated) for level, items in missed.items() for p in items]
    latencies = [r.ms for r in results]
    return {
        **headline.__dict__,
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "miss_causes": {
            level: dict(Counter(m["cause"] for m in misses if m["level"] == level)) for level in LEVELS
        },
        "misses": misses,
    }


def sweep(
    results: Sequence[Checked], gold: dict[str, set[int]], defaults: Thresholds, *, step: float = 0.01
) -> dict[str, Any]:
    """Every figure on a grid of match and suggest thresholds, from one run's candidates; the chosen pair:
    match maximising recall at match with precision >= 0.95 and <= 0.02 false `debunked` per clean page,
    then suggest maximising recall at suggest with <= 0.5 queue items per clean page."""
    planted = [planted_claims(r, gold) for r in results if r.page.tweet is not None]
    clean = [r for r in results if r.page.tweet is None]
    grid = [round(i * step, 4) for i in range(round(1 / step) + 1)]

    def at(match: float, suggest: float) -> Figures:
        return figures(
            planted,
            clean,
            status_under(Thresholds(match, suggest, defaults.checkworthy, defaults.min_words_for_match)),
        )

    match_rows = [(m, at(m, min(defaults.suggest, m))) for m in grid]
    allowed = [
        (m, f)
        for m, f in match_rows
        if f.precision_at_match >= PRECISION_TARGET
        and f.false_debunked_per_clean_page <= FALSE_DEBUNKED_TARGET
    ]
    best_match = max(allowed, key=lambda r: (r[1].recall_at_match, -r[0]))[0] if allowed else 1.0
    suggest_rows = [(s, at(best_match, s)) for s in grid if s <= best_match]
    queue_ok = [(s, f) for s, f in suggest_rows if f.queue_per_clean_page <= QUEUE_TARGET]
    best_suggest = max(queue_ok, key=lambda r: (r[1].recall_at_suggest, r[0]))[0] if queue_ok else best_match
    chosen = at(best_match, best_suggest)
    return {
        "match_grid": [{"match": m, **_short(f)} for m, f in match_rows],
        "suggest_grid": [{"suggest": s, **_short(f)} for s, f in suggest_rows],
        "chosen": {"match": best_match, "suggest": best_suggest, **_short(chosen)},
        "today": {"match": defaults.match, "suggest": defaults.suggest},
    }


def _short(f: Figures) -> dict[str, float]:
    return {
        "recall_at_match": round(f.recall_at_match, 4),
        "precision_at_match": round(f.precision_at_match, 4),
        "false_debunked_per_clean_page": round(f.false_debunked_per_clean_page, 4),
        "recall_at_suggest": round(f.recall_at_suggest, 4),
        "queue_per_clean_page": round(f.queue_per_clean_page, 4),
    }


def print_report(out: dict[str, Any]) -> None:
    print(
        f"dev e2e ({out['mode']}): {out['planted']} planted pages (CLEF-2020 task 2 dev tweets) on "
        f"{out['carriers']} carriers, {out['clean_pages']} clean pages; dev figures, not held-out ones"
    )
    print(f"  carriers: {out['carrier_note']}")
    print(f"  thresholds: match {out['thresholds']['match']:.3f}, suggest {out['thresholds']['suggest']:.3f}")
    print(f"  recall at match    {out['recall_at_match']:.3f}")
    print(f"  recall at suggest  {out['recall_at_suggest']:.3f}")
    print(f"  precision at match {out['precision_at_match']:.3f}")
    print(
        f"  false debunked per clean page {out['false_debunked_per_clean_page']:.3f} "
        f"({len(out['false_debunked'])} over {out['clean_pages']} pages)"
    )
    print(f"  right fact-check shown to the reader (match or possibly related) {out['recall_shown']:.3f}")
    print(f"  possibly related cards per clean page {out['related_per_clean_page']:.2f}")
    print(f"  queue (needs_review + possibly_related) per clean page {out['queue_per_clean_page']:.2f}")
    print(
        f"  latency per page p50 {out['latency_ms']['p50']:.0f} ms, p95 {out['latency_ms']['p95']:.0f} ms "
        f"(load average at the end {out['load_average'][1]} over 5 min)"
    )
    for level, causes in out["miss_causes"].items():
        print(f"  misses at {level}: " + ", ".join(f"{k} {v}" for k, v in sorted(causes.items())))
    print("\nfalse debunked on clean pages:")
    for flag in out["false_debunked"]:
        print(f"  [{flag['confidence']:.3f}] {flag['sentence'][:110]!r}\n      -> {flag['debunk'][:110]!r}")
    print("planted claims debunked with a wrong debunk:")
    for flag in out["wrong_debunked_planted"]:
        print(f"  [{flag['confidence']:.3f}] {flag['sentence'][:110]!r}\n      -> {flag['debunk'][:110]!r}")
    print("\nmisses at match:")
    for miss in out["misses"]:
        if miss["level"] != "match":
            continue
        extra = (
            f"rank {miss['rank']}, confidence {miss['confidence']:.3f}, {miss['status']}, {miss['words']} words"
            if miss["cause"] == "below_threshold"
            else miss.get("detail", "")
        )
        print(f"  {miss['cause']:<16} {extra}: {miss['tweet'][:90]!r}")


def print_sweep(result: dict[str, Any], clean_pages: int) -> None:
    print(
        f"\nthreshold sweep (dev, one in-process run, {clean_pages} clean pages: a false flag is 1/{clean_pages}"
        f" = {1 / max(clean_pages, 1):.3f} per page)"
    )
    print("match | recall@match | precision@match | false debunked/clean page")
    for row in result["match_grid"]:
        if row["match"] >= 0.3 and (
            round(row["match"] * 100) % 2 == 0 or row["match"] == result["chosen"]["match"]
        ):
            print(
                f"{row['match']:.2f} | {row['recall_at_match']:.3f} | {row['precision_at_match']:.3f} | "
                f"{row['false_debunked_per_clean_page']:.3f}"
            )
    chosen = result["chosen"]
    print(f"\nsuggest (at match {chosen['match']:.2f}) | recall@suggest | queue/clean page")
    for row in result["suggest_grid"]:
        if round(row["suggest"] * 100) % 2 == 0:
            print(
                f"{row['suggest']:.2f} | {row['recall_at_suggest']:.3f} | {row['queue_per_clean_page']:.2f}"
            )
    print(
        f"\nchosen: match {chosen['match']:.2f}, suggest {chosen['suggest']:.2f} -> recall@match "
        f"{chosen['recall_at_match']:.3f}, precision@match {chosen['precision_at_match']:.3f}, false debunked/clean "
        f"page {chosen['false_debunked_per_clean_page']:.3f}, recall@suggest {chosen['recall_at_suggest']:.3f}, "
        f"queue/clean page {chosen['queue_per_clean_page']:.2f} (today: match {result['today']['match']:.3f}, "
        f"suggest {result['today']['suggest']:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--in-process", action="store_true", help="Check with a Checker in this process.")
    parser.add_argument(
        "--sweep", action="store_true", help="Also sweep the thresholds (implies --in-process)."
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
    parser.add_argument("--limit", type=int, help="Only the first N planted pages (a quick look).")
    parser.add_argument("--workers", type=int, help="Server worker processes (default: serve's).")
    parser.add_argument("--save", type=Path, help="Also write the JSON object to this file.")
    args = parser.parse_args()
    in_process = args.in_process or args.sweep

    carriers = dev_carriers()
    tweets = dev_tweets()
    pages = build_pages(carriers, tweets)
    if args.limit:
        planted_pages = [p for p in pages if p.tweet is not None][: args.limit]
        pages = planted_pages + [p for p in pages if p.tweet is None]
    cache = prepared_database()
    gold = gold_debunks(cache, tweets)
    with database_copy(cache) as database:
        if in_process:
            checker = build_checker(database)
            results = check_in_process(checker, pages)
        else:
            with running_server(REPO, database, workers=args.workers) as (base_url, _):
                results = check_with_server(base_url, pages)
            checker = build_checker(database)  # the same code and settings, for the gated/ungated causes
        out = evaluate(results, gold, reported_status, checker)
        sweep_result = sweep(results, gold, checker.thresholds) if args.sweep else None
    in_train = tweets_in_2022_train(tweets)
    out = {
        "mode": "in-process" if in_process else "server",
        "carriers": len({p.carrier.page_id for p in pages if p.tweet is not None}),
        "carrier_note": (
            f"the {len(carriers)} article_extraction pages on the matcher's dev side (crc32(id) % 5 == 0, "
            "factcheck/training/matcher.py _part_of); the other pages' sentences are its training negatives. "
            "Carriers without a <p> of their gold body carry no tweet but are clean pages. "
            f"{in_train} of the {len(tweets)} planted tweets are also in CLEF-2022 2A train, which the matcher's "
            "training drops (_drop_overlap); no training tweet is planted."
        ),
        "thresholds": {"match": checker.thresholds.match, "suggest": checker.thresholds.suggest},
        "load_average": [
            round(x, 1) for x in os.getloadavg()
        ],  # latency is only comparable on a quiet machine
        **out,
    }
    if sweep_result is not None:
        out["sweep"] = sweep_result
    if args.save:
        args.save.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return
    print_report(out)
    if sweep_result is not None:
        print_sweep(sweep_result, out["clean_pages"])


if __name__ == "__main__":
    main()
