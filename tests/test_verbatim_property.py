"""The promise behind every answer: a quote is an exact slice of its source file, cited at the line it starts on,
whatever the question."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import BUNDLED_CORPUS
from retrieval import Retriever
from retrieval.documents import line_of

SOURCES = {path.name: path.read_bytes().decode("utf-8") for path in BUNDLED_CORPUS.glob("*.txt")}
CORPUS_WORDS = sorted({word for text in SOURCES.values() for word in text.split()})

questions = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(CORPUS_WORDS), min_size=1, max_size=12).map(" ".join),
    st.lists(st.one_of(st.sampled_from(CORPUS_WORDS), st.text(max_size=8)), max_size=10).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=questions)
def test_any_question_yields_only_verbatim_quotes(bundled: Retriever, question: str) -> None:
    answer = bundled.ask(question, top_k=5)
    assert answer.answered == bool(answer.quotes)
    assert answer.answered or answer.note
    for quote in answer.quotes:
        assert SOURCES[quote.source][quote.start : quote.end] == quote.text
        assert quote.line == line_of(SOURCES[quote.source], quote.start)
        assert quote.text.strip() == quote.text and quote.text
        for highlight in quote.highlights:
            assert 0 <= highlight.start < highlight.end <= len(quote.text)
