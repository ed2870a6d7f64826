"""deploy/ agrees with the code: the Docker Compose file and the Kubernetes manifests run `citebot serve`, probe the
paths and the port that serve answers on with the config they mount, pass the secrets under the names citebot reads,
and give a stop at least the drain time. Parsed as YAML and TOML, as Docker and Kubernetes would read them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.cli import build_parser
from bot.config import SECRET_VARIABLES, Config, load_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SERVE = ["citebot", "serve"]
FRONT_END_SECRETS = {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN"}  # what choose_front_ends reads


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def kubernetes(kind: str) -> dict[str, Any]:
    """The one manifest of `kind` under deploy/kubernetes/."""
    found = [
        document
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document and document.get("kind") == kind
    ]
    assert len(found) == 1, f"{len(found)} {kind} manifests"
    return found[0]


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\w+=", line))
    return dict(pairs)


def seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)", duration).groups()  # type: ignore[union-attr]
    return float(number) * (60 if unit == "m" else 1)


def test_compose_runs_serve_with_the_mounted_config_and_checks_it_where_serve_answers() -> None:
    citebot = compose()["services"]["citebot"]
    config_path = citebot["environment"]["CITEBOT_CONFIG"]
    [config_mount] = [volume for volume in citebot["volumes"] if volume.split(":")[1] == config_path]
    config = load_config(DEPLOY / config_mount.split(":")[0])

    assert citebot["command"] == SERVE
    assert citebot["healthcheck"]["test"] == ["CMD", "citebot", "healthcheck"]
    assert build_parser().parse_args(["healthcheck"]).command == "healthcheck"
    assert config.serve.host == "0.0.0.0"  # the published port reaches it
    assert [port.rsplit(":", 1)[1] for port in citebot["ports"]] == [str(config.serve.port)]
    assert seconds(citebot["stop_grace_period"]) > config.serve.drain_seconds


def test_compose_shares_postgresql_and_keeps_secrets_in_the_env_file_only() -> None:
    services = compose()["services"]
    config = load_config(DEPLOY / "citebot.toml")
    secrets = env_file(DEPLOY / "citebot.env.example")

    assert services["citebot"]["env_file"] == "citebot.env"
    assert set(secrets) <= set(SECRET_VARIABLES) and FRONT_END_SECRETS | {"PGPASSWORD"} <= set(secrets)
    assert not set(secrets) & set(services["citebot"]["environment"])
    assert config.storage.url is not None and config.storage.url.startswith("postgresql://citebot@postgres:")
    assert "postgres" in services["citebot"]["depends_on"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${PGPASSWORD:?")
    assert "/data/index" in config.corpus.index_path.as_posix()  # type: ignore[union-attr]
    assert any(volume.endswith(":/data/index") for volume in services["citebot"]["volumes"])


def test_kubernetes_runs_two_replicas_of_serve_probed_on_the_configured_port() -> None:
    deployment = kubernetes("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    config_map = kubernetes("ConfigMap")
    [mount] = container["volumeMounts"]
    [volume] = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
    [config_key] = config_map["data"]
    config = Config.model_validate(tomllib.loads(config_map["data"][config_key]))
    environment = {variable["name"]: variable.get("value") for variable in container["env"]}

    assert deployment["spec"]["replicas"] == 2
    assert container["command"] == SERVE
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert environment["CITEBOT_CONFIG"] == f"{mount['mountPath']}/{config_key}"
    assert config.serve.host == "0.0.0.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": config.serve.port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": config.serve.port}
    assert [port["containerPort"] for port in container["ports"]] == [config.serve.port]
    assert pod["terminationGracePeriodSeconds"] > config.serve.drain_seconds
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert config.storage.url is not None and config.storage.url.startswith("postgresql://")


def test_kubernetes_takes_the_tokens_from_a_secret_under_the_names_citebot_reads() -> None:
    secret = kubernetes("Secret")
    [container] = kubernetes("Deployment")["spec"]["template"]["spec"]["containers"]

    assert [source["secretRef"]["name"] for source in container["envFrom"]] == [secret["metadata"]["name"]]
    assert set(secret["stringData"]) <= set(SECRET_VARIABLES)
    assert FRONT_END_SECRETS | {"PGPASSWORD"} <= set(secret["stringData"])
    assert not {variable["name"] for variable in container["env"]} & set(SECRET_VARIABLES)
