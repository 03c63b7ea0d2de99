"""What route handlers borrow from the app, as typed dependencies: `checker: CheckerDep` in a signature.

The Checker is built once at startup (or handed in by tests); the store and the review queue are the
ones it checks against, so a page and a check always see the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from api.observability import Metrics
from factcheck.pipeline import Checker
from factcheck.review import ReviewQueue
from factcheck.settings import Settings
from factcheck.store import Store
from factcheck.types import Report


def get_checker(request: Request) -> Checker:
    return request.app.state.checker


CheckerDep = Annotated[Checker, Depends(get_checker)]


def get_store(checker: CheckerDep) -> Store:
    return checker.store


StoreDep = Annotated[Store, Depends(get_store)]


def get_queue(store: StoreDep) -> ReviewQueue:
    return ReviewQueue(store)


QueueDep = Annotated[ReviewQueue, Depends(get_queue)]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


# Called after a check's response is sent, with the report and where its text came from.
ReportHook = Callable[[Report, str], None]


def get_report_hook(request: Request) -> ReportHook:
    return request.app.state.on_report


ReportHookDep = Annotated[ReportHook, Depends(get_report_hook)]
