"""The progress bar of the long `db` commands (import, reindex): items done, items/s and the time left,
on stderr."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class RateProgress:
    """`update(done, total)` after each step of the work (a committed batch, an encoded chunk).

    `total` is an estimate where the work cannot know it (`importers.estimate_records`; None: no bar,
    only a count); the bar settles on the true count at the end. Off, it draws nothing: the CLI turns it
    on when stderr is a terminal, as the mailbox and feed bars do, or when asked with --progress.
    """

    def __init__(
        self,
        label: str,
        unit: str,
        *,
        total: int | None,
        enabled: bool,
        transient: bool = False,
        console: Console | None = None,
    ) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(f"{unit}, {{task.fields[rate]:,.0f}} {unit}/s"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
            transient=transient,
        )
        self.task = self.progress.add_task(unit, total=total, rate=0.0)
        self.started = time.perf_counter()
        self.done = 0

    def __enter__(self) -> RateProgress:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.progress.update(self.task, total=self.done, completed=self.done)
        self.progress.stop()

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        total = self.progress.tasks[0].total if total is None else total
        if total is not None and done > total:
            total = None  # the estimate was short: count on without a bar rather than show 100 % early
        self.progress.update(self.task, completed=done, total=total, rate=rate)
