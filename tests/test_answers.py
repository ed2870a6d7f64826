"""Answers: the right passage first, quoted exactly, short enough for chat, or an honest abstention."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from support import write_corpus

from bot.config import BUNDLED_CORPUS
from retrieval import Answer, RetrievalSettings, Retriever


def assert_verbatim(answer: Answer, corpus: Path = BUNDLED_CORPUS) -> None:
    for quote in answer.quotes:
        text = (corpus / quote.source).read_bytes().decode("utf-8")
        assert text[quote.start : quote.end] == quote.text
        assert quote.line == text.count("\n", 0, quote.start) + 1
        for h in quote.highlights:
            assert 0 <= h.start < h.end <= len(quote.text)


def test_nadella_question_quotes_the_jevons_paradox_first(bundled: Retriever) -> None:
    answer = bundled.ask("what did Nadella say?")
    assert answer.answered
    assert "Jevons Paradox" in answer.quotes[0].text
    assert answer.quotes[0].source == "004_250e2ef35fa11695.txt"
    assert_verbatim(answer)


def test_training_spend_question_quotes_the_5_6_million_claim_first(bundled: Retriever) -> None:
    answer = bundled.ask("what did DeepSeek claim to have spent on training?")
    assert "$5.6 million" in answer.quotes[0].text
    assert_verbatim(answer)


def test_matched_terms_are_highlighted(bundled: Retriever) -> None:
    quote = bundled.ask("what did Nadella say?").quotes[0]
    assert [quote.text[h.start : h.end] for h in quote.highlights] == ["Nadella"]


@pytest.mark.parametrize(
    ("question", "note"),
    [
        ("What is the capital of France?", "The documents never mention “France”"),
        ("How tall is Mount Everest?", "The documents never mention “Mount Everest”"),
        ("Who won the 2022 FIFA World Cup?", "couldn't find"),
    ],
)
def test_questions_the_documents_do_not_answer_get_an_abstention(bundled: Retriever, question: str, note: str) -> None:
    answer = bundled.ask(question)
    assert not answer.answered and answer.quotes == []
    assert answer.note and note in answer.note


def test_a_name_the_documents_never_use_is_named_in_the_abstention(tmp_path: Path) -> None:
    """However many other words it shares with the documents, a question about something they never name
    cannot be answered from them; the note says which name, so the asker can rephrase."""
    corpus = write_corpus(
        tmp_path / "c",
        {
            "ci.txt": "Our build server polls the repository for new commits every five minutes.",
            "people.txt": "Nadella said cheaper models will raise demand. The GPLv3 text is in LICENSE.",
            "other.txt": "Unrelated words about cooking rice.",
        },
    )
    retriever = Retriever.open(corpus, index_path=tmp_path / "i")
    answer = retriever.ask("How often does the Jenkins build server poll the repository for new commits?")
    assert not answer.answered
    assert answer.note == "The documents never mention “Jenkins”, so I can't answer this from them."
    not_named = [
        "What did Satya Nadella say about demand?",  # one known word in a run of names is enough
        "Where is the GPLv3 text kept, per the LICENSE?",  # acronyms and versions may be spelled out elsewhere
        "Polls: how often does the build server poll for commits?",  # a capital that only starts a sentence
    ]
    for question in not_named:
        assert "never mention" not in (retriever.ask(question).note or ""), question


def test_a_name_mentioned_in_passing_in_a_long_question_does_not_decide(tmp_path: Path) -> None:
    """A long request (a test collection's topic, a pasted paragraph) may name something in passing."""
    files = {f"other{n}.txt": f"Notes on cooking rice, volume {n}." for n in range(30)}
    files["ci.txt"] = "Our build server polls the repository for new commits on a schedule, and builds what it finds."
    corpus = write_corpus(tmp_path / "c", files)
    retriever = Retriever.open(corpus, index_path=tmp_path / "i")
    answer = retriever.ask(
        "Articles about build servers that poll a repository for new commits, how often they poll, how the "
        "polling of the repository is scheduled, and what happens to commits found, as in Jenkins or elsewhere."
    )
    assert answer.answered


def test_the_unknown_name_rule_can_be_switched_off(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {"ci.txt": "Our build server polls the repository for new commits.", "x.txt": "Rice.", "y.txt": "Rain."},
    )
    settings = RetrievalSettings(min_unknown_name_share=1.0, max_unknown_share=1.0)
    answer = Retriever.open(corpus, settings, index_path=tmp_path / "i").ask(
        "How often does the Jenkins build server poll the repository for new commits?"
    )
    assert answer.answered


def test_quotes_are_sentences_not_whole_paragraphs(bundled: Retriever) -> None:
    settings = RetrievalSettings()
    for question in ["What did Chamath say about startups?", "What did Morgan Brown say about DeepSeek?"]:
        for quote in bundled.ask(question).quotes:
            assert len(quote.text) <= settings.max_quote_chars * 1.5


def test_boilerplate_is_never_quoted(bundled: Retriever) -> None:
    for question in ["Is this financial advice?", "log ind abonnement", "postviewcount", "LikeReport", "Annonce"]:
        for quote in bundled.ask(question).quotes:
            assert "Disclaimer: Investing carries risk" not in quote.text
            assert "Log ind" not in quote.text and "[postviewcount]" not in quote.text
            assert "LikeReport" not in quote.text


def test_top_k_limits_the_quotes(bundled: Retriever) -> None:
    assert len(bundled.ask("Nvidia stock", top_k=1).quotes) == 1
    assert len(bundled.ask("Nvidia stock", top_k=5).quotes) <= 5


def test_quotes_are_ranked_and_do_not_overlap(bundled: Retriever) -> None:
    answer = bundled.ask("How much are Meta, Microsoft and Google spending on capital expenditure?", top_k=5)
    scores = [q.score for q in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    spans = sorted((q.source, q.start, q.end) for q in answer.quotes)
    for (source_a, _, end_a), (source_b, start_b, _) in pairwise(spans):
        assert source_a != source_b or end_a < start_b


def test_overlapping_passages_give_one_merged_quote(tmp_path: Path) -> None:
    text = " ".join(f"Sentence {n} talks about Nvidia shares and the plunge." for n in range(8))
    corpus = write_corpus(tmp_path / "c", {"a.txt": text, "b.txt": "Unrelated words about cooking.", "c.txt": "Rain."})
    answer = Retriever.open(corpus, index_path=tmp_path / "i").ask("Nvidia shares plunge", top_k=5)
    spans = [(q.start, q.end) for q in answer.quotes]
    assert len(spans) == len(set(spans))
    for (_, a_end), (b_start, _) in pairwise(sorted(spans)):
        assert a_end < b_start
    assert_verbatim(answer, corpus)


@pytest.mark.parametrize(("question", "expected"), [("", "Ask a question"), ("   \n\t ", "Ask a question")])
def test_empty_question_asks_for_one(bundled: Retriever, question: str, expected: str) -> None:
    answer = bundled.ask(question)
    assert not answer.answered and answer.note and expected in answer.note


def test_huge_question_is_refused_with_the_limit(bundled: Retriever) -> None:
    answer = bundled.ask("Nvidia " * 2000)
    assert not answer.answered and answer.note and "1,000 characters" in answer.note
    assert len(answer.question) <= 1000


def test_question_of_only_stopwords_says_what_to_do(bundled: Retriever) -> None:
    answer = bundled.ask("what is it?")
    assert not answer.answered and answer.note and "no words to search for" in answer.note


def test_control_characters_are_removed_from_the_question(bundled: Retriever) -> None:
    answer = bundled.ask("what did\x00 Nadella\u202e say?\x1b\x07")
    assert "\x00" not in answer.question and "\u202e" not in answer.question and "\x1b" not in answer.question
    assert "Jevons" in answer.quotes[0].text


@pytest.mark.parametrize("files", [1, 2])
def test_a_tiny_corpus_still_answers(tmp_path: Path, files: int) -> None:
    """With one or two passages BM25Okapi's IDF is zero or negative for every term; answers must not vanish."""
    texts = {"a.txt": "Nvidia shares plunged 17% on Monday.", "b.txt": "Meta will spend $65 billion on AI."}
    corpus = write_corpus(tmp_path / "c", dict(list(texts.items())[:files]))
    answer = Retriever.open(corpus, index_path=tmp_path / "i").ask("How far did Nvidia shares plunge?")
    assert answer.answered and "17%" in answer.quotes[0].text
    assert not Retriever.open(corpus, index_path=tmp_path / "i").ask("Who painted the Mona Lisa?").answered
