"""The Block Kit renderer: what an Answer looks like in Slack, its escaping and Slack's limits."""

from __future__ import annotations

import json
import re

from fake_slack import block_kit_problems, block_texts
from hypothesis import given
from hypothesis import strategies as st

from bot.rendering import help_card
from bot.slack_adapter.render import (
    FALLBACK_TEXT_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    delivery_failure_notice,
    escape,
    render_answer,
    render_help,
    with_answer_buttons,
    with_vote_buttons,
)
from retrieval.answers import Answer, Highlight, Quote

ENTITY_OR_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def make_quote(text: str, highlights: list[tuple[int, int]] = (), **fields: object) -> Quote:  # type: ignore[assignment]
    values: dict[str, object] = {
        "text": text,
        "source": "004_250e2ef35fa11695.txt",
        "title": "The ultimate victim of DeepSeek is not NVIDIA",
        "start": 100,
        "end": 100 + len(text),
        "line": 31,
        "score": 3.4,
        "highlights": [Highlight(start=s, end=e) for s, e in highlights],
    }
    values.update(fields)
    return Quote.model_validate(values)


def answered(*quotes: Quote, question: str = "what did Nadella say?") -> Answer:
    return Answer(question=question, answered=True, quotes=list(quotes))


def all_texts(message: dict[str, object]) -> list[str]:
    texts = [str(message["text"])]
    for block in message["blocks"]:  # type: ignore[attr-defined]
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []))
    return texts


def without_quote_markers(mrkdwn: str) -> str:
    """The text with our own block-quote markers (`>` opening a line) removed."""
    return re.sub(r"(?m)^> ?", "", mrkdwn)


JEVONS = (
    'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media, pointing out that improving the '
    "efficiency of resource use may instead increase its total consumption."
)


def test_quote_is_a_block_quote_with_matched_terms_in_bold() -> None:
    """Each quote is its own section, `>`-quoted, with highlights as *bold*."""
    message = render_answer(answered(make_quote(JEVONS, [(14, 21)])))

    quote_section = message["blocks"][1]
    assert quote_section["text"]["text"] == "> Microsoft CEO *Nadella*" + JEVONS[21:]
    assert quote_section["text"]["type"] == "mrkdwn"


def test_source_is_cited_in_a_context_block_under_its_quote() -> None:
    """Title, file and line of the passage, numbered like the quotes."""
    message = render_answer(answered(make_quote(JEVONS), make_quote("Second passage.", line=7)))

    contexts = [block for block in message["blocks"] if block["type"] == "context"]
    assert contexts[0]["elements"][0]["text"] == (
        "[1] The ultimate victim of DeepSeek is not NVIDIA — 004_250e2ef35fa11695.txt, line 31"
    )
    assert contexts[1]["elements"][0]["text"].endswith(", line 7")
    assert [block["type"] for block in message["blocks"]] == [
        "section",
        "section",
        "context",
        "section",
        "context",
    ]


def test_question_is_echoed_first_and_fallback_text_carries_the_quotes() -> None:
    """Notifications and block-less clients still get the question, the quote and its source."""
    message = render_answer(answered(make_quote(JEVONS)))

    assert message["blocks"][0]["text"]["text"] == "*From the documents:* what did Nadella say?"
    assert JEVONS in message["text"]
    assert "004_250e2ef35fa11695.txt, line 31" in message["text"]


def test_source_links_only_to_web_addresses() -> None:
    """An http(s) URL becomes a link on the label; anything else stays plain text."""
    linked = render_answer(answered(make_quote(JEVONS, url="https://example.com/a?b=1&c=2")))
    plain = render_answer(answered(make_quote(JEVONS, url="javascript:alert(1)")))
    sneaky = render_answer(answered(make_quote(JEVONS, url="https://example.com/|<!here>")))

    assert linked["blocks"][2]["elements"][0]["text"].startswith("[1] <https://example.com/a?b=1&amp;c=2|The ultimate")
    assert "<" not in plain["blocks"][2]["elements"][0]["text"]
    assert "<" not in sneaky["blocks"][2]["elements"][0]["text"]


def test_markup_characters_from_documents_and_questions_are_escaped() -> None:
    """`<!here>`, `<@U…>`, links and `&` in a quote, title or question cannot become markup."""
    quote = make_quote("Ping <!here> & <@U0BOSS> via <https://x.test|link> > done", title="A <!channel> title")
    message = render_answer(answered(quote, question="<!everyone> & R&D?"))

    for text in all_texts(dict(message)):
        assert "<!" not in text and "<@" not in text and "<http" not in text
        assert not ENTITY_OR_AMPERSAND.search(text)
    assert "Ping &lt;!here&gt; &amp; &lt;@U0BOSS&gt; via &lt;https://x.test|link&gt; &gt; done" in message["text"]


def test_every_text_object_is_verbatim() -> None:
    """verbatim stops Slack from turning names and channels in the text into links or mentions."""
    message = render_answer(answered(make_quote(JEVONS)))
    for block in message["blocks"]:
        for text_object in [block.get("text"), *block.get("elements", [])]:
            if text_object is not None:
                assert text_object["verbatim"] is True


def test_highlight_with_surrounding_spaces_is_bolded_inside_them() -> None:
    """Slack ignores `* word*`, so spaces stay outside the stars."""
    message = render_answer(answered(make_quote("a Nadella b", [(1, 9)])))
    assert message["blocks"][1]["text"]["text"] == "> a *Nadella* b"


