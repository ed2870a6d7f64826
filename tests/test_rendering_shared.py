"""One wording and one way of cutting quotes, whatever the platform."""

from __future__ import annotations

from bot.discord_adapter.render import render_answer as render_discord
from bot.rendering import NOT_FOUND_NOTE, back_to_word_boundary, longest_fitting, merged_runs
from bot.slack_adapter.render import render_answer as render_slack
from bot.text_render import render_plain
from retrieval.answers import Answer, Highlight, Quote


def test_every_front_end_says_not_found_in_the_same_words() -> None:
    answer = Answer(question="What is the refund policy?", answered=False)
    assert NOT_FOUND_NOTE in render_slack(answer)["text"]
    assert render_discord(answer).content.replace("\\", "") == NOT_FOUND_NOTE
    assert render_plain(answer) == NOT_FOUND_NOTE


def test_touching_runs_of_one_kind_are_joined_and_cut_at_a_length() -> None:
    quote = Quote(
        text="Nvidia shares plunged",
        source="a.txt",
        title="a",
        start=0,
        end=21,
        line=1,
        score=1.0,
        highlights=[Highlight(start=0, end=6), Highlight(start=6, end=13)],
    )
    assert merged_runs(quote) == [("Nvidia shares", True), (" plunged", False)]
    assert merged_runs(quote, 9) == [("Nvidia sh", True)]


def test_the_longest_fitting_prefix_ends_between_words() -> None:
    text = "one two three four five"
    chars = longest_fitting(len(text), lambda n: n <= 11)
    assert chars == 11 and text[: back_to_word_boundary(text, chars)] == "one two"
