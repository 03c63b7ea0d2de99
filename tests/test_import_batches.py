"""Large imports (issue 14): batches committed as the stream is read, resumed after a stop, with progress.

On real SQLite and PostgreSQL, with small inputs: the batch size is what makes them "large".
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql_text
from typer.testing import CliRunner

from factcheck._text import canonical_key
from factcheck.claimreview import debunk_to_claimreview
from factcheck.cli import app
from factcheck.importers import estimate_records, read_records
from factcheck.store import SkippedRecord, Store
from factcheck.store.models import ImportRun
from factcheck.types import Debunk
from tests.conftest import REPO_ROOT

runner = CliRunner()
WORDS = ("vaccines", "towers", "elections", "sharks", "lemons", "satellites", "bridges", "bees")


def _debunk(number: int, **changes: object) -> Debunk:
    debunk = Debunk(
        claim_reviewed=f"Claim {number}: {WORDS[number % len(WORDS)]} cause {WORDS[number * 3 % len(WORDS)]}.",
        label="false",
        rating_text="False",
        reviewer_name="Example Fact Check",
        review_url=f"https://factcheck.example.org/{number}",
        variants=(f"they say {WORDS[number % len(WORDS)]} did it, {number}",) if number % 3 == 0 else (),
    )
    return replace(debunk, **changes)  # type: ignore[arg-type]


def _runs(store: Store) -> list[ImportRun]:
    with store.transaction() as session:
        return list(session.scalars(select(ImportRun).order_by(ImportRun.id)))


def test_import_stopped_midway_keeps_its_committed_batches_and_a_rerun_adds_only_the_rest(
    store: Store,
) -> None:
    def stream() -> Iterator[Debunk]:
        for number in range(25):
            if number == 17:
                raise RuntimeError("the process was stopped")
            yield _debunk(number)

    with pytest.raises(RuntimeError):
        store.import_records(stream(), source="feed.jsonl", format="jsonl", batch_size=5)
    assert store.count() == 15  # three batches of five committed, the fourth (15, 16) was not
    [stopped] = _runs(store)
    assert (stopped.added, stopped.finished_at) == (15, None)

    again = store.import_records(
        (_debunk(n) for n in range(25)), source="feed.jsonl", format="jsonl", batch_size=5
    )
    assert (again.added, again.updated, again.unchanged) == (10, 0, 15)
    assert store.count() == 25
    finished = _runs(store)[-1]
    assert (finished.added, finished.unchanged, finished.finished_at is not None) == (10, 15, True)
    stored = {d.review_url: d for d in store.iter_debunks()}
    assert stored["https://factcheck.example.org/3"].variants == _debunk(3).variants
    assert all(d.version == 1 for d in stored.values())


def test_import_reads_the_stream_one_batch_at_a_time(store: Store) -> None:
    batch_size = 4
    read = 0

    def stream() -> Iterator[Debunk | SkippedRecord]:
        nonlocal read
        for number in range(30):
            # Lazy and committed as it goes: never more than one batch read ahead of the database.
            assert read - store.count() <= batch_size, (read, store.count())
            read += 1
            yield SkippedRecord(read, "not a record") if number == 7 else _debunk(number)

    summary = store.import_records(stream(), source="s", format="jsonl", batch_size=batch_size)
    assert (summary.added, len(summary.skipped), read) == (29, 1, 30)


def test_import_again_changes_nothing_and_a_changed_record_gets_one_new_version(store: Store) -> None:
    first = store.import_records([_debunk(n) for n in range(12)], source="a", format="jsonl", batch_size=5)
    assert (first.added, first.updated, first.unchanged) == (12, 0, 0)
    before = datetime.now(UTC)
    time.sleep(0.01)
    same = store.import_records([_debunk(n) for n in range(12)], source="a", format="jsonl", batch_size=5)
    assert (same.added, same.updated, same.unchanged) == (0, 0, 12)
    assert store.versions_changed_since(before) == {}

    changed = [_debunk(2, rating_text="Pants on Fire"), _debunk(4, variants=("a new phrasing of four",))]
    summary = store.import_records([*changed, _debunk(5)], source="b", format="jsonl")
    assert (summary.added, summary.updated, summary.unchanged) == (0, 2, 1)
    stored = {d.review_url: d for d in store.iter_debunks()}
    two, four = stored["https://factcheck.example.org/2"], stored["https://factcheck.example.org/4"]
    assert two.rating_text == "Pants on Fire"
    assert four.variants == ("a new phrasing of four",)
    assert store.versions_changed_since(before) == {two.id: 2, four.id: 2}


def test_import_counts_a_record_repeated_within_a_batch_as_added_then_updated(store: Store) -> None:
    repeated = _debunk(1, variants=("another phrasing",))
    summary = store.import_records([_debunk(1), repeated, _debunk(1)], source="s", format="jsonl")
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    [stored] = store.iter_debunks()
    assert stored.variants == ("another phrasing",)


def _claimreview_file(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            handle.write(json.dumps(debunk_to_claimreview(_debunk(number))) + "\n")
    return path


def test_db_import_of_claimreview_jsonl_twice_adds_nothing_the_second_time(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", database_url)
    monkeypatch.setenv("FACTCHECK_IMPORT_BATCH_SIZE", "7")
    path = _claimreview_file(tmp_path / "reviews.jsonl", 40)
    first = runner.invoke(app, ["db", "import", str(path), "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "as claimreview: 40 added, 0 updated, 0 unchanged, 0 skipped" in first.output
    again = runner.invoke(app, ["db", "import", str(path), "--no-progress"])
    assert "0 added, 0 updated, 40 unchanged, 0 skipped" in again.output


def test_db_import_progress_shows_records_and_their_rate(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FACTCHECK_IMPORT_BATCH_SIZE", "10")
    path = _claimreview_file(tmp_path / "reviews.jsonl", 35)
    shown = runner.invoke(app, ["db", "import", str(path), "--progress"])
    assert shown.exit_code == 0, shown.output
    assert "Importing" in shown.output and "35/35 records" in shown.output and "records/s" in shown.output
    quiet = runner.invoke(app, ["db", "import", str(path), "--no-progress"])
    assert "Importing" not in quiet.output and "35 unchanged" in quiet.output


def test_db_import_killed_midway_resumes_when_run_again(sqlite_url: str, tmp_path: Path) -> None:
    total = 20_000
    path = _claimreview_file(tmp_path / "reviews.jsonl", total)
    database = tmp_path / "factcheck.db"
    env = {**os.environ, "FACTCHECK_DATABASE_URL": sqlite_url, "FACTCHECK_IMPORT_BATCH_SIZE": "100"}
    command = [sys.executable, "-m", "factcheck", "db", "import", str(path), "--no-progress"]
    subprocess.run(
        [sys.executable, "-m", "factcheck", "db", "init", "--no-corpus"], env=env, check=True, cwd=REPO_ROOT
    )
    child = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    committed = 0
    deadline = time.monotonic() + 120
    while committed == 0 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
        with sqlite3.connect(database) as connection:
            committed = connection.execute("SELECT count(*) FROM debunks").fetchone()[0]
    child.send_signal(signal.SIGKILL)
    child.communicate()
    with sqlite3.connect(database) as connection:
        kept = connection.execute("SELECT count(*) FROM debunks").fetchone()[0]
    assert 0 < kept < total, "the import was not caught midway"
    assert kept % 100 == 0  # whole batches only

    rerun = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert f"{total - kept} added, 0 updated, {kept} unchanged, 0 skipped" in rerun.stdout, rerun.stderr


def test_estimate_records_counts_a_json_lines_file_from_its_head_and_gives_up_on_a_json_array(
    tmp_path: Path,
) -> None:
    path = _claimreview_file(tmp_path / "reviews.jsonl", 3000)
    assert 2700 <= (estimate_records(path, "claimreview") or 0) <= 3300
    array = tmp_path / "reviews.json"
    array.write_text(json.dumps([debunk_to_claimreview(_debunk(n)) for n in range(3)]), encoding="utf-8")
    assert estimate_records(array, "claimreview") is None


def test_import_into_postgresql_takes_planner_statistics_as_the_tables_grow(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.migrate()
    store.import_records((_debunk(n) for n in range(60)), source="s", format="jsonl", batch_size=10)
    with store.transaction() as session:
        analysed = session.scalar(
            sql_text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'debunks'")
        )
    store.close()
    assert analysed is not None  # without them a million-record import reads the whole table per batch


def test_import_benchmark_file_is_the_real_records_then_distinct_spliced_ones(tmp_path: Path) -> None:
    from import_scale import claimreview_lines

    real = [_debunk(n) for n in range(6)]
    lines = list(claimreview_lines(real, 20))
    assert lines == list(claimreview_lines(real, 20))  # seeded: the cached file can be made again
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    format, records = read_records(path)
    debunks = [record for record in records if isinstance(record, Debunk)]
    assert format == "claimreview" and len(debunks) == 20
    assert [d.claim_reviewed for d in debunks[:6]] == [d.claim_reviewed for d in real]
    assert len({canonical_key(d.claim_reviewed) for d in debunks}) == 20
