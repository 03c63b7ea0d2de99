"""E-mail to Document: MIME decoding and the forwarded viral text, on realistic .eml fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from factcheck.errors import InputError
from factcheck.ingest import document_from_email, ingest

EMAILS = Path(__file__).parent / "fixtures" / "email"


@pytest.mark.parametrize(
    ("fixture", "starts_with", "ends_with", "title", "published"),
    [
        (
            "gmail_forward_chain.eml",  # multipart/alternative, quoted-printable, two forwards, > > quotes
            "Congressional Reform Act of 2020",
            "receive the message.",
            "PLEASE READ - Congress retirement",
            date(2020, 1, 4),
        ),
        (
            "outlook_unmarked_forward_qp.eml",  # From:/Sent:/To:/Subject: blocks without a marker line
            "Dear Friends, please do not dismiss this as a chain letter.",
            "Microsoft will pay you $245.00.",
            "Bill Gates is giving away his fortune!!",
            date(2020, 3, 2),
        ),
        (
            "base64_portuguese_forward.eml",  # base64, localized Gmail marker and headers
            "ATENÇÃO: o Ministério da Saúde confirmou",
            "repassem para todos os grupos da família!",
            "URGENTE: vacina da gripe",
            None,
        ),
        (
            "html_only_apple_forward.eml",  # text/html only, windows-1252, blockquote type=cite
            "“Police are warning women not to accept free perfume samples",
            "Please share with every woman you know!",
            "WARNING – new scam at gas stations",
            date(2019, 4, 2),
        ),
        (
            "forwarded_as_attachment.eml",  # message/rfc822 attachment
            "Costco is celebrating its 40th anniversary",
            "claim your reward before Sunday.",
            "Costco is giving away free memberships for its 40th anniversary",
            date(2019, 9, 13),
        ),
        (
            "unknown_charset_flowed.eml",  # charset=x-klingon-8 (unknown), 8bit UTF-8, format=flowed
            "The new 5G masts being installed across the country are spreading the coronavirus.",
            "rollout in Hövelhof and everywhere else.",
            "Warning about 5G masts",
            date(2020, 4, 7),
        ),
    ],
)
def test_document_from_email_keeps_only_the_forwarded_viral_text(
    fixture: str, starts_with: str, ends_with: str, title: str, published: date | None
) -> None:
    document = document_from_email((EMAILS / fixture).read_bytes())
    assert document.kind == "email"
    assert document.text.startswith(starts_with)
    assert document.text.endswith(ends_with)
    assert document.title == title
    assert document.date == published
    for noise in (
        ">",
        "From:",
        "Subject:",
        "Forwarded message",
        "Sent from my",
        "Get Outlook",
        "Enviado do meu",
    ):
        assert noise not in document.text


def test_document_from_email_drops_forwarders_notes_and_signatures() -> None:
    text = document_from_email((EMAILS / "gmail_forward_chain.eml").read_bytes()).text
    for noise in (
        "Is this for real",
        "Dave Miller",
        "Gardening Club",
        "Pass it on",
        "Bob Jones",
        "Springfield",
    ):
        assert noise not in text
    assert "It’s time to end this!" in text  # quoted-printable =E2=80=99 decoded


def test_document_from_email_reads_the_flowed_paragraph_as_one_line() -> None:
    text = document_from_email((EMAILS / "unknown_charset_flowed.eml").read_bytes()).text
    assert "\n" not in text


def test_document_from_email_gives_the_same_text_for_bytes_and_str() -> None:
    raw = (EMAILS / "html_only_apple_forward.eml").read_bytes()
    assert document_from_email(raw.decode("ascii")).text == document_from_email(raw).text


def test_document_from_email_reads_the_content_language_header() -> None:
    assert document_from_email((EMAILS / "base64_portuguese_forward.eml").read_bytes()).language == "pt"


def test_document_from_email_raises_input_error_when_there_is_no_text_part() -> None:
    with pytest.raises(InputError, match="no text/plain or text/html part"):
        document_from_email((EMAILS / "no_text_part.eml").read_bytes())


def test_document_from_email_keeps_a_reply_quote_when_it_holds_the_claim() -> None:
    raw = (
        "From: Ann <ann@example.org>\nTo: check@factcheck.example\nSubject: Re: scary\n\n"
        "Thanks, will check.\n\n"
        "On Tue, Mar 3, 2020 at 9:14 AM Bob Smith <bob@example.org>\nwrote:\n\n"
        "> Holding your breath for ten seconds without coughing proves you do not have the\n"
        "> coronavirus, according to doctors in Taiwan.\n>\n> --\n> Bob\n"
    )
    document = document_from_email(raw)
    assert document.text == (
        "Holding your breath for ten seconds without coughing proves you do not have the\n"
        "coronavirus, according to doctors in Taiwan."
    )
    assert document.title == "scary"


def test_document_from_email_keeps_a_short_message_that_has_no_forward() -> None:
    document = document_from_email(
        "From: a@example.org\nSubject: hi\n\nAliens built the pyramids.\n\nSent from my iPad"
    )
    assert document.text == "Aliens built the pyramids."


def test_ingest_reads_a_pasted_forward_without_headers_as_email() -> None:
    pasted = (
        "Is this true?\n\n---------- Forwarded message ---------\nFrom: Linda <l@example.net>\n"
        "Date: Mon, Jan 6, 2020 at 10:15 AM\nSubject: Fwd: Free Costco\nTo: me <me@example.com>\n\n"
        "Costco is giving every customer a free one-year membership and a coupon for its anniversary.\n"
    )
    document = ingest(pasted)
    assert document.kind == "email"
    assert (
        document.text
        == "Costco is giving every customer a free one-year membership and a coupon for its anniversary."
    )
    assert document.title == "Free Costco"
    assert document.date == date(2020, 1, 6)


@pytest.mark.parametrize("raw", [b"", "  \r\n"])
def test_document_from_email_raises_input_error_for_empty_input(raw: bytes | str) -> None:
    with pytest.raises(InputError, match="empty"):
        document_from_email(raw)


def test_document_from_email_raises_input_error_for_absurdly_nested_mime() -> None:
    parts = "".join(f"--b{n}\nContent-Type: multipart/mixed; boundary=b{n + 1}\n\n" for n in range(5000))
    with pytest.raises(InputError, match="multipart sections"):
        document_from_email("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n" + parts)


def test_document_from_email_keeps_the_forwarders_note_apart_and_says_where_the_text_came_from() -> None:
    document = document_from_email((EMAILS / "lazytruth_microsoft_245.eml").read_bytes())
    assert document.reader_note.startswith("Danny, I checked and it is true!!!")
    assert "checked and it is true" not in document.text
    assert "Microsoft will pay you $245.00" in document.text
    (block,) = document.blocks
    assert (block.start, block.end) == (0, len(document.text))
    assert block.quote_depth == 2 and block.forwards == 1
    assert block.sender == "Bob Kessler <bkessler@example.org>"
    assert block.subject == "Microsoft email beta test - not a joke!!!"
