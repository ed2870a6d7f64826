"""The benchmark's corpora and questions, made on this machine with fixed seeds and no downloads.

* synthetic: pseudo-words with a Zipfian frequency (exponent 1, like natural text) over a 50,000-word
  vocabulary, passages of about 120 tokens;
* real text: the docstrings of Python's standard library and of the installed packages (always present where
  citebot runs), cut into passages of at most 120 words, plus Debian's one-line package descriptions when
  `apt-cache` is there.

Questions are 3-8 words drawn from a random passage, so every question has at least one passage that answers
it and common words turn up in questions as often as they do in text.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sysconfig
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20250127
VOCABULARY_SIZE = 50_000
PASSAGE_TOKENS = 120
QUESTION_WORDS = (3, 8)
CORPUS_FORMAT = 2  # bump when the generators change, so cached corpus directories are rebuilt

_CONSONANTS = "bcdfghjklmnprstvz"
_VOWELS = "aeiou"
_WORD = re.compile(r"\w+")
_GENERATION_CHUNK = 20_000


@dataclass(frozen=True)
class RealDocument:
    title: str
    text: str


# ---------------------------------------------------------------------- synthetic


def synthetic_vocabulary(size: int = VOCABULARY_SIZE, seed: int = SEED) -> list[str]:
    """Distinct pronounceable pseudo-words ("tavomi"), letters only, so every analyzer keeps them whole."""
    rng = np.random.default_rng(seed)
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS]
    words: dict[str, None] = {}
    while len(words) < size:
        lengths = rng.integers(2, 5, size=size)
        picks = rng.integers(len(syllables), size=(size, 4))
        for length, row in zip(lengths, picks, strict=True):
            words.setdefault("".join(syllables[i] for i in row[:length]))
            if len(words) == size:
                break
    return list(words)


class ZipfianText:
    """A deterministic stream of Zipf-distributed words: rank r has probability proportional to 1/r."""

    def __init__(self, seed: int, vocabulary: list[str] | None = None) -> None:
        self.vocabulary = vocabulary or synthetic_vocabulary()
        weights = 1.0 / np.arange(1, len(self.vocabulary) + 1)
        self._cdf = np.cumsum(weights / weights.sum())
        self._rng = np.random.default_rng(seed)

    def word_ids(self, count: int) -> np.ndarray:
        ids = np.searchsorted(self._cdf, self._rng.random(count))
        return np.minimum(ids, len(self.vocabulary) - 1)

    def lengths(self, count: int, mean: int, spread: int, low: int, high: int) -> np.ndarray:
        return np.clip(np.rint(self._rng.normal(mean, spread, count)), low, high).astype(np.int64)

    def passages(self, count: int) -> Iterator[list[str]]:
        """`count` token lists of about 120 tokens; the strings are shared, so a million passages fit."""
        vocabulary = self.vocabulary
        for start in range(0, count, _GENERATION_CHUNK):
            lengths = self.lengths(min(_GENERATION_CHUNK, count - start), PASSAGE_TOKENS, 30, 20, 300)
            tokens = [vocabulary[i] for i in self.word_ids(int(lengths.sum())).tolist()]
            position = 0
            for length in lengths.tolist():
                yield tokens[position : position + length]
                position += length

    def sentences(self, count: int) -> Iterator[str]:
        """`count` sentences of about 30 words, capitalised and ending in a full stop."""
        vocabulary = self.vocabulary
        for start in range(0, count, _GENERATION_CHUNK):
            lengths = self.lengths(min(_GENERATION_CHUNK, count - start), 30, 8, 5, 60)
            words = [vocabulary[i] for i in self.word_ids(int(lengths.sum())).tolist()]
            position = 0
            for length in lengths.tolist():
                sentence = " ".join(words[position : position + length])
                position += length
                yield sentence[0].upper() + sentence[1:] + "."


def synthetic_passages(count: int) -> list[list[str]]:
    return list(ZipfianText(SEED).passages(count))


# ---------------------------------------------------------------------- real text


def real_documents(cache_dir: Path) -> list[RealDocument]:
    """Docstrings and package descriptions found on this machine, cached as JSON Lines after the first run."""
    cache = cache_dir / f"real-text-v{CORPUS_FORMAT}.jsonl"
    if not cache.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        documents = [*_python_docstrings(), *_package_descriptions()]
        temporary = cache.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            for document in documents:
                out.write(json.dumps({"title": document.title, "text": document.text}) + "\n")
        temporary.replace(cache)
    with cache.open(encoding="utf-8") as lines:
        return [RealDocument(**json.loads(line)) for line in lines]


def real_passage_texts(documents: list[RealDocument]) -> list[str]:
    """Each document cut into runs of at most 120 words (short documents stay whole)."""
    passages: list[str] = []
    for document in documents:
        words = document.text.split()
        passages.extend(" ".join(words[i : i + PASSAGE_TOKENS]) for i in range(0, len(words), PASSAGE_TOKENS))
    return passages


def _python_docstrings() -> Iterator[RealDocument]:
    seen: set[bytes] = set()
    paths = sysconfig.get_paths()
    for root in sorted({paths["stdlib"], paths["purelib"]}):
        for path in sorted(Path(root).rglob("*.py")):
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError, RecursionError):
                continue
            module = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
            for node in ast.walk(tree):
                if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                docstring = ast.get_docstring(node)
                if not docstring or len(docstring.split()) < 8:
                    continue
                digest = hashlib.blake2b(docstring.encode(), digest_size=12).digest()
                if digest in seen:
                    continue
                seen.add(digest)
                name = module if isinstance(node, ast.Module) else f"{module}.{node.name}"
                yield RealDocument(name, docstring)


def _package_descriptions() -> Iterator[RealDocument]:
    """Debian's one-line descriptions, grouped by section so they make passages of useful length."""
    apt_cache = shutil.which("apt-cache")
    if apt_cache is None:
        return
    try:
        dump = subprocess.run([apt_cache, "dumpavail"], capture_output=True, text=True, timeout=120, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return
    by_section: dict[str, dict[str, str]] = {}
    for record in dump.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in record.splitlines() if ": " in line and not line.startswith(" "))
        if "Package" in fields and "Description" in fields:
            section = fields.get("Section", "misc")
            by_section.setdefault(section, {})[fields["Package"]] = fields["Description"]
    for section, packages in sorted(by_section.items()):
        lines = [f"{name}: {description}." for name, description in sorted(packages.items())]
        for start in range(0, len(lines), 12):
            yield RealDocument(f"Debian packages: {section}", " ".join(lines[start : start + 12]))


