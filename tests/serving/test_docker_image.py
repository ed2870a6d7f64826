"""The Docker image runs `citebot serve` and checks its health where serve answers."""

from __future__ import annotations

from pathlib import Path

from bot.config import ServeSettings

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text(encoding="utf-8")


def test_the_image_starts_citebot_serve_as_a_non_root_user() -> None:
    assert 'CMD ["citebot", "serve"]' in DOCKERFILE
    assert "\nUSER citebot\n" in DOCKERFILE


def test_the_health_check_asks_serve_where_its_config_says() -> None:
    """`citebot healthcheck` reads the config serve reads (CITEBOT_CONFIG), so a changed [serve] port is followed;
    tests/serving/test_healthcheck.py shows it asking /healthz there."""
    [healthcheck] = [line for line in DOCKERFILE.splitlines() if line.startswith("HEALTHCHECK")]
    assert healthcheck.endswith('CMD ["citebot", "healthcheck"]')
    assert "8080" not in healthcheck
    assert f"EXPOSE {ServeSettings().port}" in DOCKERFILE
