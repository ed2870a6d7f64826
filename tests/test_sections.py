"""Section headings and labels: what a passage stands under, in Markdown, reST, AsciiDoc and plain text."""

from __future__ import annotations

from retrieval.sections import LABEL, SECTION, find_sections


def heading_texts(text: str) -> list[tuple[str, int]]:
    return [(text[h.start : h.end], h.level) for h in find_sections(text).headings]


def test_markdown_rest_and_asciidoc_headings_are_sections() -> None:
    text = "# Install\n\nRun it.\n\nUsage\n=====\n\nAsk it.\n\n== Options\n\nSet them.\n"
    assert heading_texts(text) == [("# Install", SECTION), ("Usage", SECTION), ("== Options", SECTION)]


def test_definition_labels_are_labels_inside_their_section() -> None:
    text = "OPTIONS\n-------\n\n--force::\n\tOverwrite the file.\n\nunion::\n\n\tTake lines from both.\n"
    assert heading_texts(text) == [("OPTIONS", SECTION), ("--force::", LABEL), ("union::", LABEL)]


def test_context_is_the_section_and_the_label_an_offset_stands_under() -> None:
    text = "OPTIONS\n-------\n\n--force::\n\tOverwrite the file.\n\nEXAMPLES\n--------\n\nRun it.\n"
    sections = find_sections(text)
    section, label = sections.context_before(text.index("Overwrite"))
    assert section and label and text[section.start : section.end] == "OPTIONS"
    assert text[label.start : label.end] == "--force::"
    section, label = sections.context_before(text.index("Run it"))
    assert section and text[section.start : section.end] == "EXAMPLES" and label is None


def test_numbered_headings_of_plain_text_are_sections() -> None:
    text = "  4. Conveying Verbatim Copies.\n\n  You may convey verbatim copies of the Program's source code.\n"
    assert heading_texts(text) == [("4. Conveying Verbatim Copies.", SECTION)]


def test_the_lines_of_a_delimited_block_are_not_titles() -> None:
    """A listing block's closing delimiter is a line of dashes too: the command above it is no heading, while a
    reST title with over- and underline is one."""
    text = (
        "Rewriting\n=========\n\nThen run it.\n\n"
        "-------------------------------------------------\n$ git commit --amend\n"
        "-------------------------------------------------\n\n"
        "-----------\n$ git add a\n$ git add b\n-----------\n\n"
        "=======\nSummary\n=======\n\nDone.\n"
    )
    assert heading_texts(text) == [("Rewriting", SECTION), ("Summary", SECTION)]