# ---------------------------------------------------------------------- questions


def questions_from_passages(passages: list[list[str]], count: int, seed: int = SEED + 1) -> list[list[str]]:
    """`count` questions of 3-8 tokens, each drawn from one random non-empty passage."""
    rng = np.random.default_rng(seed)
    non_empty = [passage for passage in passages if passage]
    questions = []
    for _ in range(count):
        passage = non_empty[int(rng.integers(len(non_empty)))]
        size = int(rng.integers(QUESTION_WORDS[0], QUESTION_WORDS[1] + 1))
        questions.append([passage[int(i)] for i in rng.integers(len(passage), size=size)])
    return questions


def keyword_questions_from_passages(
    passages: list[list[str]], count: int, skip_most_common: int = 100, seed: int = SEED + 3
) -> list[list[str]]:
    """Like `questions_from_passages`, without the corpus's `skip_most_common` most frequent words: the
    questions a front end that drops stopwords would ask (rarer words, shorter posting lists)."""
    frequencies: Counter[str] = Counter()
    for passage in passages[:: max(1, len(passages) // 20_000)]:  # a sample is enough to rank the top words
        frequencies.update(passage)
    common = {word for word, _ in frequencies.most_common(skip_most_common)}
    rng = np.random.default_rng(seed)
    questions: list[list[str]] = []
    while len(questions) < count:
        words = [word for word in passages[int(rng.integers(len(passages)))] if word not in common]
        if not words:
            continue
        size = int(rng.integers(QUESTION_WORDS[0], QUESTION_WORDS[1] + 1))
        questions.append([words[int(i)] for i in rng.integers(len(words), size=size)])
    return questions


def questions_from_texts(texts: list[str], count: int, seed: int = SEED + 2) -> list[str]:
    """Question strings of 3-8 words from random texts (for the end-to-end runs through the analyzer)."""
    rng = np.random.default_rng(seed)
    questions: list[str] = []
    while len(questions) < count:
        words = _WORD.findall(texts[int(rng.integers(len(texts)))])
        if len(words) < QUESTION_WORDS[0]:
            continue
        size = int(rng.integers(QUESTION_WORDS[0], QUESTION_WORDS[1] + 1))
        questions.append(" ".join(words[int(i)] for i in rng.integers(len(words), size=size)) + "?")
    return questions


# ---------------------------------------------------------------------- corpus directories


def write_synthetic_corpus_dir(directory: Path, passages: int) -> None:
    """Files of synthetic sentences, sized so citebot's chunker (4 sentences, overlap 1) makes ~`passages`."""
    if _is_current(directory, f"synthetic:{passages}"):
        return
    _reset(directory)
    text = ZipfianText(SEED + 3)
    passages_per_file = 100
    sentences = text.sentences(3 * passages + passages // passages_per_file + 1)
    for number, start in enumerate(range(0, passages, passages_per_file)):
        count = min(passages_per_file, passages - start)
        body = [next(sentences, "") for _ in range(3 * count + 1)]
        lines = [f"Synthetic document {number}", ""]
        lines += [" ".join(body[i : i + 6]) for i in range(0, len(body), 6)]
        _write(directory / f"{number // 1000:03d}" / f"doc{number:06d}.txt", "\n\n".join(lines) + "\n")
    _mark_current(directory, f"synthetic:{passages}")


def write_real_corpus_dir(directory: Path, documents: list[RealDocument]) -> None:
    """The real-text documents as files of 40 documents each, one paragraph per document."""
    if _is_current(directory, f"real:{len(documents)}"):
        return
    _reset(directory)
    for number, start in enumerate(range(0, len(documents), 40)):
        group = documents[start : start + 40]
        body = [f"{document.title}\n\n{' '.join(document.text.split())}" for document in group]
        _write(directory / f"{number // 1000:03d}" / f"part{number:05d}.txt", "\n\n".join(body) + "\n")
    _mark_current(directory, f"real:{len(documents)}")


def _is_current(directory: Path, label: str) -> bool:
    marker = directory / ".bench-corpus"
    return marker.is_file() and marker.read_text() == f"{CORPUS_FORMAT}:{SEED}:{label}"


def _mark_current(directory: Path, label: str) -> None:
    (directory / ".bench-corpus").write_text(f"{CORPUS_FORMAT}:{SEED}:{label}")


def _reset(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
