"""`citebot console`: the local test mode, a REPL that answers through the same service as the chat bots."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering import AnswerService
from bot.rendering import printable
from bot.text_render import render_rich
from retrieval.answers import Answer

if TYPE_CHECKING:
    from rich.text import Text

    from bot.store import QuestionLog

HELP = """Type a question and press Enter. Commands:
  /help      this help
  /sources   the documents and their titles
  /quit      leave (Ctrl-D and Ctrl-C work too)"""


def _history_file() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "citebot" / "console_history"


def run_console(service: AnswerService, question_log: QuestionLog | None = None) -> int:
    """The prompt loop; questions are recorded only when the operator asked for it (`--log`)."""
    from rich.console import Console

    console = Console()
    history = _enable_history()
    report = service.retriever.report
    shown = service.retriever
    try:
        console.print(
            f"[bold]citebot[/bold] — {report.documents} documents, {report.passages} passages. "
            "Ask a question, or /help."
        )
        while True:
            try:
                line = input("citebot> ").strip()
            except EOFError:
                console.print()
                break
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                break
            if line == "/help":
                console.print(HELP, highlight=False)
            elif line == "/sources":
                for doc in service.retriever.documents:
                    console.print(_source_line(doc.title, doc.source))
            elif line.startswith("/"):
                command = printable(line.split()[0], keep_newlines=False)
                console.print(f"Unknown command {command!r}. Type /help.", highlight=False, markup=False)
            else:
                if service.retriever is not shown:  # live updates swapped in a new index
                    shown = service.retriever
                    changed = f"(the documents changed: now {shown.report.documents} documents, "
                    console.print(changed + f"{shown.report.passages} passages)", style="dim", highlight=False)
                console.print(render_rich(_answer(service, line, question_log)))
    except KeyboardInterrupt:
        console.print()
    finally:
        if question_log is not None:
            question_log.close()
        if history is not None:
            with contextlib.suppress(OSError):
                history()
    return 0


def _answer(service: AnswerService, question: str, question_log: QuestionLog | None) -> Answer:
    started = time.monotonic()
    answer = asyncio.run(service.answer(question))
    if question_log is not None:
        from bot.store import Asked

        asked = Asked("console", getpass.getuser(), question)
        question_log.record(asked, answer, time.monotonic() - started, service.collection)
    return answer


def _source_line(title: str, source: str) -> Text:
    """A /sources line built as rich Text, so brackets in a title are text, never markup."""
    from rich.text import Text

    line = Text("• ")
    line.append(printable(title, keep_newlines=False), style="bold")
    line.append(f" ({printable(source, keep_newlines=False)})", style="dim")
    return line


def _enable_history() -> Callable[[], None] | None:
    """Line editing and a persistent history where the platform has readline; returns the save function."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    path = _history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)

    return save
