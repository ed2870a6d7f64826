"""Do term associations learned from the corpus itself close the vocabulary gap?
`python -m bench.quality.associations [--weight W] [--neighbours N] [--min-similarity S]`.

Word vectors trained on the corpus at index time, with no model from outside: each term's neighbours within
`WINDOW` terms (stopwords removed, within a sentence run of a passage), weighed by positive pointwise mutual
information and reduced by a truncated SVD to `DIMENSIONS` dimensions (PPMI-SVD, which matches word2vec's
skip-gram on word similarity; Levy, Goldberg and Dagan, 2015). Terms that occur in the same kind of context
("remove" and "delete") end up close, unlike terms that merely occur together, which pseudo-relevance
feedback already tried. Each question term's `--neighbours` nearest terms with cosine at least
`--min-similarity` are added to the passage search at `--weight` × cosine of the question's own weight.

Measured on the passage ranking (a gold span in one of the first three / ten passages) of the dev halves, and
on CACM's passage MAP, with and without, in the same run.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.linalg import svds

from bench.quality.cacm import PASSAGE_CANDIDATES, average_precision, doc_id, judged_topics
from bench.quality.corpora import DATA, cacm_dir, corpus_dir
from bench.quality.run import HALVES, KINDS, QUESTIONS, SETS, open_corpus
from retrieval.analysis import analyze
from retrieval.corpus_index import CorpusIndex
from retrieval.evaluation import read_cases
from retrieval.question import parse_question
from retrieval.retriever import Retriever

WINDOW = 4
DIMENSIONS = 160
MIN_COUNT = 3
PPMI_SMOOTHING = 0.75  # context counts raised to this power, as word2vec's negative sampling does


class TermVectors:
    """Unit vectors for the corpus's terms (those used at least MIN_COUNT times), from their contexts."""

    def __init__(self, streams: Iterable[Sequence[str]]) -> None:
        streams = [list(s) for s in streams]
        counts = Counter(t for s in streams for t in s)
        self.terms = sorted(t for t, n in counts.items() if n >= MIN_COUNT)
        self.ids = {t: i for i, t in enumerate(self.terms)}
        rows: list[int] = []
        cols: list[int] = []
        for stream in streams:
            ids = [self.ids.get(t, -1) for t in stream]
            for i, a in enumerate(ids):
                if a < 0:
                    continue
                for b in ids[i + 1 : i + 1 + WINDOW]:
                    if b >= 0 and b != a:
                        rows += [a, b]
                        cols += [b, a]
        size = len(self.terms)
        pairs = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size)).tocsr()
        pairs.sum_duplicates()
        total = pairs.sum()
        row_sums = np.asarray(pairs.sum(axis=1)).ravel()
        context = np.asarray(pairs.sum(axis=0)).ravel() ** PPMI_SMOOTHING
        context /= context.sum()
        coo = pairs.tocoo()
        pmi = np.log((coo.data / total) / ((row_sums[coo.row] / total) * context[coo.col]))
        keep = pmi > 0
        ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(size, size))
        k = min(DIMENSIONS, size - 1)
        u, s, _ = svds(ppmi, k=k)
        vectors = u * np.sqrt(s)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors: npt.NDArray[np.float64] = vectors / np.where(norms > 0, norms, 1.0)

    def neighbours(self, term: str, count: int, floor: float) -> list[tuple[str, float]]:
        """The `count` terms closest to `term` with cosine at least `floor`, closest first."""
        i = self.ids.get(term)
        if i is None:
            return []
        similarity = self.vectors @ self.vectors[i]
        similarity[i] = -1.0
        best = np.argsort(-similarity)[:count]
        return [(self.terms[j], float(similarity[j])) for j in best if similarity[j] >= floor]


