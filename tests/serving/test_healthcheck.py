"""`citebot healthcheck` asks serve's /healthz (or /readyz) at the address the config gives, as a container's health
check does: exit 0 when it answers 200, else 1 and one line saying what it found."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ServeSettings
from bot.healthcheck import health_url
from bot.serving import Readiness, health_server


@pytest.fixture
def readiness(unused_tcp_port: int) -> Iterator[tuple[Readiness, int]]:
    """serve's real health server, on a loop of its own thread, not ready until the test says so."""
    readiness = Readiness()
    readiness.not_ready("index", "loading")
    loop = asyncio.new_event_loop()
    started, stop = threading.Event(), asyncio.Event()

    async def serving() -> None:
        async with health_server(ServeSettings(port=unused_tcp_port), readiness):
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serving(),), daemon=True)
    thread.start()
    assert started.wait(15)
    yield readiness, unused_tcp_port
    loop.call_soon_threadsafe(stop.set)
    thread.join(15)
    loop.close()


def config_file(tmp_path: Path, port: int) -> str:
    path = tmp_path / "citebot.toml"
    path.write_text(f'[serve]\nhost = "0.0.0.0"\nport = {port}\n', encoding="utf-8")
    return str(path)


def test_alive_is_exit_0_and_not_ready_is_exit_1_with_the_reason(
    readiness: tuple[Readiness, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ready, port = readiness
    config = config_file(tmp_path, port)

    assert main(["healthcheck", "--config", config]) == 0
    assert main(["healthcheck", "--ready", "--config", config]) == 1
    assert capsys.readouterr().err == (
        f"citebot: unhealthy: http://127.0.0.1:{port}/readyz answered 503: not ready: index: loading\n"
    )
    ready.ready("index")
    assert main(["healthcheck", "--ready", "--config", config]) == 0


def test_nothing_listening_is_exit_1(
    tmp_path: Path, unused_tcp_port: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITEBOT_CONFIG", config_file(tmp_path, unused_tcp_port))  # as the Docker image passes it

    assert main(["healthcheck"]) == 1
    assert capsys.readouterr().err.startswith(
        f"citebot: unhealthy: citebot serve does not answer at http://127.0.0.1:{unused_tcp_port}/healthz: "
    )


def test_the_url_is_this_machine_when_serve_listens_everywhere() -> None:
    assert health_url(ServeSettings(host="0.0.0.0", port=9000)) == "http://127.0.0.1:9000/healthz"
    assert health_url(ServeSettings(host="10.1.2.3", port=80), ready=True) == "http://10.1.2.3:80/readyz"
    assert health_url(ServeSettings(host="::1")) == "http://[::1]:8080/healthz"
