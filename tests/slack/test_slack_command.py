"""`citebot slack` as the operator runs it: secrets checked first, then served until SIGTERM.

The full runs start the real command in a subprocess against the fake Slack, in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_slack import APP_TOKEN, BOT_TOKEN, CHANNEL_ID, DM_CHANNEL_ID, SIGNING_SECRET, FakeSlack
from support import children_of, is_running, wait_for

from bot.answering import AnswerService
from bot.config import Config, ConfigError, SlackSettings
from bot.slack_adapter import run_slack
from bot.slack_adapter.app import build_app
from bot.slack_adapter.run import check_tokens, http_mode

REPO = Path(__file__).resolve().parents[2]
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'
START_SECONDS = 60.0


@pytest.fixture
def no_slack_secrets(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("environment", "http", "variable"),
    [
        ({}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-a-user-token", "SLACK_APP_TOKEN": APP_TOKEN}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, False, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, False, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}, True, "SLACK_SIGNING_SECRET"),
    ],
    ids=["no-bot-token", "user-token", "no-app-token", "bot-token-as-app-token", "http-without-secret"],
)
def test_missing_or_malformed_secret_is_one_line_naming_the_variable(
    no_slack_secrets: pytest.MonkeyPatch, environment: dict[str, str], http: bool, variable: str
) -> None:
    """Checked before the corpus is opened or Slack contacted; the value never appears in the message."""
    for name, value in environment.items():
        no_slack_secrets.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        run_slack(Config(), http=http, port=3000)
    message = str(raised.value)
    assert variable in message and "\n" not in message
    assert all(value not in message for value in environment.values())


@pytest.mark.parametrize(
    ("bot_token", "app_token", "variable"),
    [("xoxb-revoked", APP_TOKEN, "SLACK_BOT_TOKEN"), (BOT_TOKEN, "xapp-revoked", "SLACK_APP_TOKEN")],
)
async def test_token_slack_refuses_is_a_config_error_at_start(
    fake_slack: FakeSlack, service: AnswerService, bot_token: str, app_token: str, variable: str
) -> None:
    """A well-formed token that Slack refuses stops the start with one line, not a reconnect loop."""
    app = build_app(service, SlackSettings(api_base_url=fake_slack.api_url), bot_token)
    with pytest.raises(ConfigError, match=rf"^{variable} was refused by Slack \(invalid_auth\)"):
        await check_tokens(app, app_token)


async def test_unreachable_slack_api_is_a_config_error_at_start(service: AnswerService) -> None:
    app = build_app(service, SlackSettings(api_base_url=f"http://127.0.0.1:{free_port()}/api/"), BOT_TOKEN)
    with pytest.raises(ConfigError, match=r"^cannot reach the Slack API at http://127\.0\.0\.1"):
        await check_tokens(app, APP_TOKEN)


async def test_citebot_slack_answers_slash_mention_and_dm_over_socket_mode(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """The real command in Socket Mode: each question answered once, in its place; SIGTERM exits 0."""
    async with citebot(tmp_path, fake_slack, "slack") as process:
        await fake_slack.wait_until_connected()
        slash = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command("what did Nadella say?"))
        mention = fake_slack.mention("what did Nadella say?")
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message("Nadella?")))

        response = await fake_slack.slash_answer((await fake_slack.ack_of(slash)).get("payload"))
        posts = await fake_slack.wait_for_delivered("chat.postMessage", 2)
        assert JEVONS_QUOTE in response.text
        in_thread = next(post for post in posts if post.body["channel"] == CHANNEL_ID)
        in_dm = next(post for post in posts if post.body["channel"] == DM_CHANNEL_ID)
        assert in_thread.body["thread_ts"] == mention["ts"]
        assert JEVONS_QUOTE in in_thread.text and JEVONS_QUOTE in in_dm.text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), START_SECONDS) == 0


async def test_citebot_slack_http_serves_signed_requests(fake_slack: FakeSlack, tmp_path: Path) -> None:
    """The real command, HTTP mode on the given port: a signed /ask is answered, an unsigned one refused."""
    port = free_port()
    async with citebot(tmp_path, fake_slack, "slack", "--http", "--port", str(port)) as process:
        await wait_for_log(process, b"serving Slack on")
        url = f"http://127.0.0.1:{port}/slack/events"
        unsigned, _, _ = await fake_slack.post_to_bot(
            url, fake_slack.slash_command("Nadella?"), form=True, signed=False
        )
        status, _, ack = await fake_slack.post_to_bot(url, fake_slack.slash_command("Nadella?"), form=True)

        assert (unsigned, status) == (401, 200)
        response = await fake_slack.slash_answer(json.loads(ack))
        assert JEVONS_QUOTE in response.text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), START_SECONDS) == 0


async def test_ctrl_c_stops_citebot_slack_cleanly_with_its_answer_workers(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Ctrl-C signals the whole process group: the workers leave stopping to the bot, so the question taken on
    is still answered, then the bot ends them and exits 0, with no traceback from anyone."""
    port = free_port()
    async with citebot(tmp_path, fake_slack, "slack", "--http", "--port", str(port)) as process:
        started = await wait_for_log(process, b"serving Slack on")
        workers = logged_worker_pids(started)
        status, _, ack = await fake_slack.post_to_bot(
            f"http://127.0.0.1:{port}/slack/events", fake_slack.slash_command("Nadella?"), form=True
        )
        os.killpg(process.pid, signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), START_SECONDS) == 0
        assert process.stderr is not None
        rest = (await process.stderr.read()).decode()

    assert status == 200
    response = await fake_slack.slash_answer(json.loads(ack))  # in the ack, or sent before the bot stopped
    assert JEVONS_QUOTE in response.text
    assert "Traceback" not in rest and "citebot stopped" in rest
    assert len(workers) == 2 and not any(is_running(pid) for pid in workers)


