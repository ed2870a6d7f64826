"""A running citebot keeps answering from the index it loaded, whatever happens to the file afterwards.

Each case runs in a child process: before the index was read into private memory, these changes killed the
reader with SIGBUS (truncation) or made it cut quotes from another index's text (a copy over it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import write_corpus

from retrieval import Retriever

CHILD = """
import json, shutil, sys
from pathlib import Path
from retrieval import Retriever
corpus, index, other, change = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
retriever = Retriever.open(corpus, index_path=index)
if change == "truncate":
    with index.open("r+b") as handle:
        handle.truncate(100)
elif change == "copy-over":
    with index.open("r+b") as handle:  # as `cp other index` does: same inode, rewritten in place
        handle.write(other.read_bytes())
        handle.truncate()
answer = retriever.ask("Which bird migrates across the Sahara?")
texts = {doc.source: (corpus / doc.source).read_text() for doc in retriever.documents}
quote = answer.quotes[0]
print(json.dumps({"verbatim": texts[quote.source][quote.start:quote.end] == quote.text, "text": quote.text}))
"""


@pytest.fixture
def indexes(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A corpus with its saved index, and an index of another corpus of about the same size."""
    birds = write_corpus(
        tmp_path / "birds",
        {"birds.txt": "The barn swallow migrates across the Sahara every autumn.\n\nRobins stay for the winter.\n"},
    )
    other = write_corpus(
        tmp_path / "other",
        {"ships.txt": "The container ship crossed the Atlantic in nine days.\n\nTugs stay in the harbour.\n"},
    )
    Retriever.open(birds, index_path=tmp_path / "birds.index")
    Retriever.open(other, index_path=tmp_path / "other.index")
    return birds, tmp_path / "birds.index", tmp_path / "other.index"


@pytest.mark.parametrize("change", ["truncate", "copy-over"])
def test_changing_the_index_file_under_a_running_process_does_not_change_its_answers(
    indexes: tuple[Path, Path, Path], change: str
) -> None:
    corpus, index, other = indexes
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), str(index), str(other), change],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert '"verbatim": true' in child.stdout
    assert "barn swallow migrates across the Sahara" in child.stdout
