"""Nothing a document or file name holds can drive the operator's terminal; JSON stays exact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import write_corpus

from bot.console import _source_line
from bot.rendering import printable

HOSTILE = (
    "Nvidia shares plunged 17% on Monday \x1b[2J\x1b]0;pwned\x07 after the \u202eevil\u202c model "
    "\x1b]8;;http://x.example\x1b\\hidden\x1b]8;;\x1b\\ was released.\x9b31m\n"
)


def run(corpus: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--corpus", str(corpus), "how far did Nvidia shares plunge?"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(corpus.parent / "cache")},
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_escape_sequences_in_a_document_are_shown_not_obeyed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": HOSTILE})
    result = run(corpus, "ask")
    assert result.returncode == 0, result.stderr
    assert "17%" in result.stdout
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e\u202c")
    assert "\\x1b[2J" in result.stdout and "<U+202E>" in result.stdout


def test_json_output_keeps_the_exact_text(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": HOSTILE})
    result = run(corpus, "ask", "--json")
    quote = json.loads(result.stdout)["quotes"][0]
    assert quote["text"] in HOSTILE and "\x1b[2J" in quote["text"]


def test_a_file_name_with_a_line_break_cannot_forge_lines() -> None:
    assert printable("a.txt\nWARNING: fake", keep_newlines=False) == "a.txt⏎WARNING: fake"


def test_console_sources_treat_brackets_in_titles_as_text() -> None:
    line = _source_line("[/dim] [link=http://x.example]click[/link]", "a.txt")
    assert line.plain == "• [/dim] [link=http://x.example]click[/link] (a.txt)"
