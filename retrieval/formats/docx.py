"""Word (.docx) with python-docx: paragraphs and table rows in reading order, one block each, paragraphs in a
Title or Heading style on lines of their own (the document's sections), and the title from the document's
properties or its Title paragraph.

python-docx parses the package's XML with entity resolution off (lxml also never reaches the network), and it
never opens an external relationship: a linked image or template stays a link, unfetched. A zip of something
else (a spreadsheet, a plain archive) is skipped with what it is.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from retrieval.formats import Extracted, MissingExtra, Unreadable, join_blocks

_HEADING_STYLES = ("Title", "Heading")


def extract(raw: bytes) -> Extracted:
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise MissingExtra("docx", "python-docx") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):  # ValueError, OSError: a damaged archive directory
        raise Unreadable("not a Word document (.docx files are zip archives; this is not one)") from None
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise Unreadable("a zip archive, but not a Word document (it has no word/document.xml)")
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks: list[tuple[str, str | None]] = []
        title: str | None = None
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.extend((row, None) for row in _table_rows(item))
                continue
            style = item.style.name if item.style is not None else ""
            is_heading = bool(style) and style.startswith(_HEADING_STYLES)
            text = item.text
            if is_heading:
                text = " ".join(text.split())
                if title is None and style == "Title":
                    title = text or None
            blocks.append((text, "" if is_heading else None))
        title = " ".join((document.core_properties.title or "").split()) or title
    except Exception as error:  # python-docx on a package it does not expect may raise anything
        raise Unreadable(f"not a Word document ({type(error).__name__}: {_first_line(error)})") from None
    text, headings = join_blocks(blocks)
    if not text.strip():
        raise Unreadable("no text in the Word document")
    return Extracted(text, title=title, headings=headings, derived=True)


def _table_rows(table: Any) -> list[str]:
    """Each row's cells joined by ' | ', a merged cell once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        rows.append(" | ".join(cells))
    return rows


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]
