"""Does an offline thesaurus close the vocabulary gap? `python -m bench.quality.thesaurus [--half dev]`.

WordNet 3.0 as Debian ships it (`apt-get install wordnet-base`: /usr/share/wordnet). Each question word's
synonyms from its first `--senses` senses (single words the corpus uses) are added to the passage search at
`--weight` of the question's own terms. Measured on the passage ranking (a gold span in one of the first three
passages), with and without, in the same run; citebot ships without it (see the README for why).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from bench.quality.corpora import DATA
from bench.quality.run import HALVES, KINDS, QUESTIONS, SETS, open_corpus
from retrieval.analysis import STOPWORDS, analyze
from retrieval.corpus_index import CorpusIndex
from retrieval.evaluation import read_cases
from retrieval.question import parse_question

WORDNET = Path("/usr/share/wordnet")
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
_WORD = re.compile(r"[a-z]+")


class WordNet:
    """Synonyms of a word from WordNet's index and data files (the format of wndb(5))."""

    def __init__(self, senses: int) -> None:
        self.synsets: dict[str, list[tuple[str, int]]] = {}
        for pos in PARTS_OF_SPEECH:
            for line in (WORDNET / f"index.{pos}").read_text(encoding="latin-1").splitlines():
                if line.startswith(" "):
                    continue
                fields = line.split()
                pointers = int(fields[3])
                offsets = fields[4 + pointers + 2 :][:senses]
                self.synsets.setdefault(fields[0], []).extend((pos, int(o)) for o in offsets)
        self.data = {pos: (WORDNET / f"data.{pos}").read_bytes() for pos in PARTS_OF_SPEECH}

    def synonyms(self, word: str) -> set[str]:
        found: set[str] = set()
        for pos, offset in self.synsets.get(word, []):
            data = self.data[pos]
            fields = data[offset : data.index(b"\n", offset)].decode("latin-1").split()
            for i in range(int(fields[3], 16)):
                lemma = re.sub(r"\(.*\)$", "", fields[4 + 2 * i].lower())
                if "_" not in lemma and lemma != word:
                    found.add(lemma)
        return found


def expansion(question: str, wordnet: WordNet, index: CorpusIndex) -> list[str]:
    own = set(analyze(question))
    extra: list[str] = []
    for word in _WORD.findall(question.lower()):
        if word in STOPWORDS or len(word) < 3:
            continue
        for synonym in sorted(wordnet.synonyms(word)):
            for term in analyze(synonym):
                if term not in own and term not in extra and index.engine.document_frequency(term):
                    extra.append(term)
    return extra


def passage_hit(index: CorpusIndex, scores: np.ndarray, gold: list[str]) -> bool:
    best = np.argsort(-scores, kind="stable")[:3]
    return any(any(g in index.passage_text(int(p)) for g in gold) for p in best if scores[p] > 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality.thesaurus", description=__doc__)
    parser.add_argument("--half", choices=HALVES, default="dev")
    parser.add_argument("--senses", type=int, default=1)
    parser.add_argument("--weight", type=float, default=0.3)
    args = parser.parse_args(argv)
    if not (WORDNET / "index.noun").exists():
        parser.error(f"WordNet not found in {WORDNET}: apt-get install wordnet-base")
    wordnet = WordNet(args.senses)
    print("| corpus | kind | questions | passage hit@3 plain | with WordNet |\n|---|---|---|---|---|")
    for name in SETS:
        index = open_corpus(name, DATA / "indexes").index
        cases = [c for c in read_cases(QUESTIONS / f"{name}.{args.half}.jsonl") if c.gold]
        for kind in KINDS:
            plain = with_thesaurus = 0
            chosen = [c for c in cases if c.kind == kind]
            for case in chosen:
                asked = parse_question(case.q, index.engine, index.aliases)
                scores = index.engine.scores(asked.search_terms)
                plain += passage_hit(index, scores, case.gold)
                extra = expansion(case.q, wordnet, index)
                if extra:
                    scores = scores + args.weight * index.engine.scores(extra)
                with_thesaurus += passage_hit(index, scores, case.gold)
            shares = f"{plain / len(chosen):.2f} | {with_thesaurus / len(chosen):.2f}"
            print(f"| {name} | {kind} | {len(chosen)} | {shares} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
