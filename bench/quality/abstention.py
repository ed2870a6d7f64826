"""What abstention could buy, and at what price: `python -m bench.quality.abstention [--half dev]`.

For every question of a half, the signals an abstention rule can use: the share of the question's weight that no
passage uses (`unknown`), the best share any of the first three passages holds with its title and section
(`coverage`), whether the question's two heaviest concepts meet in one of the first ten passages (`pair`), and
the best passage's BM25 score over the most any passage could score for the question (`relative`). Then, for a
range of rules, how many answerable questions each would refuse, how many of today's hits@3 that would cost, and
how many unanswerable questions it would abstain on. Today's rule is `unknown ≥ 0.27 or coverage < 0.1`
(`[retrieval] max_unknown_share`, `min_coverage`).

Last, whether a model learned on several corpora transfers to one it never saw: a logistic regression over the
four signals (and the number of concepts), fitted on every corpus but one (the dev half's CACM topics count as
answerable questions) with its threshold set there to refuse at most 10 % of answerable questions, then applied
to the corpus left out, next to today's rule.

`--dense` adds one more signal, the best cosine between the question and the first three passages read (the
optional all-MiniLM-L6-v2 encoder, `citebot[dense]`), and prints how well each signal alone separates answerable
from unanswerable questions per corpus (the area under the ROC curve: 0.5 is chance, 1.0 perfect).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.quality.cacm import judged_topics
from bench.quality.corpora import DATA, cacm_dir, corpus_dir
from bench.quality.run import HALVES, SETS, cases_of, open_corpus
from retrieval.analysis import analyze
from retrieval.compose import candidate_passages, context_terms
from retrieval.dense import DenseEncoder
from retrieval.evaluation import EVAL_TOP_K, first_gold_rank
from retrieval.question import parse_question
from retrieval.retriever import Retriever

READ_PASSAGES = 3
PAIR_PASSAGES = 10
MAX_REFUSED = 0.10
L2 = 0.1
STEPS = 3000


@dataclass(frozen=True)
class Signals:
    corpus: str
    answerable: bool
    hit_at_3: bool
    unknown: float
    coverage: float
    pair: bool
    relative: float
    concepts: int
    cosine: float | None = None  # with --dense only

    def features(self) -> list[float]:
        found = [self.unknown, self.coverage, float(self.pair), self.relative, math.log(max(1, self.concepts))]
        return found if self.cosine is None else [*found, self.cosine]


def signals(
    corpus: str,
    retriever: Retriever,
    question: str,
    gold: list[str],
    *,
    answerable: bool,
    encoder: DenseEncoder | None = None,
) -> Signals:
    index = retriever.index
    asked = parse_question(question, index.engine, index.aliases)
    answer = retriever.ask(question, EVAL_TOP_K)
    rank = first_gold_rank(answer, gold) if gold and answer.answered else None
    hit = rank is not None and rank <= 3
    if not asked.concepts:
        return Signals(corpus, answerable, hit, 0.0, 0.0, False, 0.0, 0, None if encoder is None else 0.0)
    heaviest = sorted(asked.concepts, key=lambda key: (-asked.concepts[key].weight, key))[:2]
    coverage, pair = 0.0, False
    found = candidate_passages(index, asked.search_terms, PAIR_PASSAGES)
    bound = index.engine.score_bound(asked.search_terms)
    relative = found[0][1] / bound if found and bound > 0 else 0.0
    for rank_read, (passage, _) in enumerate(found):
        doc = index.passage_document(passage)
        text = index.document_text(doc)
        terms = set(analyze(index.passage_text(passage))) | context_terms(index, passage, doc, text)
        held = asked.hits(terms)
        if rank_read < READ_PASSAGES:
            coverage = max(coverage, asked.weight(held) / asked.total_weight)
        pair = pair or all(key in held for key in heaviest)
    cosine = None
    if encoder is not None:
        vectors = encoder.encode([question, *(index.passage_text(p) for p, _ in found[:READ_PASSAGES])])
        cosine = float((vectors[1:] @ vectors[0]).max()) if len(vectors) > 1 else 0.0
    found_signals = (asked.unknown_share, coverage, pair, relative, len(asked.concepts), cosine)
    return Signals(corpus, answerable, hit, *found_signals)


def rules() -> list[tuple[str, Callable[[Signals], bool]]]:
    """Abstention rules to compare; each says True for "abstain"."""

    def by_coverage(floor: float) -> Callable[[Signals], bool]:
        return lambda s: s.unknown >= 0.27 or s.coverage < floor

    def by_pair_and_coverage(floor: float) -> Callable[[Signals], bool]:
        return lambda s: s.unknown >= 0.27 or (not s.pair and s.coverage < floor)

    def by_relative_score(floor: float) -> Callable[[Signals], bool]:
        return lambda s: s.unknown >= 0.27 or s.coverage < 0.1 or s.relative < floor

    return (
        [(f"unknown ≥ 0.27 or coverage < {f}", by_coverage(f)) for f in (0.1, 0.3, 0.4, 0.5, 0.6)]
        + [(f"unknown ≥ 0.27 or (no pair and coverage < {f})", by_pair_and_coverage(f)) for f in (0.4, 0.5, 0.6, 0.7)]
        + [(f"today's, or best score < {f} of the most possible", by_relative_score(f)) for f in (0.25, 0.3, 0.35)]
    )


def today(s: Signals) -> bool:
    return s.unknown >= 0.27 or s.coverage < 0.1


class AbstentionModel:
    """A logistic regression over standardised signals, classes weighed equally; says the chance to abstain."""

    def __init__(self, found: Sequence[Signals]) -> None:
        x = np.array([s.features() for s in found])
        y = np.array([0.0 if s.answerable else 1.0 for s in found])
        self.mean, self.spread = x.mean(axis=0), x.std(axis=0) + 1e-9
        weights = np.where(y == 1, len(y) / (2 * max(1.0, y.sum())), len(y) / (2 * max(1.0, (1 - y).sum())))
        design = self._design(x)
        self.theta: npt.NDArray[np.float64] = np.zeros(design.shape[1])
        for _ in range(STEPS):
            chance = 1 / (1 + np.exp(-design @ self.theta))
            gradient = design.T @ ((chance - y) * weights) / len(y) + L2 * np.r_[self.theta[:-1], 0.0]
            self.theta -= 0.5 * gradient
        answerable = sorted(self.chance(s) for s in found if s.answerable)
        # the lowest threshold that refuses at most MAX_REFUSED of the answerable questions it was fitted on
        self.threshold = answerable[min(len(answerable) - 1, math.ceil(len(answerable) * (1 - MAX_REFUSED)))]

    def _design(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.hstack([(x - self.mean) / self.spread, np.ones((len(x), 1))])

    def chance(self, s: Signals) -> float:
        return float(1 / (1 + np.exp(-self._design(np.array([s.features()])) @ self.theta))[0])

    def abstains(self, s: Signals) -> bool:
        return self.chance(s) > self.threshold


def share(count: int, total: int) -> str:
    return f"{count / total:.2f}" if total else "-"


def transfer_table(fitting: list[Signals], judged: list[Signals]) -> list[str]:
    """Per corpus of `judged`: the model fitted on `fitting` (without that corpus when they are the same
    questions), against today's rule, as refused / abstained."""
    lines = [
        "| corpus | model: refused | model: abstained | today: refused | today: abstained |",
        "|---|---|---|---|---|",
    ]
    for corpus in dict.fromkeys(s.corpus for s in judged):
        model = AbstentionModel([s for s in fitting if s.corpus != corpus or fitting is not judged])
        answerable = [s for s in judged if s.corpus == corpus and s.answerable]
        unanswerable = [s for s in judged if s.corpus == corpus and not s.answerable]
        cells = [
            share(sum(rule(s) for s in group), len(group))
            for rule in (model.abstains, today)
            for group in (answerable, unanswerable)
        ]
        lines.append(f"| {corpus} | " + " | ".join(cells) + " |")
    return lines


