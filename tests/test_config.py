"""The config file: every setting validated, errors name the file and the key, secrets only from env."""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path

import pytest

from bot.config import BUNDLED_CORPUS, Config, ConfigError, load_config, require_secret

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citebot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_means_defaults_and_the_bundled_corpus() -> None:
    config = load_config(None)
    assert config.corpus_dir == BUNDLED_CORPUS and config.retrieval.top_k == 3


def test_example_config_is_valid_and_documents_every_setting() -> None:
    example = REPO / "config.example.toml"
    load_config(example)
    raw = tomllib.loads(example.read_text(encoding="utf-8"))
    text = example.read_text(encoding="utf-8")
    for section, model in Config.model_fields.items():
        assert model.annotation is not None
        entries = typing.get_args(model.annotation)  # [[collections]] and [[channels]]: a list of tables
        fields = (entries[0] if entries else model.annotation).model_fields
        if entries:
            assert f"[[{section}]]" in text, f"config.example.toml does not show [[{section}]]"
        for key in fields:
            assert f"{key} =" in text, f"config.example.toml does not document [{section}] {key}"
    assert set(raw) <= set(Config.model_fields)


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[corpus]\npath = "docs"\nindex_path = "cache/x.index"\n'))
    assert config.corpus_dir == tmp_path / "docs"
    assert config.corpus.index_path == tmp_path / "cache" / "x.index"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[retrieval]\nk2 = 1\n", "retrieval.k2: unknown key"),
        ("[retrieval]\nk1 = 'high'\n", "retrieval.k1: Input should be a valid number"),
        ("[slack]\nvisibility = 'loud'\n", "slack.visibility:"),
        ("[retrieval\n", "not valid TOML"),
        ("token = 'xoxb-1'\n", "token: unknown key"),
        ("[bot]\nanswer_workers = 0\n", "bot.answer_workers: Input should be greater than or equal to 1"),
        ("[bot]\nmax_answer_seconds = inf\n", "bot.max_answer_seconds: Input should be a finite number"),
    ],
)
def test_bad_config_is_one_error_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_errors_name_the_variable_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        require_secret("SLACK_BOT_TOKEN", "xoxb-")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-wrong-kind-of-secret")
    with pytest.raises(ConfigError) as error:
        require_secret("SLACK_BOT_TOKEN", "xoxb-")
    assert "SLACK_BOT_TOKEN" in str(error.value) and "wrong-kind-of-secret" not in str(error.value)
