"""Boilerplate detection: generic evidence decides what is indexed; quotes are never altered."""

from __future__ import annotations

import regex

from retrieval.boilerplate import BoilerplateFilter, LineKind, logical_lines

ARTICLE = (
    "Chip stocks fell sharply on Monday after the new model was released to the public.\n"
    "Analysts said the sell-off reflected fears that the demand for accelerators will slow down.\n"
)
DISCLAIMER = "Disclaimer: This is not financial advice and should not be read as an offer to buy or sell."


def kinds(cleaner: BoilerplateFilter, text: str, patterns: list[regex.Pattern[str]] | None = None) -> dict[str, str]:
    return {text[line.start : line.end]: line.kind.value for line in cleaner.classify(text, patterns or [])}


def test_line_repeated_across_documents_is_boilerplate() -> None:
    first, second = (
        ARTICLE + DISCLAIMER,
        "The central bank kept rates on hold for the third time this year.\n" + DISCLAIMER,
    )
    cleaner = BoilerplateFilter([first, second])
    assert kinds(cleaner, first)[DISCLAIMER] == "boilerplate"
    assert kinds(cleaner, first)[ARTICLE.splitlines()[0]] == "content"


def test_lines_are_counted_across_documents_exactly_whatever_the_texts_come_in() -> None:
    """Counting by digest first keeps the counts exact: each repeated line, and only those, with its count."""
    texts = [ARTICLE + DISCLAIMER, "Rates stayed on hold.\n" + DISCLAIMER, "Rates stayed on hold.\n", DISCLAIMER]
    for given in (texts, iter(texts)):
        cleaner = BoilerplateFilter(given)
        assert cleaner.repeated_lines == {"rates stayed on hold.", " ".join(DISCLAIMER.split()).casefold()}
        assert cleaner.line_verdict("rates stayed on hold.") == 1
        assert cleaner.line_verdict(" ".join(DISCLAIMER.split()).casefold()) == 2  # on 3 documents: furniture
        assert cleaner.line_verdict(ARTICLE.splitlines()[0].casefold()) == 0


def test_navigation_run_in_another_language_is_boilerplate() -> None:
    page = "Log ind\nAbonnement\nForside\n" + ARTICLE + "Vær et skridt foran\nKøb nu\nJobannoncer\n"
    found = kinds(BoilerplateFilter([page]), page)
    assert [found[w] for w in ("Log ind", "Abonnement", "Forside", "Køb nu", "Jobannoncer")] == ["boilerplate"] * 5


def test_foreign_language_prose_in_an_english_corpus_is_boilerplate() -> None:
    promo = "Få unik indsigt i de vigtigste erhvervsbegivenheder og dybdegående analyser, så du kan handle."
    page = ARTICLE + promo + "\n"
    assert kinds(BoilerplateFilter([page]), page)[promo] == "boilerplate"


def test_headings_and_bullets_between_content_are_kept() -> None:
    page = (
        ARTICLE
        + "The results:\n  • Training cost: $100M → $5M\n  • GPUs needed: 100,000 → 2,000\n"
        + ARTICLE.replace("Monday", "Tuesday").replace("Analysts", "Traders")
    )
    found = kinds(BoilerplateFilter([page]), page)
    assert found["  • Training cost: $100M → $5M"] == "content"
    assert found["The results:"] == "content"


def test_placeholders_and_glued_widgets_are_boilerplate() -> None:
    page = ARTICLE + "[postviewcount]\n- user1978·01-27Nonsense . Buy the dip now!LikeReport\n"
    found = kinds(BoilerplateFilter([page]), page)
    assert found["[postviewcount]"] == "boilerplate"
    assert found["- user1978·01-27Nonsense . Buy the dip now!LikeReport"] == "boilerplate"


def test_manifest_patterns_exclude_lines() -> None:
    page = ARTICLE + "Modify on 2025-01-30 08:24\n"
    found = kinds(BoilerplateFilter([page]), page, [regex.compile(r"^Modify on")])
    assert found["Modify on 2025-01-30 08:24"] == "boilerplate"


