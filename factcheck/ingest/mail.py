"""E-mail to Document: dig the forwarded viral text out of a raw RFC 822 / MIME message.

LazyTruth's users forwarded chain e-mails, so the text worth checking usually sits
under one or more "Fwd:" layers, each adding a header block, a "Is this true??" and a
signature. We read the MIME body (quoted-printable, base64, any charset, plain or
HTML, forwarded-as-attachment), turn it into one plain text where quoting is `>`
prefixes, cut it into segments at forward markers, header blocks, reply intros and
quote-depth changes, clean each segment (header block, signature, "Sent from my
iPhone", quote markers), and keep the innermost segment with real content: the
deepest quote level, and the latest forward at that level, as the original is always
the last thing quoted. Named `mail` so it never shadows the standard library's `email`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast

from factcheck.claimreview import parse_date
from factcheck.errors import InputError
from factcheck.ingest.html import html_to_text
from factcheck.ingest.text import MAX_INPUT_BYTES, check_not_binary, check_size, decode_bytes, normalize_text
from factcheck.language import language_code
from factcheck.types import Document, TextBlock

MIN_VIRAL_WORDS = 12
"""A segment shorter than this ("FYI", "Is this true??") is a forwarder's note, not the viral text."""

_MAX_ATTACHED_DEPTH = 10
# The stdlib parser slows down more than linearly with nested multiparts (800 levels take 2.6 s);
# real mail has a handful, so a count of boundary parameters refuses hostile input up front.
_MAX_MULTIPARTS = 100
_BOUNDARY_PARAMETER = re.compile(rb"boundary\s*=", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|original message|mensaje reenviado|mensagem encaminhada"
    r"|message transf[ée]r[ée]|weitergeleitete nachricht|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}"
    r"|begin forwarded message\s*:)\s*$",
    re.IGNORECASE,
)
_HEADER_NAMES = {
    "from": "from", "de": "from", "von": "from",
    "sent": "date", "date": "date", "enviado": "date", "enviada": "date", "fecha": "date",
    "data": "date", "gesendet": "date", "datum": "date", "envoyé": "date",
    "to": "to", "para": "to", "an": "to", "à": "to", "cc": "cc", "bcc": "cc", "reply-to": "to",
    "subject": "subject", "asunto": "subject", "assunto": "subject", "betreff": "subject", "objet": "subject",
}  # fmt: skip
_HEADER_LINE = re.compile(r"^\s*\*?([A-Za-zÀ-ÿ-]{2,9})\*?\s*:\*?\s*(.*)$")
_REPLY_INTRO = re.compile(
    r"^\s*(?:On\b.{4,250}\bwrote|Le\b.{4,250}\ba écrit|Am\b.{4,250}\bschrieb.{0,100}|El\b.{4,250}\bescribió"
    r"|Em\b.{4,250}\bescreveu|Il\b.{4,250}\bha scritto)\s*:\s*$",
    re.IGNORECASE,
)
_QUOTE_PREFIX = re.compile(r"^((?:[ \t]*>)+)[ \t]?")
_RULE = re.compile(r"^\s*_{8,}\s*$")
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_MAX_SIGNATURE_LINES = 10
_CLIENT_SIGNATURE = re.compile(
    r"^\s*(?:sent from my \w[\w ]{0,30}|sent from (?:yahoo mail|mail|outlook|aol|gmail)\b.{0,40}"
    r"|sent via [\w .-]{1,40}|get outlook for \w+|enviado desde mi \w[\w ]{0,30}|enviado do meu \w[\w ]{0,30}"
    r"|envoyé de mon \w[\w ]{0,30}|von meinem \w[\w ]{0,30} gesendet|\[(?:image|cid):[^\]]*\])\s*$",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|tr|rv|wg|aw|enc|res|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.I)


