"""The quality benchmark's question sets: well-formed, split without overlap, gold copied verbatim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quality.run import OUTSIDE_CHECKS, PARTS, ROUNDS, SETS, cases_of, question_file
from bot.config import BUNDLED_CORPUS


def read(name: str, half: str) -> list[dict[str, object]]:
    path = question_file(name, half)
    if half not in ROUNDS[0] and not path.is_file():
        return []  # a later round's set, not written yet for this corpus
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scored(name: str, half: str) -> list[dict[str, object]]:
    """The questions the harness scores (a later part without those an earlier part already asks)."""
    if half not in ROUNDS[0] and not question_file(name, half).is_file():
        return []
    return [case.model_dump() for case in cases_of(name, half)]


@pytest.mark.parametrize("name", SETS)
def test_each_set_has_parts_whose_scored_questions_are_all_different(name: str) -> None:
    parts = [scored(name, half) for half in PARTS]
    questions = [case["q"] for part in parts for case in part]
    assert len(questions) == len(set(questions))
    for half in (part for part in parts if part):
        kinds = [case["kind"] for case in half]
        assert {"literal", "paraphrase", "unanswerable"} <= set(kinds)
        assert all((case["kind"] == "unanswerable") == (not case["gold"]) for case in half)


def test_news_gold_spans_are_verbatim_lines_of_the_bundled_corpus() -> None:
    texts = [path.read_text(encoding="utf-8") for path in Path(BUNDLED_CORPUS).glob("*.txt")]
    lines = {line for text in texts for line in text.splitlines()}
    for half in PARTS:
        for case in read("news", half):
            for gold in case["gold"]:  # type: ignore[attr-defined]
                assert any(gold in line for line in lines), gold


@pytest.mark.parametrize("name", OUTSIDE_CHECKS)
def test_each_outside_check_has_one_blind_set_with_every_kind(name: str) -> None:
    cases = read(name, "check")
    assert {case["kind"] for case in cases} == {"literal", "paraphrase", "unanswerable"}
    assert all((case["kind"] == "unanswerable") == (not case["gold"]) for case in cases)
