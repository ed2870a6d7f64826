"""Exact top-k without scoring every posting: MaxScore over per-term upper bounds.

Exhaustive scoring walks every posting of every question term, so a question holding a rare word and two
common ones walks the common words' long posting lists only to find the few passages the rare word already
found.  MaxScore (Turtle and Flood, 1995; Lucene, tantivy and PISA build on it) skips them:

* a term's *bound* is ``multiplicity * idf * its largest tf-part``: no passage gets more from it;
* terms are scored over all their postings, rarest first (cheap: short lists), into partial scores; before
  each long list the few leading passages so far are scored whole (the other terms looked up by binary
  search) to raise a *floor*: k passages score at least that much, so the k-th best score does too;
* scanning stops at the first term whose bound, with the bounds of the terms after it, is below the floor:
  those common terms are *non-essential*, since a passage that holds none of the other (*essential*) terms
  cannot reach the floor, so they are looked up only for the passages the essential terms found (gathered
  from the lists scanned, with neither a sort nor a pass over every passage), and a candidate is dropped
  once its partial score plus the bounds still to come is below the floor;
* the few candidates left are scored again, term by term in question order, with the exhaustive path's
  float64 operations (idf * tf-part, added in question order), so the scores are bit-identical; then the
  best k, equal scores to the lower passage id.

The plan is costed before each long list is read: when the essential terms or the look-ups would cost about as
much as reading every posting, the caller scores exhaustively instead (questions of common words only, few
postings overall, or a term with negative idf, where partial scores would not bound anything from below).

Exactness: every contribution is >= 0 here, so partial scores and the whole scores of any k passages bound the
k-th best score from below; a passage is dropped only when an upper bound of its score is *strictly* below that,
so it could not even tie.  Bounds and partial sums round differently from the final sums (other order, other
grouping); every comparison keeps a relative margin far wider than any such rounding.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Relative safety margin on every pruning comparison: summing a few hundred float64 numbers in another order
# or grouping moves a sum by well under 1e-13 of itself.
_MARGIN = 1e-9
# Questions with fewer postings than this share of the passages, or than this many, are scored exhaustively:
# they cost little (about a millisecond for 100,000), and planning the pruning costs about as much.
_PRUNE_FROM_SHARE = 0.5
_PRUNE_FROM_POSTINGS = 100_000
# A long list is scanned only after a floor from the terms scanned before it (a floor costs a few lookups).
_RECHECK_FROM = 8192
# Pruning goes ahead only when its planned work is below this share of the question's postings.
_WORTH_SHARE = 0.5
# A binary search costs about this many sequential posting reads: with more candidates than postings / this,
# one pass over the posting list is cheaper than a search per candidate.
_SEARCH_COST = 16
# Scanning or zeroing the whole score vector costs about this many passages per touched posting.
_SCAN_COST = 16
# Questions with at most passages / this many postings are scored in full without any pass over every passage.
_SPARSE_COST = 8
# How many leading passages (per k, and at least) are scored whole for the floor.
_LEADERS = 16
_MIN_LEADERS = 256


@dataclass(frozen=True)
class PostingLists:
    """The engine's term-major arrays, as `Bm25Engine` holds them (see retrieval/bm25.py)."""

    idf: FloatArray
    indptr: IntArray
    passages: npt.NDArray[np.int32]
    codes: npt.NDArray[np.unsignedinteger[Any]]
    code_weights: FloatArray
    term_max_weights: FloatArray  # per term, the largest tf-part among its postings

    def span(self, term: int) -> tuple[int, int]:
        return int(self.indptr[term]), int(self.indptr[term + 1])

    def term_weights(self, term: int, out: FloatArray) -> FloatArray:
        """idf * tf-part for every posting of `term`, the products the exhaustive path adds, into `out`'s start.

        Into a kept buffer: a fresh array of a common term's size costs page faults on every question.
        """
        start, end = self.span(term)
        weights = out[: end - start]
        np.take(self.code_weights, self.codes[start:end], out=weights, mode="clip")  # "clip": unbuffered
        weights *= self.idf[term]
        return weights


