"""The analyzer: one path from text to index terms, shared by documents and questions."""

from __future__ import annotations

import pytest

from retrieval.analysis import analyze, analyze_spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nadella's", ["nadella"]),
        ("Nadella’s", ["nadella"]),
        ("$5.6 million", ["5.6", "million"]),
        ("2,048 GPUs", ["2048", "gpu"]),
        ("2048", ["2048"]),
        ("NVIDIA H100", ["nvidia", "h100"]),
        ("R1", ["r1"]),
        ("U.S. tech", ["us", "tech"]),
    ],
)
def test_terms_are_normalised(text: str, expected: list[str]) -> None:
    """Possessives, thousands separators, acronym plurals and acronyms become stable terms."""
    assert analyze(text) == expected


def test_model_names_are_kept_whole_and_in_parts() -> None:
    """ "o3-mini" is a term, and so are "o3" and "mini", so either spelling of a question finds it."""
    assert analyze("o3-mini")[:3] == ["o3-mini", "o3", "mini"]
    assert "deepseek-r1" in analyze("DeepSeek-R1") and "r1" in analyze("DeepSeek-R1")


def test_stopwords_are_dropped_and_words_stemmed() -> None:
    assert analyze("What did they say about the training?") == ["train"]


def test_irregular_verbs_meet_their_base_form() -> None:
    """ "spend" finds "spent": the stemmer alone would miss it."""
    assert analyze("spent") == analyze("spend") == ["spend"]


def test_unicode_is_normalised() -> None:
    """Full-width letters and curly apostrophes analyze like their plain forms."""
    assert analyze("ＮＶＩＤＩＡ") == analyze("NVIDIA")
    assert analyze("DeepSeek’s") == analyze("DeepSeek's")


def test_a_token_of_apostrophes_alone_has_no_terms() -> None:
    """Found by the verbatim property test: "ʼ" (a modifier letter) was an IndexError, not an empty question."""
    assert analyze("ʼ") == analyze("'ʼ’") == analyze("what ʼ") == []


def test_questions_and_documents_share_terms() -> None:
    question = analyze("What did DeepSeek claim to have spent?")
    document = analyze("DeepSeek claims to have spent only $5.6 million")
    assert set(question) <= set(document)


def test_spans_point_at_the_original_characters() -> None:
    text = "Microsoft CEO Nadella’s “Jevons Paradox” post"
    for term in analyze_spans(text):
        assert text[term.start : term.end].strip()
    nadella = next(t for t in analyze_spans(text) if t.term == "nadella")
    assert text[nadella.start : nadella.end] == "Nadella’s"
