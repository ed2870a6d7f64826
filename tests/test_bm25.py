"""Bm25Engine: rank-bm25's BM25Okapi scores, precomputed, with a deterministic top-k and a lossless save."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from retrieval import segments
from retrieval.bm25 import Bm25Engine
from retrieval.index_file import read_index_file, write_index_file
from retrieval.passage_postings import PassagePostings, TermTable

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
PARAMETERS = {"k1": 1.5, "b": 0.75, "epsilon": 0.25}


def zipfian_corpus(passages: int, vocabulary: int, seed: int, min_length: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocabulary + 1)
    weights /= weights.sum()
    return [
        [f"w{term}" for term in rng.choice(vocabulary, size=int(rng.integers(min_length, 150)), p=weights)]
        for _ in range(passages)
    ]


def bundled_corpus_passages() -> list[list[str]]:
    """The seed articles cut into 40-token windows (a stand-in until the analyzer decides the tokens)."""
    tokens_per_file = [path.read_text(encoding="utf-8").lower().split() for path in sorted(CORPUS_DIR.glob("*.txt"))]
    return [tokens[i : i + 40] for tokens in tokens_per_file for i in range(0, len(tokens), 40)]


def questions_from(corpus: list[list[str]], seed: int, count: int = 100) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    questions = []
    for _ in range(count):
        passage = corpus[int(rng.integers(len(corpus)))] or ["missing"]
        words = [passage[int(i)] for i in rng.integers(len(passage), size=int(rng.integers(1, 9)))]
        questions.append([*words, "never-seen-token"])
    return questions


def assert_parity(corpus: list[list[str]], questions: list[list[str]], **parameters: float) -> None:
    reference = BM25Okapi(corpus, **parameters)
    engine = Bm25Engine.build(corpus, **parameters)
    for question in questions:
        np.testing.assert_allclose(engine.scores(question), reference.get_scores(question), rtol=0, atol=1e-6)
    for token in list(reference.idf)[:500]:
        assert engine.idf(token) == pytest.approx(reference.idf[token], abs=1e-12)


class TestParityWithRankBm25:
    def test_scores_match_on_a_zipfian_corpus(self) -> None:
        corpus = zipfian_corpus(3000, 5000, seed=1)
        assert_parity(corpus, questions_from(corpus, seed=2), **PARAMETERS)

    def test_scores_match_on_the_bundled_articles(self) -> None:
        corpus = bundled_corpus_passages()
        assert len(corpus) > 20
        questions = [q.split() for q in ("what did nadella say?", "jevons paradox", "nvidia shares fell")]
        assert_parity(corpus, questions + questions_from(corpus, seed=3), **PARAMETERS)

    @pytest.mark.parametrize(("k1", "b", "epsilon"), [(1.2, 0.0, 0.0), (2.0, 1.0, 0.5), (0.5, 0.3, 1.0)])
    def test_scores_match_for_other_parameters(self, k1: float, b: float, epsilon: float) -> None:
        """No empty passages: with b=1 rank-bm25 scores an empty passage 0/0 = nan, citebot scores it 0."""
        corpus = zipfian_corpus(500, 800, seed=4, min_length=1)
        assert_parity(corpus, questions_from(corpus, seed=5, count=30), k1=k1, b=b, epsilon=epsilon)

    def test_negative_idf_is_floored_like_rank_bm25(self) -> None:
        """A term in over half the passages has negative idf; BM25Okapi replaces it by epsilon * mean idf."""
        corpus = [["common", "rare"], ["common"], ["common", "x"], ["y"]]
        reference = BM25Okapi(corpus, **PARAMETERS)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.idf("common") == pytest.approx(PARAMETERS["epsilon"] * reference.average_idf)
        assert engine.idf("common") == pytest.approx(reference.idf["common"])

    def test_repeated_question_tokens_count_twice(self) -> None:
        corpus = zipfian_corpus(200, 300, seed=6)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        np.testing.assert_allclose(engine.scores(["w3", "w3"]), 2 * engine.scores(["w3"]))

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.lists(st.sampled_from(["a", "b", "c", "d", "é", "日本", "a b", ""]), max_size=12),
            min_size=1,
            max_size=25,
        ).filter(lambda corpus: any(corpus)),
        st.lists(st.sampled_from(["a", "b", "c", "d", "é", "日本", "a b", "", "zz"]), max_size=6),
    )
    def test_scores_match_for_any_small_corpus(self, corpus: list[list[str]], question: list[str]) -> None:
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        reference = BM25Okapi(corpus, **PARAMETERS)
        np.testing.assert_allclose(engine.scores(question), reference.get_scores(question), rtol=0, atol=1e-6)

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=12), min_size=1, max_size=25),
        st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=6),
    )
    def test_no_passage_scores_above_the_bound(self, corpus: list[list[str]], question: list[str]) -> None:
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.scores(question).max(initial=0.0) <= engine.score_bound(question) + 1e-9

    def test_the_bound_is_reached_by_a_passage_holding_every_term_at_its_best(self) -> None:
        corpus = [["a", "b"], ["a", "x"], ["b", "c"], ["c", "y"], ["d", "z"], ["d", "e"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert engine.score_bound(["a", "b"]) == pytest.approx(engine.scores(["a", "b"])[0])
        assert engine.score_bound(["a", "e"]) > engine.scores(["a", "e"]).max()


class TestTopK:
    def test_best_first_and_equal_to_sorting_all_scores(self) -> None:
        corpus = zipfian_corpus(2000, 3000, seed=8)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        for question in questions_from(corpus, seed=9, count=30):
            scores = engine.scores(question)
            expected = sorted(((-s, i) for i, s in enumerate(scores) if s > 0))[:10]
            assert engine.top_k(question, 10) == [(i, -s) for s, i in expected]

    def test_ties_go_to_the_lower_passage_id(self) -> None:
        corpus = [["x"], ["apple", "x"], ["x"], ["apple", "x"], ["x", "y"], ["x"], ["apple", "x"], ["y"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        top = engine.top_k(["apple"], 2)
        assert [passage for passage, _ in top] == [1, 3]
        assert top[0][1] == top[1][1] > 0

    def test_ties_and_winners_far_apart_in_a_large_corpus(self) -> None:
        """Selection works block by block; ties and late winners must survive the block boundaries."""
        corpus = [["x", "pad"] if i % 7 == 0 else ["y", "pad"] for i in range(70_000)]
        corpus[69_993] = ["x", "x"]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert [passage for passage, _ in engine.top_k(["x"], 4)] == [69_993, 0, 7, 14]

    def test_threads_asking_at_once_get_the_same_answers(self) -> None:
        corpus = zipfian_corpus(3000, 3000, seed=15)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        questions = questions_from(corpus, seed=16, count=200)
        expected = [engine.top_k(question, 10) for question in questions]
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(lambda question: engine.top_k(question, 10), questions)) == expected

    def test_only_passages_with_a_positive_score(self) -> None:
        corpus = [["apple"], ["pear"], ["plum"], ["fig"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        assert [passage for passage, _ in engine.top_k(["apple"], 10)] == [0]

    def test_unknown_tokens_score_nothing(self) -> None:
        engine = Bm25Engine.build([["apple"], ["pear"], ["plum"]], **PARAMETERS)
        assert engine.idf("durian") == 0.0
        assert not engine.scores(["durian"]).any()
        assert engine.top_k(["durian"], 3) == []
        assert engine.top_k(["durian", "pear"], 3) == engine.top_k(["pear"], 3)

    def test_empty_question_finds_nothing(self) -> None:
        engine = Bm25Engine.build([["apple"], ["pear"]], **PARAMETERS)
        assert engine.scores([]).tolist() == [0.0, 0.0]
        assert engine.top_k([], 5) == []

    def test_zero_k_finds_nothing(self) -> None:
        engine = Bm25Engine.build([["apple"], ["pear"], ["plum"]], **PARAMETERS)
        assert engine.top_k(["apple"], 0) == []


class TestShape:
    def test_counts_passages_and_vocabulary(self) -> None:
        engine = Bm25Engine.build([["a", "b", "a"], [], ["c"]], **PARAMETERS)
        assert (engine.passage_count, engine.vocabulary_size) == (3, 3)
        assert engine.average_length == pytest.approx(4 / 3)

    def test_document_frequency_counts_passages_not_occurrences(self) -> None:
        engine = Bm25Engine.build([["a", "b", "a"], ["a"], ["c"]], **PARAMETERS)
        assert [engine.document_frequency(t) for t in ("a", "b", "c", "zz")] == [2, 1, 1, 0]

    def test_empty_passages_score_zero_even_without_length_normalisation_slack(self) -> None:
        """rank-bm25 divides 0 by 0 here (b=1, empty passage) and returns nan; a nan would poison top-k."""
        engine = Bm25Engine.build([[], ["a", "b"], ["b"]], k1=1.5, b=1.0, epsilon=0.25)
        assert engine.scores(["a"]).tolist()[0] == 0.0

    def test_empty_corpus_is_an_empty_engine(self) -> None:
        engine = Bm25Engine.build([], **PARAMETERS)
        assert (engine.passage_count, engine.vocabulary_size) == (0, 0)
        assert engine.scores(["a"]).shape == (0,)
        assert engine.top_k(["a"], 3) == []

    @pytest.mark.parametrize("segment_passages", [1, 7, 100, 2999])
    def test_a_build_in_segments_equals_a_build_in_one(self, segment_passages: int) -> None:
        """Segments spilled to disk and merged give the same postings, tf-parts, idf and answers."""
        corpus = zipfian_corpus(3000, 800, seed=17)
        whole, whole_meta = Bm25Engine.build(corpus, **PARAMETERS).to_arrays()
        engine = Bm25Engine.build((passage for passage in corpus), **PARAMETERS, segment_passages=segment_passages)
        merged, merged_meta = engine.to_arrays()
        assert merged_meta == whole_meta
        for name in ("vocab_blob", "vocab_order", "idf", "indptr", "passages", "term_max_weights"):
            np.testing.assert_array_equal(merged[name], whole[name])
        # Codes are numbered as chunks meet them; what they stand for, each posting's tf-part, is the same.
        np.testing.assert_array_equal(merged["code_weights"][merged["codes"]], whole["code_weights"][whole["codes"]])

    def test_a_merge_in_small_pieces_equals_a_build_in_one(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Segments scattered into the final arrays a few postings at a time land exactly where they belong."""
        corpus = zipfian_corpus(3000, 800, seed=19)
        whole, _ = Bm25Engine.build(corpus, **PARAMETERS, segment_passages=700).to_arrays()
        monkeypatch.setattr(segments, "_MERGE_PIECE_POSTINGS", 50)
        pieces, _ = Bm25Engine.build(corpus, **PARAMETERS, segment_passages=700).to_arrays()
        for name in ("vocab_blob", "idf", "indptr", "passages", "codes", "term_max_weights"):
            np.testing.assert_array_equal(pieces[name], whole[name])

    def test_a_term_table_kept_between_builds_gives_the_engine_a_fresh_build_gives(self) -> None:
        """Blocks named by a table that has seen other corpora (and these blocks, in another order) index
        exactly as a build that names every term as it comes: same vocabulary order, postings, idf, scores."""
        corpus = zipfian_corpus(2000, 900, seed=23)
        blocks = [PassagePostings.from_token_lists(corpus[start : start + 97]) for start in range(0, 2000, 97)]
        table = TermTable()
        other = zipfian_corpus(300, 3000, seed=24)
        Bm25Engine.from_postings([PassagePostings.from_token_lists(other), *blocks[::-1]], **PARAMETERS, table=table)
        fresh, fresh_meta = Bm25Engine.build(corpus, **PARAMETERS).to_arrays()
        named, named_meta = Bm25Engine.from_postings(blocks, **PARAMETERS, table=table).to_arrays()
        assert named_meta == fresh_meta
        for name in ("vocab_blob", "vocab_offsets", "vocab_order", "idf", "indptr", "passages", "term_max_weights"):
            np.testing.assert_array_equal(named[name], fresh[name])
        np.testing.assert_array_equal(named["code_weights"][named["codes"]], fresh["code_weights"][fresh["codes"]])

    def test_build_accepts_a_generator(self) -> None:
        corpus = zipfian_corpus(300, 400, seed=10)
        from_list = Bm25Engine.build(corpus, **PARAMETERS)
        from_generator = Bm25Engine.build((passage for passage in corpus), **PARAMETERS)
        np.testing.assert_array_equal(from_list.scores(["w1", "w9"]), from_generator.scores(["w1", "w9"]))


