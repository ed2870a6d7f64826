"""Answers for the terminal: plain text when piped, rich text (bold highlights) on a terminal or the console."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.rendering import (
    echoed_question,
    following_up_line,
    not_found_note,
    printable,
    quote_link,
    quote_number,
    quote_segments,
    source_label,
)
from retrieval.answers import Answer, Quote

if TYPE_CHECKING:
    from rich.console import RenderableType


def render_plain(answer: Answer) -> str:
    """Quotes as '> ' blocks with their sources; matched terms are marked with **, as chat markdown does."""
    if not answer.answered:
        return printable(not_found_note(answer))
    blocks = []
    for number, quote in enumerate(answer.quotes, start=1):
        body = "".join(f"**{printable(text)}**" if hit else printable(text) for text, hit in quote_segments(quote))
        quoted = "\n".join(f"> {line}" for line in body.split("\n"))
        blocks.append(f"{quoted}\n   {quote_number(number)} {citation(quote)}")
    return "\n\n".join(blocks)


def render_rich(answer: Answer, *, first_number: int = 1, following_up_on: str | None = None) -> RenderableType:
    """The console's answer: numbered from `first_number` ("more" continues the count), under the earlier
    question it was asked with (`following_up_on`)."""
    from rich.console import Group
    from rich.text import Text

    if not answer.answered:
        return Text(printable(not_found_note(answer)), style="yellow")
    parts: list[RenderableType] = []
    if following_up_on:
        parts.append(Text(printable(following_up_line(following_up_on), keep_newlines=False), style="dim italic"))
    parts.append(Text(f"Q: {printable(echoed_question(answer))}", style="dim"))
    for number, quote in enumerate(answer.quotes, start=first_number):
        body = Text()
        for text, hit in quote_segments(quote):
            body.append(printable(text), style="bold yellow" if hit else "")
        quoted = Text()
        for i, line in enumerate(body.split("\n")):
            if i:
                quoted.append("\n")
            quoted.append("▌ ", style="cyan")
            quoted.append_text(line)
        parts += [Text(""), quoted, Text(f"  {quote_number(number)} {citation(quote)}", style="dim italic")]
    return Group(*parts)


def citation(quote: Quote) -> str:
    """The source label and, when there is one, the link, on one safe line: 'Title › Section — https://…'."""
    link = quote_link(quote)
    return printable(source_label(quote) + (f" — {link}" if link else ""), keep_newlines=False)