def all_streams(index: CorpusIndex) -> list[list[str]]:
    by_doc: dict[int, list[int]] = {}
    for p in range(index.passage_count):
        by_doc.setdefault(index.passage_document(p), []).append(p)
    streams = []
    for doc, passages in by_doc.items():
        text = index.document_text(doc)
        seen: set[int] = set()
        for passage in passages:
            for start, end in index.passage_sentences(passage):
                if start not in seen:
                    seen.add(start)
                    streams.append(analyze(text[start:end]))
    return streams


def expanded_scores(
    index: CorpusIndex, vectors: TermVectors, terms: list[str], args: argparse.Namespace
) -> tuple[npt.NDArray[np.float64], list[tuple[str, float]]]:
    scores = index.engine.scores(terms)
    own = set(terms)
    extra: dict[str, float] = {}
    for term in dict.fromkeys(terms):
        for neighbour, cosine in vectors.neighbours(term, args.neighbours, args.min_similarity):
            if neighbour not in own:
                extra[neighbour] = max(extra.get(neighbour, 0.0), cosine)
    for neighbour, cosine in extra.items():
        scores = scores + args.weight * cosine * index.engine.scores([neighbour])
    return scores, sorted(extra.items(), key=lambda item: -item[1])


def gold_rank(index: CorpusIndex, scores: npt.NDArray[np.float64], gold: list[str], depth: int = 10) -> int | None:
    best = np.argsort(-scores, kind="stable")[:depth]
    for rank, p in enumerate(best, start=1):
        if scores[p] > 0 and any(g in index.passage_text(int(p)) for g in gold):
            return rank
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.associations", description=__doc__)
    parser.add_argument("--half", choices=HALVES, default="dev")
    parser.add_argument("--weight", type=float, default=0.3)
    parser.add_argument("--neighbours", type=int, default=3)
    parser.add_argument("--min-similarity", type=float, default=0.5)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    print("| corpus | kind | questions | hit@3 plain | with | hit@10 plain | with |\n|---|---|---|---|---|---|---|")
    for name in SETS:
        index = open_corpus(name, DATA / "indexes").index
        vectors = TermVectors(all_streams(index))
        cases = [c for c in read_cases(QUESTIONS / f"{name}.{args.half}.jsonl") if c.gold]
        for kind in KINDS:
            tally = [0, 0, 0, 0]
            chosen = [c for c in cases if c.kind == kind]
            for case in chosen:
                asked = parse_question(case.q, index.engine, index.aliases)
                plain = gold_rank(index, index.engine.scores(asked.search_terms), case.gold)
                scores, extra = expanded_scores(index, vectors, asked.search_terms, args)
                with_ = gold_rank(index, scores, case.gold)
                for i, (rank, depth) in enumerate([(plain, 3), (with_, 3), (plain, 10), (with_, 10)]):
                    tally[i] += rank is not None and rank <= depth
                if args.show:
                    print(f"  {plain} -> {with_} {case.q} {[(t, round(c, 2)) for t, c in extra]}")
            n = len(chosen)
            print(f"| {name} | {kind} | {n} | " + " | ".join(f"{t / n:.2f}" for t in tally) + " |", flush=True)
    cacm = Retriever.open(corpus_dir("cacm"), index_path=DATA / "indexes" / "cacm.index").index
    vectors = TermVectors(all_streams(cacm))
    ids = [doc_id(d.source) for d in cacm.documents]
    maps = [0.0, 0.0]
    topics = judged_topics(cacm_dir())
    for topic in topics:
        terms = analyze(topic.text)
        for i, scores in enumerate([cacm.engine.scores(terms), expanded_scores(cacm, vectors, terms, args)[0]]):
            order = [int(p) for p in np.argsort(-scores, kind="stable")[:PASSAGE_CANDIDATES] if scores[p] > 0]
            ranking = list(dict.fromkeys(ids[cacm.passage_document(p)] for p in order))
            maps[i] += average_precision(ranking, topic.relevant)
    print(f"CACM passage MAP: plain {maps[0] / len(topics):.4f}, with {maps[1] / len(topics):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
