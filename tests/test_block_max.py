"""Compiled block-max top-k (retrieval/block_max.py): the same passages and bit-identical scores as scoring
every posting, on the questions where a pruning shortcut would go wrong first (tests/test_pruning.py asks it
too, on any small corpus and at ties)."""

from __future__ import annotations

import numpy as np
import pytest
from test_pruning import PARAMETERS, questions_from, zipfian_corpus

from retrieval.block_max import BLOCK_POSTINGS, Plan
from retrieval.bm25 import Bm25Engine

Top = list[tuple[int, float]]


PLANS: tuple[Plan, ...] = ("auto", "maxscore", "accumulate")


def compiled(engine: Bm25Engine, question: list[str], k: int, plan: Plan = "auto") -> Top:
    """The compiled answer, which must exist: these questions have no negative idf."""
    found = engine.top_k_block_max(question, k, plan=plan)
    assert found is not None, question
    return found


def same_as_exhaustive(engine: Bm25Engine, question: list[str], k: int) -> Top:
    """Every plan (chosen per question, MaxScore forced, every posting added) gives the exhaustive answer."""
    expected = engine.top_k_exhaustive(question, k)
    for plan in PLANS:
        assert compiled(engine, question, k, plan) == expected, (question, k, plan)
    return expected


class TestSameAnswersAsExhaustiveScoring:
    @pytest.mark.parametrize("seed", [41, 42, 43, 44, 45, 46])
    def test_zipfian_corpora_of_many_seeds_at_several_k(self, seed: int) -> None:
        """Lists many blocks long, common words with floored idf, questions sampled from passages; each plan."""
        corpus = zipfian_corpus(3000 + 500 * (seed % 4), 4000, seed=seed)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in questions_from(corpus, seed=seed + 100, count=80):
            for k in (1, 3, 10, 100):
                same_as_exhaustive(engine, question, k)

    @pytest.mark.parametrize("seed", [61, 62, 63])
    def test_keyword_questions_without_common_words(self, seed: int) -> None:
        """Flat weights, no common word to skip (the mix where adding every posting is chosen most)."""
        corpus = zipfian_corpus(4000, 4000, seed=seed)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        common = {f"w{i}" for i in range(50)}
        for question in questions_from(corpus, seed=seed + 100, count=80):
            keywords = [word for word in question if word not in common] or question
            for k in (1, 10, 50):
                same_as_exhaustive(engine, keywords, k)

    def test_scores_are_bit_identical_not_merely_close(self) -> None:
        corpus = zipfian_corpus(2000, 3000, seed=47)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in questions_from(corpus, seed=48, count=60):
            scores = engine.scores(question)
            for plan in PLANS:
                found = compiled(engine, question, 10, plan)
                assert found
                assert all(score.hex() == float(scores[passage]).hex() for passage, score in found)

    def test_each_question_leaves_nothing_behind_for_the_next(self) -> None:
        """The thread's score vector is reused: asking in another order gives the same answers."""
        corpus = zipfian_corpus(2500, 3000, seed=49)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        asked = questions_from(corpus, seed=50, count=60)
        plans = [PLANS[i % len(PLANS)] for i in range(len(asked))]  # the plans take turns on one score vector
        forwards = [compiled(engine, question, 10, plan) for question, plan in zip(asked, plans, strict=True)]
        backwards = [compiled(engine, q, 10, plan) for q, plan in zip(asked[::-1], plans, strict=True)]
        assert forwards == backwards[::-1]
        assert forwards == [engine.top_k_exhaustive(question, 10) for question in asked]


ADVERSARIAL_CORPUS = zipfian_corpus(6000, 4000, seed=53)


@pytest.fixture(scope="module")
def engine() -> Bm25Engine:
    return Bm25Engine.build(ADVERSARIAL_CORPUS, **PARAMETERS)


