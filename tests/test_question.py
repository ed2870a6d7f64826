"""A question as the composer weighs it: the same question reads and weighs the same in every process."""

from __future__ import annotations

import itertools

from retrieval.question import Concept, Question


def test_the_same_concepts_weigh_the_same_in_any_order() -> None:
    """Summing floats in another order can change the last bit: a set's order must not decide a weight."""
    weights = {"harbor": 0.1, "lantern": 0.2, "granite": 0.3, "falcon": 0.7}
    asked = Question("q", list(weights), {key: Concept(((key,),), weight) for key, weight in weights.items()})
    seen = {asked.weight(order) for order in itertools.permutations(weights)}
    assert len(seen) == 1
    assert seen == {asked.total_weight}