class Workspace:
    """One thread's buffers, kept between questions (a fresh passage-sized array every question would cost
    page faults, not just time); the score vector is all zeros between questions."""

    __slots__ = ("scores", "touched", "weights")

    def __init__(self, passages: int, longest_postings: int) -> None:
        self.scores: FloatArray = np.zeros(passages, dtype=np.float64)
        self.weights: FloatArray = np.zeros(longest_postings, dtype=np.float64)
        self.touched = np.zeros(passages, dtype=np.int32)  # the compiled path's list of passages scored

    def add(self, postings: PostingLists, term: int, times: float) -> npt.NDArray[np.int32]:
        """Add `times` the term's contributions to the scores; returns the passages touched."""
        start, end = postings.span(term)
        weights = postings.term_weights(term, self.weights)
        if times != 1:
            weights *= times
        touched = postings.passages[start:end]
        np.add.at(self.scores, touched, weights)  # numpy 2's add.at: a fast scatter-add
        return touched

    def gather(self, touched: Sequence[npt.NDArray[np.int32]]) -> tuple[npt.NDArray[np.int32], FloatArray]:
        """Every touched passage with its score so far, once per list that holds it.

        Neither sorted nor distinct: sorting, or a pass over every passage, would cost more than the scoring.
        """
        found = np.concatenate([np.zeros(0, dtype=np.int32), *touched])
        return found, self.scores[found]

    def clear(self, touched: Sequence[npt.NDArray[Any]], touched_count: int) -> None:
        """Back to all zeros, the cheaper way: the touched entries, or the whole vector."""
        if touched_count * _SCAN_COST > len(self.scores):
            self.scores.fill(0.0)
            return
        for passages in touched:
            self.scores[passages] = 0.0


@dataclass(frozen=True)
class _Terms:
    """A question's distinct known terms, rarest first, with their multiplicities and bounds."""

    ids: list[int]
    counts: list[float]
    lengths: IntArray
    still_to_come: FloatArray  # [i]: a bound of what terms i, i+1, ... add together; [len] = 0


def pruned_top_k(
    postings: PostingLists, question: Sequence[int], k: int, workspace: Workspace, *, always: bool = False
) -> list[tuple[int, float]] | None:
    """The k best (passage, score) for known term ids in question order, exactly as exhaustive top-k finds them.

    None when scoring exhaustively is the better way (see the module's docstring); with `always`, None only
    when pruning could not be exact (a negative idf).
    """
    if k <= 0 or not question:
        return []
    multiplicity = Counter(question)
    ids = np.fromiter(multiplicity, dtype=np.int64, count=len(multiplicity))
    lengths = postings.indptr[ids + 1] - postings.indptr[ids]
    total = int(lengths.sum())
    if total * _SPARSE_COST <= len(workspace.scores) and not always:
        return _score_all(postings, question, k, workspace, total)
    few = total < max(_PRUNE_FROM_POSTINGS, len(workspace.scores) * _PRUNE_FROM_SHARE)
    if (postings.idf[ids] < 0).any() or (few and not always):
        return None
    counts = np.fromiter(multiplicity.values(), dtype=np.float64, count=len(ids))
    bounds = counts * postings.idf[ids] * postings.term_max_weights[ids] * (1 + _MARGIN)
    order = np.lexsort((-bounds, lengths))
    bounds = bounds[order]
    terms = _Terms(
        ids[order].tolist(),
        counts[order].tolist(),
        lengths[order],
        np.append(np.cumsum(bounds[::-1])[::-1], 0.0) * (1 + _MARGIN),
    )
    return _maxscore(postings, question, terms, k, workspace, budget=math.inf if always else total * _WORTH_SHARE)


def _maxscore(
    postings: PostingLists, question: Sequence[int], terms: _Terms, k: int, workspace: Workspace, budget: float
) -> list[tuple[int, float]] | None:
    least_work = terms.lengths[0] + np.minimum(terms.lengths[1:], terms.lengths[0] * _SEARCH_COST).sum()
    if least_work > budget:
        return None  # even the rarest term's passages alone would cost too many look-ups
    cumulative = np.cumsum(terms.lengths)
    floor, scanned, floor_from = 0.0, 0, 0  # floor_from: how many terms were scanned for the floor
    touched: list[npt.NDArray[np.int32]] = []
    try:
        # The essential terms, rarest first, while the bounds of the terms not yet scanned add up to the floor;
        # after each, the leading passages' whole scores raise the floor, so fewer long lists stay essential.
        while scanned < len(terms.ids) and terms.still_to_come[scanned] >= floor:
            if scanned and floor_from < scanned and terms.lengths[scanned] >= _RECHECK_FROM:
                floor = max(floor, _leaders_floor(postings, terms, scanned, *workspace.gather(touched), k))
                floor_from = scanned
                continue
            if cumulative[scanned] > budget:
                return None
            touched.append(workspace.add(postings, terms.ids[scanned], terms.counts[scanned]))
            scanned += 1
        touched_passages, partial = workspace.gather(touched)
    finally:
        workspace.clear(touched, int(sum(map(len, touched))))
    essential = scanned

    floor = max(floor, _kth_best(partial, k * essential))  # a passage is in up to `essential` of the lists
    alive = partial + terms.still_to_come[essential] >= floor
    candidates, partial = _distinct(touched_passages[alive], partial[alive])
    floor = max(floor, _kth_best(partial, k))
    # Each look-up's cost with the candidates that would still be alive for it if no partial score rose.
    alive_then = [np.count_nonzero(partial + terms.still_to_come[i] >= floor) for i in range(essential, len(terms.ids))]
    lookups = np.minimum(terms.lengths[essential:], np.array(alive_then, dtype=np.int64) * _SEARCH_COST).sum()
    if cumulative[essential - 1] + lookups > budget:
        return None
    for i in range(essential, len(terms.ids)):
        alive = partial + terms.still_to_come[i] >= floor
        candidates, partial = candidates[alive], partial[alive]
        partial += terms.counts[i] * _contributions(postings, terms.ids[i], candidates, workspace)
        floor = max(floor, _kth_best(partial, k))

    finalists = candidates[partial >= floor]
    exact = np.zeros(len(finalists), dtype=np.float64)
    looked_up: dict[int, FloatArray] = {}
    for term in question:  # question order, repeats included: the exhaustive path's order of additions
        if term not in looked_up:
            looked_up[term] = _contributions(postings, term, finalists, workspace)
        exact += looked_up[term]
    return _best_of(finalists, exact, k)


