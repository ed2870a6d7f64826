"""Quality floors, run through `citebot eval` over the bundled corpus.

`questions.jsonl` is our own set (people, numbers, dates, paraphrases, unanswerable questions).
`paraphrase_questions.jsonl` was written by someone who saw only the documents and was asked to avoid their
wording: a lexical retriever cannot answer all of it, so its floor guards against regressions rather than
claiming success.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

QUESTIONS = Path(__file__).resolve().parent / "data" / "questions.jsonl"


def test_question_set_is_big_and_varied_enough() -> None:
    cases = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 40
    assert sum(not case["gold"] for case in cases) >= 5


def test_eval_holds_the_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--json", str(QUESTIONS)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hit_at_1"] >= 0.85
    assert report["hit_at_3"] >= 0.97
    assert report["mrr_at_10"] >= 0.9
    assert report["abstention_recall"] == 1.0
    assert report["abstention_precision"] == 1.0


def test_paraphrase_set_holds_its_regression_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--json", str(QUESTIONS.with_name("paraphrase_questions.jsonl"))]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hit_at_1"] >= 0.68
    assert report["hit_at_3"] >= 0.8
    assert report["abstention_precision"] >= 0.7
