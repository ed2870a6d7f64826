"""reStructuredText (.rst) with docutils: the file's text as it is, its title and its section titles with the
anchors docutils gives them (`install-steps`, `usage-1`).

docutils runs with file insertion and raw input off and no config files read, so `.. include::`,
`.. raw:: :url:` and `.. csv-table:: :file:` read nothing; a document docutils cannot parse still loads, its
headings then found by their shape.
"""

from __future__ import annotations

import io

from retrieval.formats import Extracted, StructureHeading, decode_utf8

_SAFE_SETTINGS = {
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "_disable_config": True,  # no docutils.conf from the working or home directory
    "report_level": 5,
    "halt_level": 5,
    "warning_stream": io.StringIO(),
    "input_encoding": "unicode",
}


def extract(raw: bytes) -> Extracted:
    text = decode_utf8(raw)
    from docutils import nodes
    from docutils.core import publish_doctree

    try:
        tree = publish_doctree(text, settings_overrides={**_SAFE_SETTINGS, "warning_stream": io.StringIO()})
    except Exception:  # a parser bug on hostile input must not lose the document: its headings are found by shape
        return Extracted(text)
    lines = text.splitlines(keepends=True)  # docutils counts lines as str.splitlines does
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    headings: list[StructureHeading] = []
    for title in tree.findall(nodes.title):
        parent = title.parent
        if not isinstance(parent, nodes.section | nodes.document) or title.line is None:
            continue
        span = _title_span(text, lines, starts, title.line, title.astext())
        if span is not None:
            ids = parent.get("ids") or [""]
            headings.append(StructureHeading(*span, anchor=str(ids[0])))
    headings.sort(key=lambda heading: heading.start)
    doc_title = tree.get("title")
    return Extracted(
        text,
        title=" ".join(str(doc_title).split()) if doc_title else None,
        headings=tuple(headings),
    )


def _title_span(text: str, lines: list[str], starts: list[int], underline: int, title: str) -> tuple[int, int] | None:
    """The span of a title's line: docutils reports the line of its underline (1-based), the title is above."""
    wanted = " ".join(title.split())
    for index in (underline - 2, underline - 1, underline - 3):
        if 0 <= index < len(lines):
            line = lines[index].rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
            if wanted and wanted in " ".join(line.split()):
                leading = len(line) - len(line.lstrip())
                return starts[index] + leading, starts[index] + len(line.rstrip())
    return None
