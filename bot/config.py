"""The config file (TOML), validated with pydantic; secrets come only from the environment."""

from __future__ import annotations

import importlib.resources
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from retrieval.citations import check_url_template
from retrieval.settings import RetrievalSettings, describe_validation_error

BUNDLED_CORPUS = Path(str(importlib.resources.files("citebot_corpus")))
SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN", "PGPASSWORD")


class ConfigError(Exception):
    """A problem the operator must fix: the message is one line that says what and where."""


class CorpusSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(None, description="Directory of documents; the bundled corpus if unset.")
    index_path: Path | None = Field(None, description="Where the index file is saved; a cache dir if unset.")
    follow_symlinks: bool = Field(False, description="Index files that link to places outside the corpus.")
    max_file_mb: float = Field(100, gt=0, allow_inf_nan=False, description="Larger files are skipped unread.")
    url_template: str | None = Field(
        None, description="Link for documents without one of their own: {path}, {stem} and {anchor} are filled in."
    )
    description: str | None = Field(
        None, max_length=300, description="What the documents cover, for the help card (else a few titles)."
    )
    examples: list[str] = Field(
        default_factory=list, max_length=3, description="Example questions for the help card (up to 3)."
    )
    watch: bool = Field(True, description="Long-running commands re-index when documents change (live updates).")

    @field_validator("url_template")
    @classmethod
    def _url_template(cls, value: str | None) -> str | None:
        return None if value is None else check_url_template(value)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field("/ask", pattern=r"^/[a-z0-9_-]{1,31}$")
    visibility: Literal["in_channel", "ephemeral"] = "in_channel"
    top_k: int | None = Field(None, ge=1, le=10)
    api_base_url: str = "https://slack.com/api/"


class DiscordSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guild_ids: list[int] = Field(default_factory=list, description="Sync /ask to these guilds; global if empty.")
    private_by_default: bool = False
    top_k: int | None = Field(None, ge=1, le=10)
    shard_ids: list[int] = Field(default_factory=list, description="The gateway shard this process runs (one).")
    shard_count: int | None = Field(None, ge=1, le=100_000, description="Shards the bot's guilds are split over.")

    @model_validator(mode="after")
    def _shards(self) -> DiscordSettings:
        if len(self.shard_ids) > 1:
            raise ValueError("citebot runs one Discord shard a process: give one id, and run a process per shard")
        if bool(self.shard_ids) != (self.shard_count is not None):
            raise ValueError("shard_ids and shard_count go together: give both, or neither")
        if self.shard_count is not None and not all(0 <= shard < self.shard_count for shard in self.shard_ids):
            raise ValueError(f"shard_ids must be from 0 to shard_count - 1 ({self.shard_count - 1})")
        return self

    @property
    def shard_id(self) -> int | None:
        """The shard this process runs (discord.py's `shard_id`), when the bot is split over several."""
        return self.shard_ids[0] if self.shard_ids else None


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None,
        description="sqlite:///PATH or postgresql://USER@HOST/DB; unset: SQLite under the XDG data directory.",
        pattern=r"^(sqlite|postgresql)(\+\w+)?://",
    )


class LogSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Record questions and feedback at all.")
    questions: Literal["full", "hashed", "off"] = Field(
        "full", description="full: the text; hashed: a salted digest of its words; off: neither."
    )
    retention_days: int = Field(90, ge=1, le=36_500, description="Records older than this are deleted.")
    format: Literal["text", "json"] = Field("text", description="How the bots write their log lines on stderr.")


class BotSettings(BaseModel):
    """How the Slack and Discord bots compute answers (the console and `citebot ask` answer in-process)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    answer_workers: int = Field(2, ge=1, le=64, description="Processes that compute answers, each loading the index.")
    max_answer_seconds: float = Field(
        10.0, gt=0, le=3600, description="An unfinished answer is given up after this long; its worker is replaced."
    )


class ServeSettings(BaseModel):
    """`citebot serve`: where health and metrics are served, and how long a stop waits for answers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    host: str = Field("127.0.0.1", description="Address of /healthz, /readyz and /metrics; 0.0.0.0 for all.")
    port: int = Field(8080, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics.")
    drain_seconds: float = Field(20.0, ge=0, le=3600, description="On stop, answers in flight get this long.")
    slack_http_host: str = Field("0.0.0.0", description="Slack's HTTP mode: the address Slack posts events to.")
    slack_http_port: int = Field(3000, ge=0, le=65535, description="Slack's HTTP mode: the port of /slack/events.")


class LimitsSettings(BaseModel):
    """Fair use (the chat bots): how often one person may ask, and how many answers are computed or wait at once."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    per_user_per_minute: float = Field(
        10, gt=0, le=100_000, description="Questions one person may ask a minute, on average."
    )
    burst: int = Field(5, ge=1, le=10_000, description="Questions one person may ask at once before the limit.")
    max_concurrent: int = Field(8, ge=1, le=10_000, description="Answers computed at once (the rest wait in line).")
    queue_size: int = Field(32, ge=0, le=100_000, description="Questions waiting at most; more are turned away.")


BUNDLED_EXAMPLES = ("What did Nadella say?", "How much did DeepSeek say its model cost to develop?")


@dataclass(frozen=True)
class CorpusAbout:
    """What the operator says about the documents: a description and example questions, both optional."""

    description: str | None = None
    examples: tuple[str, ...] = ()


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corpus: CorpusSection = Field(default_factory=CorpusSection)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)

    @property
    def about(self) -> CorpusAbout:
        """What the help card says about the documents; the bundled corpus comes with its own examples."""
        if self.corpus.path is None and not self.corpus.examples:
            return CorpusAbout(self.corpus.description, BUNDLED_EXAMPLES)
        return CorpusAbout(self.corpus.description, tuple(self.corpus.examples))

    @property
    def corpus_dir(self) -> Path:
        return self.corpus.path if self.corpus.path is not None else BUNDLED_CORPUS


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; relative paths in it are relative to the file."""
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(_read_config_text(path))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{path}: {describe_validation_error(error)}") from None
    base = path.resolve().parent
    if config.corpus.path is not None and not config.corpus.path.is_absolute():
        config.corpus.path = base / config.corpus.path
    if config.corpus.index_path is not None and not config.corpus.index_path.is_absolute():
        config.corpus.index_path = base / config.corpus.index_path
    return config


MAX_CONFIG_BYTES = 1 << 20  # a config is a page of settings; /dev/zero is not


def _read_config_text(path: Path) -> str:
    """The file's text; a FIFO, a device or anything over MAX_CONFIG_BYTES is refused before it is read."""
    if path.exists() and not path.is_file():
        raise ConfigError(f"config file {path} is not a regular file")
    with path.open("rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is over {MAX_CONFIG_BYTES // 1024} KiB: not a citebot config")
    return data.decode("utf-8")


def require_secret(name: str, prefix: str | None = None) -> str:
    """A secret from the environment, checked for shape; the error names the variable, never the value."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: export it in the environment (it is never read from files)")
    if prefix is not None and not value.startswith(prefix):
        raise ConfigError(f"{name} does not look right: it should start with '{prefix}'")
    return value
