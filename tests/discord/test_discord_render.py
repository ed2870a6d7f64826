"""The Discord renderer on its own: Answer -> (content, embeds) within limits, escaped, bold, with sources."""

from __future__ import annotations

import re
from typing import Any

from fake_discord import limit_violations, shown_quotes, shown_text
from hypothesis import given
from hypothesis import strategies as st

from bot.discord_adapter.render import DiscordReply, escape_literal, quote_block, render_answer, render_note
from retrieval.answers import Answer, Highlight, Quote

NADELLA_TEXT = (
    'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media, pointing out that improving the '
    "efficiency of resource use may instead increase its total consumption."
)


def make_quote(text: str = NADELLA_TEXT, highlights: list[tuple[int, int]] | None = None, **extra: Any) -> Quote:
    fields: dict[str, Any] = {
        "source": "004_250e2ef35fa11695.txt",
        "title": "The ultimate victim of DeepSeek is not NVIDIA",
        "start": 6641,
        "end": 6641 + len(text),
        "line": 31,
        "score": 3.4,
    }
    fields |= extra
    spans = [Highlight(start=start, end=end) for start, end in highlights or []]
    return Quote(text=text, highlights=spans, **fields)


def answered(*quotes: Quote, question: str = "what did Nadella say?") -> Answer:
    return Answer(question=question, answered=True, quotes=list(quotes))


def as_sent(reply: DiscordReply) -> dict[str, Any]:
    """The message as discord.py puts it on the wire."""
    return {"content": reply.content, "embeds": [embed.to_dict() for embed in reply.embeds]}


def description_of(reply: DiscordReply) -> str:
    (embed,) = reply.embeds
    assert embed.description is not None
    return embed.description


def test_answer_is_one_embed_with_the_quote_in_quote_formatting() -> None:
    reply = render_answer(answered(make_quote()))

    assert reply.content == ""
    assert shown_quotes(description_of(reply)) == [NADELLA_TEXT]
    assert "\n> Microsoft CEO Nadella quoted" in description_of(reply)


def test_matched_terms_are_bold() -> None:
    reply = render_answer(answered(make_quote(highlights=[(14, 21), (34, 40)])))

    assert '> Microsoft CEO **Nadella** quoted the "**Jevons** Paradox"' in description_of(reply)


def test_each_quote_names_its_title_file_and_line_after_its_number() -> None:
    reply = render_answer(answered(make_quote(), make_quote(NADELLA_TEXT[:60], line=7, source="sub/other.txt")))

    lines = description_of(reply).splitlines()
    sources = [line for line in lines if line.startswith("[")]
    assert sources == [
        "[1] — *The ultimate victim of DeepSeek is not NVIDIA — 004\\_250e2ef35fa11695.txt, line 31*",
        "[2] — *The ultimate victim of DeepSeek is not NVIDIA — sub/other.txt, line 7*",
    ]


def test_more_quotes_continue_the_numbering_under_the_question_followed_up() -> None:
    quote = make_quote()
    reply = render_answer(
        answered(quote, question="and Sam Altman?"), first_number=4, following_up_on="what *did* Nadella say?"
    )

    lines = description_of(reply).splitlines()
    assert lines[:2] == ["*Following up on: what \\*did\\* Nadella say?*", "**Q:** and Sam Altman?"]
    assert lines[-1].startswith("[4] — *The ultimate victim")


def test_source_with_a_url_is_a_link_labelled_by_title_and_section() -> None:
    """With a link to open, the label is the title and section: the file and line are for quotes without one."""
    reply = render_answer(answered(make_quote(url="https://example.com/deepseek_shock#jevons", section="Jevons")))

    assert description_of(reply).endswith(
        "— [The ultimate victim of DeepSeek is not NVIDIA › Jevons](https://example.com/deepseek_shock#jevons)"
    )


def test_question_is_echoed_at_the_top() -> None:
    reply = render_answer(answered(make_quote(), question="what did  *Nadella*\nsay?"))

    assert description_of(reply).startswith("**Q:** what did \\*Nadella\\* say?\n\n")


def test_abstention_is_a_short_friendly_line_without_an_embed() -> None:
    note = "I couldn't find this in the documents. Try rephrasing."
    reply = render_answer(Answer(question="how tall is the Eiffel Tower?", answered=False, note=note))

    assert reply == DiscordReply(content=note, embeds=[])


def test_abstention_without_a_note_still_says_something_friendly() -> None:
    reply = render_answer(Answer(question="?", answered=False))

    assert "couldn't find" in reply.content and reply.embeds == []


