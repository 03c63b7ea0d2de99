"""Debunks in and out: ClaimReview JSON-LD, Fact Check Tools, CSV, our JSONL, CheckThat! files.

Every reader is a generator of `Debunk | SkippedRecord`, streaming its file record by record, so
a 200 MB feed never sits in memory and a bad record costs only itself. `read_records` picks the
reader; `Store.import_records` writes what they yield a batch at a time, one transaction a batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path
from typing import IO, Any

import ijson
from charset_normalizer import from_bytes

from factcheck.claimreview import (
    claim_reviews_from_html,
    debunk_to_claimreview,
    debunks_from_factchecktools_claim,
    debunks_from_jsonld,
    normalise_rating,
    parse_date,
)
from factcheck.errors import InputError, RecordError, UnsupportedFormatError
from factcheck.language import language_of_record
from factcheck.store import SkippedRecord
from factcheck.types import RATING_LABELS, Debunk

Record = Debunk | SkippedRecord

FORMATS = (
    "claimreview",
    "html",
    "factchecktools",
    "csv",
    "jsonl",
    "checkthat-tsv",
    "checkthat-snopes-jsonl",
    "checkthat-politifact-jsonl",
)
EXPORT_FORMATS = ("claimreview-jsonld", "jsonl", "csv")

SNOPES_FACT_CHECK = "https://www.snopes.com/fact-check/{slug}/"
POLITIFACT_SITE = "https://www.politifact.com"

# PolitiFact's Truth-O-Meter as CheckThat! spells it, with the rating text PolitiFact publishes.
POLITIFACT_RATINGS = {
    "pants-fire": "Pants on Fire",
    "false": "False",
    "barely-true": "Mostly False",
    "half-true": "Half True",
    "mostly-true": "Mostly True",
    "true": "True",
    "full-flop": "Full Flop",
    "half-flip": "Half Flip",
    "no-flip": "No Flip",
}

# CSV columns we understand without a mapping: our field name -> accepted headers (case-insensitive).
# LazyTruth's own spreadsheet columns (Email, Debunk, Debunk URL) are among them.
CSV_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "claim_reviewed": ("claim_reviewed", "claimreviewed", "claim", "email", "rumor", "text"),
    "explanation": ("explanation", "debunk", "summary", "description"),
    "review_url": ("review_url", "url", "debunk url", "fact_check_url"),
    "rating_text": ("rating_text", "rating", "textualrating", "verdict"),
    "label": ("label",),
    "reviewer_name": ("reviewer_name", "reviewer", "publisher"),
    "reviewer_site": ("reviewer_site", "site"),
    "review_date": ("review_date", "date", "reviewdate"),
    "claimant": ("claimant",),
    "claim_date": ("claim_date", "claimdate"),
    "title": ("title", "headline"),
    "language": ("language", "lang"),
    "tags": ("tags",),
    "variants": ("variants",),
    "appearance_urls": ("appearance_urls",),
    "external_id": ("external_id", "id"),
    "provenance": ("provenance",),
}
CSV_LIST_SEPARATOR = " | "
_JSON_FORMATS = (
    "claimreview",
    "factchecktools",
    "jsonl",
    "checkthat-snopes-jsonl",
    "checkthat-politifact-jsonl",
)
_LIST_FIELDS = ("tags", "variants", "appearance_urls")
_DATE_FIELDS = ("review_date", "claim_date")
_FLOAT_FIELDS = ("rating_value", "best_rating", "worst_rating")
_EXPORTED_FIELDS = tuple(
    f.name for f in fields(Debunk) if f.name not in ("id", "created_at", "updated_at", "version", "retired")
)


# --- detection and decoding ------------------------------------------------------------------------


def _head(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _check_is_text(path: Path) -> None:
    head = _head(path, 8192)
    if not head.strip():
        raise InputError(f"{path} is empty")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path} looks like a binary file, not text")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when it decodes, else what charset-normalizer is sure of."""
    head = _head(path, 1 << 20)
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a character cut by the 1 MB window
            return "utf-8-sig"
    best = from_bytes(head).best()
    if best is None:
        raise InputError(f"{path} is not valid UTF-8 and its encoding cannot be detected; pass --encoding")
    return best.encoding


