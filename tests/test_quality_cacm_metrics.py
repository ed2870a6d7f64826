"""The CACM benchmark's metrics, on rankings small enough to score by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.quality.cacm import (
    average_precision,
    format_table,
    judged_topics,
    mean_metrics,
    ndcg_at,
    precision_at,
    success_at_1,
)


def test_average_precision_averages_precision_at_each_relevant_rank() -> None:
    """[rel, non, rel] with 2 relevant scores (1 + 2/3) / 2."""
    assert average_precision(["a", "x", "b"], {"a", "b"}) == pytest.approx((1 + 2 / 3) / 2)


def test_average_precision_counts_unretrieved_relevant_documents_as_zero() -> None:
    """A relevant document never returned still divides the sum."""
    assert average_precision(["a"], {"a", "b", "c", "d"}) == pytest.approx(0.25)


def test_average_precision_ignores_documents_past_rank_1000() -> None:
    """Only the first 1000 documents are scored."""
    ranking = [f"n{i}" for i in range(1000)] + ["a"]
    assert average_precision(ranking, {"a"}) == 0.0


def test_a_repeated_document_counts_once_at_its_best_rank() -> None:
    """A duplicate neither scores again nor pushes later documents down."""
    assert average_precision(["a", "a", "b"], {"a", "b"}) == pytest.approx(1.0)


def test_precision_at_10_divides_by_10_even_for_a_short_ranking() -> None:
    """Returning 2 relevant documents and stopping is P@10 = 0.2, not 1."""
    assert precision_at(["a", "b"], {"a", "b"}) == pytest.approx(0.2)


def test_ndcg_is_1_for_an_ideal_ranking() -> None:
    """All relevant documents first is perfect, whatever follows."""
    assert ndcg_at(["a", "b", "x"], {"a", "b"}) == pytest.approx(1.0)


def test_ndcg_discounts_a_relevant_document_by_log2_of_its_rank_plus_one() -> None:
    """One relevant document at rank 3 scores 1/log2(4) against an ideal of 1."""
    assert ndcg_at(["x", "y", "a"], {"a"}) == pytest.approx(1 / math.log2(4))


def test_ndcg_ideal_stops_at_10_when_there_are_more_relevant_documents() -> None:
    """With 20 relevant documents, 10 relevant in the top 10 is still perfect."""
    relevant = {f"r{i}" for i in range(20)}
    assert ndcg_at([f"r{i}" for i in range(10)], relevant) == pytest.approx(1.0)


def test_success_at_1_looks_only_at_the_first_document() -> None:
    """Relevant first is 1; relevant second is 0."""
    assert success_at_1(["a", "x"], {"a"}) == 1.0
    assert success_at_1(["x", "a"], {"a"}) == 0.0


def test_an_empty_ranking_scores_zero_everywhere() -> None:
    """An abstention earns nothing on any metric."""
    relevant = {"a"}
    assert (average_precision([], relevant), precision_at([], relevant), ndcg_at([], relevant)) == (0, 0, 0)
    assert success_at_1([], relevant) == 0.0


def test_only_topics_with_judgments_are_evaluated(tmp_path: Path) -> None:
    """A topic absent from the qrels (or judged only non-relevant) is left out; a missing ranking counts as zeros."""
    (tmp_path / "topics.jsonl").write_text(
        '{"qid": "1", "text": "alpha"}\n{"qid": "2", "text": "beta"}\n{"qid": "3", "text": "gamma"}\n',
        encoding="utf-8",
    )
    (tmp_path / "qrels.txt").write_text("1 Q0 D-1 1\n3 Q0 D-9 0\n2 Q0 D-2 1\n", encoding="utf-8")
    topics = judged_topics(tmp_path)
    assert [(t.qid, set(t.relevant)) for t in topics] == [("1", {"D-1"}), ("2", {"D-2"})]
    assert mean_metrics({"1": ["D-1"]}, topics)["MAP"] == 0.5


def test_the_table_has_a_row_per_system_with_its_notes() -> None:
    """Markdown, four-place metrics, counts in words."""
    row = {"MAP": 0.3, "P@10": 0.25, "nDCG@10": 0.5, "success@1": 1.0, "abstained": 2, "topics": 52}
    table = format_table({"citebot ask": row}).splitlines()
    assert table[0] == "| system | MAP | P@10 | nDCG@10 | success@1 | notes |"
    assert table[2] == "| citebot ask | 0.3000 | 0.2500 | 0.5000 | 1.0000 | abstained on 2/52 topics |"
