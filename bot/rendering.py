"""Platform-neutral pieces of rendering: every renderer cuts quotes and labels sources the same way."""

from __future__ import annotations

from retrieval.answers import Answer, Quote

QUESTION_ECHO_CHARS = 200


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