def test_a_non_english_corpus_is_not_judged_by_english_function_words() -> None:
    page = "Die Aktien fielen am Montag deutlich, nachdem das neue Modell veröffentlicht wurde.\n" * 1 + (
        "Analysten sagten, der Ausverkauf spiegle die Angst vor einer schwächeren Nachfrage wider.\n"
    )
    assert set(kinds(BoilerplateFilter([page]), page).values()) == {"content"}


def test_content_blocks_break_at_boilerplate() -> None:
    first, second = ARTICLE + DISCLAIMER + "\n" + ARTICLE.replace("Monday", "Friday"), DISCLAIMER
    cleaner = BoilerplateFilter([first, second])
    blocks = cleaner.content_blocks(first)
    assert len(blocks) == 2
    assert all(DISCLAIMER not in first[start:end] for block in blocks for start, end in block)


def test_empty_lines_are_not_content() -> None:
    page = ARTICLE + "* * *\n399,-\n"
    found = kinds(BoilerplateFilter([page]), page)
    assert found["* * *"] == found["399,-"] == LineKind.EMPTY.value


def test_a_line_repeated_in_a_few_documents_that_is_no_notice_is_kept() -> None:
    """Shared wording (a definition in two licenses, an author of several papers) is content, not furniture."""
    shared = "Pooch, U."
    texts = [
        f"Paper {n} on queueing networks\n\n{shared if n < 2 else f'Author{n}, A.'}\n" + ARTICLE for n in range(10)
    ]
    found = kinds(BoilerplateFilter(texts), texts[0])
    assert found[shared] == "content"


def test_a_short_line_on_most_pages_is_furniture() -> None:
    texts = [ARTICLE.replace("Monday", day) + "Part of the site suite\n" for day in ("Monday", "Tuesday", "Friday")]
    assert kinds(BoilerplateFilter(texts), texts[0])["Part of the site suite"] == "boilerplate"


def test_titles_authors_keyword_lists_and_options_are_kept() -> None:
    """What the old filter dropped from papers and manuals: a title, authors, a keyword list, option labels."""
    paper = (
        "Interarrival Statistics for Time Sharing Systems\n\nThe interarrival times of a time sharing system are "
        "stochastic processes with a hyperexponential distribution.\n\nCACM July, 1966\n\nCoffman, E. G.\n"
        "Wood, R. C.\n\ntime sharing, interarrival times, hyperexponential distribution, stochastic processes\n"
    )
    manual = "-q::\n--quiet::\n\tOnly print error and warning messages; all other output will be suppressed.\n"
    cleaner = BoilerplateFilter([paper, manual, ARTICLE.replace("Monday", "Friday")])
    assert set(kinds(cleaner, paper).values()) == {"content"}
    assert set(kinds(cleaner, manual).values()) == {"content"}


def test_camel_case_names_are_not_glued_page_elements() -> None:
    page = ARTICLE + "Set objectFormat and compatObjectFormat before the first commit of the repository.\n"
    assert set(kinds(BoilerplateFilter([page]), page).values()) == {"content"}


def test_a_hard_wrapped_sentence_is_judged_whole() -> None:
    """ "this license." ends a wrapped sentence: it is not a short line repeated across licenses."""
    texts = [
        f"Clause {n}. You may copy the Program provided that you also distribute\nthis license.\n" for n in range(4)
    ]
    assert "boilerplate" not in kinds(BoilerplateFilter(texts), texts[0]).values()


def test_every_line_is_given_a_reason_when_left_out() -> None:
    page = ARTICLE + "[postviewcount]\n"
    lines = BoilerplateFilter([page]).classify(page)
    assert all((line.reason is None) == (line.kind is LineKind.CONTENT) for line in lines)


def test_a_title_line_is_judged_alone_wherever_it_stands_in_the_document() -> None:
    """The line before a wrapped continuation is that line only, not the document up to it (which also made
    joining lines quadratic: minutes for the Debian Policy Manual's 12,000 lines)."""
    text = (
        "the tool reads every file in the tree and writes a summary of what it found there.\n"
        "\n"
        "Release Notes Overview\n"
        "fixed a crash in the parser when a file was empty.\n"
    )
    lines = [text[start:end] for start, end in logical_lines(text)]
    assert "Release Notes Overview" in lines
    assert "fixed a crash in the parser when a file was empty." in lines
