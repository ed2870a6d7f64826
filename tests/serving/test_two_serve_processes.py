"""Two real `citebot serve` processes on one PostgreSQL server and one Slack workspace answer every question exactly
once. The fake Slack delivers each mention to one process's connection and its retry to the other's, and every
slash command and 👍 click to both (as Slack may after a lost acknowledgement); the processes claim each in the
shared store, and only the claim's winner answers.

The processes run as an operator runs them (`python -m bot serve --config FILE`, secrets in the environment) from
this checkout; the fake Slack runs in the test process, the PostgreSQL server is the one the tests start."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fake_slack import APP_TOKEN, BOT_TOKEN, RESPONSE_URL_METHOD, FakeSlack, Sent
from postgres_server import PostgresServer
from serve_harness import Platforms, http_get

from bot.answer_workers import RetrieverSpec
from bot.rendering import VOTE_RECORDED
from bot.slack_adapter.render import VOTE_ACTION_IDS
from bot.store import open_store
from retrieval.retriever import Retriever

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = ["what did Nadella say?", "what is the Jevons Paradox?", "how did NVIDIA's shares move?"]
MENTIONS, COMMANDS, CLICKS = 80, 60, 40
ALREADY_TAKEN = "already taken on, not answering again"
START_SECONDS = 90.0  # two processes loading on busy cores; every wait is bounded
SERVE_CONFIG = """\
[corpus]
index_path = "{index}"
watch = false

[bot]
answer_workers = 1

[slack]
api_base_url = "{slack}"

[storage]
url = "{storage}"

[serve]
port = {port}

[limits]  # one fake person asks every question here: fair use is not what this test is about
per_user_per_minute = 100000
burst = 10000
queue_size = 10000
"""


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def ready(self) -> bool:
        with contextlib.suppress(OSError):
            return http_get(f"http://127.0.0.1:{self.port}/readyz")[0] == 200
        return False

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a replica; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(START_SECONDS)

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def two_serves(
    platforms: Platforms,
    postgres_server: PostgresServer,
    bundled: Retriever,
    bundled_spec: RetrieverSpec,
    tmp_path: Path,
    unused_tcp_port_factory: Any,
) -> Iterator[tuple[list[ServeProcess], str]]:
    """Both processes serving (ready, and connected to the fake Slack: two Socket Mode connections), and the
    URL of the database they share. Killed at teardown if the test did not stop them."""
    storage = postgres_server.new_database()
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "DISCORD_"))}
    environment |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    running: list[ServeProcess] = []
    try:
        for number in range(2):
            port = unused_tcp_port_factory()
            config = tmp_path / f"serve-{number}.toml"
            config.write_text(
                SERVE_CONFIG.format(
                    index=bundled_spec.index_path, slack=platforms.slack.api_url, storage=storage, port=port
                ),
                encoding="utf-8",
            )
            log = tmp_path / f"serve-{number}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot", "serve", "--config", str(config)],
                    cwd=REPO,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            running.append(ServeProcess(process, port, log))
        deadline = time.monotonic() + START_SECONDS
        while not all(serve.ready() for serve in running):
            for serve in running:
                assert serve.process.poll() is None, f"citebot serve exited:\n{serve.output}"
            assert time.monotonic() < deadline, "citebot serve did not get ready:\n" + "\n".join(
                serve.output for serve in running
            )
            time.sleep(0.1)
        platforms.run(platforms.slack.wait_until_connected(2))
        yield running, storage
    finally:
        for serve in running:
            if serve.process.poll() is None:
                serve.process.kill()
                serve.process.wait()


@dataclass
class Deliveries:
    envelopes: list[str]  # every envelope sent, in order
    commands: list[tuple[dict[str, str], list[str]]]  # each slash command and the envelopes that carried it
    clicks: list[dict[str, Any]]


async def deliver_everything(fake: FakeSlack) -> Deliveries:
    """Every mention to one connection and its retry to the other; every slash command and click to both,
    alternating which comes first; then waits for every acknowledgement."""
    sent = Deliveries([], [], [])
    for number in range(MENTIONS):
        first, other = number % 2, 1 - number % 2
        mention = fake.event_callback(fake.mention(QUESTIONS[number % len(QUESTIONS)]))
        sent.envelopes.append(await fake.send_envelope("events_api", mention, connection=first))
        sent.envelopes.append(await fake.send_envelope("events_api", mention, connection=other, retry_attempt=1))
    for number in range(COMMANDS):
        command = fake.slash_command(QUESTIONS[number % len(QUESTIONS)])
        carried = [
            await fake.send_envelope("slash_commands", command, connection=connection)
            for connection in (number % 2, 1 - number % 2)
        ]
        sent.commands.append((command, carried))
        sent.envelopes += carried
    answers = await fake.wait_for_delivered("chat.postMessage", MENTIONS)
    for number, message in zip(range(CLICKS), answers, strict=False):
        click = fake.block_actions(message, VOTE_ACTION_IDS[True])
        sent.clicks.append(click)
        for connection in (number % 2, 1 - number % 2):
            sent.envelopes.append(await fake.send_envelope("interactive", click, connection=connection))
    for envelope in sent.envelopes:
        await fake.ack_of(envelope)
    return sent


def posted_to(fake: FakeSlack, url: str) -> list[Sent]:
    return [sent for sent in fake.delivered(RESPONSE_URL_METHOD) if sent.body["_response_url"] == url]


def answers_to(fake: FakeSlack, command: dict[str, str], carried: list[str]) -> int:
    """How often a /ask was answered: in an acknowledgement (when the answer was ready within a second), or
    to its response_url (after an acknowledgement without text)."""
    in_acks = [fake.acks[envelope].get("payload") or {} for envelope in carried]
    return sum(bool(payload.get("text")) for payload in in_acks) + len(posted_to(fake, command["response_url"]))


def test_two_serve_processes_answer_every_question_once(
    platforms: Platforms, two_serves: tuple[list[ServeProcess], str]
) -> None:
    serves, storage = two_serves
    fake = platforms.slack
    sent = platforms.run(deliver_everything(fake), timeout=START_SECONDS)
    assert len(sent.envelopes) == 2 * (MENTIONS + COMMANDS + CLICKS) == 360
    platforms.run(
        fake.wait_for(
            "every command answered and every click thanked",
            lambda: (
                all(answers_to(fake, *command) for command in sent.commands)
                and all(posted_to(fake, click["response_url"]) for click in sent.clicks)
            ),
        ),
        timeout=START_SECONDS,
    )

    exits = [serve.stop() for serve in serves]
    outputs = [serve.output for serve in serves]

    assert exits == [0, 0], outputs
    threads = [message.body["thread_ts"] for message in fake.delivered("chat.postMessage")]
    assert len(threads) == len(set(threads)) == MENTIONS
    assert [answers_to(fake, *command) for command in sent.commands] == [1] * COMMANDS
    for click in sent.clicks:
        assert [thanks.body["text"] for thanks in posted_to(fake, click["response_url"])] == [VOTE_RECORDED[True]]
    turned_away = [output.count(ALREADY_TAKEN) for output in outputs]
    assert sum(turned_away) == len(sent.envelopes) // 2
    assert all(turned_away), "both processes took part"
    with contextlib.closing(open_store(storage)) as store:
        recorded = store.questions_since(datetime(2000, 1, 1))
    assert len(recorded) == MENTIONS + COMMANDS
    assert sum(len(record.votes) for record in recorded) == CLICKS
