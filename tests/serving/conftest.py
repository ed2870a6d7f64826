"""Fixtures for `citebot serve`: a fake Slack and a fake Discord on a thread of their own, so that `run_serve` owns
the main thread (and its signals) as it does in production, and a config that points serve at the fakes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "slack"), str(HERE.parent / "discord")]  # the fakes, imported by name

from discord_harness import TOKEN as DISCORD_TOKEN  # noqa: E402
from discord_harness import point_discord_py_at  # noqa: E402
from fake_slack import APP_TOKEN, BOT_TOKEN  # noqa: E402
from serve_harness import Platforms  # noqa: E402

from bot.answer_workers import RetrieverSpec  # noqa: E402
from bot.config import BotSettings, Config, CorpusSection, ServeSettings, SlackSettings  # noqa: E402
from retrieval.retriever import Retriever  # noqa: E402


@pytest.fixture
def platforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Platforms]:
    """Both fakes running, discord.py aimed at its fake, and every front end's secrets in the environment."""
    running = Platforms()
    point_discord_py_at(running.discord, monkeypatch)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("DISCORD_TOKEN", DISCORD_TOKEN)
    yield running
    running.close()


@pytest.fixture
def config(platforms: Platforms, bundled: Retriever, bundled_spec: RetrieverSpec, unused_tcp_port: int) -> Config:
    """serve over the bundled corpus (its index already built), one answer worker, health on a free port."""
    return Config(
        corpus=CorpusSection(index_path=bundled_spec.index_path),
        bot=BotSettings(answer_workers=1),
        slack=SlackSettings(api_base_url=platforms.slack.api_url),
        serve=ServeSettings(port=unused_tcp_port, drain_seconds=30),
    )