async def test_killing_citebot_slack_leaves_no_worker_process_running(fake_slack: FakeSlack, tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, kill -9) gives the bot no chance to stop anything: its children die with it."""
    async with citebot(tmp_path, fake_slack, "slack", "--http", "--port", str(free_port())) as process:
        workers = logged_worker_pids(await wait_for_log(process, b"serving Slack on"))
        children = children_of(process.pid)
        process.kill()
        await process.wait()

    assert len(workers) == 2 and set(workers) <= set(children)
    assert await asyncio.to_thread(wait_for, lambda: not any(is_running(pid) for pid in children), seconds=20)


async def test_citebot_slack_with_a_refused_token_exits_2_with_one_line(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with citebot(tmp_path, fake_slack, "slack", bot_token="xoxb-revoked") as process:
        assert await asyncio.wait_for(process.wait(), START_SECONDS) == 2
        assert process.stderr is not None
        lines = (await process.stderr.read()).decode().strip().splitlines()
        assert lines[-1].startswith("citebot: error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)")
        assert "xoxb-revoked" not in "\n".join(lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def citebot(
    tmp_path: Path, fake: FakeSlack, *args: str, bot_token: str = BOT_TOKEN
) -> contextlib.AbstractAsyncContextManager[asyncio.subprocess.Process]:
    return _citebot(tmp_path, fake, args, bot_token)


@contextlib.asynccontextmanager
async def _citebot(
    tmp_path: Path, fake: FakeSlack, args: tuple[str, ...], bot_token: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot <args>` with the tokens in its environment and the fake's URL in its config."""
    config = tmp_path / "citebot.toml"
    config.write_text(f'[corpus]\nindex_path = "index.bin"\n\n[slack]\napi_base_url = "{fake.api_url}"\n')
    environment = {
        **os.environ,
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PYTHONPATH": str(REPO),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, "--config", str(config),
        cwd=REPO, env=environment, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group, as at a terminal: Ctrl-C reaches it and its workers alone
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def logged_worker_pids(log: str) -> list[int]:
    """The answer workers' pids, from the line the bot logs when they have started."""
    found = re.search(r"answering in \d+ worker processes \(pids ([\d, ]+)\)", log)
    assert found, log
    return [int(pid) for pid in found.group(1).split(", ")]


async def wait_for_log(process: asyncio.subprocess.Process, text: bytes) -> str:
    """Everything the process has logged up to the first line holding `text`."""
    assert process.stderr is not None
    seen = b""
    try:
        async with asyncio.timeout(START_SECONDS):
            while text not in seen:
                line = await process.stderr.readline()
                if not line:
                    break
                seen += line
    except TimeoutError:
        pass
    assert text in seen, seen.decode(errors="replace")
    return seen.decode(errors="replace")


async def test_port_in_use_is_a_config_error(service: AnswerService) -> None:
    """HTTP mode on a taken port: one line naming host and port, not a traceback."""
    app = build_app(service, SlackSettings(), BOT_TOKEN, SIGNING_SECRET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(ConfigError, match=rf"^cannot serve HTTP on 127\.0\.0\.1:{port}: "):
            async with http_mode(app, "127.0.0.1", port):
                pass
