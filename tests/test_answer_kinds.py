"""What a question asks for shapes which quote comes first: context, definitions, numbers, unknown subjects."""

from __future__ import annotations

from pathlib import Path

from support import write_corpus

from retrieval import Retriever
from retrieval.answer_types import answer_type, asks_definition, counted_thing, defined_subject
from retrieval.answers import Quote

FILLER = [
    f"Section {n} talks about the weather in town number {n}, which was mild and dry all week long." for n in range(40)
]


def open_corpus(tmp_path: Path, files: dict[str, str]) -> Retriever:
    filler = {f"filler/{n}.txt": line + "\n" for n, line in enumerate(FILLER)}
    return Retriever.open(write_corpus(tmp_path / "c", {**files, **filler}), index_path=tmp_path / "i")


def first_quote(tmp_path: Path, files: dict[str, str], question: str) -> Quote:
    answer = open_corpus(tmp_path, files).ask(question)
    assert answer.answered
    return answer.quotes[0]


def test_a_passage_is_found_by_its_document_title_and_file_name(tmp_path: Path) -> None:
    """ "Under the GPL-3 ..." finds the text of GPL-3.txt, though its sentences never say "GPL-3"."""
    retriever = open_corpus(
        tmp_path,
        {
            "GPL-3.txt": "GNU GENERAL PUBLIC LICENSE\n\nYou may charge any price or no price for each copy.\n",
            "MIT.txt": "MIT License\n\nYou may charge a fee for the physical act of transferring a copy.\n",
        },
    )
    answer = retriever.ask("Under GPL-3, may I charge for each copy?")
    assert answer.answered and answer.quotes[0].source == "GPL-3.txt"


def test_a_label_with_its_description_answers_what_does_it_do(tmp_path: Path) -> None:
    manual = (
        "OPTIONS\n-------\n\n--prune::\n\tRemove remote-tracking references that no longer exist on the remote.\n\n"
        "--dry-run::\n\tShow what would be done; --prune is mentioned here only in passing, prune prune.\n"
    )
    answer = open_corpus(tmp_path, {"fetch.txt": manual}).ask("What does --prune do?")
    assert answer.answered and answer.quotes[0].text.startswith("--prune::")
    assert "no longer exist" in answer.quotes[0].text


def test_a_label_is_quoted_with_its_whole_description_even_past_its_passage(tmp_path: Path) -> None:
    """Three spellings of an option and the first sentence fill a passage; what the option does comes next."""
    manual = (
        "OPTIONS\n-------\n\n--[no-]lease::\n--lease=<ref>::\n--lease=<ref>:<expect>::\n"
        "\tUsually, push refuses to update a remote ref. It refuses when the ref is not an ancestor of the local\n"
        "\tref. That protects the work of others.\n"
        "\tThis option overrides that restriction if the remote ref has the expected value.\n\n"
        "--quiet::\n\tSuppress all output.\n"
    )
    # Notes that use the word more often rank the passage holding the description beyond the ones read.
    notes = {f"note{n}.txt": f"Note {n}: the lease ends when the lease term ends.\n" for n in range(11)}
    answer = open_corpus(tmp_path, {"push.txt": manual, **notes}).ask("What does --lease do?")
    assert answer.answered and answer.quotes[0].text.startswith("--[no-]lease::")
    assert answer.quotes[0].text.endswith("if the remote ref has the expected value.")


def test_a_passage_that_opens_with_a_label_is_found_by_it_before_passages_repeating_its_word(tmp_path: Path) -> None:
    """A label counts as the passage's heading too, so the item it opens outranks text that merely repeats it."""
    manual = "OPTIONS\n-------\n\n--amend::\n\tReplace the tip of the current branch.\n"
    fixup = "A fixup commit is an amend commit: it amends the tip, and a later rebase squashes it.\n"
    answer = open_corpus(tmp_path, {"commit.txt": manual, "fixup.txt": fixup}).ask("How does --amend work?")
    assert answer.answered and answer.quotes[0].text.startswith("--amend::")


def test_a_sentence_saying_what_the_subject_means_answers_what_is_it(tmp_path: Path) -> None:
    """The definition wins over a passage that uses the defined term more often."""
    uses = (
        "The Combined Work may be conveyed under terms of your choice, if the Combined Work keeps the notices. "
        "Each Combined Work must carry the notices; a Combined Work without them breaks the terms.\n"
    )
    definition = 'A "Combined Work" is a work produced by combining or linking an Application with the Library.\n'
    corpus = open_corpus(tmp_path, {"conveying.txt": uses, "definitions.txt": definition})
    answer = corpus.ask('Here, what is a "Combined Work"?')
    assert answer.answered and answer.quotes[0].source == "definitions.txt"


