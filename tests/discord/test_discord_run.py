"""`run_discord(config)`, the entry point `citebot discord` calls: token errors, serving, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from discord_harness import TOKEN, point_discord_py_at
from fake_discord import WAIT_TIMEOUT, FakeDiscord, message_text, sent_message

from bot.config import Config, ConfigError, CorpusSection
from bot.discord_adapter import run_discord

T = TypeVar("T")
JEVONS = 'quoted the "Jevons Paradox" on social media'


class FakeInItsOwnThread:
    """The fake Discord on a background event loop, so `run_discord` can own the main thread (and signals)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-discord", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = WAIT_TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT_TIMEOUT)
        self.loop.close()


@pytest.fixture
def threaded_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeInItsOwnThread]:
    running = FakeInItsOwnThread(FakeDiscord(TOKEN))
    running.run(running.fake.start())
    point_discord_py_at(running.fake, monkeypatch)
    yield running
    running.close()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(corpus=CorpusSection(index_path=tmp_path / "index.bin"))


def test_missing_token_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)

    with pytest.raises(ConfigError) as error:
        run_discord(config)

    assert "DISCORD_TOKEN" in str(error.value)
    assert "\n" not in str(error.value)


def test_rejected_token_is_one_clear_line_that_never_shows_the_token(
    threaded_fake: FakeInItsOwnThread,
    monkeypatch: pytest.MonkeyPatch,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discord answers 401 at login: a ConfigError (one line, exit 2) naming the variable, not its value."""
    wrong_token = "wrong-token.MTIzNDU2.not-the-real-one"
    monkeypatch.setenv("DISCORD_TOKEN", wrong_token)

    with pytest.raises(ConfigError) as error:
        run_discord(config)

    message = str(error.value)
    assert "DISCORD_TOKEN" in message and "401" in message
    assert wrong_token not in message and "\n" not in message
    assert wrong_token not in caplog.text
    login = threaded_fake.fake.calls("GET", "/users/@me")
    assert [request.headers["Authorization"] for request in login] == [f"Bot {wrong_token}"]


def test_serves_questions_until_sigterm_then_returns_0(
    threaded_fake: FakeInItsOwnThread, monkeypatch: pytest.MonkeyPatch, config: Config
) -> None:
    """The whole entry point: token from the environment, the bundled corpus, /ask answered, clean exit."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    fake = threaded_fake.fake
    answers: list[str] = []
    problems: list[BaseException] = []

    def ask_then_stop() -> None:
        try:
            threaded_fake.run(fake.wait_until(lambda: fake.identify_payloads))
        except BaseException as error:  # never connected: run_discord has already returned or raised
            problems.append(error)
            return
        try:  # from here on run_discord is serving with its signal handlers installed
            interaction = threaded_fake.run(fake.slash_ask("what did Nadella say?"))
            response = threaded_fake.run(fake.wait_for_request(lambda r: interaction["token"] in r.path))
            answers.append(message_text(sent_message(response)))
        except BaseException as error:
            problems.append(error)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    driver = threading.Thread(target=ask_then_stop, name="discord-driver")
    driver.start()
    exit_code = run_discord(config)
    driver.join(WAIT_TIMEOUT)

    assert problems == []
    assert exit_code == 0
    assert len(answers) == 1 and JEVONS in answers[0]


def test_unreachable_discord_is_one_line(monkeypatch: pytest.MonkeyPatch, config: Config, unused_tcp_port: int) -> None:
    """Nothing listens where Discord should be: one clear line, no traceback, and the token stays hidden."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{unused_tcp_port}/api/v10")
    with pytest.raises(ConfigError) as error:
        run_discord(config)
    assert str(error.value).startswith("cannot reach Discord")
    assert TOKEN not in str(error.value)