class TestPersistence:
    def test_round_trip_through_arrays_keeps_scores(self) -> None:
        corpus = zipfian_corpus(1000, 2000, seed=11)
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        restored = Bm25Engine.from_arrays(*engine.to_arrays())
        for question in questions_from(corpus, seed=12, count=20):
            np.testing.assert_array_equal(restored.scores(question), engine.scores(question))
            assert restored.top_k(question, 10) == engine.top_k(question, 10)
        assert restored.idf("w5") == engine.idf("w5")

    def test_round_trip_through_an_index_file_uses_the_memory_map(self, tmp_path: Path) -> None:
        corpus = [*zipfian_corpus(500, 800, seed=13), ["naïve", "日本", "w1"]]
        engine = Bm25Engine.build(corpus, **PARAMETERS)
        arrays, meta = engine.to_arrays()
        write_index_file(tmp_path / "index.bin", {"bm25": meta}, arrays)
        header, loaded = read_index_file(tmp_path / "index.bin")
        restored = Bm25Engine.from_arrays(loaded, header["bm25"])
        for question in (["naïve", "w1"], ["日本"], ["w2", "w30", "w400"]):
            assert restored.top_k(question, 5) == engine.top_k(question, 5)
        restored_arrays, _ = restored.to_arrays()
        assert all(not array.flags.writeable for array in restored_arrays.values() if array.size)

    def test_arrays_and_meta_are_json_friendly(self) -> None:
        _, meta = Bm25Engine.build([["a"]], **PARAMETERS).to_arrays()
        assert all(isinstance(value, int | float) for value in meta.values())

    def test_inconsistent_arrays_are_refused(self) -> None:
        arrays, meta = Bm25Engine.build(zipfian_corpus(50, 80, seed=14), **PARAMETERS).to_arrays()
        with pytest.raises(ValueError, match="missing"):
            Bm25Engine.from_arrays({k: v for k, v in arrays.items() if k != "idf"}, meta)
        with pytest.raises(ValueError, match="inconsistent"):
            Bm25Engine.from_arrays({**arrays, "idf": arrays["idf"][:-1]}, meta)
        with pytest.raises(ValueError, match="format"):
            Bm25Engine.from_arrays(arrays, {**meta, "engine_format": 0})
