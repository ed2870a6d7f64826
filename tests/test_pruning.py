"""Pruned top-k (MaxScore): the same passages and bit-identical scores as scoring every posting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from retrieval.bm25 import Bm25Engine

Top = list[tuple[int, float]]
PARAMETERS = {"k1": 1.5, "b": 0.75, "epsilon": 0.25}

# Repeats in the pool make some words common (in most passages: negative idf, floored) and others rare.
WORD_POOL = [*["the"] * 8, *["of"] * 5, *["bm25"] * 3, "okapi", "rare", "word", "日本", "naïve"]
QUESTION_POOL = [*WORD_POOL, "absent", "never"]

corpora = st.lists(st.lists(st.sampled_from(WORD_POOL), max_size=30), min_size=1, max_size=80)
questions = st.lists(st.sampled_from(QUESTION_POOL), max_size=8)


def zipfian_corpus(passages: int, vocabulary: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocabulary + 1)
    weights /= weights.sum()
    return [
        [f"w{term}" for term in rng.choice(vocabulary, size=int(rng.integers(5, 150)), p=weights)]
        for _ in range(passages)
    ]


def questions_from(corpus: list[list[str]], seed: int, count: int) -> list[list[str]]:
    """Words drawn from one passage, so common words are as frequent as in text; one unknown word too."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(count):
        passage = corpus[int(rng.integers(len(corpus)))]
        found.append([passage[int(i)] for i in rng.integers(len(passage), size=int(rng.integers(1, 9)))])
    return [*found, ["w1", "w2", "unknown-word"]]


def has_negative_idf(engine: Bm25Engine, question: list[str]) -> bool:
    return any(engine.idf(token) < 0 for token in question)


