"""Stage 1, ingestion: any source (text, HTML, URL, e-mail) to one `Document`.

    ingest(source)             detects the kind and dispatches to one of:
    ├── document_from_text     plain text                          (text.py)
    ├── document_from_html     a web page: main text + metadata     (html.py)
    ├── document_from_url      SafeFetcher, then HTML or text       (fetch.py)
    └── document_from_email    RFC 822 / MIME: the forwarded text   (mail.py)

Every failure is an InputError or a FetchError (factcheck.errors) with a message meant
for a person; none of these functions lets a parser or network exception escape.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Literal, get_args

from factcheck.errors import InputError, UnsupportedFormatError
from factcheck.ingest.fetch import HTML_TYPES, AddressPolicy, Fetcher, FetchResult, SafeFetcher
from factcheck.ingest.html import document_from_html
from factcheck.ingest.mail import document_from_email
from factcheck.ingest.text import MAX_INPUT_BYTES, check_size, document_from_text, normalize_text, read_input
from factcheck.language import language_code
from factcheck.types import Document

__all__ = [
    "MAX_INPUT_BYTES",
    "AddressPolicy",
    "FetchResult",
    "Fetcher",
    "SafeFetcher",
    "Source",
    "SourceKind",
    "detect_kind",
    "document_from_email",
    "document_from_html",
    "document_from_text",
    "document_from_url",
    "ingest",
]

SourceKind = Literal["text", "html", "url", "email"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
Source = str | bytes | Path
"""A `Path` is read from disk; a `str` or `bytes` is the content itself (or a URL), never a file name."""

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_MAIL_HEADER = re.compile(r"^(?:[!-9;-~]+:[ \t]|From )", re.ASCII)
_KNOWN_MAIL_HEADER = re.compile(
    r"^(?:from|to|subject|date|message-id|mime-version|received|return-path|delivered-to|reply-to|cc|sender)"
    r":",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARDED_TEXT = re.compile(
    r"^[> \t]*(?:-{2,}\s*(?:forwarded|original) message\s*-{2,}|begin forwarded message:)",
    re.IGNORECASE | re.MULTILINE,
)
_HTML_DOCUMENT = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_HTML_TAG = re.compile(
    r"</?(?:p|div|span|a|br|b|i|em|strong|ul|ol|li|table|tr|td|h[1-6]|article|section|img|meta|title|script)\b[^<>]*>",
    re.IGNORECASE,
)
_EXTENSION_KINDS: dict[str, SourceKind] = {
    ".eml": "email",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
}
_SNIFF_CHARS = 4096


def ingest(
    source: Source,
    *,
    kind: SourceKind | None = None,
    fetcher: Fetcher | None = None,
    url: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Document:
    """Turn any supported source into a Document.

    Parameters
    ----------
    source : str, bytes or Path
        Text, HTML, a raw e-mail, or an http(s) URL; a Path is read from disk (by its
        extension when `kind` is not given). A str is never taken as a file name, so
        text from a web form cannot make us read a local file.
    kind : "text", "html", "url", "email" or None
        Skip detection. Detection: a lone URL with a scheme is "url"; RFC 822 headers
        at the top, or a forward marker, make "email"; HTML tags make "html".
    fetcher : Fetcher, optional
        Used for URLs; defaults to `SafeFetcher()` with default limits and no allow-list.
    url : str, optional
        Where HTML came from; fills `Document.source_url` and helps extraction.
    max_bytes : int
        Refuse larger inputs with InputError.

    Example:
        >>> ingest("<p>Drinking bleach cures the flu.</p>").kind
        'html'
    """
    if kind is not None and kind not in SOURCE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    if isinstance(source, Path):
        content: str | bytes = _read_file(source, max_bytes)
        kind = kind or _EXTENSION_KINDS.get(source.suffix.lower())
    elif isinstance(source, str | bytes):
        content = source
    else:
        raise TypeError(f"source must be str, bytes or Path, got {type(source).__name__}")
    check_size(len(content), max_bytes)
    kind = kind or detect_kind(content)
    if kind == "url":
        target = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
        return document_from_url(target.strip(), fetcher)
    if kind == "email":
        return document_from_email(content, max_bytes=max_bytes)
    if kind == "html":
        return document_from_html(content, url=url, max_bytes=max_bytes)
    return replace(document_from_text(content, max_bytes=max_bytes), source_url=url or "")


def detect_kind(content: str | bytes) -> SourceKind:
    """Guess what a piece of content is from its first few kilobytes."""
    head = content[:_SNIFF_CHARS]
    text = head.decode("latin-1") if isinstance(head, bytes) else head
    stripped = text.lstrip("\ufeff \t\r\n")
    if _URL.match(stripped.strip()) and len(stripped.split()) == 1:
        return "url"
    if _looks_like_mail(stripped):
        return "email"
    if _HTML_DOCUMENT.match(stripped) or len(_HTML_TAG.findall(stripped)) >= 2:
        return "html"
    return "text"


def document_from_url(url: str, fetcher: Fetcher | None = None) -> Document:
    """Fetch a page safely and read it: HTML through `document_from_html`, text/plain as text.

    The language is the page's declared one (`lang`, meta tags), else the response's Content-Language.
    """
    result = (fetcher or SafeFetcher()).fetch(url)
    if not result.text.strip():
        raise InputError(f"{result.final_url} returned an empty page")
    if result.content_type in HTML_TYPES or not result.content_type:
        document = document_from_html(result.text, url=result.final_url)
    elif result.content_type == "text/plain":
        document = Document(text=normalize_text(read_input(result.text)))
    else:
        raise UnsupportedFormatError(f"{result.final_url} is {result.content_type}, not a web page or text")
    # The page's own `lang` first: a server's Content-Language is often one default for a whole site.
    language = document.language or language_code(result.headers.get("content-language"))
    return replace(document, source_url=result.final_url, kind="url", language=language)


def _looks_like_mail(text: str) -> bool:
    """RFC 822 headers at the very top (two or more, one of them a usual one), or a forward marker."""
    header_block = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    lines = [line for line in header_block.split("\n") if line and not line[0].isspace()]
    if (
        len(lines) >= 2
        and all(_MAIL_HEADER.match(line) for line in lines)
        and _KNOWN_MAIL_HEADER.search(header_block)
    ):
        return True
    return bool(_FORWARDED_TEXT.search(text))


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path} is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
