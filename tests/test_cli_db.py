"""`factcheck db ...` as a user runs it: real processes, a real SQLite file, clear one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from tests.conftest import FIXTURES, REPO_ROOT, shared_data

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", url)
    return {**os.environ, "FACTCHECK_DATABASE_URL": url}


def _factcheck(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "factcheck", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_init_fills_an_empty_database_from_the_corpus_once(env: dict[str, str]) -> None:
    first = runner.invoke(app, ["db", "init"])
    assert first.exit_code == 0, first.output
    assert "loaded" in first.output
    again = runner.invoke(app, ["db", "init"])
    assert "already filled" in again.output
    stats = json.loads(runner.invoke(app, ["db", "stats", "--json"]).output)
    assert stats["debunks"] >= 300
    assert stats["variants"] >= 300


def test_import_prints_counts_and_skipped_records(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["db", "import", str(FIXTURES / "imports" / "datafeed.json")])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged, 1 skipped" in result.output
    assert "skipped record 2" in result.output
    again = runner.invoke(app, ["db", "import", str(FIXTURES / "imports" / "datafeed.json")])
    assert "0 added, 0 updated, 2 unchanged" in again.output


def test_user_mistakes_get_one_clear_line_and_a_non_zero_exit(env: dict[str, str], tmp_path: Path) -> None:
    cases = {
        "does-not-exist.json": "is not a file",
        str(FIXTURES / "imports" / "broken.json"): "broken JSON",
        str(FIXTURES / "imports" / "empty.json"): "is empty",
    }
    for source, message in cases.items():
        result = _factcheck("db", "import", source, env=env)
        assert result.returncode == 1, source
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    bad_db = _factcheck(
        "db", "stats", env={**env, "FACTCHECK_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    )
    assert bad_db.returncode == 1
    assert "cannot open the database" in bad_db.stderr and "Traceback" not in bad_db.stderr


def test_a_200_mb_file_is_streamed_not_loaded(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"claim_reviewed": "Before the giant line.", "label": "false"}\n')
        handle.write(b'{"claim_reviewed": "')
        for _ in range(200):  # written a MiB at a time: the test process must stay small too
            handle.write(b"a" * (1024 * 1024))
        handle.write(b'"}\n')
        handle.write(b'{"claim_reviewed": "After the giant line.", "label": "false"}\n')
    script = (
        "import re, sys\n"
        "from factcheck.cli import app\n"
        "try:\n"
        "    app(['db', 'import', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "# VmHWM is this process's own peak (ru_maxrss would include the forking pytest process).\n"
        "status = open('/proc/self/status').read()\n"
        "print('maxrss_kb', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert "2 added" in result.stdout, result.stderr
    assert "skipped record 2: line is longer than" in result.stderr
    peak_mb = int(result.stderr.split("maxrss_kb")[-1]) / 1024
    assert peak_mb < 200, f"peak memory {peak_mb:.0f} MB: the file was not streamed"


def test_export_then_import_round_trips_through_the_cli(env: dict[str, str], tmp_path: Path) -> None:
    runner.invoke(app, ["db", "import", str(FIXTURES / "imports" / "claimreview_graph.jsonld")])
    for format in ("jsonl", "claimreview-jsonld", "csv"):
        out = tmp_path / f"export-{format}"
        result = runner.invoke(app, ["db", "export", "--format", format, "-o", str(out)])
        assert result.exit_code == 0, result.output
        fresh = {**env, "FACTCHECK_DATABASE_URL": f"sqlite:///{tmp_path / (format + '.db')}"}
        imported = _factcheck(
            "db",
            "import",
            str(out),
            "--format",
            {"claimreview-jsonld": "claimreview"}.get(format, format),
            env=fresh,
        )
        assert "2 added" in imported.stdout, imported.stderr


def test_importing_14k_snopes_claims_takes_seconds(env: dict[str, str]) -> None:
    vclaims = shared_data("clef2022_task2a_claim_retrieval_tweets", "vclaims.jsonl")
    result = runner.invoke(app, ["db", "import", str(vclaims)])
    assert result.exit_code == 0, result.output
    assert "14231 added" in result.output


def test_every_command_has_help() -> None:
    for command in (
        ["db", "init"],
        ["db", "import"],
        ["db", "export"],
        ["db", "stats"],
        ["db", "reindex"],
        ["serve"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, command


def test_the_cli_is_reachable_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "factcheck", "--help"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert result.returncode == 0 and "db" in result.stdout


def test_reindex_writes_the_approximate_index_once_and_maps_it_after(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTCHECK_ANN_MIN_DEBUNKS", "0")
    monkeypatch.setenv("FACTCHECK_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("FACTCHECK_MATCHER_PROFILE", "fast")
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    first = runner.invoke(app, ["db", "reindex"])
    assert first.exit_code == 0, first.output
    assert "approximate search" in first.output
    written = tmp_path / "index" / "current" / "static.faiss"
    built = written.stat().st_mtime_ns
    again = runner.invoke(app, ["db", "reindex"])
    assert again.exit_code == 0, again.output
    assert written.stat().st_mtime_ns == built