def half_signals(half: str, index_dir: Path, encoder: DenseEncoder | None = None) -> list[Signals]:
    found: list[Signals] = []
    for name in SETS:
        retriever = open_corpus(name, index_dir)
        cases = cases_of(name, half)
        found += [
            signals(name, retriever, case.q, case.gold, answerable=bool(case.gold), encoder=encoder) for case in cases
        ]
    return found


def separation(answerable: Sequence[float], unanswerable: Sequence[float]) -> float:
    """The chance that an answerable question's signal is above an unanswerable one's (ties count half)."""
    pairs = [(a > u) + 0.5 * (a == u) for a in answerable for u in unanswerable]
    return sum(pairs) / len(pairs) if pairs else math.nan


def separation_table(found: list[Signals]) -> list[str]:
    """Per signal and corpus, how well the signal alone tells answerable from unanswerable questions."""
    named: list[tuple[str, Callable[[Signals], float]]] = [
        ("coverage", lambda s: s.coverage),
        ("best score / most possible", lambda s: s.relative),
        ("known share (1 - unknown)", lambda s: 1 - s.unknown),
    ]
    if all(s.cosine is not None for s in found):
        named.append(("dense cosine", lambda s: s.cosine or 0.0))
    corpora = list(dict.fromkeys(s.corpus for s in found))
    lines = ["| signal | " + " | ".join(corpora) + " |", "|---|" + "---|" * len(corpora)]
    for label, value in named:
        cells = [
            separation(
                [value(s) for s in found if s.corpus == corpus and s.answerable],
                [value(s) for s in found if s.corpus == corpus and not s.answerable],
            )
            for corpus in corpora
        ]
        lines.append(f"| {label} | " + " | ".join(f"{cell:.2f}" for cell in cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.abstention", description=__doc__)
    parser.add_argument("--half", choices=HALVES, default="dev")
    parser.add_argument("--dense", action="store_true", help="add the dense cosine signal (needs citebot[dense])")
    args = parser.parse_args(argv)
    index_dir = DATA / "indexes"
    index_dir.mkdir(parents=True, exist_ok=True)
    encoder = DenseEncoder() if args.dense else None
    found = half_signals(args.half, index_dir, encoder)
    cacm = Retriever.open(corpus_dir("cacm"), index_path=index_dir / "cacm.index")
    topics = [signals("cacm", cacm, t.text, [], answerable=True, encoder=encoder) for t in judged_topics(cacm_dir())]
    answerable = [s for s in found if s.answerable]
    unanswerable = [s for s in found if not s.answerable]
    hits = sum(s.hit_at_3 for s in answerable)
    print(f"{args.half}: {len(answerable)} answerable ({hits} hits@3 today), {len(unanswerable)} unanswerable\n")
    print(
        "| rule | answerable refused | hits@3 lost | unanswerable abstained | CACM topics refused |\n"
        "|---|---|---|---|---|"
    )
    for label, abstains in rules():
        refused = [s for s in answerable if abstains(s)]
        lost = sum(s.hit_at_3 for s in refused)
        abstained = sum(abstains(s) for s in unanswerable)
        print(
            f"| {label} | {len(refused) / len(answerable):.2f} | {lost} of {hits} | "
            f"{abstained / max(1, len(unanswerable)):.2f} | {share(sum(abstains(s) for s in topics), len(topics))} |"
        )
    if args.half in ("dev", "spent"):
        print(f"\nA model learned on the other corpora ({args.half} sets, CACM's topics), on the one left out:\n")
        print("\n".join(transfer_table([*found, *topics], [*found, *topics])))
    else:
        print(f"\nA model learned on every spent set and CACM's topics, on the {args.half} sets:\n")
        print("\n".join(transfer_table([*half_signals("spent", index_dir, encoder), *topics], found)))
    print("\nHow well each signal alone separates answerable from unanswerable questions (ROC area):\n")
    print("\n".join(separation_table(found)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
