"""`factcheck report`: the flagged claims of the feed articles checked in a period, per source.

    report_data(store, since)              the database -> FlaggedReport
    write_report(report, format, stream)   html, csv or jsonl

The HTML page is `templates/report.html.j2`: one self-contained file (inline CSS and SVG chart,
nothing loaded from elsewhere), autoescaped. Python decides everything the page shows (which
sources the chart has and their bars' geometry, which links are safe to follow); the template
only formats it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal, get_args
from urllib.parse import urlsplit

import jinja2
from sqlalchemy import select

from factcheck.errors import InputError
from factcheck.language import fact_check_language_note, language_name
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow, FeedRow
from factcheck.store.models import DebunkRow, utcnow
from factcheck.types import ClaimStatus
from factcheck.verdicts import describe_status, rating_class

ReportFormat = Literal["html", "csv", "jsonl"]
REPORT_FORMATS: tuple[str, ...] = get_args(ReportFormat)


# The statuses the report lists, in the chart's stacking order, with their colours and legend words: red
# only for debunked (issue 13), a softer tone for what readers see as possibly related.
FLAGGED_STATUSES: tuple[ClaimStatus, ...] = ("debunked", "fact_checked", "possibly_related", "needs_review")
_STATUS_COLOURS = {
    "debunked": "#c0392b",
    "fact_checked": "#2c6e9b",
    "possibly_related": "#7fb3c8",
    "needs_review": "#e6a23c",
}


@dataclass(frozen=True)
class FlaggedClaim:
    """A claim from a feed article that matched a fact-check, may be related to one, or went to editors."""

    source: str
    feed_url: str
    article_url: str
    article_title: str
    checked_at: datetime | None
    claim: str
    status: str
    checkworthiness: float
    probability: float | None
    debunk_id: int | None
    debunk_claim: str
    debunk_label: str
    debunk_url: str
    reviewer: str
    language: str = "en"  # the claim's
    debunk_language: str = "en"

    @property
    def language_note(self) -> str:
        """The claim's language in words when it is not English ("French"), else ""."""
        return language_name(self.language) if self.language != "en" else ""

    @property
    def debunk_language_note(self) -> str:
        """ "fact-check in English" when the fact-check is in another language than the claim, else ""."""
        if self.debunk_id is None:
            return ""
        return fact_check_language_note(self.debunk_language, self.language)

    @property
    def rating_class(self) -> str:
        """What the fact-check's rating says of the claim (refuted, supported, ...); "" without one."""
        return rating_class(self.debunk_label) if self.debunk_id is not None else ""  # type: ignore[arg-type]

    @property
    def described(self) -> str:
        """The status in words, following the fact-check's rating (never "false" unless debunked)."""
        label = self.debunk_label if self.debunk_id is not None else None
        return describe_status(self.status, label)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SourceSummary:
    """Per source (feed): articles checked in the period and what was found in them."""

    source: str
    feed_url: str
    articles: int
    failed: int
    claims: int
    debunked: int
    needs_review: int
    fact_checked: int = 0
    possibly_related: int = 0

    @property
    def flagged(self) -> int:
        return self.debunked + self.fact_checked + self.possibly_related + self.needs_review


@dataclass(frozen=True)
class FlaggedReport:
    since: datetime
    until: datetime
    sources: tuple[SourceSummary, ...]
    claims: tuple[FlaggedClaim, ...]


def report_data(store: Store, *, since: datetime, until: datetime | None = None) -> FlaggedReport:
    """Flagged claims (FLAGGED_STATUSES) of the articles checked in [since, until), per source."""
    until = until or utcnow()
    window = (ArticleRow.finished_at >= since, ArticleRow.finished_at < until)
    with store.transaction() as session:
        feeds = {row.id: (row.name, row.url) for row in session.scalars(select(FeedRow))}

        def source_of(feed_id: int | None, url: str) -> tuple[str, str]:
            if feed_id in feeds:
                return feeds[feed_id]
            return urlsplit(url).hostname or "unknown", ""

        totals: dict[tuple[str, str], list[int]] = {}
        for feed_id, url, status, claim_count in session.execute(
            select(ArticleRow.feed_id, ArticleRow.url, ArticleRow.status, ArticleRow.claim_count).where(
                *window, ArticleRow.status.in_(("done", "failed"))
            )
        ):
            counts = totals.setdefault(source_of(feed_id, url), [0, 0, 0])
            counts[0] += status == "done"
            counts[1] += status == "failed"
            counts[2] += claim_count
        flagged = session.execute(
            select(ArticleResultRow, ArticleRow, DebunkRow)
            .join(ArticleRow, ArticleRow.id == ArticleResultRow.article_id)
            .outerjoin(DebunkRow, DebunkRow.id == ArticleResultRow.debunk_id)
            .where(*window, ArticleResultRow.status.in_(FLAGGED_STATUSES))
            .order_by(ArticleRow.feed_id, ArticleRow.finished_at, ArticleResultRow.position)
        ).all()
        claims = []
        for result, article, debunk in flagged:
            name, feed_url = source_of(article.feed_id, article.url)
            claims.append(
                FlaggedClaim(
                    source=name,
                    feed_url=feed_url,
                    article_url=article.final_url or article.url,
                    article_title=article.title,
                    checked_at=article.finished_at,
                    claim=result.text,
                    status=result.status,
                    checkworthiness=result.checkworthiness,
                    probability=result.probability,
                    debunk_id=result.debunk_id,
                    debunk_claim=debunk.claim_reviewed if debunk is not None else "",
                    debunk_label=debunk.label if debunk is not None else "",
                    debunk_url=debunk.review_url if debunk is not None else "",
                    reviewer=debunk.reviewer_name if debunk is not None else "",
                    language=result.language,
                    debunk_language=debunk.language if debunk is not None else "en",
                )
            )
    # per source, the flagged claims by status (counted from the results: the article rows count only
    # debunked and needs_review)
    by_status = Counter((claim.source, claim.feed_url, claim.status) for claim in claims)
    sources = sorted(
        (
            SourceSummary(
                name,
                feed_url,
                *counts,
                **{status: by_status[name, feed_url, status] for status in FLAGGED_STATUSES},
            )
            for (name, feed_url), counts in totals.items()
        ),
        key=lambda s: (-s.flagged, s.source),
    )
    return FlaggedReport(since=since, until=until, sources=tuple(sources), claims=tuple(claims))


