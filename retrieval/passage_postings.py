"""A few consecutive passages' postings with their terms named locally: what the engine is assembled from.

Counting each passage's terms (and the passage's length) is most of an engine build's work.  It is done
where the passages are cut, in the chunking workers, one document at a time, and the result is kept with the
document's chunks: a full build does it in parallel, and a live update re-counts only the documents it cuts
again.  `Bm25Engine.from_postings` then only renames the local term ids and (tf, length) pairs to the
corpus's (a dictionary look-up per distinct term and pair of a document, not per token) and sorts the
postings term-major.

Local names are in first-seen order, so the corpus's vocabulary, merged document after document, is in
first-seen order too: the order a token-by-token build gives, which rank-bm25's mean idf depends on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Name = TypeVar("Name", bound=Hashable)


@dataclass(frozen=True, eq=False)
class PassagePostings:
    """Postings of consecutive passages, passage-major: for each passage its distinct terms, each with the
    index of its (term frequency, passage length) pair."""

    terms: tuple[str, ...]  # the distinct terms, in first-seen order
    pairs: tuple[tuple[int, int], ...]  # the distinct (tf, passage length) pairs
    term_ids: npt.NDArray[np.int32]  # each posting's term, an index into `terms`
    pair_ids: npt.NDArray[np.int32]  # each posting's (tf, length) pair, an index into `pairs`
    posting_counts: IntArray  # how many postings each passage has
    lengths: IntArray  # how many tokens each passage has

    @property
    def passage_count(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_token_lists(cls, passages: Sequence[Sequence[str]]) -> PassagePostings:
        """Count the terms of some passages (each a list of tokens; a repeated token counts again)."""
        local: defaultdict[str, int] = first_seen_names()
        tokens = np.fromiter(map(local.__getitem__, chain.from_iterable(passages)), dtype=np.int64)
        lengths = np.fromiter(map(len, passages), dtype=np.int64, count=len(passages))
        span = max(len(local), 1)
        passage_of_token = np.repeat(np.arange(len(passages), dtype=np.int64), lengths)
        keys, frequencies = np.unique(passage_of_token * span + tokens, return_counts=True)
        passage_of_posting = keys // span
        posting_lengths = lengths[passage_of_posting]
        length_span = int(lengths.max(initial=0)) + 1
        distinct, pair_ids = np.unique(frequencies * length_span + posting_lengths, return_inverse=True)
        distinct_frequencies, distinct_lengths = np.divmod(distinct, length_span)
        return cls(
            tuple(local),
            tuple(zip(distinct_frequencies.tolist(), distinct_lengths.tolist(), strict=True)),
            (keys % span).astype(np.int32),
            pair_ids.reshape(-1).astype(np.int32),
            np.bincount(passage_of_posting, minlength=len(passages)).astype(np.int64),
            lengths,
        )

    def term_counts(self, passage: int) -> dict[str, int]:
        """One passage's terms with how often each occurs, in the block's first-seen order."""
        start = int(self.posting_counts[:passage].sum())
        stop = start + int(self.posting_counts[passage])
        return {
            self.terms[term]: self.pairs[pair][0]
            for term, pair in zip(self.term_ids[start:stop].tolist(), self.pair_ids[start:stop].tolist(), strict=True)
        }


def first_seen_names() -> defaultdict[Any, int]:
    """A dictionary that gives a name it has not seen the next id: ids in first-seen order."""
    names: defaultdict[Any, int] = defaultdict()
    names.default_factory = names.__len__
    return names


def first_seen_ids(names: defaultdict[Name, int], local: Sequence[Name]) -> IntArray:
    """The ids of `local` names in `names` (a `first_seen_names`), naming the new ones in order."""
    return np.fromiter(map(names.__getitem__, local), dtype=np.int64, count=len(local))


class TermTable:
    """An id for every term ever seen, and each block's terms in it, kept between a live index's builds: naming
    a corpus's terms in first-seen order is then numpy work over the blocks' ids, and only the blocks of the
    documents cut again are looked up term by term. It only grows (a removed document's terms stay)."""

    def __init__(self) -> None:
        self._ids: defaultdict[str, int] = first_seen_names()
        self._blocks: WeakKeyDictionary[PassagePostings, IntArray] = WeakKeyDictionary()
        self.looked_up = 0  # blocks whose terms were looked up one by one (new to the table): what an update costs

    def vocabulary(self, blocks: Sequence[PassagePostings]) -> tuple[list[str], list[IntArray]]:
        """The blocks' terms in first-seen order, and each block's term ids in that vocabulary: what naming
        them one by one, block after block, gives."""
        stable = [self._stable_ids(block) for block in blocks]
        every = np.concatenate([np.zeros(0, dtype=np.int64), *stable])
        distinct, first, inverse = np.unique(every, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[order] = np.arange(len(distinct), dtype=np.int64)
        ids = rank[inverse.reshape(-1)]
        known = list(self._ids)
        vocabulary = [known[term] for term in distinct[order].tolist()]
        return vocabulary, np.split(ids, np.cumsum([len(block) for block in stable])[:-1].tolist())

    def _stable_ids(self, block: PassagePostings) -> IntArray:
        found = self._blocks.get(block)
        if found is None:
            found = self._blocks[block] = first_seen_ids(self._ids, block.terms)
            self.looked_up += 1
        return found