def detect_format(path: Path) -> str:
    """The reader for a file, from its name and its first bytes."""
    suffix = path.suffix.lower()
    head = _head(path).decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = head.lstrip()
    if suffix == ".csv":
        return "csv"
    if suffix == ".tsv":
        if head.split("\n", 1)[0].split("\t")[1:3] == ["vclaim", "title"]:
            return "checkthat-tsv"
        raise UnsupportedFormatError(f"{path}: a TSV file that is not a CheckThat! verified_claims.docs.tsv")
    if suffix in (".html", ".htm") or stripped.startswith("<"):
        return "html"
    if suffix in (".jsonl", ".ndjson") or (stripped.startswith("{") and "}\n{" in stripped.replace("\r", "")):
        first_line = stripped.split("\n", 1)[0]
        try:
            first = json.loads(first_line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: line 1 is not JSON ({error.msg})") from error
        return _jsonl_flavour(path, first)
    if stripped.startswith(("{", "[")):
        if '"claimReview"' in head and '"claims"' in head:
            return "factchecktools"
        return "claimreview"
    raise UnsupportedFormatError(
        f"cannot tell the format of {path}; pass --format (one of: {', '.join(FORMATS)})"
    )


def _jsonl_flavour(path: Path, first: Any) -> str:
    if not isinstance(first, dict):
        raise InputError(f"{path}: line 1 is not a JSON object")
    vclaim_id = str(first.get("vclaim_id", ""))
    if vclaim_id.startswith("vclaim-pol") or "truth_label" in first:
        return "checkthat-politifact-jsonl"
    if vclaim_id:
        return "checkthat-snopes-jsonl"
    if "@type" in first or "@context" in first:
        return "claimreview"
    if "claim_reviewed" in first:
        return "jsonl"
    raise UnsupportedFormatError(f"{path}: JSON lines of an unknown shape; pass --format")


def estimate_records(path: Path, format: str) -> int | None:
    """About how many records a file of a line-per-record format holds, from its first MiB (for a
    progress bar); None for the formats whose records are not lines."""
    if format in ("claimreview", "html", "factchecktools"):
        head = _head(path, 4096).lstrip(b"\xef\xbb\xbf").lstrip()
        if not (head.startswith(b"{") and b"}\n{" in _head(path).replace(b"\r", b"")):
            return None
    head = _head(path, 1 << 20)
    lines = head.count(b"\n")
    if not lines:
        return None
    return max(1, round(path.stat().st_size * lines / len(head)))


# --- readers -----------------------------------------------------------------------------------------


def read_records(
    path: Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    csv_mapping: dict[str, str] | None = None,
    max_record_bytes: int = 1024 * 1024,
) -> tuple[str, Iterator[Record]]:
    """The detected format and a stream of records from one file."""
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    _check_is_text(path)
    format = format or detect_format(path)
    if format not in FORMATS:
        raise UnsupportedFormatError(f"unknown format {format!r}; one of: {', '.join(FORMATS)}")
    # JSON is UTF-8 by definition (RFC 8259): a stray bad byte is a bad record, not a different charset.
    encoding = encoding or ("utf-8-sig" if format in _JSON_FORMATS else detect_encoding(path))
    readers: dict[str, Callable[[], Iterator[Record]]] = {
        "claimreview": lambda: _read_claimreview(path, encoding, max_record_bytes),
        "html": lambda: _read_html(path, encoding),
        "factchecktools": lambda: _read_factchecktools(path),
        "csv": lambda: _read_csv(path, encoding, csv_mapping or {}),
        "jsonl": lambda: _read_lines(path, encoding, max_record_bytes, debunk_from_dict),
        "checkthat-tsv": lambda: _read_checkthat_tsv(path, encoding),
        "checkthat-snopes-jsonl": lambda: _read_lines(path, encoding, max_record_bytes, _snopes_vclaim),
        "checkthat-politifact-jsonl": lambda: _read_lines(
            path, encoding, max_record_bytes, _politifact_vclaim
        ),
    }
    return format, readers[format]()


def _iter_lines(
    path: Path, encoding: str, max_record_bytes: int
) -> Iterator[tuple[int, str | SkippedRecord]]:
    """Numbered lines, decoded one by one; an over-long or undecodable line becomes a SkippedRecord."""
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(max_record_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > max_record_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = handle.readline(1 << 20)
                yield number, SkippedRecord(number, f"line is longer than {max_record_bytes:,} bytes")
                continue
            try:
                yield number, raw.decode(encoding)
            except UnicodeDecodeError as error:
                yield number, SkippedRecord(number, f"not valid {encoding} text ({error.reason})")


def _read_lines(
    path: Path, encoding: str, max_record_bytes: int, convert: Callable[[dict[str, Any]], Debunk]
) -> Iterator[Record]:
    for number, line in _iter_lines(path, encoding, max_record_bytes):
        if isinstance(line, SkippedRecord):
            yield line
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise RecordError("not a JSON object")
            yield convert(obj)
        except json.JSONDecodeError as error:
            yield SkippedRecord(number, f"invalid JSON ({error.msg} at column {error.colno})")
        except (RecordError, ValueError, TypeError) as error:
            yield SkippedRecord(number, str(error))


def _read_claimreview(path: Path, encoding: str, max_record_bytes: int) -> Iterator[Record]:
    """ClaimReview JSON(-LD): JSON lines, an array, an @graph, a DataFeed, or one object, streamed."""
    head = _head(path, 4096).decode(encoding, errors="replace").lstrip("\ufeff").lstrip()
    if head.startswith("{") and "}\n{" in _head(path).decode(encoding, errors="replace"):
        yield from _read_lines(path, encoding, max_record_bytes, _one_claimreview)
        return
    prefixes = ("item", "@graph.item", "dataFeedElement.item")
    with path.open("rb") as handle:
        found = 0
        try:
            for number, (prefix, obj) in enumerate(_stream_items(handle, prefixes), start=1):
                debunks = debunks_from_jsonld(obj)
                if not debunks and prefix != "":
                    yield SkippedRecord(number, "no ClaimReview with a claimReviewed text")
                found += len(debunks)
                yield from debunks
        except ijson.JSONError as error:
            raise InputError(
                f"{path}: broken JSON ({str(error).splitlines()[0]}); the import stopped there"
            ) from error
    if found == 0:
        raise InputError(f"{path}: no ClaimReview records found")


def _stream_items(handle: IO[bytes], prefixes: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """Items of the arrays at `prefixes`, one at a time; a top-level object that is not such a container
    is yielded whole (with prefix '')."""
    builder: ijson.ObjectBuilder | None = None
    current = ""
    top = ijson.ObjectBuilder()
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if builder is None and prefix in prefixes and event in ("start_map", "start_array"):
            builder, current = ijson.ObjectBuilder(), prefix
        if builder is not None:
            builder.event(event, value)
            if prefix == current and event in ("end_map", "end_array"):
                yield current, builder.value
                builder = None
            continue
        top.event(event, value)
    if isinstance(getattr(top, "value", None), dict):
        yield "", top.value


def _one_claimreview(obj: dict[str, Any]) -> Debunk:
    debunks = debunks_from_jsonld(obj)
    if not debunks:
        raise RecordError("no ClaimReview with a claimReviewed text")
    return debunks[0]


def _read_html(path: Path, encoding: str) -> Iterator[Record]:
    html = path.read_text(encoding=encoding, errors="replace")
    debunks = claim_reviews_from_html(html)
    if not debunks:
        raise InputError(f"{path}: no ClaimReview markup (application/ld+json) in this page")
    yield from debunks


def _read_factchecktools(path: Path) -> Iterator[Record]:
    with path.open("rb") as handle:
        try:
            for number, claim in enumerate(ijson.items(handle, "claims.item", use_float=True), start=1):
                try:
                    yield from debunks_from_factchecktools_claim(claim)
                except RecordError as error:
                    yield SkippedRecord(number, str(error))
        except ijson.JSONError as error:
            raise InputError(
                f"{path}: broken JSON ({str(error).splitlines()[0]}); the import stopped there"
            ) from error


def _read_csv(path: Path, encoding: str, mapping: dict[str, str]) -> Iterator[Record]:
    with path.open(encoding=encoding, newline="") as handle:
        try:
            sample = handle.read(8192)
            handle.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        reader = csv.DictReader(handle, dialect=dialect)
        columns = _csv_columns(reader.fieldnames or [], mapping, path)
        lazytruth = {name.casefold() for name in reader.fieldnames or []} >= {"email", "debunk"}
        try:
            for row in reader:
                line = reader.line_num
                values = {name: (row.get(column) or "").strip() for name, column in columns.items()}
                try:
                    if lazytruth and not values.get("rating_text") and not values.get("label"):
                        values["label"] = "false"  # LazyTruth's database held debunked rumours only
                    yield debunk_from_dict(values)
                except (RecordError, ValueError) as error:
                    yield SkippedRecord(line, str(error))
        except UnicodeDecodeError as error:
            raise InputError(
                f"{path}: not valid {encoding} text ({error.reason}); pass --encoding"
            ) from error
        except csv.Error as error:
            raise InputError(f"{path}: broken CSV at line {reader.line_num} ({error})") from error


def _csv_columns(headers: Sequence[str], mapping: dict[str, str], path: Path) -> dict[str, str]:
    by_folded = {header.strip().casefold(): header for header in headers}
    columns: dict[str, str] = {}
    for field, aliases in CSV_COLUMN_ALIASES.items():
        if field in mapping:
            if mapping[field] not in headers:
                raise InputError(
                    f"{path}: no column {mapping[field]!r} (for {field}); columns: {list(headers)}"
                )
            columns[field] = mapping[field]
            continue
        for alias in aliases:
            if alias in by_folded:
                columns[field] = by_folded[alias]
                break
    if "claim_reviewed" not in columns:
        raise InputError(
            f"{path}: no claim column; name one with --map claim_reviewed=COLUMN (columns: {list(headers)})"
        )
    return columns


def _read_checkthat_tsv(path: Path, encoding: str) -> Iterator[Record]:
    """CheckThat! 2020 `verified_claims.docs.tsv`: id, vclaim, title (Snopes, no URL nor rating)."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        for row in reader:
            if len(row) < 3 or not row[1].strip():
                yield SkippedRecord(reader.line_num, "expected vclaim_id, vclaim and title")
                continue
            yield Debunk(
                claim_reviewed=row[1].strip(),
                title=row[2].strip(),
                label="other",
                reviewer_name="Snopes",
                reviewer_site="snopes.com",
                external_id=f"checkthat2020:{row[0].strip()}",
            )


def _snopes_vclaim(obj: dict[str, Any]) -> Debunk:
    vclaim_id = str(obj.get("vclaim_id", ""))
    slug = vclaim_id.removeprefix("vclaim-sno-")
    return Debunk(
        claim_reviewed=_required(obj, "vclaim"),
        title=str(obj.get("title") or ""),
        explanation=str(obj.get("subtitle") or ""),
        label="other",
        reviewer_name="Snopes",
        reviewer_site="snopes.com",
        review_url=str(obj.get("page_url") or (SNOPES_FACT_CHECK.format(slug=slug) if slug else "")),
        review_date=parse_date(obj.get("date")),
        external_id=vclaim_id,
    )


def _politifact_vclaim(obj: dict[str, Any]) -> Debunk:
    truth = str(obj.get("truth_label") or "")
    rating_text = POLITIFACT_RATINGS.get(truth, truth.replace("-", " ").title())
    url_path = str(obj.get("url") or "")
    return Debunk(
        claim_reviewed=_required(obj, "vclaim"),
        title=str(obj.get("title") or ""),
        label=normalise_rating(rating_text) if rating_text else "other",
        rating_text=rating_text,
        reviewer_name="PolitiFact",
        reviewer_site="politifact.com",
        review_url=POLITIFACT_SITE + url_path if url_path.startswith("/") else url_path,
        claimant=str(obj.get("speaker") or ""),
        claim_date=parse_date(obj.get("date")),
        external_id=str(obj.get("vclaim_id", "")),
    )


def _required(obj: dict[str, Any], key: str) -> str:
    value = str(obj.get(key) or "").strip()
    if not value:
        raise RecordError(f"missing {key!r}")
    return value


# --- our own record shape (JSONL and CSV) ------------------------------------------------------------


def debunk_to_dict(debunk: Debunk) -> dict[str, Any]:
    """The JSON shape of our export and of corpus/debunks.jsonl."""
    record = asdict(debunk)
    out: dict[str, Any] = {}
    for name in _EXPORTED_FIELDS:
        value = record[name]
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def debunk_from_dict(obj: dict[str, Any]) -> Debunk:
    """Our JSON/CSV shape back to a Debunk; unknown keys are an error so typos do not pass silently."""
    unknown = set(obj) - set(_EXPORTED_FIELDS)
    if unknown:
        raise RecordError(f"unknown field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, value in obj.items():
        if name in _LIST_FIELDS:
            if isinstance(value, str):
                value = [part.strip() for part in value.split(CSV_LIST_SEPARATOR.strip()) if part.strip()]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise RecordError(f"{name} must be a list of strings")
            values[name] = tuple(value)
        elif name in _DATE_FIELDS:
            values[name] = parse_date(value)
            if value not in (None, "") and values[name] is None:
                raise RecordError(f"{name} is not a date: {value!r}")
        elif name in _FLOAT_FIELDS:
            values[name] = None if value in (None, "") else float(value)
        else:
            values[name] = "" if value is None else str(value).strip()
    values["claim_reviewed"] = values.get("claim_reviewed", "")
    if not values["claim_reviewed"]:
        raise RecordError("missing 'claim_reviewed'")
    label = values.get("label") or normalise_rating(
        values.get("rating_text", ""), values.get("rating_value"), values.get("best_rating"),
        values.get("worst_rating"),
    )  # fmt: skip
    if label not in RATING_LABELS:
        raise RecordError(f"label {label!r} is not one of {', '.join(RATING_LABELS)}")
    values["label"] = label
    values["language"] = language_of_record(values.get("language"))
    return Debunk(**values)


def write_records(debunks: Iterator[Debunk], handle: IO[str], format: str) -> int:
    """Write debunks in an export format; returns how many were written."""
    count = 0
    if format == "jsonl":
        for debunk in debunks:
            handle.write(json.dumps(debunk_to_dict(debunk), ensure_ascii=False) + "\n")
            count += 1
    elif format == "claimreview-jsonld":
        handle.write('{"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [\n')
        for debunk in debunks:
            item = {"@type": "DataFeedItem", "item": [debunk_to_claimreview(debunk)]}
            handle.write((",\n" if count else "") + json.dumps(item, ensure_ascii=False))
            count += 1
        handle.write("\n]}\n")
    elif format == "csv":
        writer = csv.DictWriter(handle, fieldnames=list(_EXPORTED_FIELDS))
        writer.writeheader()
        for debunk in debunks:
            row = debunk_to_dict(debunk)
            for name in _LIST_FIELDS:
                row[name] = CSV_LIST_SEPARATOR.join(row[name])
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
            count += 1
    else:
        raise UnsupportedFormatError(f"unknown export format {format!r}; one of: {', '.join(EXPORT_FORMATS)}")
    return count


__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "debunk_from_dict",
    "debunk_to_dict",
    "detect_format",
    "estimate_records",
    "read_records",
    "write_records",
]
