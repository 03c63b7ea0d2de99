"""HTML to Document: the article's main text, its metadata and any ClaimReview markup.

trafilatura finds the main text and the metadata. Its options were tuned on the dev half
of the Zyte article-extraction benchmark (`factcheck eval extraction`): `fast=True`
(skipping the readability/jusText fallbacks) scored higher there and is about a third
faster. Metadata comes from trafilatura's and htmldate's own rules (`_metadata`). The
page is parsed once with lxml; that tree feeds trafilatura and the few fields it does
not give (the `lang` attribute, and `<title>`/og: tags when it finds no article).
BeautifulSoup is used only on the slow path, for HTML e-mail and for pages where
trafilatura finds nothing: it parses about ten times slower than lxml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import trafilatura
from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
from trafilatura.utils import load_html

from factcheck.claimreview import claim_reviews_from_html
from factcheck.errors import InputError
from factcheck.ingest.text import MAX_INPUT_BYTES, normalize_text, read_input
from factcheck.language import language_code
from factcheck.types import Document

TRAFILATURA_OPTIONS = {"fast": True, "include_comments": False, "include_tables": True}
"""Options passed to trafilatura; see the module docstring and the README of `factcheck eval extraction`."""

MAX_NESTING_DEPTH = 5000
"""Deeper than this, the BeautifulSoup path refuses the page: real pages nest under 200 levels."""

MAX_JSON_LD_DEPTH = 100
"""JSON-LD blocks nested deeper are dropped before any reader parses them.

Python's JSON reader recurses, so 50,000 nested arrays raise RecursionError inside trafilatura's
metadata reader; real ClaimReview and Article blocks nest under 10 levels.
"""

MAX_ELEMENTS = 50_000
"""More elements than this and the page is refused before trafilatura sees it.

trafilatura's time grows with the element count, up to 0.2 ms per element on hostile
markup (10,000 one-word paragraphs take 2 s); the benchmark's pages have at most 1,600.
"""

MIN_BODY_PART_WORDS = 20
"""A left-out container of a split article body is added back only when it holds this many words."""

MAX_BODY_PARTS = 20
"""A class repeated on more containers than this marks a list (comments, cards), not a body's parts."""

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
# Elements that never nest (void) or whose end tag is optional, so they do not add depth.
# fmt: off
_FLAT_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body",
})
_SKIPPED = frozenset({
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object", "select",
    "button",
})
_LINE_BREAKING = frozenset({"div", "li", "tr", "dt", "dd", "figcaption", "address", "center", "form"})
_PARAGRAPH_BREAKING = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "section",
    "article", "aside", "header", "footer", "main", "nav", "hr",
})
# fmt: on


@dataclass(frozen=True)
class _PageFields:
    """What the page's own markup says about it, read without trafilatura."""

    title: str = ""
    site: str = ""
    author: str = ""
    date: date | None = None
    language: str = ""