class TestAdversarialQuestions:
    """The shapes of question where a pruning shortcut would go wrong first; each equals exhaustive scoring."""

    @pytest.mark.parametrize("word", ["w0", "w3", "w40", "w900", "w3999"])
    def test_one_word_questions_common_to_rare(self, engine: Bm25Engine, word: str) -> None:
        for k in (1, 10, 200):
            same_as_exhaustive(engine, [word], k)

    def test_common_words_only(self, engine: Bm25Engine) -> None:
        """Words in most passages have their idf floored to the same value: many near-ties, long lists."""
        for question in (["w0", "w1", "w2"], ["w1", "w1", "w0", "w4", "w2", "w3"], ["w5", "w6"], ["w0"] * 4):
            assert same_as_exhaustive(engine, question, 10) != []

    def test_repeated_words_count_again(self, engine: Bm25Engine) -> None:
        for question in (["w900", "w900"], ["w3", "w900", "w3", "w3"], ["w2000", "w1", "w2000", "w1", "w2000"]):
            for k in (1, 10):
                assert same_as_exhaustive(engine, question, k) != []

    def test_k_larger_than_the_passages_that_match(self, engine: Bm25Engine) -> None:
        rare = [w for w in (f"w{i}" for i in range(3999, 0, -1)) if 0 < engine.document_frequency(w) <= 3][:2]
        matching = {passage for passage, words in enumerate(ADVERSARIAL_CORPUS) if set(rare) & set(words)}
        assert {passage for passage, _ in same_as_exhaustive(engine, rare, len(matching) + 50)} == matching
        assert len(same_as_exhaustive(engine, [*rare, "w0"], len(matching) + 50)) == len(matching) + 50
        same_as_exhaustive(engine, ["w2"], len(ADVERSARIAL_CORPUS) * 2)

    def test_words_absent_from_the_index(self, engine: Bm25Engine) -> None:
        assert same_as_exhaustive(engine, ["never-seen", "also-absent"], 10) == []
        assert same_as_exhaustive(engine, [], 10) == []
        assert same_as_exhaustive(engine, ["never-seen", "w7", "absent", "w300"], 10) != []

    def test_long_questions_of_many_distinct_words(self, engine: Bm25Engine) -> None:
        """Past ten distinct words only the sets of the heaviest ones are weighed; past 62, every list is walked."""
        words = [f"w{i}" for i in range(0, 3000, 37)]
        for length in (11, 15, 40, 63, 80):
            assert same_as_exhaustive(engine, words[:length], 10) != []
            assert same_as_exhaustive(engine, words[:length] + words[:3], 10) != []

    def test_no_answer_for_k_of_zero(self, engine: Bm25Engine) -> None:
        assert engine.top_k_block_max(["w7"], 0) == []

    def test_one_heavy_passage_in_a_block_of_light_ones(self) -> None:
        """A block's bound is its heaviest posting: the one passage that repeats the word is found wherever
        it sits in its block, first, middle or last."""
        for where in (0, BLOCK_POSTINGS // 2, BLOCK_POSTINGS - 1, 5 * BLOCK_POSTINGS + 7):
            corpus = [["word", f"filler{i}", "other"] for i in range(8 * BLOCK_POSTINGS)]
            corpus[where] = ["word"] * 5 + ["other"]
            engine = Bm25Engine.build([*corpus, *[[f"pad{i}"] for i in range(4000)]], **PARAMETERS)
            found = same_as_exhaustive(engine, ["word", "other"], 1)
            assert [passage for passage, _ in found] == [where]

    def test_a_word_of_idf_zero_asked_again_and_again(self) -> None:
        """In half the passages a word's idf is exactly 0: it adds nothing and finds nothing, however often asked."""
        alone = Bm25Engine.build([[], ["the"]], **PARAMETERS)
        assert alone.idf("the") == 0.0
        for k in (1, 2, 5):
            assert same_as_exhaustive(alone, ["the"] * 3, k) == []
        engine = Bm25Engine.build([["cat", "the"], ["the"], ["the", "dog"], ["dog"], ["fish"], ["bird"]], **PARAMETERS)
        assert engine.idf("the") == 0.0
        for question in (["the", "cat", "the", "the"], ["cat", "the"] * 3, ["the", "dog", "the"]):
            for k in (1, 2, 5):
                found = same_as_exhaustive(engine, question, k)
                assert found and all(score > 0 for _, score in found)

    def test_a_negative_idf_is_left_to_the_caller(self) -> None:
        """With most words in most passages the mean idf, and so the epsilon floor, is negative: no lower bounds."""
        corpus = [["a", "b"], ["a", "b"], ["a", "b", "c"], ["a"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.idf("a") < 0
        for plan in PLANS:
            assert engine.top_k_block_max(["a", "c"], 2, plan=plan) is None
        assert engine.top_k(["a", "c"], 2) == engine.top_k_exhaustive(["a", "c"], 2)


class TestALargeCorpus:
    def test_top_k_in_a_large_corpus_equals_exhaustive_scoring(self) -> None:
        """From 20,000 passages top_k runs compiled; rare words beside common ones, and common words alone."""
        corpus = zipfian_corpus(25_000, 5000, seed=55)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.prepare() is not None
        for question in [*questions_from(corpus, seed=56, count=60), ["w0", "w1", "w0"], ["w4999", "w0"]]:
            assert engine.top_k(question, 10) == engine.top_k_exhaustive(question, 10), question

    def test_block_bounds_hold_every_block(self) -> None:
        """Each block's last passage and largest tf-part are those of its postings (the bounds pruning trusts)."""
        corpus = zipfian_corpus(1500, 800, seed=57)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        bounds = engine.prepare()
        assert bounds is not None
        arrays, _ = engine.to_arrays()
        indptr, passages = arrays["indptr"], arrays["passages"]
        weights = arrays["code_weights"][arrays["codes"]]
        for term in range(len(indptr) - 1):
            for block in range(int(bounds.offsets[term]), int(bounds.offsets[term + 1])):
                first = int(indptr[term]) + (block - int(bounds.offsets[term])) * BLOCK_POSTINGS
                last = min(first + BLOCK_POSTINGS, int(indptr[term + 1]))
                assert bounds.last_passages[block] == passages[last - 1]
                assert bounds.tf_maxima[block] == np.max(weights[first:last])
