"""Answer -> Discord message: one embed of quote blocks, always within Discord's limits.

Pure functions, no network: the adapter sends whatever `render_answer` returns, and the tests check the
limits and the escaping here, on their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import discord

from bot.rendering import (
    ELLIPSIS,
    HelpCard,
    Page,
    back_to_word_boundary,
    echoed_question,
    following_up_line,
    longest_fitting,
    merged_runs,
    not_found_note,
    quote_link,
    quote_number,
    source_label,
)
from retrieval.answers import Answer, Quote

# Discord's limits that bind us (characters, as discord.py's Embed.__len__ counts them). One embed with a
# description and a short footer stays far below the 6000 characters, 25 fields and 10 embeds per message.
CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
QUESTION_LINE_CHARS = 256

ANSWER_COLOUR = discord.Colour(0x5865F2)
SOURCE_LABEL_CHARS = 300  # a runaway title must not crowd out the quote it labels
MIN_CLIPPED_QUOTE_CHARS = 300  # below this, a clipped quote says too little: leave it out instead

# Links stay untouched (escaping inside one would break it), as in discord.py's escape_markdown; a link ends
# at a markup character, which is then escaped like anywhere else.
_URL = r"(?P<url>https?://[^\s<\\*~|`]+[^<.,:;\"')\]\s\\*~|`])"
_INLINE_MARKUP = re.compile(_URL + r"|(?P<char>[\\*_~|`<\[])")
_LINE_START_MARKUP = re.compile(r"^(\s*)(?:([>#+-])|(\d+)\.(?=\s))")


class DiscordReply(NamedTuple):
    """A message ready for `send(content=..., embeds=...)`; `content` is "" when the embed says it all."""

    content: str
    embeds: list[discord.Embed]


def render_answer(answer: Answer, *, first_number: int = 1, following_up_on: str | None = None) -> DiscordReply:
    """Quotes as an embed, numbered from `first_number` ("more" continues the count), under the earlier question
    it was asked with (`following_up_on`); no quotes means a short friendly line from `answer.note`."""
    if not answer.answered or not answer.quotes:
        return render_note(not_found_note(answer))
    description, shown = _describe(answer, first_number, following_up_on)
    embed = discord.Embed(description=description, colour=ANSWER_COLOUR)
    left_out = len(answer.quotes) - shown
    if left_out:
        plural = "s" if left_out > 1 else ""
        embed.set_footer(text=f"{left_out} more matching passage{plural} left out to fit Discord's limits.")
    return DiscordReply(content="", embeds=[embed])


def render_page(page: Page) -> DiscordReply:
    """One reply in a conversation (see bot.followups): numbered on, under the question it follows up on."""
    return render_answer(page.answer, first_number=page.first_number, following_up_on=page.following_up_on)


def render_note(note: str) -> DiscordReply:
    """A plain-text reply (abstention, input problem, failure), escaped because it may echo the question."""
    return DiscordReply(content=_fit(note, CONTENT_LIMIT, escape_literal), embeds=[])


FIELD_VALUE_LIMIT = 1024


def render_help(card: HelpCard) -> DiscordReply:
    """The help card as one embed: what citebot does, how to ask, what the documents cover, examples, who sees."""
    embed = discord.Embed(title="citebot", description=escape_literal(card.about), colour=ANSWER_COLOUR)
    lines = [("Ways to ask", card.ways), ("The documents", (card.covers,)), ("Try asking", card.examples)]
    for name, items in lines:
        if items:
            bullets = "\n".join(
                f"• {escape_literal(item)}" if len(items) > 1 else escape_literal(item) for item in items
            )
            embed.add_field(name=name, value=_fit(bullets, FIELD_VALUE_LIMIT, str), inline=False)
    embed.set_footer(text=card.who_sees)
    return DiscordReply(content="", embeds=[embed])


def with_preface(reply: DiscordReply, preface: str) -> DiscordReply:
    """The reply with a line of our own (trusted markup) before it, still within the content limit."""
    content = f"{preface}\n\n{reply.content}" if reply.content else preface
    return DiscordReply(content=content if len(content) <= CONTENT_LIMIT else preface, embeds=reply.embeds)


def escape_literal(text: str) -> str:
    """Text as Discord must show it, character for character: no markup, no mention, links left working.

    Markdown characters get a backslash (invisible once rendered); @everyone/@here and user/role mentions get
    a zero-width space after the @ (`discord.utils.escape_mentions`), so they can never render as a ping even
    where allowed_mentions is not in force.
    """

    def replace(match: re.Match[str]) -> str:
        return match.group("url") or "\\" + match.group("char")

    return discord.utils.escape_mentions(_INLINE_MARKUP.sub(replace, text))


def quote_block(quote: Quote, limit: int = DESCRIPTION_LIMIT, number: int | None = None) -> str | None:
    """The quote in quote formatting, matched terms in bold, then its source (after its `number`); clipped to
    `limit` with '…'.

    None when not even a useful part of the quote fits.
    """
    fitted = _fit_quote(quote, limit, number)
    return None if fitted is None else fitted[0]


def _fit_quote(quote: Quote, limit: int, number: int | None = None) -> tuple[str, bool] | None:
    """(block, was_clipped), or None when less than a useful part of the quote fits."""
    source = _source_line(quote) if number is None else f"{quote_number(number)} {_source_line(quote)}"
    full = _quote_lines(quote, len(quote.text)) + "\n" + source
    if len(full) <= limit:
        return full, False

    def clipped(chars: int) -> str:
        return _quote_lines(quote, chars, clipped=True) + "\n" + source

    chars = longest_fitting(len(quote.text), lambda n: len(clipped(n)) <= limit)
    chars = back_to_word_boundary(quote.text, chars)
    block = clipped(chars)
    if chars < min(MIN_CLIPPED_QUOTE_CHARS, len(quote.text)) or len(block) > limit:
        return None
    return block, True


def _describe(answer: Answer, first_number: int, following_up_on: str | None) -> tuple[str, int]:
    """The embed description and how many quotes it holds; later quotes give way when space runs out."""
    parts = [f"**Q:** {_fit(echoed_question(answer), QUESTION_LINE_CHARS, escape_literal)}"]
    if following_up_on:
        parts[0] = f"*{_fit(following_up_line(following_up_on), QUESTION_LINE_CHARS, escape_literal)}*\n{parts[0]}"
    shown = 0
    for number, quote in enumerate(answer.quotes, start=first_number):
        room = DESCRIPTION_LIMIT - len("\n\n".join(parts)) - len("\n\n")
        fitted = _fit_quote(quote, room, number)
        if fitted is None:
            break
        block, was_clipped = fitted
        parts.append(block)
        shown += 1
        if was_clipped:
            break  # the description is full
    return "\n\n".join(parts), shown


def _quote_lines(quote: Quote, chars: int, *, clipped: bool = False) -> str:
    """`quote.text[:chars]` as '> ' lines, highlights in bold; blank lines dropped (a '>' line needs text)."""
    lines: list[list[tuple[str, bool]]] = [[]]
    for text, highlighted in merged_runs(quote, chars):
        for index, piece in enumerate(text.split("\n")):
            if index:
                lines.append([])
            if piece:
                lines[-1].append((piece, highlighted))
    rendered = [_render_line(runs) for runs in lines]
    rendered = [line for line in rendered if line.strip()]
    if clipped:
        rendered[-1:] = [(rendered[-1] if rendered else "") + ELLIPSIS]
    return "\n".join("> " + line for line in rendered)


def _render_line(runs: list[tuple[str, bool]]) -> str:
    out: list[str] = []
    for text, highlighted in runs:
        core = text.strip()
        if not highlighted or not core:
            out.append(escape_literal(text))
            continue
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        out.append(f"{lead}**{escape_literal(core)}**{trail}")
    return _escape_line_start("".join(out).rstrip())


def _escape_line_start(line: str) -> str:
    """Headings, lists and quotes only form at a line's start: escape just that character there."""

    def replace(match: re.Match[str]) -> str:
        indent, mark, number = match.groups()
        return f"{indent}\\{mark}" if mark else f"{indent}{number}\\."

    return _LINE_START_MARKUP.sub(replace, line, count=1)


def _source_line(quote: Quote) -> str:
    label = _fit(source_label(quote), SOURCE_LABEL_CHARS, escape_literal)
    link = quote_link(quote)
    return f"— *{label}*" if link is None else f"— [{label}]({link})"


def _fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """`render(text)` if it fits in `limit`, else `render` of the longest prefix that fits, plus '…'.

    Cutting the source text (not the rendered markup) never leaves a dangling backslash or '**'.
    """
    full = render(text)
    if len(full) <= limit:
        return full
    chars = longest_fitting(len(text), lambda n: len(render(text[:n]) + ELLIPSIS) <= limit)
    return render(text[:chars].rstrip()) + ELLIPSIS