class TestSameAnswersAsExhaustiveScoring:
    @settings(max_examples=300, deadline=None)
    @given(corpora, questions, st.integers(min_value=1, max_value=100))
    @example([["rare", "the"], ["the"], ["the", "of"], ["of", "the"]], ["rare", "the", "the"], 1)
    @example([["the", "the"]] * 10 + [["okapi"]], ["the"], 3)  # ten-way tie: the lowest ids win
    def test_any_corpus_question_and_k(self, corpus: list[list[str]], question: list[str], k: int) -> None:
        """Repeated and absent words, floored idf, ties and k beyond the matches: pruned (in numpy or compiled)
        equals exhaustive, or declines (None) exactly when a question word has a negative idf."""
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        expected = engine.top_k_exhaustive(question, k)
        assert engine.top_k(question, k) == expected
        for pruned in (engine.top_k_pruned(question, k, always=True), engine.top_k_block_max(question, k)):
            if pruned is None:
                assert has_negative_idf(engine, question)
            else:
                assert pruned == expected

    def test_zipfian_corpus_at_several_k(self) -> None:
        """Long posting lists, so candidates are looked up both by binary search and in one pass."""
        corpus = zipfian_corpus(4000, 6000, seed=21)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in questions_from(corpus, seed=22, count=150):
            for k in (1, 10, 100):
                expected = engine.top_k_exhaustive(question, k)
                assert engine.top_k_pruned(question, k, always=True) == expected, (question, k)
                assert engine.top_k(question, k) == expected, (question, k)

    def test_scores_are_bit_identical_not_merely_close(self) -> None:
        corpus = zipfian_corpus(2000, 3000, seed=23)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in questions_from(corpus, seed=24, count=60):
            pruned = engine.top_k_pruned(question, 10, always=True) or []
            scores = engine.scores(question)
            assert all(score.hex() == float(scores[passage]).hex() for passage, score in pruned)

    def test_ties_across_the_whole_corpus_go_to_the_lower_passage_id(self) -> None:
        corpus = [
            [*(["common"] if i % 5 < 2 else []), *(["rare"] if i % 20 == 0 else []), f"filler{i}"] for i in range(9_000)
        ]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        top = engine.top_k_pruned(["rare", "common"], 5, always=True)
        assert top == engine.top_k_exhaustive(["rare", "common"], 5) == engine.top_k_block_max(["rare", "common"], 5)
        assert [passage for passage, _ in top or []] == [0, 20, 40, 60, 80]

    def test_threads_sharing_an_engine_get_the_same_answers(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        corpus = zipfian_corpus(3000, 3000, seed=25)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        asked = questions_from(corpus, seed=26, count=120)
        expected = [engine.top_k_exhaustive(question, 10) for question in asked]
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = list(pool.map(lambda question: engine.top_k_pruned(question, 10, always=True), asked))
            compiled = list(pool.map(lambda question: engine.top_k_block_max(question, 10), asked))
        assert found == expected == compiled


class TestAdversarialQuestions:
    """The shapes of question where a pruning shortcut would go wrong first; each equals exhaustive scoring."""

    corpus = zipfian_corpus(6000, 4000, seed=31)

    def answers(self, question: list[str], k: int) -> tuple[Top, Top | None, Top]:
        """(top_k, top_k_pruned always, top_k_exhaustive)."""
        engine = self.engine()
        return (
            engine.top_k(question, k),
            engine.top_k_pruned(question, k, always=True),
            engine.top_k_exhaustive(question, k),
        )

    def engine(self) -> Bm25Engine:
        engine: Bm25Engine | None = getattr(type(self), "_engine", None)
        if engine is None:
            engine = Bm25Engine.build(self.corpus, **PARAMETERS)
            type(self)._engine = engine
        return engine

    @pytest.mark.parametrize("word", ["w0", "w3", "w40", "w900", "w3999"])
    def test_one_word_questions_common_to_rare(self, word: str) -> None:
        top, pruned, expected = self.answers([word], 10)
        assert top == pruned == expected

    def test_common_words_only(self) -> None:
        for question in (["w0", "w1", "w2"], ["w1", "w1", "w0", "w4", "w2", "w3"], ["w5", "w6"]):
            top, pruned, expected = self.answers(question, 10)
            assert top == pruned == expected != [], question

    def test_a_rare_word_beside_a_very_common_one_asked_twice_is_pruned(self) -> None:
        """The common word's bound counts twice and its list is most of the index; the rare word's passages
        settle a floor above that bound, so the long list is only looked up."""
        corpus = [["common"] * (1 + i % 4) + [f"filler{i % 700}"] * (i % 3) for i in range(150_000)]
        for passage in (17, 40_000, 99_999, 149_000):
            corpus[passage] = [*corpus[passage], "rare"]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        question = ["common", "rare", "common"]
        pruned = engine.top_k_pruned(question, 3)
        assert pruned is not None
        assert pruned == engine.top_k_exhaustive(question, 3)
        assert {passage for passage, _ in pruned} < {17, 40_000, 99_999, 149_000}

    def test_k_larger_than_the_passages_that_match(self) -> None:
        engine = self.engine()
        rare = [w for w in (f"w{i}" for i in range(3999, 0, -1)) if 0 < engine.document_frequency(w) <= 3][:2]
        matching = {passage for passage, words in enumerate(self.corpus) if set(rare) & set(words)}
        top, pruned, expected = self.answers([*rare, "w0"], len(matching) + 50)
        assert top == pruned == expected
        top, pruned, expected = self.answers(rare, len(matching) + 50)
        assert top == pruned == expected
        assert {passage for passage, _ in expected} == matching

    def test_words_absent_from_the_index(self) -> None:
        assert self.answers(["never-seen", "also-absent"], 10) == ([], [], [])
        top, pruned, expected = self.answers(["never-seen", "w7", "absent", "w300"], 10)
        assert top == pruned == expected != []

    def test_ties_at_the_kth_place_across_many_equal_passages(self) -> None:
        """Hundreds of identical passages tie for the last places: the lowest ids win, pruned (in numpy or
        compiled, over many blocks) or not."""
        corpus = [["alpha", "beta", "gamma"] if i % 3 else ["alpha", "filler"] for i in range(3000)]
        corpus[1500] = ["alpha", "beta", "gamma", "delta"]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in (["delta", "beta", "gamma"], ["beta"], ["gamma", "beta", "beta"]):
            for k in (1, 10, 999):
                expected = engine.top_k_exhaustive(question, k)
                assert engine.top_k(question, k) == expected
                for pruned in (engine.top_k_pruned(question, k, always=True), engine.top_k_block_max(question, k)):
                    assert (pruned is None and has_negative_idf(engine, question)) or pruned == expected


class TestWhenItPrunes:
    def test_a_rare_word_beside_common_ones_is_answered_by_pruning(self) -> None:
        """The case pruning is for: the common words' long lists are only looked up for the rare word's passages."""
        corpus = zipfian_corpus(40_000, 2000, seed=27)
        for passage in range(0, 40_000, 1000):
            corpus[passage] = [*corpus[passage], "unusual"]
        corpus[4567] = [*corpus[4567], "unusual", "unusual"]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        question = ["w0", "w1", "unusual", "w2", "w3"]
        assert sum(engine.document_frequency(word) for word in question) > engine.passage_count
        pruned = engine.top_k_pruned(question, 10)
        assert pruned is not None
        assert pruned == engine.top_k_exhaustive(question, 10)
        assert all("unusual" in corpus[passage] for passage, _ in pruned)

    def test_a_question_with_few_postings_is_scored_in_full(self) -> None:
        """Nothing worth skipping: every posting is scored, the best chosen among the passages touched."""
        corpus = zipfian_corpus(3000, 3000, seed=28)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        rare = ["w2999", "w2998", "w2999"]
        assert sum(engine.document_frequency(word) for word in rare) * 32 <= engine.passage_count
        assert engine.top_k_pruned(rare, 10) == engine.top_k_exhaustive(rare, 10) != []

    def test_a_question_of_common_words_in_a_small_corpus_is_left_to_exhaustive_scoring(self) -> None:
        corpus = zipfian_corpus(3000, 3000, seed=28)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.top_k_pruned(["w0", "w1", "w5"], 10) is None
        assert engine.top_k(["w0", "w1", "w5"], 10) == engine.top_k_exhaustive(["w0", "w1", "w5"], 10)

    def test_a_negative_idf_is_left_to_exhaustive_scoring(self) -> None:
        """With most words in most passages the mean idf, and so the epsilon floor, is negative: no lower bounds."""
        corpus = [["a", "b"], ["a", "b"], ["a", "b", "c"], ["a"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.idf("a") < 0
        assert engine.top_k_pruned(["a", "c"], 2, always=True) is None
        assert engine.top_k(["a", "c"], 2) == engine.top_k_exhaustive(["a", "c"], 2)

    def test_nothing_to_find_is_an_empty_answer(self) -> None:
        engine = Bm25Engine.build(zipfian_corpus(200, 300, seed=29), **PARAMETERS)
        assert engine.top_k_pruned([], 5, always=True) == []
        assert engine.top_k_pruned(["unknown"], 5, always=True) == []
        assert engine.top_k_pruned(["w1"], 0, always=True) == []
