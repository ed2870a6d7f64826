"""Abbreviations the documents define: found with Schwartz-Hearst, used to match either form."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_corpus

from retrieval import Retriever
from retrieval.abbreviations import best_long_form, find_aliases


@pytest.mark.parametrize(
    ("short", "window", "expected"),
    [
        ("CapEx", "might reduce their AI capital expenditures", "capital expenditures"),
        ("LLM", "can develop an large language model", "large language model"),
        ("SOX", "The Philadelphia Semiconductor Index", "Semiconductor Index"),
        ("NVDA", "NVIDIA", "NVIDIA"),
        ("XYZ", "nothing like it", None),
    ],
)
def test_long_form_is_the_shortest_that_spells_the_short_form(short: str, window: str, expected: str | None) -> None:
    assert best_long_form(short, window) == expected


def test_definitions_in_both_orders_are_found() -> None:
    text = "Hyperscalers may cut AI CapEx (capital expenditures). RL (Reinforcement Learning) drives it."
    assert find_aliases([text]) == {"capex": ["capit", "expenditur"], "rl": ["reinforc", "learn"]}


def test_parentheses_that_define_nothing_are_ignored() -> None:
    assert (
        find_aliases(["GPUs (each costing $27,000 to $40,000 per unit) are scarce. AlphaGo (backed by Google)"]) == {}
    )


@pytest.mark.parametrize("question", ["What is Google's capex?", "What is Google's capital expenditure?"])
def test_either_form_in_a_question_finds_the_other_in_the_documents(tmp_path: Path, question: str) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {
            "a.txt": "Investors worry about AI capex (capital expenditures) at large tech firms.",
            "b.txt": "Google expects its capital expenditure this year to reach $75 billion.",
            "c.txt": "Meta's CapEx plans include a new data centre.",
            "d.txt": "Rain fell all day in the city.",
        },
    )
    answer = Retriever.open(corpus, index_path=tmp_path / "i").ask(question)
    assert answer.answered and "$75 billion" in answer.quotes[0].text
