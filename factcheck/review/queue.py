"""`ReviewQueue`: the editors' review queue, put together from its parts (one module each)."""

from __future__ import annotations

from factcheck.review.dashboard import DashboardReads
from factcheck.review.decisions import Decisions
from factcheck.review.intake import Intake
from factcheck.review.rejections import Rejections


class ReviewQueue(Intake, Decisions, Rejections, DashboardReads):
    """The review queue over a Store's database (migration 0003 or later); see `QueueBase` for the
    parameters and the package docstring for what each part does.

        queue = ReviewQueue(store)
        [item] = queue.flag_report(report, origin="api")
        item = queue.confirm(item.id, debunk_id=7, expected_version=item.version, actor="ana")
    """
