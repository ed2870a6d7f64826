"""Section headings, so a passage is found by the heading it stands under and not only by its own words.

A manual's explanation rarely repeats its subject: "This option overrides this restriction..." stands under
"--force-with-lease::", a license clause under "4. Conveying Verbatim Copies.". Headings are recognised by
markup that Markdown, reStructuredText and AsciiDoc share, and by the shape of plain-text headings:

* `# Title` / `== Title` (ATX and AsciiDoc), or a line underlined by `===`, `---`, `~~~`, `^^^` (setext, reST);
* a definition label ending in `::` (AsciiDoc, reST) or `:` alone on its line ("Investor Skepticism:");
* a short numbered heading ("4. Conveying Verbatim Copies.", "01 Open Source Catching Up").

A label sits inside a section: a passage's context is its section heading and the label it stands under, and
the heading or label it opens with counts once more, as a title field would.
Offsets are into the document's text; nothing here changes what is quoted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_ATX = re.compile(r"^\s{0,3}(?:#{1,6}|={1,6})\s+\S")
_UNDERLINE = re.compile(r"^\s*([=\-~^*+#])\1{2,}\s*$")
_LABEL = re.compile(r"^\s*\S.{0,100}?(?:::|:)\s*$")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[IVX]{1,4}\.)\s+[A-Z][^\n]{0,80}$")
_HEADING_MAX_CHARS = 100
_UNDERLINE_SLACK = 4  # an underline may run this many characters past its title (AsciiDoc allows two)
_NUMBERED_MAX_WORDS = 10


SECTION, LABEL = 1, 2  # a titled section, and a labelled item inside one ("--force::", "union::")


@dataclass(frozen=True, slots=True)
class Heading:
    start: int
    end: int
    level: int


class Sections:
    """The headings of one document, in order; `context_before(offset)` is where an offset stands."""

    def __init__(self, headings: list[Heading]) -> None:
        self.headings = headings
        self._levels = {
            level: ([h.start for h in headings if h.level == level], [h for h in headings if h.level == level])
            for level in (SECTION, LABEL)
        }

    def context_before(self, offset: int) -> tuple[Heading | None, Heading | None]:
        """The section an offset belongs to, and the label it stands under within that section (if any)."""
        section = self._last(SECTION, offset)
        label = self._last(LABEL, offset)
        if label is not None and section is not None and label.start < section.start:
            label = None  # the label belongs to an earlier section
        return section, label

    def opening_heading(self, start: int, end: int) -> Heading | None:
        """The heading or label that starts within `[start, end)`, a passage's first sentence: the passage is what
        it names."""
        for level in (SECTION, LABEL):
            heading = self._last(level, end)
            if heading is not None and heading.start >= start:
                return heading
        return None

    def _last(self, level: int, offset: int) -> Heading | None:
        starts, headings = self._levels[level]
        i = bisect.bisect_right(starts, offset) - 1
        return headings[i] if i >= 0 else None


_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}|={1,6})\s+|\s+(?:#+|=+)\s*$")


def heading_name(line: str) -> str:
    """A heading as a reader names it: without its `#` / `==` markers and surrounding space."""
    return _MARKUP.sub("", line).strip()


def document_context(title: str, source: str) -> str:
    """What a document is about beyond its sentences: its title and its file name ("GPL-3", "git-push")."""
    return f"{title} {PurePosixPath(source).stem}"


def find_sections(text: str) -> Sections:
    headings: list[Heading] = []
    lines = _lines(text)
    for i, (start, end) in enumerate(lines):
        line = text[start:end]
        if not line.strip() or len(line.strip()) > _HEADING_MAX_CHARS or _UNDERLINE.match(line):
            continue
        underlined = _underlined(text, lines, i)
        numbered = _NUMBERED.match(line) is not None and len(line.split()) <= _NUMBERED_MAX_WORDS
        stripped = (start + len(line) - len(line.lstrip()), end - (len(line) - len(line.rstrip())))
        if underlined or _ATX.match(line) or numbered:
            headings.append(Heading(*stripped, SECTION))
        elif _LABEL.match(line):
            headings.append(Heading(*stripped, LABEL))
    return Sections(headings)


def _underlined(text: str, lines: list[tuple[int, int]], i: int) -> bool:
    """A setext / reST / AsciiDoc title: a line standing alone (after a blank line, the start, or an overline)
    whose underline is about its length. The last line of a delimited block ("----\n$ git commit --amend\n----")
    is followed by a line of dashes too, but the block's delimiter is longer, or a block line comes before it."""
    if i + 1 >= len(lines):
        return False
    underline = text[lines[i + 1][0] : lines[i + 1][1]].strip()
    if _UNDERLINE.match(underline) is None:
        return False
    title = text[lines[i][0] : lines[i][1]].strip()
    before = text[lines[i - 1][0] : lines[i - 1][1]].strip() if i > 0 else ""
    alone = not before or _UNDERLINE.match(before) is not None
    return alone and len(underline) <= len(title) + _UNDERLINE_SLACK


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for piece in text.splitlines(keepends=True):
        spans.append((start, start + len(piece.rstrip("\r\n"))))
        start += len(piece)
    return spans
