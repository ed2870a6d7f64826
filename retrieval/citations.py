"""Where a quote stands and where a reader can open it: its section, its page, and a link.

The link comes, in order, from the document itself (Markdown front matter `url:`, HTML `<link rel="canonical">`),
from the manifest's `url`, or from the corpus's `url_template`; it deep-links to the quote's page (`#page=12`)
or section (`#heading-anchor`) where it can.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from retrieval.formats import safe_url
from retrieval.sections import heading_name

if TYPE_CHECKING:  # the config checks templates without loading the index's modules
    from retrieval.corpus_index import CorpusIndex

TEMPLATE_FIELDS = frozenset({"path", "stem", "anchor"})
SECTION_MAX_CHARS = 120


@dataclass(frozen=True)
class Citation:
    section: str | None
    page: int | None
    url: str | None


def cite(index: CorpusIndex, doc: int, offset: int, url_template: str | None = None) -> Citation:
    """The citation of a quote starting at `offset` in document `doc`."""
    info = index.documents[doc]
    section, anchor = None, ""
    found = index.section_at(doc, offset)
    if found is not None:
        start, end, anchor = found
        name = heading_name(index.document_text(doc)[start:end])
        if name and name.casefold() != info.title.casefold():  # the title's own heading adds nothing to a label
            section = name if len(name) <= SECTION_MAX_CHARS else name[: SECTION_MAX_CHARS - 1].rstrip() + "…"
        else:
            anchor = ""
    page = index.page_at(doc, offset)
    fragment = f"page={page}" if page is not None else anchor
    return Citation(section, page, link(info.url, url_template, info.source, fragment))


def link(url: str | None, url_template: str | None, source: str, fragment: str = "") -> str | None:
    """The document's link (or the template filled in for it) with the fragment, if it makes a safe link."""
    if url:
        return safe_url(url if "#" in url or not fragment else f"{url}#{quote(fragment, safe=_FRAGMENT_SAFE)}")
    if not url_template:
        return None
    filled = url_template.format(
        path=quote(source, safe="/"),
        stem=quote(PurePosixPath(source).stem, safe=""),
        anchor=quote(fragment, safe=_FRAGMENT_SAFE),
    )
    if fragment and "{anchor}" not in url_template and "#" not in url_template:
        filled += f"#{quote(fragment, safe=_FRAGMENT_SAFE)}"
    return safe_url(filled)


_FRAGMENT_SAFE = "=-._~:"


def check_url_template(template: str) -> str:
    """The template if it uses only {path}, {stem} and {anchor} and is an http(s) link, else ValueError."""
    try:
        fields = {name for _, name, spec, conversion in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ValueError(f"not a valid template ({error}); write {{path}}, {{stem}} or {{anchor}}") from None
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"unknown field {{{sorted(unknown)[0]}}}: use {{path}}, {{stem}} or {{anchor}}")
    if safe_url(template.format(path="p", stem="s", anchor="a")) is None:
        raise ValueError("must be an http:// or https:// link without spaces or quotes")
    return template
