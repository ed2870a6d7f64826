"""Running `citebot serve` in a test: the fakes on a background event loop, serve in the main thread, and the test's
steps in a driver thread that talks to the fakes and to the health port with a real HTTP client.

Imported by name (tests/serving/conftest.py puts the fakes' directories on sys.path first).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from discord_harness import TOKEN as DISCORD_TOKEN
from fake_discord import FakeDiscord
from fake_slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, WAIT_SECONDS, FakeSlack

from bot.config import Config
from bot.serving import run_serve

T = TypeVar("T")


class Platforms:
    """A fake Slack and a fake Discord on an event loop of their own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-platforms", daemon=True)
        self.thread.start()
        self.slack = self.run(self._start_slack())
        self.discord = FakeDiscord(DISCORD_TOKEN)
        self.run(self.discord.start())

    @staticmethod
    async def _start_slack() -> FakeSlack:
        fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET)
        await fake.start()
        return fake

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = WAIT_SECONDS) -> T:
        """Runs a coroutine on the fakes' loop (a fake's own waits are bounded; so is this)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[[], T]) -> T:
        """Calls a fake's plain method on the fakes' loop (hold, release: they touch its asyncio state)."""

        async def call() -> T:
            return function()

        return self.run(call())

    def close(self) -> None:
        self.run(self.slack.close())
        self.run(self.discord.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT_SECONDS)
        self.loop.close()


def http_get(url: str) -> tuple[int, str]:
    """Status and body of a GET, 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=WAIT_SECONDS) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_http(url: str, wanted: Callable[[int, str], bool], what: str) -> tuple[int, str]:
    """Asks `url` again until its answer is `wanted` (a refused connection counts as not yet); fails after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    last: tuple[int, str] | str = "no answer"
    while time.monotonic() < deadline:
        try:
            last = http_get(url)
        except (urllib.error.URLError, ConnectionError) as error:
            last = str(error)
        else:
            if wanted(*last):
                return last
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what} at {url}; last answer: {last!r}")


class Serving:
    """`run_serve(config)` in the main thread while `steps` run in a driver thread, which then sends SIGTERM."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.base = f"http://127.0.0.1:{config.serve.port}"
        self._up = threading.Event()  # /healthz answered: serve's signal handlers are in place
        self._serving = True

    def url(self, path: str) -> str:
        return self.base + path

    def wait_until_ready(self) -> str:
        return wait_for_http(self.url("/readyz"), lambda status, _: status == 200, "/readyz to be 200")[1]

    def run(self, steps: Callable[[Serving], None]) -> int:
        """serve's exit status; re-raises what failed in `steps`."""
        problems: list[BaseException] = []

        def drive() -> None:
            try:
                wait_for_http(self.url("/healthz"), lambda status, _: status == 200, "/healthz")
                self._up.set()
                steps(self)
            except BaseException as error:
                problems.append(error)
            finally:
                if self._up.is_set() and self._serving:
                    os.kill(os.getpid(), signal.SIGTERM)

        driver = threading.Thread(target=drive, name="serve-driver")
        driver.start()
        try:
            exit_code = run_serve(self.config)
        finally:
            self._serving = False
            driver.join(WAIT_SECONDS * 4)
        if problems:
            raise problems[0]
        return exit_code