def test_definitions_are_recognised_by_their_shape() -> None:
    assert defined_subject('A "Combined Work" is a work produced by combining') == '"Combined Work"'
    assert defined_subject('"Secondary License" means either the GNU General Public License') == '"Secondary License"'
    assert defined_subject("You may convey a covered work under sections 3 and 4.") is None
    assert asks_definition("Under LGPL-3, what is a Combined Work?") and not asks_definition("Why is it so?")
    assert asks_definition('How does the Artistic License define a "Reasonable copying fee"?')
    assert asks_definition("What counts as control in the definition of Legal Entity?")
    assert not asks_definition("Which fees are left undefined?")


def test_how_many_prefers_a_quote_with_a_number(tmp_path: Path) -> None:
    text = "The lab trained its model on GPUs it rented.\n\nThe lab trained its model on 2,048 GPUs.\n"
    answer = open_corpus(tmp_path, {"a.txt": text}).ask("How many GPUs did the lab train its model on?")
    assert "2,048" in answer.quotes[0].text


def test_how_many_things_prefers_a_number_of_those_things_over_another_number(tmp_path: Path) -> None:
    """ "How many GPUs" is answered by "2,048 GPUs", not by what the GPUs cost."""
    cost = "The lab trained its model on GPUs, and the lab's model training cost $5.6 million in 2024.\n"
    count = "A cluster of 2,048 GPUs trained the lab's model.\n"
    first = first_quote(
        tmp_path, {"cost.txt": cost, "count.txt": count}, "How many GPUs was the lab's model trained on?"
    )
    assert "2,048" in first.text


def test_how_long_prefers_a_quote_with_a_duration_over_another_number(tmp_path: Path) -> None:
    """ "How long" wants a duration: "one year", spelled out, counts as the number asked for, as "100" does."""
    count = "The download must stay up when 100 copies are handed out.\n"
    duration = "The download of the manual must stay up for one year after the last copy is handed out.\n"
    question = "How long must the download of the manual stay up for copies handed out?"
    assert first_quote(tmp_path, {"count.txt": count, "duration.txt": duration}, question).source == "duration.txt"


def test_the_thing_counted_is_read_from_the_question() -> None:
    gpus, days = counted_thing("How many GPUs does it claim?"), counted_thing("How many days do I have to cure it?")
    assert gpus and gpus.search("on only 2,048 GPU NVIDIA H800") and not gpus.search("spent $5.6 million on GPUs")
    assert days and days.search("within thirty days after notice") and days.search("30 (thirty) calendar days")
    assert counted_thing("How many of them are active?") is None and counted_thing("How much did it cost?") is None
    lasting = counted_thing("How long do I have to fix it?")
    assert lasting and lasting.search("at least one year after") and lasting.search("within 30 calendar days")
    assert not lasting.search("numbering more than 100")


def test_answer_types_are_read_from_the_question() -> None:
    amount, time = answer_type("How much did it cost?"), answer_type("When was it released?")
    assert amount and amount.search("$5") and not amount.search("five")
    assert time and time.search("on January 27, 2025") and not time.search("on the ground")
    assert answer_type("Why did it fall?") is None


def test_a_question_about_something_the_documents_never_name_is_not_answered(tmp_path: Path) -> None:
    """It shares "policy" with the corpus, but "refund" and "Acme" are nowhere in it."""
    text = "The government published a new export policy for chips on Monday.\n"
    assert not open_corpus(tmp_path, {"a.txt": text}).ask("What is Acme's refund policy?").answered


def test_a_long_question_is_also_answered_by_sources_that_hold_one_of_its_parts(tmp_path: Path) -> None:
    """Once one passage shows the documents answer, a passage holding less than `min_coverage` of a long
    question (one of its twelve words) is still a source worth citing."""
    tools = "compilers assemblers linkers loaders debuggers editors profilers formatters tracers shells".split()
    files = {f"{tool}.txt": f"The {tool} are described in this note.\n" for tool in tools}
    files["history.txt"] = "Zeta worked in Oslo.\n"
    answer = open_corpus(tmp_path, files).ask(
        "Which compilers, assemblers, linkers, loaders, debuggers, editors, profilers, formatters, tracers and "
        "shells did the Zeta lab in Oslo write?",
        top_k=5,
    )
    assert answer.answered and answer.quotes[0].source == "history.txt"
    assert len(answer.quotes) == 5


def test_in_a_long_passage_how_much_quotes_the_sentence_with_the_amount(tmp_path: Path) -> None:
    """Of two sentences of a long passage that hold as much of the question, the one with the number is quoted."""
    clause = "This clause covers the notices, the copies and the form of the work, written out in plain words " * 4
    text = (
        "A Legal Entity is under control.\n"
        f"{clause.strip()}.\n{clause.strip()}.\n"
        "A stake of fifty percent (50%) or more gives control.\n"
    )
    answer = open_corpus(tmp_path, {"terms.txt": text}).ask("How big a stake gives control of a Legal Entity?")
    assert answer.answered and "(50%)" in answer.quotes[0].text
