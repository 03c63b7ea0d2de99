"""`factcheck check` on whole mailboxes: mbox files and Maildir folders written by the standard library."""

from __future__ import annotations

import csv
import json
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.ingest.mail import is_mailbox, iter_mailbox
from factcheck.pipeline import Checker

EMAILS = Path(__file__).parent / "fixtures" / "email"
CLASSIC = (EMAILS / "lazytruth_microsoft_245.eml").read_bytes()
runner = CliRunner()


def _message(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Pat <pat@example.org>"
    message["To"] = "tips@example.org"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    message.set_content(body)
    return bytes(message)


ORDINARY = _message(
    "Lunch on Friday",
    "From now on the team lunch is on Fridays at noon.\nWe booked the table by the window.\n",
)
BROKEN = b"From: someone@example.org\nSubject: only a picture\nContent-Type: image/png\n\niVBORw0KGgo=\n"


@pytest.fixture
def mbox_file(tmp_path: Path) -> Path:
    path = tmp_path / "tipline.mbox"
    box = mailbox.mbox(path)
    for raw in (CLASSIC, BROKEN, ORDINARY):
        box.add(raw)
    box.flush()
    box.close()
    return path


@pytest.fixture
def maildir_folder(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    for raw in (CLASSIC, ORDINARY):
        box.add(raw)
    return path


@pytest.fixture
def shared_checker(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> Iterator[Checker]:
    """The CLI builds its Checker from settings; hand it the session's instead of loading the models again."""
    monkeypatch.setattr(Checker, "from_settings", classmethod(lambda cls, settings, **_: checker))
    yield checker


def test_iter_mailbox_reads_each_message_of_an_mbox_and_undoes_from_quoting(mbox_file: Path) -> None:
    assert "\n>From now on" in mbox_file.read_text()  # the stdlib escaped the body line
    messages = list(iter_mailbox(mbox_file))
    assert [m.position for m in messages] == [1, 2, 3]
    assert messages[0].location == "byte 0"
    assert messages[0].raw is not None and messages[0].raw.startswith(b"Return-Path:")
    assert messages[2].raw is not None and b"\nFrom now on the team lunch" in messages[2].raw
    assert messages[2].raw.rstrip(b"\n") == ORDINARY.rstrip(b"\n")  # the message as it was added
    assert sum(m.size for m in messages) == mbox_file.stat().st_size


def test_iter_mailbox_measures_but_does_not_hold_a_message_over_the_limit(mbox_file: Path) -> None:
    messages = list(iter_mailbox(mbox_file, max_bytes=len(CLASSIC) // 2))
    assert messages[0].raw is None and "limit" in messages[0].error
    assert messages[1].raw is not None and messages[2].raw is not None
    assert len(messages) == 3


def test_iter_mailbox_reads_a_maildir_folder(maildir_folder: Path) -> None:
    messages = list(iter_mailbox(maildir_folder))
    assert sorted(m.raw for m in messages if m.raw) == sorted([CLASSIC, ORDINARY])


def test_is_mailbox_tells_mailboxes_from_single_messages(
    mbox_file: Path, maildir_folder: Path, tmp_path: Path
) -> None:
    single = tmp_path / "one.eml"
    single.write_bytes(b"From sender@example.org Mon Jan  1 00:00:00 2024\n" + CLASSIC)
    assert is_mailbox(mbox_file) and is_mailbox(maildir_folder)
    assert not is_mailbox(single) and not is_mailbox(EMAILS / "lazytruth_microsoft_245.eml")
    assert not is_mailbox(tmp_path)  # a folder without cur/ and new/


def test_check_writes_a_jsonl_report_per_message_and_skips_the_broken_one(
    shared_checker: Checker, mbox_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports.jsonl"
    result = runner.invoke(app, ["check", str(mbox_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped #2 (byte" in result.output and "no text/plain or text/html part" in result.output
    assert "3 messages, 1 with a debunked claim, 1 skipped" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["position"] for line in lines] == [1, 2, 3]
    classic, broken, ordinary = lines
    assert classic["subject"].startswith("Fwd: FW: Microsoft email beta test")
    debunked = [c for c in classic["report"]["claims"] if c["status"] == "debunked"]
    assert debunked and debunked[0]["matches"][0]["debunk"]["reviewer_name"] == "Snopes"
    assert broken["report"] is None and broken["skipped"]
    assert ordinary["message_id"] == "<Lunch-on-Friday@example.org>"
    assert not [c for c in ordinary["report"]["claims"] if c["status"] == "debunked"]


def test_check_writes_csv_and_html_reports_with_the_matched_block(
    shared_checker: Checker, maildir_folder: Path, tmp_path: Path
) -> None:
    table = tmp_path / "reports.csv"
    assert runner.invoke(app, ["check", str(maildir_folder), "-o", str(table)]).exit_code == 0
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 2
    classic = next(row for row in rows if row["subject"].startswith("Fwd: FW: Microsoft"))
    assert classic["best_status"] == "debunked"
    assert classic["best_review_url"] == "https://www.snopes.com/fact-check/bill-gates-5000-giveaway/"
    assert classic["best_quote_depth"] == "2"

    page = tmp_path / "reports.html"
    result = runner.invoke(app, ["check", str(maildir_folder), "-o", str(page), "--format", "html"])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert html.count("<section") == 2 and html.rstrip().endswith("</html>")
    assert "matched block (quote depth 2, 1 forward(s), from Bob Kessler" in html
    assert "<blockquote>Dear Friends," in html
    assert 'href="https://www.snopes.com/fact-check/bill-gates-5000-giveaway/"' in html
    assert "I checked and it is true" not in html.split("<blockquote>")[1]
