"""Platform-neutral pieces of rendering: every renderer cuts quotes and labels sources the same way."""

from __future__ import annotations

from retrieval.answers import Answer, Quote

QUESTION_ECHO_CHARS = 200
# Direction overrides and isolates reorder what a reader sees ("Trojan Source"): shown, never obeyed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """Text safe to print for a person on a terminal: control characters (C0, C1, ESC, DEL) and direction
    overrides are shown as `\\x1b`, `<U+202E>`, so a document or file name can never clear the screen, set the
    window title, hide a link or reverse a line. Tabs stay; line breaks stay unless `keep_newlines` is False,
    then they show as ⏎ (one record, one line)."""
    return "".join(_printable_char(ch, keep_newlines) for ch in text)


def _printable_char(ch: str, keep_newlines: bool) -> str:
    if ch == "\n":
        return ch if keep_newlines else "⏎"
    if ch == "\t":
        return ch
    if ch in _BIDI_CONTROLS:
        return f"<U+{ord(ch):04X}>"
    if ch.isprintable():
        return ch
    if ch.isspace():
        return " "
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>"


def quote_segments(quote: Quote) -> list[tuple[str, bool]]:
    """The quote's text as consecutive (text, is_highlighted) runs; joined, they are `quote.text`."""
    runs: list[tuple[str, bool]] = []
    cursor = 0
    for highlight in sorted(quote.highlights, key=lambda h: h.start):
        start, end = max(highlight.start, cursor), min(highlight.end, len(quote.text))
        if start >= end:
            continue
        if start > cursor:
            runs.append((quote.text[cursor:start], False))
        runs.append((quote.text[start:end], True))
        cursor = end
    if cursor < len(quote.text):
        runs.append((quote.text[cursor:], False))
    return runs


def source_label(quote: Quote) -> str:
    """'Title — file.txt, line 12': enough for a reader to find the passage."""
    return f"{quote.title} — {quote.source}, line {quote.line}"


def echoed_question(answer: Answer) -> str:
    """The question as shown back to the asker, clipped so a huge question cannot flood a reply."""
    question = " ".join(answer.question.split())
    if len(question) > QUESTION_ECHO_CHARS:
        return question[: QUESTION_ECHO_CHARS - 1] + "…"
    return question
