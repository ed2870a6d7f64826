"""HTML (.html, .htm) with selectolax (the Lexbor HTML5 parser): the page's main content as text, headings with
their `id` anchors, the `<title>` and the `<link rel="canonical">`.

Site furniture is dropped by structure before any line-level cleaning: navigation, the page's header and footer,
asides, scripts, styles, forms, dialogs and cookie or consent banners (by role, by tag, or by an id or class
that says so). What is left becomes paragraphs, list items and table rows, one block each, and headings on lines
of their own. Parsing never fetches anything: no image, stylesheet, frame or script is loaded, and HTML has no
external entities to resolve.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

from retrieval.formats import Extracted, MissingExtra, Unreadable, join_blocks, safe_url

# Never content, wherever they stand.
_FURNITURE = (
    "nav, aside, script, style, noscript, template, iframe, object, embed, svg, canvas, form, button, select,"
    " dialog, menu, [role=navigation], [role=banner], [role=contentinfo], [role=complementary], [role=dialog],"
    " [role=alertdialog], [role=search], [aria-modal=true], [hidden]"
)
# The page's own header and footer; inside an article or section they carry the article's title or notes.
_PAGE_FRAME = ("header", "footer")
_BANNER = re.compile(r"cookie|consent|gdpr|newsletter|subscribe|popup|modal|banner|share|social", re.IGNORECASE)
_MAIN = ("main", "[role=main]", "article", "body")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset(
    {
        "address", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "li",
        "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "article",
        "main", "body", "caption", "hr", "header", "footer",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def extract(raw: bytes) -> Extracted:
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        raise MissingExtra("html", "selectolax") from None
    if b"\x00" in raw:
        raise Unreadable("binary file (contains NUL bytes), not HTML")
    page = LexborHTMLParser(_decode(raw))
    title_node = page.css_first("head title")
    canonical = page.css_first("link[rel=canonical]")
    for node in page.css(_FURNITURE):
        node.decompose()
    for node in page.css(", ".join(_PAGE_FRAME)):
        if node.parent is not None and not _inside_sectioning(node):
            node.decompose()
    for node in page.css("[id], [class]"):
        attributes = node.attributes
        names = f"{attributes.get('id') or ''} {attributes.get('class') or ''}"
        if _BANNER.search(names) and node.tag not in ("body", "html", "main", "article"):
            node.decompose()
    root = next((found for found in map(page.css_first, _MAIN) if found is not None), page.root)
    if root is None:
        raise Unreadable("no text content in the HTML")
    blocks = _blocks(root)
    text, headings = join_blocks(blocks)
    if not text.strip():
        raise Unreadable("no text content in the HTML (after leaving out navigation, header, footer and banners)")
    first_h1 = next((b for b, anchor in blocks if anchor is not None and b.strip()), None)
    page_title = " ".join(title_node.text().split()) if title_node is not None else ""
    return Extracted(
        text,
        title=page_title or (" ".join(first_h1.split()) if first_h1 else None),
        url=safe_url(canonical.attributes.get("href")) if canonical is not None else None,
        headings=headings,
        derived=True,
    )


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else the charset the page declares, else windows-1252 as browsers do."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(raw[:4096])
    if declared:
        try:
            return raw.decode(declared.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    return raw.decode("cp1252", "replace")


def _inside_sectioning(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("article", "section", "main"):
            return True
        parent = parent.parent
    return False


def _blocks(root: LexborNode) -> list[tuple[str, str | None]]:
    """The content as blocks of text in reading order, walked with an explicit stack (a page nested ten
    thousand deep is fine); a heading block carries its anchor (its id, or its section's), others None."""
    blocks: list[tuple[str, str | None]] = []
    current: list[str] = []
    heading: str | None = None  # the anchor of the heading being read
    preformatted = 0
    stack: list[tuple[LexborNode, bool]] = [(root, False)]

    def flush() -> None:
        nonlocal heading
        joined = "".join(current)
        text = " ".join(joined.split()) if heading is not None else _tidy(joined, preformatted > 0)
        if text:
            blocks.append((text, heading))
        current.clear()
        heading = None

    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if leaving:
            if tag in _HEADINGS or tag in _BLOCKS:
                flush()
            if tag == "pre":
                preformatted -= 1
            continue
        if tag == "-text":
            current.append(node.text_content or "")
            continue
        if tag in ("-comment", "head", "title"):
            continue
        if tag == "br":
            current.append("\n")
            continue
        if tag in _CELLS and current and current[-1].strip():
            current.append(" | ")
        if tag in _HEADINGS or tag in _BLOCKS:
            flush()
        if tag in _HEADINGS:
            heading = _anchor(node)
        if tag == "pre":
            preformatted += 1
        stack.append((node, True))
        children = list(node.iter(include_text=True))
        stack.extend((child, False) for child in reversed(children))
    flush()
    return blocks


def _anchor(node: LexborNode) -> str:
    """Where a link to this heading can jump: its own id, an anchor inside it, or its section's id."""
    attributes = node.attributes
    if attributes.get("id"):
        return str(attributes["id"])
    inner = node.css_first("[id], a[name]")
    if inner is not None:
        return str(inner.attributes.get("id") or inner.attributes.get("name") or "")
    parent = node.parent
    if parent is not None and parent.tag == "section" and parent.attributes.get("id"):
        return str(parent.attributes["id"])
    return ""


def _tidy(text: str, preformatted: bool) -> str:
    """Runs of spaces collapsed and lines trimmed, as a browser shows them; preformatted text kept as written."""
    if preformatted:
        return text.strip("\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
