"""Live updates: a running front end answers from its documents as they are now, without a restart, and every
answer comes wholly from one index, the old or the new."""

from __future__ import annotations

import asyncio
import logging
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support import wait_for, write_corpus

from bot import metrics
from bot.answer_workers import AnswerWorkers
from bot.answering import AnswerService, bot_service, retriever_spec
from bot.config import Config, CorpusSection
from bot.live_index import LiveIndex, live_updates
from retrieval import Retriever

REPO = Path(__file__).resolve().parent.parent
GENEROUS = 60.0  # seconds to wait for a condition: never an expectation of speed
ZEBRAS_V1 = "Zebras in the northern reserve graze on tall grass in the dry season."
ZEBRAS_V2 = "Zebras in the northern reserve migrate south when the river floods."
ZEBRA_QUESTION = "what do the zebras in the northern reserve do?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(
        tmp_path / "corpus",
        {
            "lions.txt": "Lions\n\nLions in the southern reserve hunt at dawn and rest through the heat of the day.\n",
            "elephants.txt": "Elephants\n\nElephants in the eastern reserve walk to the lake every evening.\n",
        },
    )


def config_for(corpus: Path, tmp_path: Path, **corpus_settings: object) -> Config:
    return Config(corpus=CorpusSection(path=corpus, index_path=tmp_path / "live.index", **corpus_settings))


@pytest.fixture
def live(corpus: Path, tmp_path: Path) -> Iterator[tuple[AnswerService, LiveIndex]]:
    """The console's service (answers in this process), watched."""
    config = config_for(corpus, tmp_path)
    service = AnswerService(retriever_spec(config).open())
    with live_updates(config, service) as watcher:
        assert watcher is not None
        yield service, watcher


def quotes(service: AnswerService, question: str = ZEBRA_QUESTION) -> str:
    return " ".join(quote.text for quote in service.retriever.ask(question).quotes)


def test_added_edited_and_deleted_files_change_the_answers(live: tuple[AnswerService, LiveIndex], corpus: Path) -> None:
    service, _ = live
    assert "Zebras" not in quotes(service)

    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V1}\n")
    assert wait_for(lambda: ZEBRAS_V1 in quotes(service), seconds=GENEROUS)

    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V2}\n")
    assert wait_for(lambda: ZEBRAS_V2 in quotes(service), seconds=GENEROUS)
    assert ZEBRAS_V1 not in quotes(service)

    (corpus / "zebras.txt").unlink()
    assert wait_for(lambda: "Zebras" not in quotes(service), seconds=GENEROUS)
    assert [doc.source for doc in service.retriever.documents] == ["elephants.txt", "lions.txt"]


def test_a_question_asked_during_the_swap_gets_a_whole_answer(
    live: tuple[AnswerService, LiveIndex], corpus: Path, tmp_path: Path
) -> None:
    """Questions keep coming while the index is swapped: each answer is exactly the old index's or the new one's
    (compared with fresh builds of each version), never a mix."""
    service, watcher = live
    question = "which reserve do the lions and elephants live in?"
    old = service.retriever.ask(question).model_dump_json()
    new_corpus = shutil.copytree(corpus, tmp_path / "new")
    (new_corpus / "lions.txt").write_text("Lions\n\nLions in the western reserve sleep in the elephants' shade.\n")
    new = Retriever.open(new_corpus, index_path=tmp_path / "new.index").ask(question).model_dump_json()
    assert new != old

    async def ask_until_swapped() -> set[str]:
        seen: set[str] = set()
        (corpus / "lions.txt.new").write_bytes((new_corpus / "lions.txt").read_bytes())
        (corpus / "lions.txt.new").replace(corpus / "lions.txt")  # at once, as editors save
        while new not in seen:
            answers = await asyncio.gather(*(service.answer(question) for _ in range(4)))
            seen.update(answer.model_dump_json() for answer in answers)
            assert seen <= {old, new}
            if new not in seen:
                await asyncio.to_thread(watcher.wait_for_generation, 1, 0.05)
        return seen

    assert asyncio.run(asyncio.wait_for(ask_until_swapped(), GENEROUS)) == {old, new}


def test_a_burst_of_changes_is_indexed_together(
    live: tuple[AnswerService, LiveIndex], corpus: Path, tmp_path: Path
) -> None:
    service, watcher = live
    for number in range(20):
        (tmp_path / "zebra.txt").write_text(f"Zebra {number}\n\n{ZEBRAS_V1}\n")
        (tmp_path / "zebra.txt").replace(corpus / f"zebra{number}.txt")
    assert wait_for(lambda: len(service.retriever.documents) == 22, seconds=GENEROUS)
    assert 1 <= watcher.generation < 20


def test_a_file_changed_after_indexing_is_still_quoted_as_indexed(
    live: tuple[AnswerService, LiveIndex], corpus: Path
) -> None:
    """Between the write and the swap, answers quote the text that was indexed, verbatim, never the new file."""
    service, _ = live
    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V1}\n")
    assert wait_for(lambda: ZEBRAS_V1 in quotes(service), seconds=GENEROUS)
    (corpus / "zebras.txt").write_text(f"Hippos\n\nHippos wallow.\n\n{ZEBRAS_V2}\n")
    [quote, *_] = service.retriever.ask(ZEBRA_QUESTION).quotes
    document = next(n for n, d in enumerate(service.retriever.documents) if d.source == quote.source)
    assert service.retriever.index.document_text(document)[quote.start : quote.end] == quote.text
    assert quote.text not in (corpus / "zebras.txt").read_text() or quote.text == ZEBRAS_V1
    assert wait_for(lambda: ZEBRAS_V2 in quotes(service), seconds=GENEROUS)