def write_report(report: FlaggedReport, format: str, stream: IO[str]) -> None:
    """Write the report as `html` (one self-contained page with an SVG chart), `csv` or `jsonl`."""
    if format == "jsonl":
        for claim in report.claims:
            stream.write(json.dumps(_claim_json(claim), ensure_ascii=False) + "\n")
    elif format == "csv":
        names = [*(f.name for f in dataclasses.fields(FlaggedClaim)), *_DERIVED]
        writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for claim in report.claims:
            writer.writerow(_claim_json(claim))
    elif format == "html":
        stream.write(_render_html(report))
    else:
        raise InputError(f"unknown report format {format!r}; expected one of {', '.join(REPORT_FORMATS)}")


_DERIVED = ("rating_class", "described")


def _claim_json(claim: FlaggedClaim) -> dict[str, Any]:
    data = dataclasses.asdict(claim)
    data["checked_at"] = claim.checked_at.isoformat() if claim.checked_at else None
    data.update({name: getattr(claim, name) for name in _DERIVED})
    return data


# --- the HTML page -------------------------------------------------------------------------------

_CHART_WIDTH = 720
_CHART_TOP = 30  # room for the legend
_LABEL_WIDTH = 220
_BAR_HEIGHT = 22
_BAR_GAP = 8
_CHART_SOURCES = 20
_LABEL_CHARS = 32
_LEGEND_STEP = 120
_LEGEND = {
    "debunked": "debunked",
    "fact_checked": "fact-checked",
    "possibly_related": "possibly related",
    "needs_review": "needs review",
}


@dataclass(frozen=True)
class _Segment:
    """One status's part of a bar, in SVG user units."""

    status: str
    words: str  # legend and tooltip
    count: int
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class _ChartBar:
    """One source's stacked bar (FLAGGED_STATUSES in order), in SVG user units."""

    source: str
    label: str  # the name, cut to fit left of the bar; the tooltip has it whole
    y: int
    text_y: float  # the baseline of the label and the total, centred on the bar
    segments: tuple[_Segment, ...]
    flagged: int
    total_x: float


@dataclass(frozen=True)
class _Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[_ChartBar, ...]
    legend: tuple[_Segment, ...]  # one swatch per status, left to right


@dataclass(frozen=True)
class _ReportPage:
    """The context of report.html.j2."""

    report: FlaggedReport
    articles: int  # checked in the period, every source together
    chart: _Chart | None  # None when no source has a flagged claim
    claims_by_source: dict[str, list[FlaggedClaim]]  # in the report's order


def _is_web_url(url: str) -> bool:
    """Only http(s) URLs become links: a feed could carry javascript: ones."""
    return urlsplit(url).scheme in ("http", "https")


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("factcheck.feeds", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_TEMPLATES.tests["web_url"] = _is_web_url


def _render_html(report: FlaggedReport) -> str:
    claims_by_source: dict[str, list[FlaggedClaim]] = {}
    for claim in report.claims:
        claims_by_source.setdefault(claim.source, []).append(claim)
    page = _ReportPage(
        report=report,
        articles=sum(s.articles for s in report.sources),
        chart=_chart(report.sources),
        claims_by_source=claims_by_source,
    )
    return _TEMPLATES.get_template("report.html.j2").render(page=page)


def _chart(sources: tuple[SourceSummary, ...]) -> _Chart | None:
    """A horizontal stacked bar per source with flagged claims: the first 20 (report_data puts the most
    flagged first)."""
    shown = [s for s in sources if s.flagged][:_CHART_SOURCES]
    if not shown:
        return None
    scale = (_CHART_WIDTH - _LABEL_WIDTH - 60) / max(s.flagged for s in shown)
    bars = []
    for row, source in enumerate(shown):
        y = _CHART_TOP + row * (_BAR_HEIGHT + _BAR_GAP)
        x = float(_LABEL_WIDTH)
        segments = []
        for status in FLAGGED_STATUSES:
            count = getattr(source, status)
            segments.append(
                _Segment(status, _LEGEND[status], count, x, count * scale, _STATUS_COLOURS[status])
            )
            x += count * scale
        name = source.source
        bars.append(
            _ChartBar(
                source=name,
                label=name if len(name) <= _LABEL_CHARS else name[: _LABEL_CHARS - 1] + "…",
                y=y,
                text_y=y + _BAR_HEIGHT * 0.7,
                segments=tuple(segments),
                flagged=source.flagged,
                total_x=x + 6,
            )
        )
    legend = tuple(
        _Segment(status, _LEGEND[status], 0, _LABEL_WIDTH + i * _LEGEND_STEP, 12, _STATUS_COLOURS[status])
        for i, status in enumerate(FLAGGED_STATUSES)
    )
    return _Chart(
        width=_CHART_WIDTH,
        height=_CHART_TOP + len(shown) * (_BAR_HEIGHT + _BAR_GAP) + 10,
        label_width=_LABEL_WIDTH,
        bar_height=_BAR_HEIGHT,
        bars=tuple(bars),
        legend=legend,
    )
