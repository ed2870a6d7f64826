"""A question as the composer weighs it: the same question reads and weighs the same in every process."""

from __future__ import annotations

import itertools

from retrieval.bm25 import Bm25Engine
from retrieval.question import Concept, Question, parse_question


def test_the_same_concepts_weigh_the_same_in_any_order() -> None:
    """Summing floats in another order can change the last bit: a set's order must not decide a weight."""
    weights = {"harbor": 0.1, "lantern": 0.2, "granite": 0.3, "falcon": 0.7}
    asked = Question("q", list(weights), {key: Concept(((key,),), weight) for key, weight in weights.items()})
    seen = {asked.weight(order) for order in itertools.permutations(weights)}
    assert len(seen) == 1
    assert seen == {asked.total_weight}


def test_concepts_do_not_depend_on_the_order_abbreviations_were_found() -> None:
    """A freshly built index lists abbreviations as the documents define them, a loaded one alphabetically: both
    must read a question the same way."""
    engine = Bm25Engine.build(
        [["quarri", "ledger", "qlg"], ["quarri", "ledger", "ql"], ["granit"]], k1=1.5, b=0.75, epsilon=0.25
    )
    found = {"qlg": ["quarri", "ledger"], "ql": ["quarri", "ledger"], "capex": ["capit", "expenditur"]}
    orders = [dict(order) for order in itertools.permutations(found.items())]
    readings = {repr(parse_question("where is the quarry ledger kept?", engine, aliases)) for aliases in orders}
    assert len(readings) == 1


def test_the_longest_long_form_written_in_a_question_is_its_concept() -> None:
    """ "capital expenditure growth" is CEG, not CE followed by the word "growth", whichever was defined first."""
    engine = Bm25Engine.build(
        [["capit", "expenditur", "ce"], ["growth", "ceg"], ["granit"]], k1=1.5, b=0.75, epsilon=0.25
    )
    found = {"ce": ["capit", "expenditur"], "ceg": ["capit", "expenditur", "growth"]}
    for aliases in (found, dict(reversed(found.items()))):
        asked = parse_question("capital expenditure growth", engine, aliases)
        assert list(asked.concepts) == ["ceg"]


def test_a_name_run_into_its_version_is_found_as_the_documents_write_it() -> None:
    """People type "GPLv3" and "v2"; documents say "GPL-3" (one hyphenated term, as a file name) or "GPL
    version 3": an unknown name-and-version is matched by those, so it neither misses nor counts as unknown."""
    hyphenated = Bm25Engine.build(
        [["gpl-3", "gpl", "3", "convey"], ["lgpl", "2"], ["granit"]], k1=1.5, b=0.75, epsilon=0.25
    )
    asked = parse_question("Can I convey GPLv3?", hyphenated, {})
    assert asked.concepts["gplv3"].forms == (("gplv3",), ("gpl-3",))
    assert asked.unknown_weight == 0.0
    spelled = parse_question("Does LGPLv2 allow it, or only v2?", hyphenated, {})
    assert spelled.concepts["lgplv2"].forms == (("lgplv2",), ("lgpl", "2"))
    assert spelled.concepts["v2"].forms == (("v2",), ("2",))