def document_from_html(
    html: str | bytes,
    url: str | None = None,
    *,
    metadata: bool = True,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Document:
    """A Document for a web page: main text, title, author, date, site, language, ClaimReviews.

    `url` is the page's address; it helps trafilatura and becomes `Document.source_url`.
    Bytes are decoded by BOM, `<meta charset>`, then detection. `metadata=False` reads only
    the page's own meta tags, for callers that already know the title and date (feed items).
    A page where no main text is found gives a Document with the visible text of the whole
    page, or empty text; it is not an error.

    Example:
        >>> doc = document_from_html("<html><body><p>The moon landing was staged.</p></body></html>")
        >>> doc.text
        'The moon landing was staged.'
    """
    markup = read_input(html, max_bytes=max_bytes, html=True)
    tree = load_html(markup)  # None when lxml finds no document at all
    page, found, text, reviews = _PageFields(), _PageFields(), "", ()
    if tree is not None:
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_ELEMENTS:
            raise InputError(
                f"the page has {elements:,} HTML elements (limit {MAX_ELEMENTS:,}); too large to read"
            )
        _drop_deep_json_ld(tree)
        page = _page_fields(tree)
        reviews = claim_reviews_from_html(tree)
        if metadata:
            found = _metadata(tree, url)
        parts = _body_parts(tree)  # before trafilatura, which prunes the tree it is given
        extracted = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
        if extracted is not None:
            text = _rejoined(_paragraphs(extracted.text or ""), parts)
    return Document(
        text=text or normalize_text(html_to_text(markup)),
        title=found.title or page.title,
        author=found.author or page.author,
        date=found.date or page.date,
        site=found.site or page.site or _hostname(url),
        language=page.language,
        source_url=url or "",
        kind="html",
        claim_reviews=reviews,
    )


def html_to_text(markup: str) -> str:
    """The visible text of HTML, with line and paragraph breaks where the layout has them.

    Used for HTML e-mail bodies and as the fallback when trafilatura finds no article.
    `<blockquote>` content is prefixed with `> ` per level, as mail clients quote in
    plain text, so the forwarded-chain parser can read both kinds of body the same way.
    Walks the tree with an explicit stack: 100,000 nested tags must not hit Python's
    recursion limit.
    """
    depth = _nesting_depth(markup)
    if depth > MAX_NESTING_DEPTH:
        raise InputError(
            f"HTML nests elements {depth:,} levels deep (limit {MAX_NESTING_DEPTH:,}); "
            "it is malformed or hostile"
        )
    writer = _TextWriter()
    stack: list[tuple[object, bool]] = [(BeautifulSoup(markup, "lxml"), False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, Tag):
            if closing:
                writer.close(node.name)
            elif node.name not in _SKIPPED:
                writer.open(node.name)
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, Comment | Doctype):
            writer.write(str(node))
    return writer.text()


class _TextWriter:
    """Accumulates text with collapsed spaces, block breaks and `> ` quote prefixes."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._breaks = 0  # line breaks owed before the next text
        self._space = False  # a space owed before the next text
        self._quote_depth = 0
        self._preformatted = 0

    def open(self, name: str) -> None:
        self._break_for(name)
        if name == "blockquote":
            self._quote_depth += 1
        elif name == "pre":
            self._preformatted += 1
        elif name in ("td", "th"):
            self._space = True

    def close(self, name: str) -> None:
        if name == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        elif name == "pre":
            self._preformatted = max(0, self._preformatted - 1)
        if name != "br":
            self._break_for(name)

    def write(self, text: str) -> None:
        if self._preformatted:
            for index, line in enumerate(text.split("\n")):
                if index:
                    self._breaks += 1
                if line:
                    self._emit(line)
            return
        words = text.split()
        if text[:1].isspace():
            self._space = True
        if words:
            self._emit(" ".join(words))
            self._space = text[-1:].isspace()

    def text(self) -> str:
        return "".join(self._parts)

    def _break_for(self, name: str) -> None:
        if name == "br":
            self._breaks += 1
        elif name in _PARAGRAPH_BREAKING:
            self._breaks = max(self._breaks, 2)
        elif name in _LINE_BREAKING:
            self._breaks = max(self._breaks, 1)

    def _emit(self, text: str) -> None:
        prefix = "> " * self._quote_depth
        if not self._parts:
            self._parts.append(prefix)
        elif self._breaks:
            self._parts.append(("\n" + prefix.rstrip()) * (self._breaks - 1) + "\n" + prefix)
        elif self._space:
            self._parts.append(" ")
        self._parts.append(text)
        self._breaks = 0
        self._space = False


def _nesting_depth(markup: str) -> int:
    """How deep the markup nests, counting tags with a regex (no parser, no recursion)."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT_ELEMENTS:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _json_depth(text: str) -> int:
    """How deep a JSON text nests, counting brackets outside strings (no parser, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _drop_deep_json_ld(tree: HtmlElement) -> None:
    """Remove JSON-LD scripts nested deeper than MAX_JSON_LD_DEPTH: no reader should recurse into them."""
    for script in list(tree.iter("script")):
        if (
            "ld+json" in (script.get("type") or "").lower()
            and _json_depth(script.text or "") > MAX_JSON_LD_DEPTH
        ):
            script.drop_tree()


def _page_fields(tree: HtmlElement) -> _PageFields:
    meta: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("http-equiv") or "").lower()
        content = (element.get("content") or "").strip()
        if key and content:
            meta.setdefault(key, content)
    title_element = next(tree.iter("title"), None)
    title = meta.get("og:title") or (
        title_element.text_content().strip() if title_element is not None else ""
    )
    return _PageFields(
        title=" ".join(title.split()),
        site=meta.get("og:site_name", ""),
        author=meta.get("author") or meta.get("article:author", ""),
        date=_parse_date(meta.get("article:published_time") or meta.get("date")),
        language=language_code(
            tree.get("lang") or tree.get("xml:lang") or meta.get("content-language") or meta.get("og:locale")
        ),
    )


def _metadata(tree: HtmlElement, url: str | None) -> _PageFields:
    """Title, author, site and date by trafilatura's and htmldate's rules.

    The parts of `trafilatura.extract_metadata` we show, without the ones we do not
    (categories, tags, licence, the byline search) and with htmldate's quick search
    instead of its scan of the whole text: 0.8 ms a page instead of 3.4 ms on the dev
    pages, the same date on 106 of 109. The cost: the author comes from meta tags and
    JSON-LD only, found on 62 of the 109 pages where the byline search finds 93 (it
    deep-copies the page, 3.6 ms, about a fifth of this stage's budget).
    """
    from_tags = examine_meta(tree)
    try:
        found = extract_meta_json(tree, from_tags)
    except (AttributeError, TypeError, KeyError, ValueError):
        # JSON-LD of a shape trafilatura's reader does not expect (`[[]]`, `[1]`, `"x"`): not an
        # article's metadata, so the meta tags alone.
        found = from_tags
    return _PageFields(
        title=found.title or extract_title(tree) or "",
        site=found.sitename or "",
        author=found.author or "",
        date=_parse_date(find_date(tree, url=url, extensive_search=False, original_date=True)),
    )


def _body_parts(tree: HtmlElement) -> dict[tuple[str, str], list[list[str]]]:
    """The `<p>` texts of every element holding at least two, grouped by the element's tag and class,
    in document order: the candidate parts of an article body cut into several containers."""
    parts: dict[HtmlElement, list[str]] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        words = " ".join(paragraph.text_content().split())
        if parent is not None and parent.get("class") and words:
            parts.setdefault(parent, []).append(words)
    groups: dict[tuple[str, str], list[list[str]]] = {}
    for parent, paragraphs in parts.items():
        if len(paragraphs) >= 2:
            groups.setdefault((str(parent.tag), parent.get("class", "")), []).append(paragraphs)
    return groups


def _rejoined(text: str, parts: dict[tuple[str, str], list[list[str]]]) -> str:
    """trafilatura's text with the parts of a split article body it left out, in page order.

    Some sites cut the body into several containers of one class, with ads between them; trafilatura
    keeps the first (two Wired pages of the extraction benchmark lost over half their text, and a
    known hoax quoted further down went unseen). A container is a left-out part when another
    container of the same tag and class has most of its paragraphs in the text and it has none.
    """
    # a set of the text's paragraphs, so a page of many containers costs one lookup a paragraph
    in_text = {" ".join(paragraph.split()) for paragraph in text.split("\n\n")}
    for containers in parts.values():
        if not 2 <= len(containers) <= MAX_BODY_PARTS:
            continue
        shares = [sum(p in in_text for p in c) / len(c) for c in containers]
        if max(shares) < 0.5:
            continue
        first = next(n for n, share in enumerate(shares) if share >= 0.5)
        missing = [
            n
            for n, (share, container) in enumerate(zip(shares, containers, strict=True))
            if share == 0
            and len(" ".join(container).split()) >= MIN_BODY_PART_WORDS
            and container[0][:60] not in text  # in the text, but cut or joined differently
        ]
        before = [p for n in missing if n < first for p in containers[n]]
        after = [p for n in missing if n > first for p in containers[n]]
        text = "\n\n".join([*before, text, *after])
    return text


def _paragraphs(text: str) -> str:
    """trafilatura puts one paragraph per line; we separate paragraphs by a blank line."""
    return normalize_text("\n\n".join(line for line in text.split("\n") if line.strip()))


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _hostname(url: str | None) -> str:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else ""
