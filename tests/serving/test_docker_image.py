"""The Docker image runs `citebot serve` and checks its health where serve answers by default."""

from __future__ import annotations

from pathlib import Path

from bot.config import ServeSettings

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text(encoding="utf-8")


def test_the_image_starts_citebot_serve_as_a_non_root_user() -> None:
    assert 'CMD ["citebot", "serve"]' in DOCKERFILE
    assert "\nUSER citebot\n" in DOCKERFILE


def test_the_health_check_asks_healthz_on_the_default_port() -> None:
    defaults = ServeSettings()
    assert "HEALTHCHECK" in DOCKERFILE
    assert f"http://{defaults.host}:{defaults.port}/healthz" in DOCKERFILE
