"""Plain text, kind detection, decoding and the refusals every reader shares."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

import factcheck.ingest
from factcheck.errors import InputError
from factcheck.ingest import detect_kind, document_from_text, ingest
from factcheck.ingest.text import decode_bytes, normalize_text

FIXTURES = Path(__file__).parent / "fixtures"


def test_ingest_all_lists_every_public_reader() -> None:
    assert all(hasattr(factcheck.ingest, name) for name in factcheck.ingest.__all__)
    readers = {name for name in dir(factcheck.ingest) if name.startswith("document_from_")}
    assert readers | {"ingest", "detect_kind", "SafeFetcher"} <= set(factcheck.ingest.__all__)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("https://news.example.org/story?id=1", "url"),
        ("  http://example.org/a  \n", "url"),
        ("ftp://example.org/file", "url"),  # routed to the fetcher, which refuses the scheme
        ("Look at https://example.org/a, it is fake", "text"),
        ("From: Ann <ann@example.org>\nTo: bob@example.org\nSubject: hi\n\nbody", "email"),
        (b"Received: from mx.example.org\r\nMessage-ID: <1@x>\r\nSubject: x\r\n\r\nbody", "email"),
        ("Is this true?\n\n---------- Forwarded message ---------\nFrom: a@b.c\n\ntext", "email"),
        ("Begin forwarded message:\n\nThe government will seize all bank accounts.", "email"),
        ("Subject: my thoughts\nI think that the moon landing was real.", "text"),
        ("<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("<!-- saved page --><html lang=en><p>x</p></html>", "html"),
        ("<p>One paragraph</p><p>and another</p>", "html"),
        ("5 < 6 and 7 > 3 is basic arithmetic", "text"),
        ("Drinking <b>bleach</b> cures the flu", "html"),
        ("The vaccine contains microchips.", "text"),
    ],
)
def test_detect_kind_recognises_each_source_type(content: str | bytes, kind: str) -> None:
    assert detect_kind(content) == kind


def test_document_from_text_normalizes_whitespace_and_line_breaks() -> None:
    document = document_from_text("  5G\u00a0towers   spread\r\nthe virus.\u200b\n\n\n\nShare  this!\t \n")
    assert document.text == "5G towers spread\nthe virus.\n\nShare this!"
    assert document.kind == "text"


def test_normalize_text_composes_unicode_and_drops_control_characters() -> None:
    assert normalize_text("Cafe\u0301\x07 ok") == "Café ok"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Olá, café".encode(), "Olá, café"),
        (codecs.BOM_UTF16_LE + "Olá".encode("utf-16-le"), "Olá"),
        ("Le ministère a annoncé une réforme très attendue des retraites.".encode("cp1252"), "ministère"),
    ],
)
def test_decode_bytes_uses_bom_then_utf8_then_detection(data: bytes, expected: str) -> None:
    assert expected in decode_bytes(data)[0]


def test_document_from_text_accepts_bytes() -> None:
    assert document_from_text(b"Vacina causa autismo.").text == "Vacina causa autismo."


@pytest.mark.parametrize("source", ["", "   \n\t ", b"", b"\n"])
def test_ingest_raises_input_error_for_empty_input(source: str | bytes) -> None:
    with pytest.raises(InputError, match="empty"):
        ingest(source)


@pytest.mark.parametrize(
    "source",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        b"%PDF-1.4\n" + bytes(range(32)) * 100,
        "text with a NUL \x00 inside",
        "".join(chr(code) for code in range(1, 9)) * 50,
    ],
)
def test_ingest_raises_input_error_for_binary_input(source: str | bytes) -> None:
    with pytest.raises(InputError, match="binary"):
        ingest(source)


def test_ingest_refuses_50_mb_before_reading_it() -> None:
    with pytest.raises(InputError, match="limit"):
        ingest(b"a" * (50 * 1024 * 1024))


def test_ingest_reads_a_path_by_extension(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text("<p>The Eiffel Tower will be dismantled next year.</p>")
    document = ingest(page)
    assert document.kind == "html"
    assert document.text == "The Eiffel Tower will be dismantled next year."


def test_ingest_reads_an_eml_path_as_email() -> None:
    assert ingest(FIXTURES / "email" / "forwarded_as_attachment.eml").kind == "email"


def test_ingest_refuses_a_file_over_the_limit_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2048)
    with pytest.raises(InputError, match="limit"):
        ingest(big, max_bytes=1024)


def test_ingest_raises_input_error_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        ingest(tmp_path / "missing.html")


def test_ingest_never_treats_a_string_as_a_file_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    document = ingest(str(secret))
    assert document.text == str(secret)


def test_ingest_keeps_the_given_url_for_text() -> None:
    document = ingest("The moon is hollow.", url="https://example.org/post")
    assert document.source_url == "https://example.org/post"


def test_ingest_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        ingest("text", kind="pdf")  # type: ignore[arg-type]
