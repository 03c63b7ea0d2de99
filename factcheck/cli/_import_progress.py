"""The progress bar of `factcheck db import`: records read, records/s and the time left, on stderr."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from factcheck.store import ImportSummary


class ImportProgress:
    """Called by `Store.import_records` after each committed batch.

    `total` is the reader's estimate (`importers.estimate_records`, None when it cannot tell); the bar
    settles on the true count at the end. Off, it draws nothing: the CLI turns it on when stderr is a
    terminal, as the mailbox and feed bars do, or when asked with --progress.
    """

    def __init__(self, *, total: int | None, enabled: bool, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]Importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records, {task.fields[rate]:,.0f} records/s"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
        )
        self.task = self.progress.add_task("import", total=total, rate=0.0)
        self.started = time.perf_counter()
        self.done = 0

    def __enter__(self) -> ImportProgress:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.progress.update(self.task, total=self.done, completed=self.done)
        self.progress.stop()

    def __call__(self, summary: ImportSummary) -> None:
        self.done = summary.added + summary.updated + summary.unchanged + len(summary.skipped)
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        total = self.progress.tasks[0].total
        if total is not None and self.done > total:
            total = None  # the estimate was short: count on without a bar rather than show 100 % early
        self.progress.update(self.task, completed=self.done, total=total, rate=rate)
