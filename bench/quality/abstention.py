"""What abstention could buy, and at what price: `python -m bench.quality.abstention [--half dev]`.

For every question of a half, the signals an abstention rule can use: the share of the question's weight that no
passage uses (`unknown`), the best share any of the first three passages holds with its title and section
(`coverage`), and whether the question's two heaviest concepts meet in one of the first ten passages (`pair`).
Then, for a range of rules, how many answerable questions each would refuse, how many of today's hits@3 that
would cost, and how many unanswerable questions it would abstain on. Today's rule is `unknown ≥ 0.27 or
coverage < 0.1` (`[retrieval] max_unknown_share`, `min_coverage`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from bench.quality.corpora import DATA
from bench.quality.run import HALVES, QUESTIONS, SETS, open_corpus
from retrieval.analysis import analyze
from retrieval.compose import candidate_passages, context_terms
from retrieval.evaluation import EVAL_TOP_K, first_gold_rank, read_cases
from retrieval.question import parse_question
from retrieval.retriever import Retriever

READ_PASSAGES = 3
PAIR_PASSAGES = 10


@dataclass(frozen=True)
class Signals:
    answerable: bool
    hit_at_3: bool
    unknown: float
    coverage: float
    pair: bool


def signals(retriever: Retriever, question: str, gold: list[str]) -> Signals:
    index = retriever.index
    asked = parse_question(question, index.engine, index.aliases)
    answer = retriever.ask(question, EVAL_TOP_K)
    rank = first_gold_rank(answer, gold) if gold and answer.answered else None
    hit = rank is not None and rank <= 3
    if not asked.concepts:
        return Signals(bool(gold), hit, 0.0, 0.0, False)
    heaviest = sorted(asked.concepts, key=lambda key: (-asked.concepts[key].weight, key))[:2]
    coverage, pair = 0.0, False
    for rank_read, (passage, _) in enumerate(candidate_passages(index, asked.search_terms, PAIR_PASSAGES)):
        doc = index.passage_document(passage)
        text = index.document_text(doc)
        terms = set(analyze(index.passage_text(passage))) | context_terms(index, passage, doc, text)
        held = asked.hits(terms)
        if rank_read < READ_PASSAGES:
            coverage = max(coverage, asked.weight(held) / asked.total_weight)
        pair = pair or all(key in held for key in heaviest)
    return Signals(bool(gold), hit, asked.unknown_share, coverage, pair)


def rules() -> list[tuple[str, Callable[[Signals], bool]]]:
    """Abstention rules to compare; each says True for "abstain"."""

    def by_coverage(floor: float) -> Callable[[Signals], bool]:
        return lambda s: s.unknown >= 0.27 or s.coverage < floor

    def by_pair_and_coverage(floor: float) -> Callable[[Signals], bool]:
        return lambda s: s.unknown >= 0.27 or (not s.pair and s.coverage < floor)

    return [(f"unknown ≥ 0.27 or coverage < {f}", by_coverage(f)) for f in (0.1, 0.3, 0.4, 0.5, 0.6)] + [
        (f"unknown ≥ 0.27 or (no pair and coverage < {f})", by_pair_and_coverage(f)) for f in (0.4, 0.5, 0.6, 0.7)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.abstention", description=__doc__)
    parser.add_argument("--half", choices=HALVES, default="dev")
    args = parser.parse_args(argv)
    index_dir = DATA / "indexes"
    index_dir.mkdir(parents=True, exist_ok=True)
    found: list[Signals] = []
    for name in SETS:
        retriever = open_corpus(name, index_dir)
        found += [signals(retriever, case.q, case.gold) for case in read_cases(QUESTIONS / f"{name}.{args.half}.jsonl")]
    answerable = [s for s in found if s.answerable]
    unanswerable = [s for s in found if not s.answerable]
    hits = sum(s.hit_at_3 for s in answerable)
    print(f"{args.half}: {len(answerable)} answerable ({hits} hits@3 today), {len(unanswerable)} unanswerable\n")
    print("| rule | answerable refused | hits@3 lost | unanswerable abstained |\n|---|---|---|---|")
    for label, abstains in rules():
        refused = [s for s in answerable if abstains(s)]
        lost = sum(s.hit_at_3 for s in refused)
        abstained = sum(abstains(s) for s in unanswerable)
        print(
            f"| {label} | {len(refused) / len(answerable):.2f} | {lost} of {hits} | "
            f"{abstained / max(1, len(unanswerable)):.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
