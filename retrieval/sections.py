"""Section headings, so a passage is found by the heading it stands under and not only by its own words.

A manual's explanation rarely repeats its subject: "This option overrides this restriction..." stands under
"--force-with-lease::", a license clause under "4. Conveying Verbatim Copies.". Headings are recognised by
markup that Markdown, reStructuredText and AsciiDoc share, and by the shape of plain-text headings:

* `# Title` / `== Title` (ATX and AsciiDoc), or a line underlined by `===`, `---`, `~~~`, `^^^` (setext, reST);
* a definition label ending in `::` (AsciiDoc, reST) or `:` alone on its line ("Investor Skepticism:");
* a short numbered heading ("4. Conveying Verbatim Copies.", "01 Open Source Catching Up").

Offsets are into the document's text; nothing here changes what is quoted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_ATX = re.compile(r"^\s{0,3}(?:#{1,6}|={1,6})\s+\S")
_UNDERLINE = re.compile(r"^\s*([=\-~^*+#])\1{2,}\s*$")
_LABEL = re.compile(r"^\s*\S.{0,100}?(?:::|:)\s*$")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[IVX]{1,4}\.)\s+[A-Z][^\n]{0,80}$")
_HEADING_MAX_CHARS = 100
_NUMBERED_MAX_WORDS = 10


@dataclass(frozen=True, slots=True)
class Heading:
    start: int
    end: int


class Sections:
    """The headings of one document, in order; `heading_before(offset)` is the section an offset belongs to."""

    def __init__(self, headings: list[Heading]) -> None:
        self.headings = headings
        self._starts = [h.start for h in headings]

    def heading_before(self, offset: int) -> Heading | None:
        """The last heading that starts at or before `offset`."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.headings[i] if i >= 0 else None


def find_sections(text: str) -> Sections:
    headings: list[Heading] = []
    lines = _lines(text)
    for i, (start, end) in enumerate(lines):
        line = text[start:end]
        if not line.strip() or len(line.strip()) > _HEADING_MAX_CHARS or _UNDERLINE.match(line):
            continue
        underlined = i + 1 < len(lines) and _UNDERLINE.match(text[lines[i + 1][0] : lines[i + 1][1]]) is not None
        numbered = _NUMBERED.match(line) is not None and len(line.split()) <= _NUMBERED_MAX_WORDS
        if underlined or _ATX.match(line) or _LABEL.match(line) or numbered:
            headings.append(Heading(start + len(line) - len(line.lstrip()), end - (len(line) - len(line.rstrip()))))
    return Sections(headings)


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for piece in text.splitlines(keepends=True):
        spans.append((start, start + len(piece.rstrip("\r\n"))))
        start += len(piece)
    return spans
