"""Block-max MaxScore top-k, compiled with numba: exact BM25 top-k at a cost that follows the rare terms.

The numpy MaxScore (retrieval/pruning.py) pays a Python call per step and passes over whole posting lists;
this is the same idea, document at a time, in one compiled call per question, as Lucene, tantivy and PISA do:

* each posting list is cut into blocks of `BLOCK_POSTINGS`; per block, its last passage id and its largest
  tf-part (`BlockBounds`, derived from the engine's final arrays, so nothing new is stored in an index file);
* a question's distinct terms are ordered by their upper bound (count * idf * largest tf-part); the terms whose
  bounds together stay below the k-th best score so far are *non-essential*: a passage only they hold cannot
  reach the top k, so only the other (*essential*) terms' lists are walked, passage by passage;
* a passage found there is looked up in the non-essential lists, largest bound first, and dropped as soon as
  its partial score plus the bounds of the blocks holding it in the lists still to come is below the k-th best;
* every passage that survives whole goes into a small heap of the k best (which raises the bar) and, with a
  margin, into a short list of finalists; the finalists are scored again term by term in question order with
  the exhaustive path's float64 operations (idf * tf-part, added in question order), so their scores are bit
  for bit the exhaustive ones; then the best k, equal scores to the lower passage id.

Exactness: every contribution is >= 0 (a question with a negative idf is left to the caller), so the heap's
k-th score bounds the final k-th score from below; a passage is dropped only when an upper bound of its score
is below that bar shrunk by a relative margin far wider than the rounding of sums taken in another order, so
nothing that could reach or tie the k-th place is lost.  Memory per question: the heap, the finalists and a
few numbers per term; nothing the size of the corpus.

numba compiles the functions at their first call in a process (about a second per codes dtype), and keeps no
cache on disk: the caller decides when that is worth it (retrieval/bm25.py: large corpora only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from retrieval.pruning import PostingLists

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
# The first bar comes from a list of at most this many postings (each looked up in the other lists).
_SEED_POSTINGS = 2048


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
    postings: PostingLists, bounds: BlockBounds, question: Sequence[int], k: int
) -> list[tuple[int, float]] | None:
    """The k best (passage, score) for known term ids in question order, exactly as exhaustive top-k finds them;
    None when a question term has a negative idf (partial scores would then bound nothing from below)."""
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
) -> tuple[Any, Any, bool]:
    """(passages, scores, exact): the best k, best first; exact is False for a negative idf (nothing found)."""
    # The distinct terms with their counts; repeated terms count twice, as the exhaustive sums add them twice.
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
    position = np.zeros(n, dtype=np.int64)  # per term, its next posting
    end = np.zeros(n, dtype=np.int64)
    block = np.zeros(n, dtype=np.int64)  # per term, the block its look-ups have reached
    first_block = np.zeros(n, dtype=np.int64)
    end_block = np.zeros(n, dtype=np.int64)
    for i in range(n):
        start[i] = position[i] = indptr[terms[i]]
        end[i] = indptr[terms[i] + 1]
        block[i] = first_block[i] = block_offsets[terms[i]]
        end_block[i] = block_offsets[terms[i] + 1]
    block_bounds = np.zeros(n, dtype=np.float64)
    choices, choice_costs, choice_rests = _essential_choices(bounds, end - start)
    walked = np.ones(n, dtype=np.bool_)  # the essential terms, whose lists are walked; the others looked up
    next_choice = 0.0  # choices are weighed again once the bar passes this

    heap = np.zeros(k, dtype=np.float64)  # the k best approximate scores so far, a min-heap
    held = 0
    finalists = np.zeros(max(4 * k, 64), dtype=np.int64)
    finalist_scores = np.zeros(len(finalists), dtype=np.float64)
    found = 0

    unwalked = 0.0  # a bound of what the terms not walked add together
    pending = np.zeros(n, dtype=np.int64)  # the walked terms with postings left, by their next passage
    done = -1  # every passage up to this one has been weighed
    bar = _seed_bar(k, passages, codes, code_weights, block_last, weights, bounds, start, end, first_block, end_block)
    while True:
        if bar > next_choice:  # a choice below the bar now: the cheapest set of lists to walk such that a
            # passage none of them holds cannot reach the bar (feasible choices only ever grow with the bar)
            chosen, cheapest, next_choice = -1, _NO_PASSAGE, np.inf
            for c in range(len(choices)):
                if choice_rests[c] < bar:
                    if choice_costs[c] < cheapest:
                        chosen, cheapest = c, choice_costs[c]
                else:
                    next_choice = min(next_choice, float(choice_rests[c]))
            unwalked = choice_rests[chosen]
            for i in range(n):
                essential = (choices[chosen] >> i) & 1 == 1
                if essential and not walked[i]:  # walked from the next passage on
                    position[i] = _first_from(
                        passages, block_last, position[i], end[i], start[i], first_block[i], end_block[i], done + 1
                    )
                walked[i] = essential
        # The pivot (WAND): walking the lists in order of their next passage, the first passage where the
        # bounds so far reach the bar; no passage before it can, so the lists behind it skip to it.
        live = 0
        for i in range(n):
            if walked[i] and position[i] < end[i]:
                j = live
                while j > 0 and passages[position[pending[j - 1]]] > passages[position[i]]:
                    pending[j] = pending[j - 1]
                    j -= 1
                pending[j] = i
                live += 1
        reach, pivot = unwalked, -1
        for j in range(live):
            reach = (reach + bounds[pending[j]]) * _GROW
            if reach >= bar:
                pivot = j
                break
        if pivot < 0:
            break
        passage = passages[position[pending[pivot]]]
        if passages[position[pending[0]]] < passage:
            for j in range(pivot):
                i = pending[j]
                position[i] = _first_from(
                    passages, block_last, position[i], end[i], start[i], first_block[i], end_block[i], passage
                )
            continue
        rest = 0.0  # a bound of what the terms only looked up add
        if bar > 0.0:
            # A bound for every passage from this one to `boundary`, from the blocks that hold them: where it
            # is below the bar, the walked lists skip past the boundary without scoring a posting.
            bound, boundary = 0.0, _NO_PASSAGE
            for i in range(n):
                if walked[i]:  # the block of the next posting
                    b = first_block[i] + (position[i] - start[i]) // BLOCK_POSTINGS
                else:  # the block that would hold this passage
                    b = block[i]
                    while b < end_block[i] and block_last[b] < passage:
                        b += 1
                    block[i] = b
                block_bounds[i] = 0.0
                if b < end_block[i] and position[i] < end[i]:
                    block_bounds[i] = weights[i] * block_max[b] * _GROW
                    boundary = min(boundary, int(block_last[b]))
                bound = (bound + block_bounds[i]) * _GROW
                if not walked[i]:
                    rest = (rest + block_bounds[i]) * _GROW
            if bound < bar:
                for i in range(n):
                    if walked[i]:
                        position[i] = _first_from(
                            passages,
                            block_last,
                            position[i],
                            end[i],
                            start[i],
                            first_block[i],
                            end_block[i],
                            boundary + 1,
                        )
                done = boundary
                continue
        done = passage
        score = 0.0
        for i in range(n):
            if walked[i] and position[i] < end[i] and passages[position[i]] == passage:
                score += weights[i] * code_weights[codes[position[i]]]
                position[i] += 1
        if rest > 0.0:
            if score + rest < bar:
                continue
            for i in range(n - 1, -1, -1):  # the largest bounds first
                if walked[i] or block_bounds[i] == 0.0:
                    continue
                if score + rest < bar:
                    break
                rest = max(rest - block_bounds[i], 0.0) * _GROW  # what the terms after this one may still add
                position[i] = _first_from(
                    passages, block_last, position[i], end[i], start[i], first_block[i], end_block[i], passage
                )
                if position[i] < end[i] and passages[position[i]] == passage:
                    score += weights[i] * code_weights[codes[position[i]]]
            if score + rest < bar:
                continue
        if score <= 0.0 or score < bar:
            continue

        if found == len(finalists):  # keep those still within reach; grow when most are
            kept = 0
            for j in range(found):
                if finalist_scores[j] >= bar:
                    finalists[kept] = finalists[j]
                    finalist_scores[kept] = finalist_scores[j]
                    kept += 1
            found = kept
            if found * 2 > len(finalists):
                finalists, finalist_scores = _doubled(finalists, finalist_scores, found)
        finalists[found] = passage
        finalist_scores[found] = score
        found += 1

        if held < k:
            heap[held] = score
            _sift_up(heap, held)
            held += 1
        elif score > heap[0]:
            heap[0] = score
            _sift_down(heap, held)
        else:
            continue
        if held == k:
            bar = max(bar, heap[0] * _SHRINK)

    # The finalists, ascending (found in passage order), scored again exactly; the best k kept in order.
    best = np.zeros(k, dtype=np.int64)
    best_scores = np.zeros(k, dtype=np.float64)
    kept = 0
    for j in range(found):
        if finalist_scores[j] < bar:
            continue
        passage = finalists[j]
        exact = 0.0
        for asked in question:  # question order, repeats included: the exhaustive path's order of additions
            where = _find(passages, indptr[asked], indptr[asked + 1], passage)
            if where >= 0:
                exact += code_weights[codes[where]] * idf[asked]
        if exact <= 0.0 or (kept == k and exact <= best_scores[k - 1]):
            continue  # an equal score comes later in passage order, so it loses the tie
        i = min(kept, k - 1)
        while i > 0 and best_scores[i - 1] < exact:
            best[i], best_scores[i] = best[i - 1], best_scores[i - 1]
            i -= 1
        best[i], best_scores[i] = passage, exact
        kept = min(kept + 1, k)
    return best[:kept], best_scores[:kept], True


@numba.njit(nogil=True)
def _doubled(passages: Any, scores: Any, used: int) -> tuple[Any, Any]:
    more_passages = np.zeros(2 * len(passages), dtype=np.int64)
    more_scores = np.zeros(2 * len(scores), dtype=np.float64)
    for j in range(used):
        more_passages[j], more_scores[j] = passages[j], scores[j]
    return more_passages, more_scores


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
    seed = -1
    for i in range(n):
        if k <= end[i] - start[i] <= _SEED_POSTINGS and (seed < 0 or bounds[i] > bounds[seed]):
            seed = i
    if seed < 0:
        return 0.0
    heap = np.zeros(k, dtype=np.float64)
    held = 0
    cursor = start.copy()
    for posting in range(start[seed], end[seed]):
        passage = passages[posting]
        score = weights[seed] * code_weights[codes[posting]]
        for i in range(n):
            if i != seed:
                cursor[i] = _first_from(
                    passages, block_last, cursor[i], end[i], start[i], first_block[i], end_block[i], passage
                )
                if cursor[i] < end[i] and passages[cursor[i]] == passage:
                    score += weights[i] * code_weights[codes[cursor[i]]]
        if held < k:
            heap[held] = score
            _sift_up(heap, held)
            held += 1
        elif score > heap[0]:
            heap[0] = score
            _sift_down(heap, held)
    return float(heap[0]) * _SHRINK


@numba.njit(nogil=True)
def _essential_choices(bounds: Any, lengths: Any) -> tuple[Any, Any, Any]:
    """Sets of terms that could be the essential ones (bit i: term i), each with its postings and a bound of
    what the other terms add: every set for a few terms, else (like plain MaxScore) the terms from some bound
    up. An empty set is a choice too: once the bounds of all terms together are below the bar, nothing can."""
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
    low = max(position, start + (b - first_block) * BLOCK_POSTINGS)
    high = min(start + (b - first_block + 1) * BLOCK_POSTINGS, end)
    while low < high:
        middle = (low + high) // 2
        if passages[middle] < passage:
            low = middle + 1
        else:
            high = middle
    return low


@numba.njit(nogil=True)
def _find(passages: Any, start: int, stop: int, passage: int) -> int:
    """The posting of `passage` among passages[start:stop] (ascending), or -1."""
    low, high = start, stop
    while low < high:
        middle = (low + high) // 2
        if passages[middle] < passage:
            low = middle + 1
        else:
            high = middle
    return low if low < stop and passages[low] == passage else -1


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
