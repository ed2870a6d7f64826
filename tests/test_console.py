"""`citebot console`: the local test mode, driven as a person would through a pipe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_console(keys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input=keys,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", "TERM": "dumb"},
        timeout=60,
        check=False,
    )


def test_console_answers_and_lists_sources_and_quits() -> None:
    result = run_console("/help\n/sources\nwhat did Nadella say?\n/quit\nnever read\n")
    assert result.returncode == 0, result.stderr
    assert "/sources" in result.stdout  # the help text
    assert "The ultimate victim of DeepSeek is not NVIDIA" in result.stdout  # a source title
    assert "Jevons Paradox" in result.stdout
    assert "Traceback" not in result.stderr


def test_console_leaves_cleanly_at_end_of_input() -> None:
    result = run_console("what did Nadella say?\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_console_explains_unknown_commands_and_abstains_politely() -> None:
    result = run_console("/frob\nWhat is the capital of France?\nHow tall is the tallest mountain?\n")
    assert "Unknown command '/frob'" in result.stdout
    assert "The documents never mention “France”" in result.stdout
    assert "couldn't find this in the documents" in result.stdout


def test_console_leaves_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    process.stdout.readline()  # the banner: the prompt is waiting
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in err


def test_console_takes_markup_typed_as_a_command_as_text() -> None:
    result = run_console("/[/oops]\nwhat did Nadella say?\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "Unknown command '/[/oops]'" in result.stdout and "Jevons Paradox" in result.stdout


def test_console_in_a_thread_follows_up_and_gives_more_numbered_on() -> None:
    """`/thread` goes into the last answer's thread: a follow-up is asked with the question there, `more`
    continues the numbering; back in the channel, `more` has nothing to continue."""
    result = run_console("Nvidia stock drop\n/thread\nmore\nmore\n/as channel\nmore\n")
    out = result.stdout
    assert "citebot (thread)> " in out and "[3] " in out and "[4] " in out and "[5] " in out
    assert out.index("[3] ") < out.index("[4] ") and "[6] " not in out
    assert "That's all I found for this question: there are no more quotes." in out
    assert out.rstrip().endswith("Ask me a question first; then `more` shows its next quotes.\ncitebot>")


def test_console_replies_and_direct_messages_follow_up_as_on_the_platforms() -> None:
    result = run_console(
        "/reply and Sam Altman?\nWhat did Nadella say?\n/reply and Sam Altman?\n/as dm\nWhat did Nadella say?\n"
        "and Sam Altman?\nand Sam Altman?\n"
    )
    out = result.stdout
    assert "No answer yet to continue: ask a question first." in out
    assert out.count("Following up on: What did Nadella say?") == 2  # the reply, and the DM's first follow-up
    assert "Following up on: and Sam Altman?" in out  # a follow-up on a follow-up
    assert "wrong side of history" in " ".join(out.split()) and "Traceback" not in result.stderr
