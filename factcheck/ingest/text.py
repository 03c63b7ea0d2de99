"""Raw input to clean text: size and binary checks, charset decoding, whitespace normalization.

Every reader (plain text, HTML, email, fetched page) goes through these helpers, so the
same input is refused the same way whichever door it came in by, and `Document.text`
always follows one convention: NFC, `\\n` line breaks, no trailing spaces, at most one
blank line between paragraphs.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from factcheck.errors import InputError
from factcheck.types import Document

MAX_INPUT_BYTES = 10 * 1024 * 1024
"""Default ceiling for one input; a real article is well under 1 MB of HTML."""

_SNIFF_BYTES = 8192
# Share of control characters in the first 8 KB above which a text is treated as binary;
# a few stray form feeds or escape codes in pasted text stay below it.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The HTML encoding-sniffing prescan (WHATWG) looks at the first 1024 bytes; real pages
# sometimes put the tag after a long <script> block, so look a little further.
_META_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# Browsers decode these labels as windows-1252 (WHATWG Encoding Standard), and so do
# the pages' authors, who type curly quotes that only exist in 1252.
_WHATWG_ALIASES = {"latin_1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}


def check_size(size: int, max_bytes: int) -> None:
    """Refuse an input over the limit before any work is spent on it."""
    if size > max_bytes:
        raise InputError(f"input is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB")


def check_not_binary(text: str) -> None:
    """Refuse decoded text that is really a binary file (an image, a PDF, a zip)."""
    head = text[:_SNIFF_BYTES]
    if "\x00" in head or len(_CONTROL_CHARS.findall(head)) > _MAX_CONTROL_SHARE * len(head):
        raise InputError("input looks like a binary file, not text, HTML or email")


def codec_name(label: str | None) -> str | None:
    """Python's codec for a charset label, or None when the label is unknown or empty."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def meta_charset(data: bytes) -> str | None:
    """The charset named by a `<meta charset>` or http-equiv Content-Type tag, if Python knows it."""
    match = _META_CHARSET.search(data[:_META_PRESCAN_BYTES])
    return codec_name(match.group(1).decode("ascii")) if match else None


def decode_bytes(data: bytes, *, declared: str | None = None, html: bool = False) -> tuple[str, str]:
    """Decode bytes and say which codec was used.

    Order: byte-order mark, the declared charset (Content-Type header or MIME part),
    the HTML `<meta>` tag when `html`, strict UTF-8, then charset-normalizer's guess.
    Unknown labels are skipped rather than trusted. Undecodable bytes become U+FFFD
    instead of failing, as a browser would show them.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError("input looks like a binary file, not text, HTML or email")
    for name in (codec_name(declared), meta_charset(data) if html else None):
        if name:
            return data.decode(name, errors="replace"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    name = _detect_charset(data)
    if name is None:
        return data.decode("utf-8", errors="replace"), "utf-8"
    return data.decode(name, errors="replace"), name


def _detect_charset(data: bytes) -> str | None:
    """charset-normalizer's guess; on a tie, windows-1252, the web's usual unlabeled encoding.

    Short Western European texts score the same in cp1250, cp1252 and others, and the
    first of the tie would turn "è" into "č".
    """
    results = from_bytes(data)
    best = results.best()
    if best is None:
        return None
    tied = {
        match.encoding for match in results if (match.chaos, match.coherence) == (best.chaos, best.coherence)
    }
    return "cp1252" if "cp1252" in tied else codec_name(best.encoding)


def normalize_text(text: str) -> str:
    """Put text in the `Document.text` convention (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL_CHARS.sub("", _INVISIBLE.sub("", text))
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def read_input(source: str | bytes, *, max_bytes: int = MAX_INPUT_BYTES, html: bool = False) -> str:
    """Check and decode one raw input; refuse empty, oversized or binary input with InputError."""
    check_size(len(source), max_bytes)
    text = decode_bytes(source, html=html)[0] if isinstance(source, bytes) else source
    if not text.strip():
        raise InputError("input is empty")
    check_not_binary(text)
    return text


def document_from_text(text: str | bytes, *, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """A Document for plain text, e.g. a pasted paragraph or a WhatsApp message.

    Example:
        >>> document_from_text("5G  towers\\r\\nspread the virus.").text
        '5G towers\\nspread the virus.'
    """
    return Document(text=normalize_text(read_input(text, max_bytes=max_bytes)), kind="text")
