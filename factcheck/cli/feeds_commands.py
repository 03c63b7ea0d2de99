"""`factcheck feeds ...`, `factcheck report` and `factcheck worker`: batch checks over RSS and Atom feeds."""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from factcheck.cli._apps import app, open_database, user_errors
from factcheck.cpu import limit_cpu_threads, threads_per_process
from factcheck.errors import InputError
from factcheck.feeds import (
    ArticleOutcome,
    FeedRunner,
    ReportFormat,
    RunSummary,
    add_feed,
    list_feeds,
    remove_feed,
    report_data,
    write_report,
)
from factcheck.settings import Settings

feeds_app = typer.Typer(
    help="Feeds to check every day: add, list, remove, and run the checks.", no_args_is_help=True
)
app.add_typer(feeds_app, name="feeds")

Engine = Literal["local", "celery"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '24h', '7d', '2w' (or plain seconds) as a timedelta: `run --every`, `report --since`.

    Example:
        >>> parse_duration("15m")
        datetime.timedelta(seconds=900)
    """
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError(f"not a duration: {text!r} (expected e.g. 90s, 15m, 24h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()])


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """A report's start: a duration back from now ('24h', '7d') or an ISO date or time (UTC if naive)."""
    try:
        return (now or datetime.now(UTC)) - parse_duration(text)
    except InputError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--since takes a duration (24h, 7d) or an ISO date, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _ProgressBar:
    """The run's progress on stderr; silent when stderr is not a terminal (cron, CI, pipes)."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]Checking articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[flagged]} flagged"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not sys.stderr.isatty(),
            transient=True,
        )
        self.task = self.progress.add_task("articles", total=None, flagged=0)
        self.flagged = 0

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def started(self, total: int) -> None:
        self.progress.update(self.task, total=total, completed=0)

    def finished(self, outcome: ArticleOutcome) -> None:
        self.flagged += outcome.debunked + outcome.needs_review
        self.progress.update(self.task, advance=1, flagged=self.flagged)


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's http(s) URL.")],
    name: Annotated[str, typer.Option(help="A name for reports; the host name if omitted.")] = "",
) -> None:
    """Add a feed to check on each run; adding it again changes nothing.

    Example:

        factcheck feeds add https://example.org/rss.xml --name "Example News"
    """
    with user_errors():
        feed = add_feed(open_database(Settings()), url, name=name)
    typer.echo(f"Feed {feed.id}: {feed.name} <{feed.url}>")


@feeds_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the feeds, how their last poll went, and their articles by state.

    Example:

        factcheck feeds list
    """
    with user_errors():
        feeds = list_feeds(open_database(Settings()))
    if as_json:
        rows = [
            {
                "id": f.id,
                "url": f.url,
                "name": f.name,
                "last_polled_at": f.last_polled_at.isoformat() if f.last_polled_at else None,
                "last_status": f.last_status,
                "last_error": f.last_error,
                "articles": dict(f.articles),
            }
            for f in feeds
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not feeds:
        typer.echo("No feeds yet: factcheck feeds add URL")
    for feed in feeds:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(feed.articles.items())) or "no articles"
        polled = (
            f"{feed.last_polled_at:%Y-%m-%d %H:%M} {feed.last_status}" if feed.last_polled_at else "never"
        )
        typer.echo(f"{feed.id}. {feed.name} <{feed.url}>  [{counts}; last poll: {polled}]")
        if feed.last_error:
            typer.echo(f"   last error: {feed.last_error}")


@feeds_app.command("remove")
def remove(feed: Annotated[str, typer.Argument(help="The feed's id or URL.")]) -> None:
    """Stop checking a feed; its articles and their results stay in the database.

    Example:

        factcheck feeds remove 3
    """
    with user_errors():
        removed = remove_feed(open_database(Settings()), feed)
    typer.echo(f"Removed feed {removed.id}: {removed.name} <{removed.url}>")


@feeds_app.command("run")
def run(
    once: Annotated[
        bool, typer.Option("--once", help="Poll and check once, then exit (the default).")
    ] = False,
    every: Annotated[
        str | None, typer.Option(help="Run again every interval (15m, 1h, ...) until stopped.")
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="local: here, no broker needed; celery: on `factcheck worker`s.")
    ] = "local",
    processes: Annotated[int, typer.Option(min=1, help="Local engine: processes checking articles.")] = 1,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Try the articles that failed before once more.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Celery engine: give up waiting for the workers after this many s.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Poll every feed and check the new articles; a rerun resumes where the last one stopped.

    Feeds are fetched with conditional GET; articles are de-duplicated by canonical URL and content.
    Each article's results are stored as it finishes, and its flagged claims enter the review queue.

    Example:

        factcheck feeds run --processes 2
        factcheck feeds run --every 15m --engine celery
    """
    if once and every:
        raise typer.BadParameter("--once and --every exclude each other")
    settings = Settings()
    with user_errors():
        interval = parse_duration(every).total_seconds() if every else None
        send = None
        if engine == "celery":
            from factcheck import tasks

            tasks.configure(settings)
            send = tasks.send_check
        runner = FeedRunner.from_settings(settings)
        while True:
            started = time.monotonic()
            with _ProgressBar() as bar:
                summary = runner.run_once(
                    processes=processes,
                    send=send,
                    progress=bar,
                    retry_failed=retry_failed,
                    redispatch_after_s=settings.broker_visibility_timeout_s,
                    timeout_s=timeout,
                )
            _print_summary(summary, as_json=as_json)
            if interval is None:
                return
            retry_failed = False
            time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _print_summary(summary: RunSummary, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.to_json(), ensure_ascii=False))
        return
    typer.echo(
        f"Feeds: {summary.feeds} polled, {summary.feeds_unchanged} unchanged, {summary.feeds_failed} failed; "
        f"{summary.new_articles} new articles, {summary.duplicate_items} duplicate items skipped"
    )
    typer.echo(
        f"Articles: {summary.articles} ({summary.done} checked, {summary.duplicates} duplicates, "
        f"{summary.failed} failed) in {summary.elapsed_s:.1f} s; claims: {summary.claims}, "
        f"debunked: {summary.debunked}, needs review: {summary.needs_review}, "
        f"sent to the review queue: {summary.queued}"
    )
    for url, error in summary.feed_errors:
        typer.echo(f"  feed failed: {url}: {error}")
    for url, error in summary.failures:
        typer.echo(f"  article failed: {url}: {error}")


@app.command("report")
def report(
    since: Annotated[str, typer.Option(help="A duration back from now (24h, 7d) or an ISO date.")] = "24h",
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="html, csv or jsonl.")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here, not to stdout.")] = None,
) -> None:
    """Flagged claims per source, from the feed articles checked since a moment.

    The HTML report is one self-contained page with a chart (inline SVG, nothing loaded from elsewhere).

    Example:

        factcheck report --since 24h --format html -o today.html
        factcheck report --since 7d --format csv > week.csv
    """
    with user_errors():
        data = report_data(open_database(Settings()), since=parse_since(since))
        if output is None:
            write_report(data, format, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as stream:
                write_report(data, format, stream)
            typer.echo(
                f"Wrote {len(data.claims)} flagged claims from {len(data.sources)} sources to {output}",
                err=True,
            )


@app.command("worker")
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Processes checking articles in this worker.")] = 1,
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Start a Celery worker for `feeds run --engine celery` (broker: FACTCHECK_BROKER_URL).

    Every worker needs the same FACTCHECK_DATABASE_URL (PostgreSQL) and loads the models once per
    process, on its first article.

    Example:

        FACTCHECK_DATABASE_URL=postgresql+psycopg://db/factcheck factcheck worker --concurrency 2
    """
    from factcheck import tasks

    settings = Settings()
    limit_cpu_threads(threads_per_process(concurrency, settings.cpu_threads))  # its pool processes inherit it
    tasks.configure(settings)
    tasks.start_worker(concurrency=concurrency, loglevel=loglevel)