def test_note_echoing_the_question_cannot_ping_or_format() -> None:
    reply = render_note("Nothing about @everyone or **this** in the documents.")

    assert reply.content == "Nothing about @\u200beveryone or \\*\\*this\\*\\* in the documents."


def test_markdown_characters_in_quotes_render_literally() -> None:
    text = "Use *stars*, _underscores_, ~~strikes~~, `code`, ||spoilers||, [a](b) and a \\ backslash."

    block = quote_block(make_quote(text))

    assert block is not None
    assert shown_quotes(block) == [text]
    assert "\\*stars\\*" in block and "\\_underscores\\_" in block and "\\`code\\`" in block


def test_line_start_markdown_in_quotes_renders_literally() -> None:
    text = "# Not a heading\n- not a list\n1. not numbered\n> not a quote\n-# not subtext"

    block = quote_block(make_quote(text))

    assert block is not None
    assert block.splitlines()[:5] == [
        "> \\# Not a heading",
        "> \\- not a list",
        "> 1\\. not numbered",
        "> \\> not a quote",
        "> \\-# not subtext",
    ]
    assert shown_quotes(block) == [text]


def test_mentions_in_quotes_cannot_render_as_pings() -> None:
    text = "Ping @everyone and @here, user <@123456789012345678>, role <@&123456789012345678>, <#12345>."

    block = quote_block(make_quote(text))

    assert block is not None
    assert "@everyone" not in block and "@here" not in block
    assert not re.search(r"(?<!\\)<[@#]", block), "every <@…>, <@&…>, <#…> has its '<' escaped"
    assert shown_quotes(block) == [text]


def test_links_in_quotes_stay_intact() -> None:
    text = "See https://example.com/a_b*c?x=1 for details."

    block = quote_block(make_quote(text))

    assert block is not None and "https://example.com/a_b" in block


def test_blank_lines_inside_a_quote_do_not_break_the_quote_formatting() -> None:
    block = quote_block(make_quote("First paragraph.\n\n  \nSecond paragraph."))

    assert block is not None
    assert block.splitlines()[:2] == ["> First paragraph.", "> Second paragraph."]


def test_long_quote_is_clipped_at_a_word_with_an_ellipsis() -> None:
    text = " ".join(["consumption"] * 600)

    reply = render_answer(answered(make_quote(text)))

    description = description_of(reply)
    assert len(description) <= 4096
    (shown,) = shown_quotes(description)
    assert shown.endswith("consumption…") and text.startswith(shown[:-1])


def test_many_quotes_stay_within_limits_and_the_footer_counts_those_left_out() -> None:
    quotes = [make_quote(NADELLA_TEXT * 4, line=n) for n in range(1, 21)]

    reply = render_answer(answered(*quotes))

    assert limit_violations(as_sent(reply)) == []
    (embed,) = reply.embeds
    shown = len(shown_quotes(description_of(reply)))
    assert 0 < shown < 20
    assert embed.footer.text == f"{20 - shown} more matching passages left out to fit Discord's limits."


def test_huge_question_echo_is_clipped() -> None:
    reply = render_answer(answered(make_quote(), question="why " * 500))

    first_line = description_of(reply).splitlines()[0]
    assert first_line.endswith("…") and len(first_line) < 300


def test_escape_literal_leaves_plain_text_alone() -> None:
    plain = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media, 2025-01-27.'

    assert escape_literal(plain) == plain


# Text as documents have it: letters, spaces, newlines, punctuation and every Discord markup character.
PIECES = [
    *"ab cdé\n\t",
    *"*_~|`\\<>[]()#-+1.:@!&",
    "everyone",
    "here",
    "123456789012345678",
    "https://x.y/z_",
]
document_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=400).map("".join)


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    text = draw(document_text)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    title = draw(st.text(alphabet=st.sampled_from(list("Ab *_|#@")), max_size=400))
    return make_quote(text, spans, title=title or "Untitled")


@given(st.lists(quotes(), min_size=1, max_size=12), st.text(max_size=1200))
def test_any_answer_fits_discords_limits(quotes: list[Quote], question: str) -> None:
    reply = render_answer(answered(*quotes, question=question or "?"))

    assert limit_violations(as_sent(reply)) == []


@given(quotes())
def test_any_quote_that_fits_is_shown_exactly_as_written(quote: Quote) -> None:
    """Whatever the characters and highlights, Discord shows the document's text (blank lines aside)."""
    block = quote_block(quote, limit=100_000)

    expected = "\n".join(line.rstrip() for line in quote.text.split("\n") if line.strip())
    assert block is not None
    assert "\n".join(shown_quotes(block)) == expected or not expected


@given(document_text)
def test_escaped_text_reads_back_as_the_original(text: str) -> None:
    assert shown_text(escape_literal(text)) == text
