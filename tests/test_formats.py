"""Documents as teams keep them: Markdown, reST, HTML, PDF and Word, each made by a real library, answered with
verbatim quotes of their extracted text, cited by section or page, with a link a reader can open."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    DEPLOY_HTML,
    HANDBOOK_MD,
    ONBOARDING_SECTIONS,
    RELEASE_RST,
    TRAVEL_PAGES,
    make_docx,
    make_pdf,
    write_corpus,
)

from retrieval import Quote, Retriever

TEMPLATE = "https://wiki.example.com/{stem}.html"
MANIFEST = '[files."travel-policy.pdf"]\nurl = "https://intranet.example.com/travel-policy.pdf"\n'


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    corpus = write_corpus(
        tmp_path_factory.mktemp("library"),
        {
            "manifest.toml": MANIFEST,
            "handbook.md": HANDBOOK_MD,
            "ops/deploy.html": DEPLOY_HTML.format(remote="http://127.0.0.1:9"),
            "release.rst": RELEASE_RST,
            "travel-policy.pdf": make_pdf(TRAVEL_PAGES, title="Travel Policy"),
            "onboarding.docx": make_docx("Onboarding Guide", ONBOARDING_SECTIONS),
        },
    )
    index = tmp_path_factory.mktemp("index") / "library.index"
    return Retriever.open(corpus, index_path=index, url_template=TEMPLATE)


def first_quote(retriever: Retriever, question: str) -> Quote:
    answer = retriever.ask(question)
    assert answer.answered, answer.note
    return answer.quotes[0]


def stored_text(retriever: Retriever, source: str) -> str:
    [doc] = [n for n, info in enumerate(retriever.documents) if info.source == source]
    return retriever.index.document_text(doc)


def test_every_format_loads_with_its_title(library: Retriever) -> None:
    titles = {doc.source: doc.title for doc in library.documents}
    assert titles == {
        "handbook.md": "Engineering Handbook",
        "ops/deploy.html": "Deploying the Storefront",
        "release.rst": "Release Process",
        "travel-policy.pdf": "Travel Policy",
        "onboarding.docx": "Onboarding Guide",
    }
    assert library.report.skipped == []


@pytest.mark.parametrize(
    ("question", "source", "words", "section", "page", "url"),
    [
        (
            "how long does the on-call engineer carry the pager?",
            "handbook.md",
            "carries the pager for seven days",
            "On-call rotation",
            None,
            "https://handbook.example.com/engineering#on-call-rotation",
        ),
        (
            "how do I restore the previous storefront build?",
            "ops/deploy.html",
            "deploy --undo",
            "Rolling back",
            None,
            "https://wiki.example.com/ops/deploy#rolling-back",
        ),
        (
            "who signs the release tag?",
            "release.rst",
            "signs the release tag",
            "Tagging",
            None,
            "https://wiki.example.com/release.html#tagging",
        ),
        (
            "how much may a hotel night cost in Berlin?",
            "travel-policy.pdf",
            "180 euros in Berlin",
            "Hotels",
            2,
            "https://intranet.example.com/travel-policy.pdf#page=2",
        ),
        (
            "when does IT create the email account?",
            "onboarding.docx",
            "one week before the start date",
            "Accounts",
            None,
            "https://wiki.example.com/onboarding.html",
        ),
    ],
)
def test_a_quote_cites_its_section_or_page_and_links_there(
    library: Retriever, question: str, source: str, words: str, section: str, page: int | None, url: str
) -> None:
    quote = first_quote(library, question)
    assert (quote.source, quote.section, quote.page, quote.url) == (source, section, page, url)
    assert words in quote.text
    assert stored_text(library, source)[quote.start : quote.end] == quote.text


def test_markdown_and_rst_quotes_are_slices_of_the_file_itself(library: Retriever) -> None:
    for question, source, text in [
        ("how long does the on-call engineer carry the pager?", "handbook.md", HANDBOOK_MD),
        ("who signs the release tag?", "release.rst", RELEASE_RST),
    ]:
        quote = first_quote(library, question)
        assert quote.source == source
        assert text[quote.start : quote.end] == quote.text
        assert not quote.derived


def test_derived_text_is_marked_and_quotes_are_slices_of_it(library: Retriever) -> None:
    quote = first_quote(library, "how much may a hotel night cost in Berlin?")
    assert quote.derived
    assert stored_text(library, "travel-policy.pdf")[quote.start : quote.end] == quote.text


def test_front_matter_describes_the_document_and_is_never_quoted(library: Retriever) -> None:
    answer = library.ask("who owns the platform-team handbook url?")
    assert all("platform-team" not in quote.text and "url:" not in quote.text for quote in answer.quotes)


def test_html_keeps_the_article_and_drops_navigation_header_footer_and_cookie_banner(library: Retriever) -> None:
    text = stored_text(library, "ops/deploy.html")
    assert "three web servers" in text and "deploy --undo" in text
    for furniture in ("Pricing", "Careers", "Human resources", "cookies", "plant watering", "Copyright", "tracker"):
        assert furniture not in text
    for question in ("pricing careers", "accept all cookies", "copyright imprint legal notice"):
        assert all("Pricing" not in q.text and "cookies" not in q.text for q in library.ask(question).quotes)


def test_pdf_pages_and_headings_come_from_the_pdf(library: Retriever) -> None:
    quote = first_quote(library, "what are meals on travel days reimbursed?")
    assert (quote.section, quote.page) == ("Meals", 3)


def test_a_title_heading_is_not_repeated_as_the_section(library: Retriever) -> None:
    """A quote under the page's own <h1> is labelled by the title alone, and links to the page itself."""
    quote = first_quote(library, "how many web servers does the deploy script copy the storefront build to?")
    assert quote.section is None
    assert quote.url == "https://wiki.example.com/ops/deploy"


LIBRARY_WORDS = sorted(
    {word for text in (HANDBOOK_MD, RELEASE_RST, *(body for _, body in TRAVEL_PAGES)) for word in text.split()}
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.lists(st.sampled_from(LIBRARY_WORDS), min_size=1, max_size=8).map(" ".join))
def test_any_question_yields_only_slices_of_the_stored_text(library: Retriever, question: str) -> None:
    for quote in library.ask(question, top_k=5).quotes:
        assert stored_text(library, quote.source)[quote.start : quote.end] == quote.text
        assert quote.page is None or quote.source.endswith(".pdf")