def test_a_vanished_corpus_keeps_the_old_index_with_one_log_line_and_comes_back(
    live: tuple[AnswerService, LiveIndex], corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service, _ = live
    caplog.set_level(logging.WARNING, logger="citebot")
    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V1}\n")
    assert wait_for(lambda: ZEBRAS_V1 in quotes(service), seconds=GENEROUS)
    kept = shutil.copytree(corpus, tmp_path / "kept")
    shutil.rmtree(corpus)

    def said() -> list[str]:
        return [record.getMessage() for record in caplog.records if record.name == "citebot"]

    assert wait_for(said, seconds=GENEROUS)
    assert ZEBRAS_V1 in quotes(service)

    shutil.copytree(kept, corpus)
    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V2}\n")
    assert wait_for(lambda: ZEBRAS_V2 in quotes(service), seconds=GENEROUS)
    [line] = said()
    assert "cannot re-index the corpus" in line and "answering from the index as it was" in line


def test_watching_can_be_turned_off(corpus: Path, tmp_path: Path) -> None:
    config = config_for(corpus, tmp_path, watch=False)
    service = AnswerService(retriever_spec(config).open())
    with live_updates(config, service) as watcher:
        assert watcher is None


# ---------------------------------------------------------------------------------------- the answer workers


@pytest.fixture
async def bot(corpus: Path, tmp_path: Path) -> AsyncIterator[AnswerService]:
    """A chat bot's service, as `citebot slack` and `citebot discord` run it: two answer workers, watched."""
    async with bot_service(config_for(corpus, tmp_path)) as service:
        yield service


async def answer_text(service: AnswerService, question: str = ZEBRA_QUESTION) -> str:
    return " ".join(quote.text for quote in (await service.answer(question)).quotes)


async def test_the_answer_workers_move_to_the_new_index_and_metrics_count_the_rebuild(
    bot: AnswerService, corpus: Path
) -> None:
    assert isinstance(bot.workers, AnswerWorkers)
    default = {"collection": "default"}
    rebuilds_before = metrics.REGISTRY.get_sample_value("citebot_reindexes_total", default) or 0.0
    (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V1}\n")

    async def answered_from_new_index() -> None:
        while True:  # the workers move once the parent has saved the new index: ask until they have
            if ZEBRAS_V1 in await answer_text(bot):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(answered_from_new_index(), GENEROUS)
    answers = await asyncio.gather(*(answer_text(bot) for _ in range(6)))  # every worker has moved
    assert all(ZEBRAS_V1 in answer for answer in answers)
    assert (metrics.REGISTRY.get_sample_value("citebot_reindexes_total", default) or 0.0) > rebuilds_before


async def test_questions_to_the_workers_during_the_swap_get_whole_answers(
    bot: AnswerService, corpus: Path, tmp_path: Path
) -> None:
    question = "which reserve do the lions and elephants live in?"
    old = (await bot.answer(question)).model_dump_json()
    new_corpus = shutil.copytree(corpus, tmp_path / "new")
    (new_corpus / "lions.txt").write_text("Lions\n\nLions in the western reserve sleep in the elephants' shade.\n")
    new = Retriever.open(new_corpus, index_path=tmp_path / "new.index").ask(question).model_dump_json()
    shutil.copy(new_corpus / "lions.txt", corpus / "lions.txt")

    async def until_new() -> None:
        while True:
            seen = {
                answer.model_dump_json() for answer in await asyncio.gather(*(bot.answer(question) for _ in range(4)))
            }
            assert seen <= {old, new}
            if seen == {new}:
                return

    await asyncio.wait_for(until_new(), GENEROUS)


# ---------------------------------------------------------------------------------------- the console


class Console:
    """`citebot console` as a subprocess, typed into through a pipe."""

    def __init__(self, corpus: Path, cache: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--corpus", str(corpus)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "200", "TERM": "dumb", "XDG_CACHE_HOME": str(cache)},
        )
        self.read_until_prompt()

    def read_until_prompt(self) -> str:
        assert self.process.stdout is not None
        fd, seen, deadline = self.process.stdout.fileno(), b"", time.monotonic() + GENEROUS
        while not seen.endswith(b"citebot> "):
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(fd, 65536) if ready else b""
            assert chunk, f"the console stopped answering: {seen.decode(errors='replace')}"
            seen += chunk
        return seen.decode()

    def ask(self, question: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(question.encode() + b"\n")
        self.process.stdin.flush()
        return self.read_until_prompt()

    def ask_until(self, question: str, wanted: str, *, present: bool = True) -> str:
        """Ask again until the answer holds `wanted` (or no longer does): the index is swapped in the background."""
        deadline = time.monotonic() + GENEROUS
        while True:
            answer = self.ask(question)
            if (wanted in answer) == present or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)

    def quit(self) -> tuple[int, str]:
        _, err = self.process.communicate(b"/quit\n", timeout=GENEROUS)
        return self.process.returncode, err.decode()


def test_the_console_answers_from_added_edited_and_deleted_files_without_a_restart(
    corpus: Path, tmp_path: Path
) -> None:
    console = Console(corpus, tmp_path / "cache")
    try:
        assert "Zebras" not in console.ask(ZEBRA_QUESTION)

        (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V1}\n")
        answer = console.ask_until(ZEBRA_QUESTION, ZEBRAS_V1)
        assert ZEBRAS_V1 in answer and "(the documents changed: now 3 documents" in answer

        (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS_V2}\n")
        assert ZEBRAS_V2 in console.ask_until(ZEBRA_QUESTION, ZEBRAS_V2)

        (corpus / "zebras.txt").unlink()
        assert "Zebras" not in console.ask_until(ZEBRA_QUESTION, "Zebras", present=False)
    finally:
        code, err = console.quit()
    assert code == 0 and "Traceback" not in err
