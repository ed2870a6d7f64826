"""The same question on the same documents gives the same answer, byte for byte, in every process.

Python salts str hashes per process (PYTHONHASHSEED), so anything that lets a set's order decide (which of two
equally good sentences is quoted, how floats are summed) shows up as answers that differ between runs. The
CLI runs here in child processes with several seeds, over the bundled corpus and over a generated corpus
full of ties, each with a cache of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import write_corpus

from bot.config import BUNDLED_CORPUS

REPO = Path(__file__).resolve().parent.parent
HASH_SEEDS = ("0", "1", "2", "3", "4")
DEV_MODE_SEED = "5"  # one more run, under `python -X dev`


@dataclass(frozen=True)
class Run:
    """One child process of the CLI: its hash seed, and whether it runs in Python's development mode."""

    seed: str
    dev_mode: bool = False

    @property
    def name(self) -> str:
        return f"PYTHONHASHSEED={self.seed}" + (" -X dev" if self.dev_mode else "")


RUNS = [*(Run(seed) for seed in HASH_SEEDS), Run(DEV_MODE_SEED, dev_mode=True)]

# A small vocabulary used over and over: documents repeat each other's sentences, and many words are in exactly as
# many passages as others, so they weigh exactly the same.
_NOUNS = "harbor lantern granite ledger falcon copper meadow orchard quarry beacon willow saddle".split()
_TAIL = (
    "while carts, porters, sailors and merchants move slowly along the narrow cobbled streets toward the market "
    "square of the old town, as they have done every evening for as long as anyone can remember."
)


def tied_corpus(directory: Path) -> tuple[Path, list[str]]:
    """Documents whose passages tie on BM25 and whose sentences tie on how much of a question they hold, so only
    a defined tie-break gives one answer; and the questions that meet those ties. Two abbreviations share one
    long form, defined in the opposite of their alphabetical order."""
    rng = random.Random(0)  # a draw whose ties the hash seed used to break: five seeds, four answers
    files: dict[str, str] = {}
    questions: list[str] = []
    for number in range(6):
        paragraphs = []
        for _ in range(4):
            a, b, c, d = rng.sample(_NOUNS, 4)
            paragraphs += [
                f"The {a} and the {b} stand beside the {c}, {_TAIL}",
                f"The {a} and the {b} stand beside the {d}, {_TAIL}",
            ]
            questions += [
                f"where do the {a} and the {b} stand with the {c} and the {d}?",
                f"the {d} or the {c} beside the {b} and the {a}",
                f"is the {a} near the {c} and the {d}?",
            ]
        files[f"notes-{number}.txt"] = f"Harbor notes {number}\n\n" + "\n\n".join(paragraphs) + "\n"
    files["registers.txt"] = (
        "Registers of the old town\n\n"
        "The Quarry Ledger (QLG) lists every block of granite cut since the harbor was built.\n\n"
        "Clerks keep the QLG in the beacon tower, beside the lantern oil and the copper weights.\n\n"
        "The clerks of the market call the same book the quarry ledger (QL) in their own accounts.\n\n"
        "The QL is read aloud at the willow meadow every spring, when the falcon returns.\n"
    )
    questions += [" ".join(rng.sample(_NOUNS, rng.randint(3, 6))) for _ in range(40)]
    questions += ["what is the quarry ledger?", "where is the quarry ledger kept?", "what does the QL list?"]
    return write_corpus(directory, files), questions


def bundled_questions() -> list[str]:
    """Our question sets for the bundled corpus, answerable and not, literal and paraphrased."""
    lines = [
        line
        for name in ("questions.jsonl", "paraphrase_questions.jsonl")
        for line in (REPO / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [json.loads(line)["q"] for line in lines]


def citebot(run: Run, cache: Path, *args: str, stdin: str = "") -> str:
    """The CLI's standard output in a child process with the run's hash seed and its own cache."""
    flags = ["-X", "dev"] if run.dev_mode else []
    env = {**os.environ, "PYTHONHASHSEED": run.seed, "XDG_CACHE_HOME": str(cache)}
    result = subprocess.run(
        [sys.executable, *flags, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{run.name}: {result.stderr}"
    return result.stdout


def each_run(work: Sequence[Run], job: Callable[[Run], str]) -> list[str]:
    """The job for every run, two child processes at a time (the CI machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(job, work))


def corpus_and_questions(which: str, tmp_path: Path) -> tuple[Path, list[str]]:
    if which == "bundled":
        return BUNDLED_CORPUS, bundled_questions()
    return tied_corpus(tmp_path / "tied")


def assert_all_equal(outputs: Sequence[str], names: Sequence[str]) -> None:
    """Every output equals the first; otherwise the message names the runs that differ and their first line."""
    expected = outputs[0].splitlines()
    differing = []
    for name, output in zip(names, outputs, strict=True):
        if output != outputs[0]:
            lines = output.splitlines()
            line = next((i for i, pair in enumerate(zip(expected, lines, strict=False)) if pair[0] != pair[1]), None)
            differing.append(f"{name} (from line {min(len(expected), len(lines)) if line is None else line + 1})")
    assert not differing, f"differ from {names[0]}: {', '.join(differing)}"


@pytest.mark.parametrize("which", ["bundled", "tied"])
def test_answers_are_identical_under_every_hash_seed(which: str, tmp_path: Path) -> None:
    """`citebot ask --json` prints the same bytes for a batch of questions whatever the hash seed, whether the
    process built the index or loaded the one another process saved."""
    corpus, questions = corpus_and_questions(which, tmp_path)
    batch = "\n".join(questions) + "\n"

    def ask(run: Run, cache: Path) -> str:
        return citebot(run, cache, "ask", "--json", "--corpus", str(corpus), stdin=batch)

    built = each_run(RUNS, lambda run: ask(run, tmp_path / f"cache-{run.seed}"))
    loaded = ask(Run("6"), tmp_path / f"cache-{RUNS[0].seed}")  # the index saved by the first run
    assert len(built[0].splitlines()) == len(questions)
    assert_all_equal([*built, loaded], [*(run.name for run in RUNS), "a run that loaded the saved index"])


@pytest.mark.parametrize("which", ["bundled", "tied"])
def test_index_is_identical_under_every_hash_seed(which: str, tmp_path: Path) -> None:
    """`citebot index` writes the same index file, byte for byte (its SHA-256), and reports the same (but for the
    time it took and where it saved), whatever the hash seed."""
    corpus, _ = corpus_and_questions(which, tmp_path)

    def index(run: Run) -> str:
        cache = tmp_path / f"cache-{run.seed}"
        report = citebot(run, cache, "index", "--corpus", str(corpus))
        [saved] = (cache / "citebot").glob("*.index")
        timeless = [line for line in report.splitlines() if not line.startswith(("time:", "index:"))]
        return "\n".join([hashlib.sha256(saved.read_bytes()).hexdigest(), *timeless])

    assert_all_equal(each_run(RUNS, index), [run.name for run in RUNS])
