"""The sentence splitter: spans into the original text, and the corpus's hard cases."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrieval.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_money_and_abbreviations_do_not_end_sentences() -> None:
    text = "DeepSeek claims it spent $5.6 million. U.S. tech giants, e.g. Meta, noticed. Mr. Wang said so."
    assert sentences(text) == [
        "DeepSeek claims it spent $5.6 million.",
        "U.S. tech giants, e.g. Meta, noticed.",
        "Mr. Wang said so.",
    ]


def test_numbered_thread_post_stays_with_its_sentence() -> None:
    text = "3/ How? They rethought everything from the ground up. Then they shipped."
    assert sentences(text) == ["3/ How? They rethought everything from the ground up.", "Then they shipped."]


def test_bullets_are_sentences_of_their_own() -> None:
    text = "The results:\n  • Training cost: $100M → $5M\n  • GPUs needed: 100,000 → 2,000\n"
    assert sentences(text) == ["The results:", "• Training cost: $100M → $5M", "• GPUs needed: 100,000 → 2,000"]


def test_curly_quotes_close_with_their_sentence() -> None:
    text = "“It should have happened,” she said. “He came from China.” Then the market fell."
    assert sentences(text) == ["“It should have happened,” she said.", "“He came from China.”", "Then the market fell."]


def test_short_quotation_is_not_split_inside() -> None:
    text = "DeepSeek was like “what if we just used 8? It’s still accurate enough!” Boom – 75% less memory."
    assert sentences(text)[0] == "DeepSeek was like “what if we just used 8? It’s still accurate enough!”"


def test_initials_do_not_end_sentences() -> None:
    assert sentences("Morten W. Langer wrote it. It ran.") == ["Morten W. Langer wrote it.", "It ran."]


def test_hard_wrapped_lines_are_joined_into_sentences() -> None:
    text = "DeepSeek claims to have spent only\n$5.6 million to develop its model, and\nthe market noticed. It fell.\n"
    assert sentences(text) == [
        "DeepSeek claims to have spent only\n$5.6 million to develop its model, and\nthe market noticed.",
        "It fell.",
    ]


def test_spans_can_cover_part_of_a_text() -> None:
    text = "ignored. First one. Second one here."
    spans = split_sentences(text, 9, len(text))
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one here."]


@given(st.text(alphabet=st.sampled_from(list("ab .?!\n“”’$5,U•3/ \t")), max_size=200))
def test_spans_are_ordered_trimmed_slices(text: str) -> None:
    """For any text: spans are in order, non-overlapping, non-empty, and hold no surrounding whitespace."""
    previous_end = 0
    for start, end in split_sentences(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert "\n\n" not in text[start:end]
        previous_end = end


def test_a_title_case_heading_is_not_joined_to_the_next_line() -> None:
    text = "1) Existing AI Players May Spend More to Compete\n$Meta plans to invest $65 billion this year.\n"
    assert sentences(text) == [
        "1) Existing AI Players May Spend More to Compete",
        "$Meta plans to invest $65 billion this year.",
    ]


def test_a_wrapped_line_ending_in_a_quotation_continues_when_the_next_starts_lowercase() -> None:
    text = 'When the message begins with "squash ..." or "fixup ..."\nor "amend ...", the list is changed.\n'
    assert [text[s:e] for s, e in split_sentences(text)] == [text.strip()]


def test_a_line_ending_in_a_colon_introduces_the_next_and_is_not_joined() -> None:
    text = "Examples:\ngit commit -a\n"
    assert [text[s:e] for s, e in split_sentences(text)] == ["Examples:", "git commit -a"]


def test_a_huge_line_without_punctuation_is_cut_into_bounded_pieces() -> None:
    """A 1 MB line is no single "sentence": each piece is at most MAX_SENTENCE_CHARS, cut at spaces."""
    from retrieval.sentences import MAX_SENTENCE_CHARS

    text = "word " * 200_000
    spans = split_sentences(text)
    assert all(end - start <= MAX_SENTENCE_CHARS for start, end in spans)
    assert "".join(text[s:e] + " " for s, e in spans) == text
