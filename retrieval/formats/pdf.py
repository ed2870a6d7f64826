"""PDF (.pdf) with pypdf: each page's text layer, pages one after another (a blank line between them), where each
page starts, the document's title, and its outline (bookmarks) as section headings where a bookmark's title is
found on its page.

pypdf reads only the bytes it is given: it fetches no link and loads no external file. A PDF encrypted with a
password is skipped (one with only an owner password, which anyone may open, is read); a PDF whose pages carry
no text (scans) is skipped, since citebot does no OCR.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

from retrieval.formats import Extracted, MissingExtra, StructureHeading, Unreadable

NO_TEXT = "no text layer: OCR is not supported (a scanned or image-only PDF)"
_OUTLINE_MAX = 10_000


def extract(raw: bytes) -> Extracted:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise MissingExtra("pdf", "pypdf") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF's warnings are pypdf's to keep
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise Unreadable("encrypted PDF: it needs a password")
        pages = [_page_text(page) for page in reader.pages]
        title = _title(reader)
        outline = list(_outline(reader))
    except Unreadable:
        raise
    except Exception as error:  # pypdf on a damaged file may raise anything: the file is skipped, not the corpus
        raise Unreadable(f"not a readable PDF ({type(error).__name__}: {_first_line(error)})") from None
    if not any(page.strip() for page in pages):
        raise Unreadable(NO_TEXT)
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in pages:
        if parts:
            parts.append("\n\n")
            offset += 2
        starts.append(offset)
        parts.append(page)
        offset += len(page)
    text = "".join(parts) + "\n"
    headings = _find_headings(text, starts, outline)
    return Extracted(text, title=title, headings=headings or None, pages=tuple(starts), derived=True)


def _opens_without_password(reader: Any) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an unsupported cipher (AES without the `cryptography` package) counts as locked
        return False


def _page_text(page: Any) -> str:
    """The page's text, lines trimmed of trailing spaces, blank lines at its ends left out."""
    lines = [line.rstrip() for line in (page.extract_text() or "").splitlines()]
    return "\n".join(lines).strip("\n")


def _title(reader: Any) -> str | None:
    metadata = reader.metadata
    title = " ".join(str(metadata.title or "").split()) if metadata is not None else ""
    return title or None


def _outline(reader: Any) -> Iterator[tuple[str, int]]:
    """(bookmark title, 0-based page) for every bookmark, nested ones included, in order."""
    stack: list[Any] = [iter(reader.outline)]
    seen = 0
    while stack and seen < _OUTLINE_MAX:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            seen += 1
            page = reader.get_destination_page_number(item)
            title = " ".join(str(getattr(item, "title", "") or "").split())
            if title and page is not None and page >= 0:
                yield title, page


def _find_headings(text: str, starts: list[int], outline: list[tuple[str, int]]) -> tuple[StructureHeading, ...]:
    """Each bookmark's title where it stands on its page, as a section heading (a link goes to the quote's page)."""
    headings = []
    for title, page in outline:
        if page >= len(starts):
            continue
        end_of_page = starts[page + 1] if page + 1 < len(starts) else len(text)
        found = text.find(title, starts[page], end_of_page)
        if found >= 0:
            headings.append(StructureHeading(found, found + len(title)))
    return tuple(sorted(set(headings), key=lambda heading: heading.start))


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]
