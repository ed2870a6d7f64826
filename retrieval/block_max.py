"""Block-max MaxScore top-k, compiled with numba: exact BM25 top-k at a cost that follows the cheap terms.

The numpy MaxScore (retrieval/pruning.py) pays a Python call per step and several passes over every touched
passage; this is the same idea in one compiled call per question, with bounds per block as well as per term:

* each posting list is cut into blocks of `BLOCK_POSTINGS`; per block, its last passage id and its largest
  tf-part (`BlockBounds`, derived from the engine's final arrays: nothing new is stored in an index file);
* a first *bar* (a lower bound of the k-th best score): the whole scores of the passages of the heaviest short
  list (its first postings when every list is long), looked up in the other lists block by block;
* the *essential* terms: of all sets of the question's terms, the one with the fewest postings such that the
  bounds of the terms left out (count * idf * largest tf-part) add up to less than the bar, so a passage none
  of its lists holds cannot reach the top k (BM25Okapi floors a common word's idf, so the commonest words
  are often the heaviest: the cheapest set is not always the rarest terms);
* the essential lists are added whole into the thread's score vector, skipping each block whose largest
  tf-part cannot lift a passage to the bar; the other lists are then added, heaviest first, only for the
  passages still within reach (a binary search each, or one pass over a short list), the bar rising and the
  passages below it dropped after each;
* the few passages left are scored again term by term in question order with the exhaustive path's float64
  operations (idf * tf-part, added in question order), so their scores are bit for bit the exhaustive ones;
  then the best k, equal scores to the lower passage id.

The plan is chosen per question before any list is read in full: when the question has few postings per term
(a first bar would cost about as much) or the essential lists hold a large share of its postings or of the
corpus (keyword questions of flat weights, several common words at once), MaxScore's bookkeeping costs more
than it skips, and every posting is added instead, in question order, into the same score vector (the
exhaustive path's operations, so the same scores), the best k taken among the passages touched.

Exactness: every contribution is >= 0 (a question with a negative idf is left to the caller), so the whole or
partial scores of any k passages bound the k-th best score from below; a passage (or a block's postings) is
left out only when an upper bound of its score is below that bar shrunk by a relative margin far wider than
the rounding of sums taken in another order, so nothing that could reach or tie the k-th place is lost.  The
thread's score vector is all zeros before and after a question; nothing the size of the corpus is allocated.

numba compiles the functions at their first call in a process (a few seconds) and keeps no cache on disk: the
caller decides when that pays (retrieval/bm25.py: corpora of 20,000 passages and more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numba
import numpy as np
import numpy.typing as npt

from retrieval.pruning import PostingLists, Workspace

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BLOCK_POSTINGS = 128
# Relative safety margin on every pruning comparison, as in retrieval/pruning.py.
_MARGIN = 1e-9
_GROW = 1.0 + _MARGIN
_SHRINK = 1.0 - _MARGIN
_NO_PASSAGE = np.iinfo(np.int64).max
# Up to this many distinct terms, every set of them is weighed as the essential ones (2**n small sums).
_SUBSETS_UP_TO = 10
# Sets of terms are bit masks in an int64: a question with more distinct terms walks every list.
_MASKED_TERMS = 62
# The first bar comes from a list of at most this many postings (each looked up in the other lists).
_SEED_POSTINGS = 2048
# A binary search costs about this many postings read in order: a list longer than the passages still within
# reach times this is searched for each of them, a shorter one read whole.
_SEARCH_COST = 64
# Plans: chosen per question by cost, or forced (tests and benchmarks compare them).
Plan = Literal["auto", "maxscore", "accumulate"]
AUTO, MAXSCORE, ACCUMULATE = 0, 1, 2
_PLANS = {"auto": AUTO, "maxscore": MAXSCORE, "accumulate": ACCUMULATE}
# MaxScore pays for its bookkeeping (partial scores looked up, finalists searched again term by term) only when
# the essential lists are a small part of the question's postings and of the corpus: above this share of either,
# every posting is added instead (measured at 100k and 1M passages, `python -m bench.interleaved`).
_ACCUMULATE_FROM_SHARE = 0.3
_ACCUMULATE_FROM_PASSAGES = 0.2
# A first bar costs up to `_SEED_POSTINGS` look-ups per term: with this few postings per term, adding them all costs
# less.
_ACCUMULATE_UP_TO = 2 * _SEED_POSTINGS


@dataclass(frozen=True)
class BlockBounds:
    """Per block of `BLOCK_POSTINGS` postings of a term: its last passage id and its largest tf-part."""

    offsets: IntArray  # per term, the index of its first block; [terms] = how many blocks in all
    last_passages: npt.NDArray[np.int32]
    tf_maxima: FloatArray

    @classmethod
    def of(cls, postings: PostingLists) -> BlockBounds:
        """Derived from the finished postings in one compiled pass (a second or so at 100M postings)."""
        lengths = np.diff(postings.indptr)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum((lengths + BLOCK_POSTINGS - 1) // BLOCK_POSTINGS, out=offsets[1:])
        last_passages = np.zeros(int(offsets[-1]), dtype=np.int32)
        tf_maxima = np.zeros(int(offsets[-1]), dtype=np.float64)
        _fill_block_bounds(
            postings.indptr, postings.passages, postings.codes, postings.code_weights, last_passages, tf_maxima
        )
        return cls(offsets, last_passages, tf_maxima)


def block_max_top_k(
    postings: PostingLists,
    bounds: BlockBounds,
    question: Sequence[int],
    k: int,
    workspace: Workspace,
    plan: Plan = "auto",
) -> list[tuple[int, float]] | None:
    """The k best (passage, score) for known term ids in question order, exactly as exhaustive top-k finds them;
    None when a question term has a negative idf (partial scores would then bound nothing from below).

    `plan` "auto" picks per question between MaxScore and adding every posting, by the postings each would read;
    "maxscore" and "accumulate" force one (tests and benchmarks compare them)."""
    if k <= 0 or not question:
        return []
    passages, scores, exact = _top_k(
        np.array(question, dtype=np.int64),
        max(1, min(k, len(postings.passages))),  # no more passages than postings
        postings.idf,
        postings.indptr,
        postings.passages,
        postings.codes,
        postings.code_weights,
        postings.term_max_weights,
        bounds.offsets,
        bounds.last_passages,
        bounds.tf_maxima,
        workspace.scores,
        workspace.touched,
        _PLANS[plan],
    )
    if not exact:
        return None
    return list(zip(passages.tolist(), scores.tolist(), strict=True))


# ---------------------------------------------------------------------- compiled


@numba.njit(nogil=True)
def _fill_block_bounds(indptr: Any, passages: Any, codes: Any, code_weights: Any, last: Any, maxima: Any) -> None:
    block = 0
    for term in range(len(indptr) - 1):
        for start in range(indptr[term], indptr[term + 1], BLOCK_POSTINGS):
            stop = min(start + BLOCK_POSTINGS, indptr[term + 1])
            largest = 0.0
            for posting in range(start, stop):
                largest = max(largest, code_weights[codes[posting]])
            last[block] = passages[stop - 1]
            maxima[block] = largest
            block += 1


@numba.njit(nogil=True)
def _top_k(
    question: Any,
    k: int,
    idf: Any,
    indptr: Any,
    passages: Any,
    codes: Any,
    code_weights: Any,
    term_max_weights: Any,
    block_offsets: Any,
    block_last: Any,
    block_max: Any,
    scores: Any,
    touched: Any,
    plan: int,
) -> tuple[Any, Any, bool]:
    """(passages, scores, exact): the best k, best first; exact is False for a negative idf (nothing found).

    Term at a time into `scores` (all zeros before and after), listing the passages touched in `touched`.
    `plan` is AUTO (by the postings each way would read), MAXSCORE or ACCUMULATE."""
    terms = np.empty(len(question), dtype=np.int64)
    counts = np.zeros(len(question), dtype=np.float64)
    n = 0
    for asked in question:
        j = 0
        while j < n and terms[j] != asked:
            j += 1
        if j == n:
            terms[n] = asked
            n += 1
        counts[j] += 1.0
        if idf[asked] < 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), False
    weights = np.zeros(n, dtype=np.float64)
    bounds = np.zeros(n, dtype=np.float64)
    for i in range(n):  # insertion sort, smallest bound first (a handful of terms; numba's sorts compile slowly)
        term, weight = terms[i], counts[i] * idf[terms[i]]
        bound = weight * term_max_weights[term] * _GROW
        j = i
        while j > 0 and bounds[j - 1] > bound:
            terms[j], weights[j], bounds[j] = terms[j - 1], weights[j - 1], bounds[j - 1]
            j -= 1
        terms[j], weights[j], bounds[j] = term, weight, bound
    start = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    first_block = np.zeros(n, dtype=np.int64)
    end_block = np.zeros(n, dtype=np.int64)
    for i in range(n):
        start[i], end[i] = indptr[terms[i]], indptr[terms[i] + 1]
        first_block[i], end_block[i] = block_offsets[terms[i]], block_offsets[terms[i] + 1]

    # The plan: adding every posting reads the question's postings once; MaxScore pays for a first bar (look-ups
    # in every list), the essential lists, then look-ups for the passages still within reach and the finalists.
    all_postings = 0
    for asked in question:
        all_postings += indptr[asked + 1] - indptr[asked]
    accumulate = plan == ACCUMULATE or (plan == AUTO and all_postings <= _ACCUMULATE_UP_TO * n)
    bar = 0.0
    essential = np.ones(n, dtype=np.bool_)
    rest = 0.0  # a bound of what the terms not essential add together
    if not accumulate:
        bar = _seed_bar(
            k, passages, codes, code_weights, block_last, weights, bounds, start, end, first_block, end_block
        )
        if n <= _MASKED_TERMS:
            choices, choice_costs, choice_rests = _essential_choices(bounds, end - start)
            chosen, cheapest = -1, _NO_PASSAGE
            for c in range(len(choices)):
                if choice_rests[c] < bar and choice_costs[c] < cheapest:
                    chosen, cheapest = c, choice_costs[c]
            if chosen >= 0:
                rest = choice_rests[chosen]
                for i in range(n):
                    essential[i] = (choices[chosen] >> i) & 1 == 1
        essential_postings = 0
        for i in range(n):
            if essential[i]:
                essential_postings += end[i] - start[i]
        accumulate = plan == AUTO and (
            essential_postings > _ACCUMULATE_FROM_SHARE * all_postings
            or essential_postings > _ACCUMULATE_FROM_PASSAGES * len(scores)
        )
    if accumulate:
        found, found_scores = _accumulate_top_k(
            question, k, idf, indptr, passages, codes, code_weights, scores, touched
        )
        return found, found_scores, True

    # The essential lists: every passage that could be in the top k is in one of them. A posting is skipped
    # when its contribution, with every other term's bound, stays below the bar (a block, when its largest
    # does): its passage cannot reach the top k, and leaving its partial score short only drops it sooner.
    total = 0.0
    for i in range(n):
        total = (total + bounds[i]) * _GROW
    count = 0
    for i in range(n):
        if not essential[i] or weights[i] == 0.0:
            continue
        least = (bar - (total - bounds[i] * _SHRINK)) / (weights[i] * _GROW)  # the tf-part a posting needs
        for block in range(first_block[i], end_block[i]):
            if block_max[block] < least:
                continue
            first = start[i] + (block - first_block[i]) * BLOCK_POSTINGS
            for posting in range(first, min(first + BLOCK_POSTINGS, end[i])):
                tf_part = code_weights[codes[posting]]
                if tf_part < least:
                    continue
                passage = passages[posting]
                if scores[passage] == 0.0:
                    touched[count] = passage
                    count += 1
                scores[passage] += weights[i] * tf_part
    # The other lists, largest bound first, only for passages still within reach. A pass that drops the
    # passages out of reach (and finds the k-th best partial score, a higher bar) reads scattered scores: it is
    # made after the essential lists, before a list is searched passage by passage, and at the end.
    pruned = False
    for i in range(n - 1, -2, -1):
        if i >= 0 and (essential[i] or weights[i] == 0.0):
            continue
        if not pruned or i < 0 or end[i] - start[i] > count * _SEARCH_COST:
            count, kth = _keep_within_reach(scores, touched, count, rest, bar, k)
            bar = max(bar, kth * _SHRINK)
            pruned = True
        if i < 0:
            break
        rest = 0.0
        for j in range(i):
            if not essential[j]:
                rest = (rest + bounds[j]) * _GROW
        if end[i] - start[i] <= count * _SEARCH_COST:
            for posting in range(start[i], end[i]):
                passage = passages[posting]
                if scores[passage] > 0.0:
                    scores[passage] += weights[i] * code_weights[codes[posting]]
        else:
            for j in range(count):
                where = _find(passages, start[i], end[i], touched[j])
                if where >= 0:
                    scores[touched[j]] += weights[i] * code_weights[codes[where]]

    # The finalists scored again exactly, in question order; the best k kept in order, equal scores by id.
    best = np.zeros(k, dtype=np.int64)
    best_scores = np.zeros(k, dtype=np.float64)
    kept = 0
    for j in range(count):
        passage = touched[j]
        weighed = scores[passage]
        scores[passage] = 0.0
        if weighed < bar:
            continue
        exact = 0.0
        for asked in question:  # question order, repeats included: the exhaustive path's order of additions
            where = _find(passages, indptr[asked], indptr[asked + 1], passage)
            if where >= 0:
                exact += code_weights[codes[where]] * idf[asked]
        kept = _insert(best, best_scores, kept, passage, exact)
    return best[:kept], best_scores[:kept], True


@numba.njit(nogil=True)
def _insert(best: Any, best_scores: Any, kept: int, passage: int, score: float) -> int:
    """Place a passage in the best k so far (sorted: higher score, then lower passage id, first) if it belongs
    there; a score of 0 never does. Returns how many are kept now."""
    k = len(best)
    if score <= 0.0 or (kept == k and not _ahead(score, passage, best_scores[k - 1], best[k - 1])):
        return kept
    i = min(kept, k - 1)
    while i > 0 and _ahead(score, passage, best_scores[i - 1], best[i - 1]):
        best[i], best_scores[i] = best[i - 1], best_scores[i - 1]
        i -= 1
    best[i], best_scores[i] = passage, score
    return min(kept + 1, k)


@numba.njit(nogil=True)
def _ahead(score: float, passage: int, other_score: float, other_passage: int) -> bool:
    return score > other_score or (score == other_score and passage < other_passage)


@numba.njit(nogil=True)
def _keep_within_reach(scores: Any, touched: Any, count: int, rest: float, bar: float, k: int) -> tuple[int, float]:
    """Drop (and zero) the touched passages whose score plus `rest` is below the bar; (how many are left, the
    k-th best score among them, 0.0 with fewer than k): one pass, as each is a pass over scattered passages."""
    heap = np.zeros(k, dtype=np.float64)
    held = 0
    kept = 0
    for j in range(count):
        passage = touched[j]
        score = scores[passage]
        if score + rest < bar:
            scores[passage] = 0.0
            continue
        touched[kept] = passage
        kept += 1
        held = _offer(heap, held, score)
    return kept, float(heap[0]) if held == k else 0.0


@numba.njit(nogil=True)
def _seed_bar(
    k: int,
    passages: Any,
    codes: Any,
    code_weights: Any,
    block_last: Any,
    weights: Any,
    bounds: Any,
    start: Any,
    end: Any,
    first_block: Any,
    end_block: Any,
) -> float:
    """A first bar: the k-th best whole score among the passages of the heaviest short list (its passages
    looked up in the other lists). Walking in passage order, the bar would otherwise rise slowly from 0."""
    n = len(bounds)
    seed, shortest = -1, 0
    for i in range(n):
        if k <= end[i] - start[i] <= _SEED_POSTINGS and (seed < 0 or bounds[i] > bounds[seed]):
            seed = i
        if end[i] - start[i] < end[shortest] - start[shortest]:
            shortest = i
    if seed < 0:  # the shortest list's first postings: any k passages' whole scores bound the k-th best
        seed = shortest
    if end[seed] - start[seed] < k:
        return 0.0
    heap = np.zeros(k, dtype=np.float64)
    held = 0
    cursor = start.copy()
    for posting in range(start[seed], min(end[seed], start[seed] + _SEED_POSTINGS)):
        passage = passages[posting]
        score = weights[seed] * code_weights[codes[posting]]
        for i in range(n):
            if i != seed:
                cursor[i] = _first_from(
                    passages, block_last, cursor[i], end[i], start[i], first_block[i], end_block[i], passage
                )
                if cursor[i] < end[i] and passages[cursor[i]] == passage:
                    score += weights[i] * code_weights[codes[cursor[i]]]
        held = _offer(heap, held, score)
    return float(heap[0]) * _SHRINK if held == k else 0.0


@numba.njit(nogil=True)
def _essential_choices(bounds: Any, lengths: Any) -> tuple[Any, Any, Any]:
    """Sets of terms that could be the essential ones (bit i: term i), each with its postings and a bound of
    what the other terms add: every set for a few terms, else (like plain MaxScore) the terms from some bound
    up."""
    n = len(bounds)
    every = n <= _SUBSETS_UP_TO
    count = (1 << n) if every else n + 1
    choices = np.zeros(count, dtype=np.int64)
    costs = np.zeros(count, dtype=np.int64)
    rests = np.zeros(count, dtype=np.float64)
    for c in range(count):
        choices[c] = c if every else ((1 << n) - 1) ^ ((1 << c) - 1)  # else: terms c .. n-1
        for i in range(n):
            if (choices[c] >> i) & 1:
                costs[c] += lengths[i]
            else:
                rests[c] = (rests[c] + bounds[i]) * _GROW
    return choices, costs, rests


@numba.njit(nogil=True)
def _first_from(
    passages: Any,
    block_last: Any,
    position: int,
    end: int,
    start: int,
    first_block: int,
    end_block: int,
    passage: int,
) -> int:
    """The first posting at or after `position` of a passage >= `passage`: whole blocks skipped by their last
    passage, then a binary search in the block that holds it; `end` when there is none."""
    if position >= end or passages[position] >= passage:
        return position
    b = first_block + (position - start) // BLOCK_POSTINGS
    while b < end_block and block_last[b] < passage:
        b += 1
    if b == end_block:
        return end
    first = start + (b - first_block) * BLOCK_POSTINGS
    return _lower_bound(passages, max(position, first), min(first + BLOCK_POSTINGS, end), passage)


@numba.njit(nogil=True)
def _find(passages: Any, start: int, stop: int, passage: int) -> int:
    """The posting of `passage` among passages[start:stop] (ascending), or -1."""
    found = _lower_bound(passages, start, stop, passage)
    return found if found < stop and passages[found] == passage else -1


@numba.njit(nogil=True)
def _lower_bound(passages: Any, low: int, high: int, passage: int) -> int:
    """The first posting in passages[low:high] (ascending) of a passage >= `passage`; `high` when none is."""
    while low < high:
        middle = (low + high) // 2
        if passages[middle] < passage:
            low = middle + 1
        else:
            high = middle
    return low


@numba.njit(nogil=True)
def _offer(heap: Any, held: int, score: float) -> int:
    """Keep `score` if it is among the len(heap) best so far (a min-heap of `held` entries); the new count."""
    if held < len(heap):
        heap[held] = score
        _sift_up(heap, held)
        return held + 1
    if score > heap[0]:
        heap[0] = score
        _sift_down(heap, held)
    return held


@numba.njit(nogil=True)
def _sift_up(heap: Any, i: int) -> None:
    while i > 0:
        parent = (i - 1) // 2
        if heap[parent] <= heap[i]:
            return
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent


@numba.njit(nogil=True)
def _sift_down(heap: Any, size: int) -> None:
    i = 0
    while True:
        smallest, left, right = i, 2 * i + 1, 2 * i + 2
        if left < size and heap[left] < heap[smallest]:
            smallest = left
        if right < size and heap[right] < heap[smallest]:
            smallest = right
        if smallest == i:
            return
        heap[smallest], heap[i] = heap[i], heap[smallest]
        i = smallest


@numba.njit(nogil=True)
def _accumulate_top_k(
    question: Any,
    k: int,
    idf: Any,
    indptr: Any,
    passages: Any,
    codes: Any,
    code_weights: Any,
    scores: Any,
    touched: Any,
) -> tuple[Any, Any]:
    """Every posting of every question term added into `scores` in question order (repeats again), exactly the
    exhaustive path's float64 operations; then the best k among the passages touched, equal scores by id."""
    count = 0
    for asked in question:
        weight = idf[asked]
        for posting in range(indptr[asked], indptr[asked + 1]):
            added = code_weights[codes[posting]] * weight
            if added == 0.0:  # adds nothing to the sum; counted, it would list its passage twice (idf 0, repeated)
                continue
            passage = passages[posting]
            if scores[passage] == 0.0:
                touched[count] = passage
                count += 1
            scores[passage] += added
    best = np.zeros(k, dtype=np.int64)
    best_scores = np.zeros(k, dtype=np.float64)
    kept = 0
    for j in range(count):
        passage = touched[j]
        score = scores[passage]
        scores[passage] = 0.0
        kept = _insert(best, best_scores, kept, passage, score)
    return best[:kept], best_scores[:kept]