def _score_all(
    postings: PostingLists, question: Sequence[int], k: int, workspace: Workspace, total: int
) -> list[tuple[int, float]]:
    """Every posting, as the exhaustive path scores them, but the best k chosen among the passages touched
    rather than by a pass over every passage: for questions with few postings in a large corpus."""
    touched: list[npt.NDArray[np.int32]] = []
    try:
        for term in question:  # question order, repeats included
            touched.append(workspace.add(postings, term, 1.0))
        passages, scores = workspace.gather(touched)
    finally:
        workspace.clear(touched, total)
    # A passage is in up to len(touched) lists, so at least k distinct passages score this much or more.
    least = _kth_best(scores, k * len(touched)) if len(scores) > k * len(touched) else 0.0
    keep = scores >= least
    return _best_of(*_distinct(passages[keep], scores[keep]), k)


def _leaders_floor(
    postings: PostingLists,
    terms: _Terms,
    first_unscored: int,
    touched_passages: npt.NDArray[np.int32],
    partial: FloatArray,
    k: int,
) -> float:
    """A floor from the whole scores of the passages leading so far (the other terms looked up for them).

    Partial scores alone are too low to skip a common term; a few whole scores come close to the final k-th
    best at once.
    """
    wanted = max(_LEADERS * k, _MIN_LEADERS)
    if len(partial) > wanted:
        leaders = np.argpartition(partial, len(partial) - wanted)[len(partial) - wanted :]
        touched_passages, partial = touched_passages[leaders], partial[leaders]
    candidates, whole = _distinct(touched_passages, partial)  # the same passage twice would count twice
    for i in range(first_unscored, len(terms.ids)):
        whole += terms.counts[i] * _searched_contributions(postings, terms.ids[i], candidates)
    return _kth_best(whole, k)


def _distinct(passages: npt.NDArray[np.int32], scores: FloatArray) -> tuple[IntArray, FloatArray]:
    """Each passage once, ascending (a passage's entries all carry the same score)."""
    distinct, first = np.unique(passages, return_index=True)
    return distinct.astype(np.int64), scores[first]


def _contributions(postings: PostingLists, term: int, passages: IntArray, workspace: Workspace) -> FloatArray:
    """idf * tf-part of `term` for each of `passages` (0.0 where the passage lacks the term), the cheaper way:
    a binary search per passage, or one pass over the term's postings."""
    start, end = postings.span(term)
    if len(passages) * _SEARCH_COST < end - start:
        return _searched_contributions(postings, term, passages)
    touched = workspace.add(postings, term, 1.0)
    try:
        contributions: FloatArray = workspace.scores[passages]
        return contributions
    finally:
        workspace.clear([touched], len(touched))


def _searched_contributions(postings: PostingLists, term: int, passages: IntArray) -> FloatArray:
    start, end = postings.span(term)
    holding = postings.passages[start:end]
    where = np.minimum(np.searchsorted(holding, passages.astype(holding.dtype)), end - start - 1)
    found = holding[where] == passages
    out = np.zeros(len(passages), dtype=np.float64)
    out[found] = postings.code_weights[postings.codes[where[found] + start]] * postings.idf[term]
    return out


def _kth_best(values: FloatArray, k: int) -> float:
    """The k-th largest value, shrunk by the margin; 0.0 when there are fewer than k (nothing to prune by)."""
    if len(values) < k:
        return 0.0
    return float(np.partition(values, len(values) - k)[len(values) - k]) * (1 - _MARGIN)


def _best_of(passages: IntArray, scores: FloatArray, k: int) -> list[tuple[int, float]]:
    """The k best positive scores, best first, equal scores by lower passage id (the exhaustive rule)."""
    keep = scores > 0
    if np.count_nonzero(keep) > k:
        keep &= scores >= np.partition(scores, len(scores) - k)[len(scores) - k]  # ties at the k-th all stay
    passages, scores = passages[keep], scores[keep]
    best = np.lexsort((passages, -scores))[:k]
    return [(int(passages[i]), float(scores[i])) for i in best]
