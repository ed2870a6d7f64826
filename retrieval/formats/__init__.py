"""Document formats: each module turns a file's bytes into an extracted text plus its structure.

The extracted text is what is indexed, stored and quoted. For plain text, Markdown and reStructuredText it is the
file's own text, so a quote's offsets are offsets into the file; for HTML, PDF and Word it is derived (the main
content, a page's text layer, the paragraphs), stored with the index and shown by `citebot show`.

No extractor fetches a URL, resolves an external entity, follows an include or reads any other file: each is
given the file's bytes and nothing else. A file an extractor cannot read raises `Unreadable` with a one-line
reason for the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata as package_metadata

# The libraries that shape extracted text: their versions are part of the index's key (see index_cache).
FORMAT_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "PyYAML", "docutils", "selectolax", "pypdf", "python-docx")


@cache
def library_versions() -> dict[str, str | None]:
    """Each format library's installed version, None where it is missing (its files are skipped)."""
    versions: dict[str, str | None] = {}
    for name in FORMAT_LIBRARIES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class Unreadable(Exception):
    """The file cannot be a document: the message is the reason, one line, for the operator."""


class MissingExtra(Unreadable):
    """The format's parser is an optional extra that is not installed."""

    def __init__(self, extra: str, library: str) -> None:
        super().__init__(f"needs {library}: pip install 'citebot[{extra}]' (or 'citebot[formats]') to index it")


@dataclass(frozen=True, slots=True)
class StructureHeading:
    """A section heading in the extracted text: its line's span, and the anchor a link can jump to ("" if none)."""

    start: int
    end: int
    anchor: str = ""


@dataclass(frozen=True)
class Extracted:
    """A document as its format reads it. Offsets are into `text`."""

    text: str
    title: str | None = None
    url: str | None = None  # the document's own link (front matter `url:`, `<link rel="canonical">`)
    # The section headings the format marks; None: the format marks none, so headings are found by their shape.
    headings: tuple[StructureHeading, ...] | None = None
    pages: tuple[int, ...] = ()  # where each page starts (PDF): page n (1-based) is text[pages[n-1]:pages[n]]
    metadata: tuple[tuple[int, int], ...] = field(default=())  # spans that describe the document, never indexed
    derived: bool = False  # the text was extracted (HTML, PDF, Word), not the file's own text


_SAFE_URL = re.compile(r"https?://[^\s<>\"'`|\\{}^\[\]\x00-\x1f\x7f]+", re.IGNORECASE)


def safe_url(value: object) -> str | None:
    """An absolute http(s) link without spaces, quotes or control characters, else None: a document's own
    link is shown to readers and must not carry markup, a script or a `javascript:` scheme."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if len(value) <= 2000 and _SAFE_URL.fullmatch(value) else None


def decode_utf8(raw: bytes) -> str:
    """The file's text as UTF-8, or `Unreadable` saying why it cannot be a text document."""
    if b"\x00" in raw:
        raise Unreadable("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 (invalid byte at offset {error.start})") from None
    if not text.strip():
        raise Unreadable("empty file")
    return text


def join_blocks(blocks: list[tuple[str, str | None]]) -> tuple[str, tuple[StructureHeading, ...]]:
    """Blocks of derived text (paragraphs, headings) as one text, a blank line between blocks so no sentence or
    passage runs from one into the next; a block with an anchor (None: not a heading) is a heading line."""
    parts: list[str] = []
    headings: list[StructureHeading] = []
    offset = 0
    for text, anchor in blocks:
        text = text.strip()
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            offset += 2
        if anchor is not None:
            headings.append(StructureHeading(offset, offset + len(text), anchor))
        parts.append(text)
        offset += len(text)
    return "".join(parts) + ("\n" if parts else ""), tuple(headings)
