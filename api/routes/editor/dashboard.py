"""The dashboard: daily counts for the last 30 days as an inline SVG chart (and a table), and the top claims."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import QueueDep
from api.routes.editor.base import STATUS_LABELS, EditorContext, UserView, Viewer, render
from api.routes.editor.queue import QueueRow, queue_row
from factcheck.review import Dashboard

router = APIRouter()

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 220, 32


@dataclass(kw_only=True)
class ChartSeries:
    name: str
    css_class: str
    points: str  # SVG polyline points, "x,y x,y ..."
    total: int
    values: list[int]


@dataclass(kw_only=True)
class DashboardContext(EditorContext):
    """Daily counts for the last 30 days as an inline SVG chart (and a table), and the top claims."""

    days: list[str]
    series: list[ChartSeries]
    chart_width: int
    chart_height: int
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]
    top_claims: list[QueueRow]
    open_items: int
    status_counts: dict[str, int]


def _chart(board: Dashboard) -> tuple[list[ChartSeries], list[tuple[float, int]], list[tuple[float, str]]]:
    """Polyline points for each series, y ticks and x labels, in SVG user units."""
    peak = max([1, *board.flagged, *board.confirmed, *board.new_debunks])
    step = 10 ** max(0, len(str(peak)) - 1)
    top = math.ceil(peak / step) * step
    width, height = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    count = max(1, len(board.days) - 1)

    def x(index: int) -> float:
        return round(CHART_PAD + width * index / count, 1)

    def y(value: int) -> float:
        return round(CHART_PAD + height * (1 - value / top), 1)

    series = [
        ChartSeries(
            name=name,
            css_class=css,
            points=" ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
            total=sum(values),
            values=list(values),
        )
        for name, css, values in (
            ("Flagged", "flagged", board.flagged),
            ("Confirmed", "confirmed", board.confirmed),
            ("New debunks", "new-debunks", board.new_debunks),
        )
    ]
    y_ticks = [(y(v), v) for v in sorted({0, top // 2, top})]
    x_ticks = [
        (x(i), day.strftime("%b %d"))
        for i, day in enumerate(board.days)
        if i % 7 == (len(board.days) - 1) % 7
    ]
    return series, y_ticks, x_ticks


@router.get("/dashboard")
@router.get("/dashboard.json")
def dashboard_page(request: Request, user: Viewer, queue: QueueDep) -> Response:
    board = queue.dashboard(days=30)
    series, y_ticks, x_ticks = _chart(board)
    context = DashboardContext(
        title="Dashboard",
        user=UserView.of(user),
        days=[day.isoformat() for day in board.days],
        series=series,
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        top_claims=[queue_row(item) for item in board.top_claims],
        open_items=board.open_items,
        status_counts={STATUS_LABELS.get(k, k): v for k, v in board.status_counts.items()},
    )
    return render(request, "dashboard.html", context)
