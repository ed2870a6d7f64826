"""Plain text (.txt): the file's text as it is; headings are found by their shape (see sections.py)."""

from __future__ import annotations

from retrieval.formats import Extracted, decode_utf8


def extract(raw: bytes) -> Extracted:
    return Extracted(decode_utf8(raw))
