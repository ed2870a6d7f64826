"""Scoring a question set: what it counts, and what it refuses to claim."""

from __future__ import annotations

from pathlib import Path

from support import write_corpus

from retrieval import Retriever
from retrieval.evaluation import EvalCase, evaluate

TEXT = "Nvidia shares plunged 17% on Monday.\n\nMeta will spend $65 billion on AI this year.\n"


def test_refusals_and_wrong_answers_are_counted_per_kind_of_question(tmp_path: Path) -> None:
    retriever = Retriever.open(write_corpus(tmp_path / "c", {"a.txt": TEXT}), index_path=tmp_path / "i")
    cases = [
        EvalCase(q="How far did Nvidia shares plunge?", gold=["17%"], kind="literal"),
        EvalCase(q="Who painted the Mona Lisa?", kind="unanswerable"),
    ]
    report = evaluate(retriever, cases)
    assert report.hit_at_1 == 1.0 and report.refused_answerable == 0.0
    assert report.answered_unanswerable == 0.0 and report.abstained == 1
    assert [r.kind for r in report.results] == ["literal", "unanswerable"]


def test_abstention_precision_is_not_claimed_when_nothing_was_abstained(tmp_path: Path) -> None:
    retriever = Retriever.open(write_corpus(tmp_path / "c", {"a.txt": TEXT}), index_path=tmp_path / "i")
    report = evaluate(retriever, [EvalCase(q="How much will Meta spend on AI?", gold=["$65 billion"])])
    assert report.abstained == 0 and report.abstention_precision is None
