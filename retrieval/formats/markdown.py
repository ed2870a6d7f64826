"""Markdown (.md, .markdown) with markdown-it-py: the file's text as it is, its ATX and setext headings (never a
`#` line inside a code block) with GitHub-style anchors, and its YAML front matter (`title:`, `url:`), which
describes the document and is never indexed."""

from __future__ import annotations

import re

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors.index import slugify
from mdit_py_plugins.front_matter import front_matter_plugin

from retrieval.formats import Extracted, StructureHeading, decode_utf8, safe_url

_LINE_END = re.compile(r"\r\n|\r|\n")
_HEADING_LINE_MAX = 10_000  # a heading's line is looked at this far, never a whole one-line document


def extract(raw: bytes) -> Extracted:
    text = decode_utf8(raw)
    line_starts = _line_starts(text)
    tokens = MarkdownIt("commonmark").use(front_matter_plugin).parse(text)
    metadata: tuple[tuple[int, int], ...] = ()
    front: dict[str, object] = {}
    headings: list[StructureHeading] = []
    seen: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type == "front_matter" and token.map:
            metadata = ((0, line_starts[token.map[1]] if token.map[1] < len(line_starts) else len(text)),)
            front = _front_matter(token.content)
        elif token.type == "heading_open" and token.map and i + 1 < len(tokens):
            first_line = token.map[0]
            start = line_starts[first_line]
            line = _LINE_END.split(text[start : start + _HEADING_LINE_MAX], maxsplit=1)[0]
            end = start + len(line.rstrip())
            stripped_start = start + len(line) - len(line.lstrip())
            headings.append(StructureHeading(stripped_start, end, _unique(slugify(tokens[i + 1].content), seen)))
    title = front.get("title")
    return Extracted(
        text,
        title=" ".join(title.split()) if isinstance(title, str) and title.strip() else None,
        url=safe_url(front.get("url")),
        headings=tuple(headings),
        metadata=metadata,
    )


def _front_matter(content: str) -> dict[str, object]:
    """The front matter's keys, or nothing when it is not a YAML mapping (safe_load builds no objects)."""
    try:
        found = yaml.safe_load(content)
    except yaml.YAMLError:
        return {}
    return {str(key): value for key, value in found.items()} if isinstance(found, dict) else {}


def _unique(anchor: str, seen: dict[str, int]) -> str:
    """GitHub's rule for repeated headings: `usage`, then `usage-1`, `usage-2`."""
    count = seen.get(anchor, 0)
    seen[anchor] = count + 1
    return anchor if count == 0 else f"{anchor}-{count}"


def _line_starts(text: str) -> list[int]:
    """Where each line starts, counting line breaks as markdown-it does (\n, \r\n or a lone \r)."""
    return [0, *(match.end() for match in _LINE_END.finditer(text))]
