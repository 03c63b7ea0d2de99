"""`factcheck check` names each status in words that follow the shown fact-check's rating."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.cli.check_commands import _print_report
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report

runner = CliRunner()

GATES = "Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak."
HOAX = "Bill Gates and Microsoft will pay people thousands of dollars for forwarding or sharing a message."


def _report(status: str, label: str, probability: float) -> Report:
    claim = Claim(text=GATES, normalized=GATES, start=0, end=len(GATES), checkworthiness=0.9)
    debunk = Debunk(
        claim_reviewed=GATES,
        label=label,  # type: ignore[arg-type]
        rating_text=label.replace("_", " ").title(),
        reviewer_name="PolitiFact",
        review_url="https://www.politifact.com/x",
        id=1,
    )
    verdict = ClaimVerdict(
        claim=claim,
        status=status,  # type: ignore[arg-type]
        matches=(Match(debunk=debunk, score=1.0, probability=probability),),
    )
    return Report(document=Document(text=GATES), claims=(verdict,))


@pytest.mark.parametrize(
    ("status", "label", "words"),
    [
        ("debunked", "false", "debunked"),
        ("debunked", "misleading", "debunked"),
        ("fact_checked", "mostly_true", "fact-checked, rated true"),
        ("fact_checked", "mixed", "fact-checked, rated partly true"),
        ("fact_checked", "unproven", "fact-checked, rated unproven"),
        ("fact_checked", "satire", "fact-checked, satire"),
        ("fact_checked", "other", "fact-checked"),
        ("possibly_related", "false", "possibly related to a fact-check (rated false)"),
        ("possibly_related", "true", "possibly related to a fact-check (rated true)"),
    ],
)
def test_the_check_table_words_the_status_by_the_rating_class(
    status: str, label: str, words: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one line a cell
    _print_report(_report(status, label, 0.7 if status == "possibly_related" else 1.0))
    out = " ".join(capsys.readouterr().out.split())
    assert words in out
    assert f"1 {status.replace('_', ' ')}" in out
    if status != "debunked":
        assert "debunked" not in out


def test_factcheck_check_reports_a_mostly_true_match_as_fact_checked_not_debunked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    source = tmp_path / "post.txt"
    source.write_text(f"{GATES}\n\n{HOAX}\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(source), "--json"])
    assert result.exit_code == 0, result.output

    claims = {claim["text"]: claim for claim in json.loads(result.output)["claims"]}
    assert claims[GATES]["status"] == "fact_checked"
    assert claims[GATES]["matches"][0]["debunk"]["rating_class"] == "supported"
    assert claims[HOAX]["status"] == "debunked"
    assert claims[HOAX]["matches"][0]["debunk"]["rating_class"] == "refuted"
    monkeypatch.setenv("COLUMNS", "250")
    table = runner.invoke(app, ["check", str(source)])
    assert table.exit_code == 0, table.output
    assert "fact-checked, rated true" in table.output
    assert "1 debunked, 1 fact checked" in table.output


def test_the_check_table_shows_a_claims_language_and_a_fact_check_in_another(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    french = "Bill Gates a prévenu en 2015 que le monde n'était pas prêt pour une pandémie."
    report = _report("debunked", "false", 1.0)
    [verdict] = report.claims
    claim = replace(verdict.claim, text=french, language="fr", checkworthiness_transferred=True)
    report = replace(
        report, document=Document(text=french, language="fr"), claims=(replace(verdict, claim=claim),)
    )
    _print_report(report)
    out = " ".join(capsys.readouterr().out.split())
    assert "language: French" in out
    assert "fact-check in English" in out
    assert "0.90 (transferred)" in out


def test_the_check_table_says_nothing_of_language_for_english(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _print_report(_report("debunked", "false", 1.0))
    out = capsys.readouterr().out
    assert "language" not in out and "fact-check in" not in out and "transferred" not in out


def test_factcheck_check_refuses_a_junk_language() -> None:
    result = runner.invoke(app, ["check", "-", "--language", "not a language"], input="Some text here.")
    assert result.exit_code == 2
    assert "not a language code" in result.output
