"""Scores every corpus's question set, one part at a time: `python -m bench.quality [--half dev|spent|r5test|check]`.

The dev half is for development and may be looked at (`--misses` lists what went wrong); the test half is run
only to report, so `--misses` is refused for it. Once a test half has been reported it has been seen; the fresh
sets, written blind later by new writers, are the held-out check for work done after that, under the same rule.
`--half check` runs the outside checks (Python's documentation, the Debian Policy Manual): corpora nothing was
developed or tuned on, each with one blind set. The third round's sets, written blind for news, git and
licenses, come as `r3dev` (looked at and tuned on, like dev) and `r3test` (held out, like test).

Each round's held-out sets, once run and reported, are spent: `--half spent` scores all of them together with the
dev halves as development data (looked at, tuned on), and the newest round's blind sets (now the fifth: `r5dev`
and `r5test`) are the dev half and the held-out half for the work after that. A later round leaves out any
question an earlier round already asked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.quality.corpora import DATA, corpus_dir
from retrieval.evaluation import EvalCase, EvalReport, evaluate, read_cases
from retrieval.question import parse_question
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

QUESTIONS = Path(__file__).resolve().parent / "questions"
SETS = ("news", "git", "licenses")
OUTSIDE_CHECKS = ("pydocs", "policy")  # never developed or tuned on: one "check" set each, run only to report
# The parts of each of SETS, round by round.
ROUNDS = (("dev", "test", "fresh"), ("r3dev", "r3test"), ("r4dev", "r4test"), ("r5dev", "r5test"))
PARTS = tuple(part for parts in ROUNDS for part in parts)
# Run and reported: development data from now on.
SPENT = ("dev", "test", "fresh", "r3dev", "r3test", "r4dev", "r4test")
HALVES = (*PARTS, "spent", "check")
HELD_OUT = ("r5test", "check")
KINDS = ("literal", "paraphrase")
MISS_PASSAGES = 10


def question_file(name: str, half: str) -> Path:
    return QUESTIONS / f"{name}.{half}.jsonl"


def cases_of(name: str, half: str) -> list[EvalCase]:
    """A set's questions. A later round leaves out the questions an earlier round of the corpus already asks: its
    blind writer may happen to write one again, and a question already looked at is not held out."""
    if half == "spent":
        return [case for part in SPENT if question_file(name, part).is_file() for case in cases_of(name, part)]
    cases = read_cases(question_file(name, half))
    earlier_rounds = next((i for i, parts in enumerate(ROUNDS) if half in parts), 0)  # "check": one set only
    earlier = {
        case.q
        for parts in ROUNDS[:earlier_rounds]
        for part in parts
        if question_file(name, part).is_file()
        for case in read_cases(question_file(name, part))
    }
    return [case for case in cases if case.q not in earlier]


def score_set(name: str, half: str, retriever: Retriever) -> EvalReport:
    return evaluate(retriever, cases_of(name, half))


def open_corpus(name: str, index_dir: Path, *, dense: bool = False) -> Retriever:
    """The corpus's retriever; its saved index is reused while the corpus and the code are unchanged."""
    suffix = "-dense" if dense else ""
    return Retriever.open(corpus_dir(name), RetrievalSettings(dense=dense), index_dir / f"{name}{suffix}.index")


def kind_hit_at_3(report: EvalReport, kind: str) -> str:
    rows = [r for r in report.results if r.kind == kind]
    if not rows:
        return "-"
    return f"{sum(r.rank is not None and r.rank <= 3 for r in rows) / len(rows):.2f}"


def table_row(name: str, half: str, report: EvalReport) -> str:
    return (
        f"| {name} | {half} | {report.questions} | {report.hit_at_1:.2f} | {report.hit_at_3:.2f} | "
        f"{report.mrr_at_10:.2f} | {kind_hit_at_3(report, 'literal')} | {kind_hit_at_3(report, 'paraphrase')} | "
        f"{report.refused_answerable:.2f} | {1 - report.answered_unanswerable:.2f} |"
    )


HEADER = (
    "| corpus | half | questions | hit@1 | hit@3 | MRR@10 | hit@3 literal | hit@3 paraphrase | answerable refused "
    "| unanswerable abstained |\n|---|---|---|---|---|---|---|---|---|---|"
)


def misses(report: EvalReport, retriever: Retriever, cases: list[EvalCase]) -> list[str]:
    """The dev questions that went wrong; an answerable one says where the engine ranked the first passage that
    holds its gold ("passage 2": the quotes chose badly; "no passage in the top 10": retrieval missed it)."""
    gold = {case.q: case.gold for case in cases}
    lines = []
    chose_badly = missed = 0  # of the answerable questions without a gold quote in the first three
    for r in report.results:
        if r.should_abstain and r.answered:
            lines.append(f"  answered, should abstain: {r.question}")
            continue
        if r.should_abstain or (r.answered and r.rank == 1):
            continue
        found = gold_passage_rank(retriever, r.question, gold[r.question])
        where = f"passage {found}" if found is not None else f"no passage in the top {MISS_PASSAGES}"
        miss = "refused" if not r.answered else f"rank {r.rank}"
        lines.append(f"  {miss} ({r.kind}; {where}): {r.question}")
        if r.rank is None or r.rank > 3:
            chose_badly += found is not None
            missed += found is None
    lines.append(
        f"  not in the first three quotes: {chose_badly} with a gold passage in the engine's top {MISS_PASSAGES}, "
        f"{missed} without"
    )
    return lines


def gold_passage_rank(retriever: Retriever, question: str, gold: list[str]) -> int | None:
    """The 1-based rank of the engine's first passage (plain BM25 on the question's terms) holding a gold span."""
    index = retriever.index
    asked = parse_question(question, index.engine, index.aliases)
    for rank, (passage, _) in enumerate(index.engine.top_k(asked.search_terms, MISS_PASSAGES), start=1):
        if any(span in index.passage_text(passage) for span in gold):
            return rank
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--half", choices=HALVES, default="dev")
    parser.add_argument("--sets", nargs="*", default=None, choices=SETS + OUTSIDE_CHECKS)
    parser.add_argument("--misses", action="store_true", help="list the questions missed (dev half only)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the reports as JSON")
    parser.add_argument("--dense", action="store_true", help="with dense retrieval on (needs citebot[dense])")
    args = parser.parse_args(argv)
    if args.misses and args.half in HELD_OUT:
        parser.error(f"the {args.half} set is run only to report: --misses is for the dev half")
    sets = args.sets or (OUTSIDE_CHECKS if args.half == "check" else SETS)
    if (args.half == "check") != all(name in OUTSIDE_CHECKS for name in sets):
        parser.error(f"the outside checks ({', '.join(OUTSIDE_CHECKS)}) have only a check set, and only they do")
    if args.half not in ("dev", "spent", "check"):
        sets = [name for name in sets if question_file(name, args.half).is_file()]
        if not sets:
            parser.error(f"no {args.half} set is in {QUESTIONS} yet")
    index_dir = DATA / "indexes"
    index_dir.mkdir(parents=True, exist_ok=True)
    reports: dict[str, EvalReport] = {}
    print(HEADER)
    for name in sets:
        retriever = open_corpus(name, index_dir, dense=args.dense)
        report = score_set(name, args.half, retriever)
        reports[name] = report
        label = f"{name}, dense" if args.dense else name
        print(table_row(label, args.half, report), flush=True)
        if args.misses:
            cases = cases_of(name, args.half)
            print("\n".join(misses(report, retriever, cases)), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps({k: v.model_dump() for k, v in reports.items()}, indent=1))
    return 0
