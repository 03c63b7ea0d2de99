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
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal, get_args
from urllib.parse import urlsplit

import jinja2
from sqlalchemy import select

from factcheck.errors import InputError
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow, FeedRow
from factcheck.store.models import DebunkRow, utcnow

ReportFormat = Literal["html", "csv", "jsonl"]
REPORT_FORMATS: tuple[str, ...] = get_args(ReportFormat)


@dataclass(frozen=True)
class FlaggedClaim:
    """A claim from a feed article that was found debunked or was sent to the editors."""

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

    @property
    def flagged(self) -> int:
        return self.debunked + self.needs_review


@dataclass(frozen=True)
class FlaggedReport:
    since: datetime
    until: datetime
    sources: tuple[SourceSummary, ...]
    claims: tuple[FlaggedClaim, ...]


def report_data(store: Store, *, since: datetime, until: datetime | None = None) -> FlaggedReport:
    """Flagged claims (debunked or needs review) of the articles checked in [since, until), per source."""
    until = until or utcnow()
    window = (ArticleRow.finished_at >= since, ArticleRow.finished_at < until)
    with store.transaction() as session:
        feeds = {row.id: (row.name, row.url) for row in session.scalars(select(FeedRow))}

        def source_of(feed_id: int | None, url: str) -> tuple[str, str]:
            if feed_id in feeds:
                return feeds[feed_id]
            return urlsplit(url).hostname or "unknown", ""

        totals: dict[tuple[str, str], list[int]] = {}
        for feed_id, url, status, claim_count, debunked, needs_review in session.execute(
            select(
                ArticleRow.feed_id,
                ArticleRow.url,
                ArticleRow.status,
                ArticleRow.claim_count,
                ArticleRow.debunked_count,
                ArticleRow.needs_review_count,
            ).where(*window, ArticleRow.status.in_(("done", "failed")))
        ):
            counts = totals.setdefault(source_of(feed_id, url), [0, 0, 0, 0, 0])
            counts[0] += status == "done"
            counts[1] += status == "failed"
            counts[2] += claim_count
            counts[3] += debunked
            counts[4] += needs_review
        flagged = session.execute(
            select(ArticleResultRow, ArticleRow, DebunkRow)
            .join(ArticleRow, ArticleRow.id == ArticleResultRow.article_id)
            .outerjoin(DebunkRow, DebunkRow.id == ArticleResultRow.debunk_id)
            .where(*window, ArticleResultRow.status.in_(("debunked", "needs_review")))
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
                )
            )
    sources = sorted(
        (SourceSummary(name, feed_url, *counts) for (name, feed_url), counts in totals.items()),
        key=lambda s: (-s.flagged, s.source),
    )
    return FlaggedReport(since=since, until=until, sources=tuple(sources), claims=tuple(claims))


def write_report(report: FlaggedReport, format: str, stream: IO[str]) -> None:
    """Write the report as `html` (one self-contained page with an SVG chart), `csv` or `jsonl`."""
    if format == "jsonl":
        for claim in report.claims:
            stream.write(json.dumps(_claim_json(claim), ensure_ascii=False) + "\n")
    elif format == "csv":
        names = [f.name for f in dataclasses.fields(FlaggedClaim)]
        writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for claim in report.claims:
            writer.writerow(_claim_json(claim))
    elif format == "html":
        stream.write(_render_html(report))
    else:
        raise InputError(f"unknown report format {format!r}; expected one of {', '.join(REPORT_FORMATS)}")


def _claim_json(claim: FlaggedClaim) -> dict[str, Any]:
    data = dataclasses.asdict(claim)
    data["checked_at"] = claim.checked_at.isoformat() if claim.checked_at else None
    return data


# --- the HTML page -------------------------------------------------------------------------------

_CHART_WIDTH = 720
_CHART_TOP = 30  # room for the legend
_LABEL_WIDTH = 220
_BAR_HEIGHT = 22
_BAR_GAP = 8
_CHART_SOURCES = 20
_LABEL_CHARS = 32


@dataclass(frozen=True)
class _ChartBar:
    """One source's stacked bar (debunked, then needs review), in SVG user units."""

    source: str
    label: str  # the name, cut to fit left of the bar; the tooltip has it whole
    y: int
    text_y: float  # the baseline of the label and the total, centred on the bar
    debunked: int
    needs_review: int
    flagged: int
    debunked_width: float
    review_x: float
    review_width: float
    total_x: float


@dataclass(frozen=True)
class _Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[_ChartBar, ...]


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
        debunked_width = source.debunked * scale
        review_width = source.needs_review * scale
        name = source.source
        bars.append(
            _ChartBar(
                source=name,
                label=name if len(name) <= _LABEL_CHARS else name[: _LABEL_CHARS - 1] + "…",
                y=y,
                text_y=y + _BAR_HEIGHT * 0.7,
                debunked=source.debunked,
                needs_review=source.needs_review,
                flagged=source.flagged,
                debunked_width=debunked_width,
                review_x=_LABEL_WIDTH + debunked_width,
                review_width=review_width,
                total_x=_LABEL_WIDTH + debunked_width + review_width + 6,
            )
        )
    return _Chart(
        width=_CHART_WIDTH,
        height=_CHART_TOP + len(shown) * (_BAR_HEIGHT + _BAR_GAP) + 10,
        label_width=_LABEL_WIDTH,
        bar_height=_BAR_HEIGHT,
        bars=tuple(bars),
    )