@dataclass
class _Segment:
    """One stretch of a chain: a forwarded message or a quote level, with its header block."""

    depth: int
    headers: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def document_from_email(raw: bytes | str, *, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """A Document holding the viral text of an e-mail (see the module docstring).

    Accepts a raw .eml (bytes or str) and also a header-less body pasted from a mail
    client. `title` is the forwarded message's subject without "Fwd:"/"Re:"; `date` the
    forwarded message's date when it can be read. Raises InputError for empty input
    or a message with no text/plain or text/html body.

    Example:
        >>> raw = "From: a@example.org\\nSubject: Fwd: WARNING\\n\\nFYI\\n\\nBegin forwarded message:\\n\\n" \\
        ...       "Subject: WARNING\\n\\nDo not answer calls from 0800 numbers, they steal your voice for fraud."
        >>> document_from_email(raw).text
        'Do not answer calls from 0800 numbers, they steal your voice for fraud.'
    """
    check_size(len(raw), max_bytes)
    if not raw.strip():
        raise InputError("input is empty")
    multiparts = len(
        _BOUNDARY_PARAMETER.findall(raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace"))
    )
    if multiparts > _MAX_MULTIPARTS:
        raise InputError(
            f"the e-mail has {multiparts:,} multipart sections (limit {_MAX_MULTIPARTS}); refusing it"
        )
    try:
        if isinstance(raw, bytes):
            message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        else:
            message = cast(EmailMessage, message_from_string(raw, policy=policy.default))
        body = _message_text(message, depth=0, from_str=isinstance(raw, str))
    except RecursionError as exc:
        raise InputError("the e-mail's MIME parts are nested too deeply to read") from exc
    if body is None:
        raise InputError("the e-mail has no text/plain or text/html part to read")
    check_not_binary(body)
    segments = _segments(normalize_text(body))
    chosen = _viral_segment(segments)
    headers = _nearest_headers(segments, chosen) if chosen is not None else {}
    subject = _SUBJECT_PREFIX.sub("", headers.get("subject") or _header(message, "subject")).strip()
    text = _clean(chosen.lines) if chosen is not None else ""
    return Document(
        text=text,
        title=subject,
        date=_parse_mail_date(headers.get("date") or _header(message, "date")),
        language=language_code(_header(message, "content-language")),
        kind="email",
        blocks=(_text_block(segments, chosen, text, headers, subject),)
        if chosen is not None and text
        else (),
        reader_note=_clean(segments[0].lines) if chosen is not None and chosen is not segments[0] else "",
    )


def _text_block(
    segments: list[_Segment], chosen: _Segment, text: str, headers: dict[str, str], subject: str
) -> TextBlock:
    """Where in the chain the checked text sits: its quote depth and the forwards above it."""
    forwards = sum(1 for segment in segments[: segments.index(chosen) + 1] if segment.headers)
    return TextBlock(
        start=0,
        end=len(text),
        quote_depth=chosen.depth,
        forwards=forwards,
        sender=headers.get("from", ""),
        subject=subject,
    )


def _message_text(message: EmailMessage, *, depth: int, from_str: bool) -> str | None:
    """The message's body as plain text, with forwarded-as-attachment messages appended as forwards."""
    texts = []
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        texts.append(_part_text(cast(EmailMessage, body), from_str=from_str))
    for attachment in message.iter_attachments():
        if attachment.get_content_type() != "message/rfc822" or depth >= _MAX_ATTACHED_DEPTH:
            continue
        inner = cast(EmailMessage, attachment.get_content())
        inner_text = _message_text(inner, depth=depth + 1, from_str=from_str)
        if inner_text is not None:
            block = "\n".join(
                f"{name}: {_header(inner, name)}"
                for name in ("From", "Date", "Subject")
                if _header(inner, name)
            )
            texts.append(f"---------- Forwarded message ---------\n{block}\n\n{inner_text}")
    return "\n\n".join(texts) if texts else None


def _part_text(part: EmailMessage, *, from_str: bool) -> str:
    """Decode one text part: transfer encoding, then charset (with detection if unknown), then HTML or flowed.

    A message given as str has 8-bit parts that are already text: their charset label no
    longer applies, and the stdlib would re-encode them as raw-unicode-escape.
    """
    is_html = part.get_content_subtype() == "html"
    encoded = str(part.get("content-transfer-encoding", "")).strip().lower() in ("base64", "quoted-printable")
    payload = part.get_payload(decode=not (from_str and not encoded))
    if isinstance(payload, str):
        text = payload
    elif isinstance(payload, bytes):
        text, _ = decode_bytes(payload, declared=part.get_content_charset(), html=is_html)
    else:
        return ""
    if is_html:
        return html_to_text(text)
    if str(part.get_param("format", "")).lower() == "flowed":
        return _unflow(text, delete_space=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _unflow(text: str, *, delete_space: bool) -> str:
    """Join format=flowed soft line breaks (RFC 3676): a line ending in a space continues."""
    lines: list[str] = []
    pending: tuple[str, str] | None = None  # (quote prefix, text so far) of an unfinished line
    for line in text.replace("\r\n", "\n").split("\n"):
        prefix = line[: len(line) - len(line.lstrip(">"))]
        content = line[len(prefix) :].removeprefix(" ")  # undo space-stuffing
        if pending is not None and pending[0] == prefix:
            content = pending[1] + content
        elif pending is not None:
            lines.append(_quoted(*pending))
        pending = None
        if content.endswith(" ") and content.strip() != "--":
            pending = (prefix, content[:-1] if delete_space else content)
        else:
            lines.append(_quoted(prefix, content))
    if pending is not None:
        lines.append(_quoted(*pending))
    return "\n".join(lines)


def _quoted(prefix: str, content: str) -> str:
    return f"{prefix} {content}" if prefix else content


def _segments(text: str) -> list[_Segment]:
    """Cut a body into segments at forward markers, header blocks, reply intros and quote-depth changes."""
    lines = [_unquote(line) for line in text.split("\n")]
    segments = [_Segment(depth=0)]
    index = 0
    while index < len(lines):
        depth, content = lines[index]
        if _FORWARD_MARKER.match(content):
            segments.append(_Segment(depth=depth))
            index = _read_header_block(lines, index + 1, segments[-1])
        elif _starts_header_block(lines, index):
            segments.append(_Segment(depth=depth))
            index = _read_header_block(lines, index, segments[-1])
        elif _REPLY_INTRO.match(content):
            index += 1
        elif index + 1 < len(lines) and _REPLY_INTRO.match(f"{content} {lines[index + 1][1]}"):
            index += 2  # clients wrap a long "On <date>, <name> <address> wrote:" onto two lines
        else:
            if content.strip() and depth != segments[-1].depth:
                segments.append(_Segment(depth=depth))
            if not _RULE.match(content):
                segments[-1].lines.append(content)
            index += 1
    return segments


def _unquote(line: str) -> tuple[int, str]:
    match = _QUOTE_PREFIX.match(line)
    return (match.group(1).count(">"), line[match.end() :]) if match else (0, line)


def _header_field(content: str) -> tuple[str, str] | None:
    match = _HEADER_LINE.match(content)
    if match is None or match.group(1).lower() not in _HEADER_NAMES:
        return None
    return _HEADER_NAMES[match.group(1).lower()], match.group(2).strip().strip("*").strip()


def _starts_header_block(lines: list[tuple[int, str]], index: int) -> bool:
    """An unmarked forward/reply (Outlook): a From: line followed closely by two more header lines."""
    first = _header_field(lines[index][1])
    if first is None or first[0] != "from":
        return False
    following = [_header_field(content) for _, content in lines[index + 1 : index + 6]]
    return len({found[0] for found in following if found is not None} - {"from"}) >= 2


def _read_header_block(lines: list[tuple[int, str]], index: int, segment: _Segment) -> int:
    """Consume the From:/Sent:/To:/Subject: lines after a marker; return the first body line."""
    while index < len(lines) and not lines[index][1].strip():
        index += 1
    last_name = ""
    while index < len(lines):
        content = lines[index][1]
        found = _header_field(content)
        if found is not None:
            last_name = found[0]
            segment.headers.setdefault(*found)
        elif content.strip() and last_name in ("to", "cc") and "@" in content:
            pass  # a long recipient list wrapped onto the next line
        else:
            break
        index += 1
    return index


def _clean(lines: list[str]) -> str:
    """A segment's text without signature block, mail-client signatures and image placeholders."""
    kept = [line for line in lines if not _CLIENT_SIGNATURE.match(line)]
    for position in range(len(kept) - 1, -1, -1):
        if _SIGNATURE_DELIMITER.match(kept[position]):
            if sum(1 for line in kept[position + 1 :] if line.strip()) <= _MAX_SIGNATURE_LINES:
                kept = kept[:position]
            break
    return normalize_text("\n".join(kept))


def _viral_segment(segments: list[_Segment]) -> _Segment | None:
    """The innermost segment with real content; failing that, the wordiest one."""
    candidates = [(segment, len(_clean(segment.lines).split())) for segment in segments]
    candidates = [(segment, words) for segment, words in candidates if words]
    if not candidates:
        return None
    innermost_first = sorted(range(len(candidates)), key=lambda k: (candidates[k][0].depth, k), reverse=True)
    for position in innermost_first:
        if candidates[position][1] >= MIN_VIRAL_WORDS:
            return candidates[position][0]
    return max(candidates, key=lambda candidate: candidate[1])[0]


def _nearest_headers(segments: list[_Segment], chosen: _Segment) -> dict[str, str]:
    """The header block of the chosen segment, or of the nearest forward above it."""
    for segment in reversed(segments[: segments.index(chosen) + 1]):
        if segment.headers:
            return segment.headers
    return {}


def _header(message: EmailMessage, name: str) -> str:
    try:
        return " ".join(str(message.get(name, "")).split())
    except (ValueError, IndexError, TypeError):  # the stdlib header parser fails on some malformed headers
        return ""


def _parse_mail_date(value: str) -> date | None:
    """RFC 2822 dates, and the forms clients print in forward blocks ("Mon, Jan 6, 2020 at 10:15 AM")."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return parse_date(re.sub(r"^[A-Za-z]+,\s*", "", value).split(" at ")[0].strip())


# --- mailboxes: a tipline inbox or a user's exported mail, read one message at a time ---------------


@dataclass(frozen=True)
class MailboxMessage:
    """One message of a mailbox: its raw bytes, or why they could not be read."""

    position: int  # 1-based, in mailbox order
    location: str  # "byte N" in an mbox file, the file name in a Maildir
    size: int  # bytes the message takes in the mailbox (for progress)
    raw: bytes | None
    error: str = ""


_MBOX_SEPARATOR = b"From "
_MBOXRD_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_READ_BLOCK = 1 << 20
_SEPARATOR_CONTEXT = 8  # bytes kept of a dropped message's tail, so a separator across blocks is still seen


def is_mailbox(path: Path) -> bool:
    """A Maildir folder (cur/ and new/), or a file in mbox format (it starts with a "From " line).

    A file named .eml is one message, even when a client saved it with an mbox "From " envelope line.
    """
    if path.is_dir():
        return (path / "cur").is_dir() and (path / "new").is_dir()
    if path.suffix.lower() == ".eml" or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(len(_MBOX_SEPARATOR)) == _MBOX_SEPARATOR


def mailbox_bytes(path: Path) -> int:
    """The mailbox's size on disk: the total a progress bar counts towards."""
    if path.is_dir():
        return sum(
            entry.stat().st_size
            for sub in ("new", "cur")
            for entry in os.scandir(path / sub)
            if entry.is_file()
        )
    return path.stat().st_size


def iter_mailbox(path: Path, *, max_bytes: int = MAX_INPUT_BYTES) -> Iterator[MailboxMessage]:
    """The messages of an mbox file or a Maildir folder, streamed: memory does not grow with the mailbox.

    A message over `max_bytes` is not kept in memory: it comes back with `raw=None` and the reason.
    """
    if path.is_dir():
        yield from _iter_maildir(path, max_bytes)
    else:
        yield from _iter_mbox(path, max_bytes)


def _iter_maildir(path: Path, max_bytes: int) -> Iterator[MailboxMessage]:
    """Each file of new/ and cur/ is one message; by name, which starts with the delivery time."""
    names = sorted(
        (entry.name, entry.path)
        for sub in ("new", "cur")
        for entry in os.scandir(path / sub)
        if entry.is_file() and not entry.name.startswith(".")
    )
    for position, (name, file) in enumerate(names, start=1):
        try:
            size = os.stat(file).st_size
            if size > max_bytes:
                yield MailboxMessage(position, name, size, None, _too_large(size, max_bytes))
                continue
            yield MailboxMessage(position, name, size, Path(file).read_bytes())
        except OSError as error:
            yield MailboxMessage(position, name, 0, None, f"cannot read the file: {error.strerror or error}")


def _iter_mbox(path: Path, max_bytes: int) -> Iterator[MailboxMessage]:
    """Split an mbox at "From " lines that follow a blank line; undo the >From quoting of the body.

    `mailbox.mbox` first indexes every message's offsets, a pass over the whole file and a table
    that grows with it; this reads it in blocks, holds one message at most (none over `max_bytes`:
    those are only measured) and starts at once.
    """
    position, start, oversize = 0, 0, 0  # oversize: bytes of the current message dropped so far
    buffer = bytearray()  # the current message from its "From " line (or, when oversize, its tail)
    scan = 1  # where in `buffer` to look for the next separator
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_READ_BLOCK)
            buffer += chunk
            while (found := buffer.find(b"\nFrom ", scan)) >= 0:
                scan = found + 1
                if buffer[found - 1 : found] == b"\n" or buffer[found - 2 : found] == b"\n\r":
                    position += 1
                    yield _mbox_message(position, start, bytes(buffer[: found + 1]), oversize, max_bytes)
                    start += oversize + found + 1
                    del buffer[: found + 1]
                    oversize, scan = 0, 1
            if not chunk:
                break
            if len(buffer) > max_bytes + _READ_BLOCK:  # over the limit: stop holding it, only measure it
                dropped = len(buffer) - _SEPARATOR_CONTEXT
                oversize += dropped
                del buffer[:dropped]
                scan = 0
    if buffer.strip():
        yield _mbox_message(position + 1, start, bytes(buffer), oversize, max_bytes)


def _mbox_message(position: int, start: int, data: bytes, oversize: int, max_bytes: int) -> MailboxMessage:
    """One message from its mbox bytes: without the envelope line and the separating blank line."""
    size = oversize + len(data)
    if oversize or size > max_bytes:
        return MailboxMessage(position, f"byte {start}", size, None, _too_large(size, max_bytes))
    raw = data.split(b"\n", 1)[1] if data.startswith(_MBOX_SEPARATOR) and b"\n" in data else data
    raw = _MBOXRD_ESCAPED_FROM.sub(rb"\1", raw)
    if raw.endswith(b"\n\n"):
        raw = raw[:-1]
    elif raw.endswith(b"\r\n\r\n"):
        raw = raw[:-2]
    return MailboxMessage(position, f"byte {start}", size, raw)


def _too_large(size: int, max_bytes: int) -> str:
    return f"the message is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"


def message_headers(raw: bytes) -> dict[str, str]:
    """Message-ID, From, Date and Subject of a raw message, read from its header alone."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    return {
        name.lower(): _header(cast(EmailMessage, headers), name)
        for name in ("Message-ID", "From", "Date", "Subject")
    }
