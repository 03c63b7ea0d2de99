"""The `factcheck` command line: thin adapters over the library, one module per area."""

from __future__ import annotations

from factcheck.cli import (  # noqa: F401  (importing registers the commands)
    audit_commands,
    check_commands,
    checkworthiness_commands,
    crosslingual_commands,
    db_commands,
    evidence_commands,
    extraction_commands,
    feeds_commands,
    liar_commands,
    matcher_commands,
    related_commands,
    review_commands,
    serve_commands,
    users_commands,
)
from factcheck.cli._apps import app

__all__ = ["app"]