def test_touching_highlights_are_one_bold_run() -> None:
    """`*Jev**ons*` would not render bold in Slack."""
    message = render_answer(answered(make_quote("the Jevons paradox", [(4, 7), (7, 10)])))
    assert message["blocks"][1]["text"]["text"] == "> the *Jevons* paradox"


def test_multiline_quote_quotes_every_line() -> None:
    """Slack's `>` covers one line, so every line of the passage gets one."""
    message = render_answer(answered(make_quote("first line\n\nthird line")))
    assert message["blocks"][1]["text"]["text"] == "> first line\n>\n> third line"


def test_long_quote_is_cut_to_the_section_limit_without_breaking_entities_or_bold() -> None:
    """A 10,000-character passage of `&`s still fits 3,000 characters, ends with an ellipsis, and its
    entities and bold pairs stay whole."""
    text = " ".join(["R&D <tag>"] * 1000)
    highlights = [(i * 10, i * 10 + 3) for i in range(1000)]
    message = render_answer(answered(make_quote(text, highlights)))

    section = message["blocks"][1]["text"]["text"]
    assert len(section) <= SECTION_TEXT_LIMIT
    assert section.endswith("…")
    assert not ENTITY_OR_AMPERSAND.search(section)
    assert section.count("*") % 2 == 0
    assert len(section) > SECTION_TEXT_LIMIT - 100  # cut near the limit, not far before it


def test_many_quotes_stay_within_fifty_blocks_and_say_how_many_are_hidden() -> None:
    """More quotes than fit in 50 blocks, with every extra a reply can carry (who shared it, what it follows up
    on, "More quotes", "Share in channel", 👍/👎): the rest are counted, not dropped silently."""
    quotes = [make_quote(f"Passage number {n}.") for n in range(40)]
    message = render_answer(answered(*quotes), following_up_on="what did Nadella say?", heading="Shared by <@U1>")

    assert len(message["blocks"]) <= MESSAGE_BLOCK_LIMIT - 2
    assert message["blocks"][-1]["elements"][0]["text"] == "18 more passages not shown."

    buttoned = with_vote_buttons(with_answer_buttons(message, "b" * 32, more=True, share=True), "a" * 32)
    assert len(buttoned["blocks"]) == len(message["blocks"]) + 2 <= MESSAGE_BLOCK_LIMIT
    assert buttoned["blocks"][-3]["elements"][0]["text"] == "18 more passages not shown."
    assert [block["type"] for block in buttoned["blocks"][-2:]] == ["actions", "actions"]
    assert block_kit_problems(buttoned) == []


def test_huge_answer_keeps_fallback_text_within_slack_limit() -> None:
    """Twenty long quotes full of `&` (5 characters each once escaped) still give ≤ 40,000 characters."""
    quotes = [make_quote("&" * 2000) for _ in range(24)]
    message = render_answer(answered(*quotes))

    assert len(message["text"]) <= FALLBACK_TEXT_LIMIT
    assert not ENTITY_OR_AMPERSAND.search(message["text"])
    assert len(json.dumps(message)) < 200_000


def test_abstention_is_a_short_reply_with_the_note() -> None:
    """Not answered: the note, escaped, and the question it refers to; no quotes."""
    answer = Answer(question="who won the <cup>?", answered=False, note="I couldn't find this in the documents.")
    message = render_answer(answer)

    assert message["text"] == "I couldn't find this in the documents."
    assert [block["type"] for block in message["blocks"]] == ["section", "context"]
    assert message["blocks"][1]["elements"][0]["text"] == "Asked: who won the &lt;cup&gt;?"


def test_abstention_without_a_note_still_says_not_in_the_documents() -> None:
    message = render_answer(Answer(question="q", answered=False))
    assert "documents" in message["text"]


def test_help_card_lists_the_ways_examples_and_who_sees_escaped() -> None:
    card = help_card(["/cite your question"], ["A <b> & c", "D", "E", "F"], None, ["Who said <!here>?"], "Only you.")
    message = render_help(card)
    shown = "\n".join(block_texts(message["blocks"]))
    assert "• /cite your question" in shown
    assert "4 documents: “A &lt;b&gt; &amp; c”, “D”, “E” and 1 more." in shown
    assert "• Who said &lt;!here&gt;?" in shown and "<!here>" not in shown
    assert shown.endswith("Only you.")


def test_delivery_failure_names_the_error_code_and_what_to_do() -> None:
    notice = delivery_failure_notice("not_in_channel")["text"]
    assert "`not_in_channel`" in notice and "/invite" in notice


def test_escape_escapes_the_three_control_characters_once() -> None:
    assert escape("a & b < c > d &amp;") == "a &amp; b &lt; c &gt; d &amp;amp;"


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    text = draw(st.text(alphabet=st.sampled_from("ab <>&*_@!\n|"), min_size=1, max_size=4000))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=10)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    return make_quote(text, pairs, title=draw(st.text(max_size=600)))


@given(st.lists(quotes(), min_size=1, max_size=25), st.text(max_size=2000))
def test_any_answer_fits_slack_and_contains_no_markup_from_content(quote_list: list[Quote], question: str) -> None:
    """For any quotes and question: within every limit, and no `<` or `>` except our quote markers."""
    message = render_answer(answered(*quote_list, question=question or "?"))

    assert len(message["blocks"]) <= MESSAGE_BLOCK_LIMIT
    assert len(message["text"]) <= FALLBACK_TEXT_LIMIT
    for text in all_texts(dict(message)):
        assert len(text) <= SECTION_TEXT_LIMIT or text == message["text"]
        assert "<" not in text
        assert ">" not in without_quote_markers(text)
        assert not ENTITY_OR_AMPERSAND.search(text)
