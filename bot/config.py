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


BUNDLED_EXAMPLES = ("What did Nadella say?", "How much did DeepSeek say its model cost to develop?")


@dataclass(frozen=True)
class CorpusAbout:
    """What the operator says about the documents: a description and example questions, both optional."""

    description: str | None = None
    examples: tuple[str, ...] = ()


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

    @property
    def directory(self) -> Path:
        return self.path if self.path is not None else BUNDLED_CORPUS

    @property
    def about(self) -> CorpusAbout:
        """What the help card says about the documents; the bundled corpus comes with its own examples."""
        if self.path is None and not self.examples:
            return CorpusAbout(self.description, BUNDLED_EXAMPLES)
        return CorpusAbout(self.description, tuple(self.examples))

    def resolve_paths(self, base: Path) -> None:
        """Relative paths in a config file are relative to the file."""
        if self.path is not None and not self.path.is_absolute():
            self.path = base / self.path
        if self.index_path is not None and not self.index_path.is_absolute():
            self.index_path = base / self.index_path


DEFAULT_COLLECTION = "default"  # the name of [corpus], the collection that answers wherever no channel is mapped


class CollectionSection(CorpusSection):
    """One `[[collections]]` entry: a named corpus of its own (directory, index, help card, live updates)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="How [[channels]] refer to it.")
    path: Path = Field(description="Directory of documents (required: the bundled corpus is [corpus]'s).")


class ChannelSection(BaseModel):
    """One `[[channels]]` entry: where a collection answers, and how. Exactly one of the three places is given;
    a Discord channel's entry wins over its guild's."""

    model_config = ConfigDict(extra="forbid")

    slack_channel: str | None = Field(None, pattern=r"^[A-Z0-9]{2,32}$", description="A Slack channel id (C0…).")
    discord_guild: int | None = Field(None, gt=0, description="A Discord server (guild) id: all its channels.")
    discord_channel: int | None = Field(None, gt=0, description="A Discord channel id.")
    collection: str = Field(DEFAULT_COLLECTION, description="The collection that answers there.")
    visibility: Literal["public", "private"] | None = Field(
        None, description="Who sees answers to /ask there; unset: [slack] visibility, [discord] private_by_default."
    )
    mentions: bool = Field(True, description="Answer @-mentions there (false: only /ask).")
    follow_ups: bool = Field(True, description="Answer follow-ups to citebot's answers there.")

    @model_validator(mode="after")
    def _one_place(self) -> ChannelSection:
        given = [p for p in (self.slack_channel, self.discord_guild, self.discord_channel) if p is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of slack_channel, discord_guild and discord_channel")
        return self

    @property
    def place(self) -> str:
        """How an error message names it: 'slack_channel C0123'."""
        if self.slack_channel is not None:
            return f"slack_channel {self.slack_channel}"
        if self.discord_channel is not None:
            return f"discord_channel {self.discord_channel}"
        return f"discord_guild {self.discord_guild}"


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field("/ask", pattern=r"^/[a-z0-9_-]{1,31}$")
    visibility: Literal["in_channel", "ephemeral"] = "in_channel"
    top_k: int | None = Field(None, ge=1, le=10)
    api_base_url: str = "https://slack.com/api/"
    thread_followups: Literal["off", "asker"] = Field(
        "off",
        description="asker: the asker's replies in citebot's thread are answered without a mention "
        "(needs the message.channels event and channels:history).",
    )


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
    collections: list[CollectionSection] = Field(default_factory=list)
    channels: list[ChannelSection] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_add_up(self) -> Config:
        """Each collection named once (and none "default", which is [corpus]), each place mapped once, and every
        place mapped to a collection that exists."""
        seen = {DEFAULT_COLLECTION}
        for collection in self.collections:
            if collection.name in seen:
                why = "is [corpus]'s name" if collection.name == DEFAULT_COLLECTION else "is used twice"
                raise ValueError(f"[[collections]] name {collection.name!r} {why}: give each collection its own")
            seen.add(collection.name)
        places: set[str] = set()
        for channel in self.channels:
            if channel.collection not in seen:
                known = ", ".join(sorted(seen))
                raise ValueError(
                    f"[[channels]] {channel.place} names collection {channel.collection!r}, which no [[collections]] "
                    f"entry has (known: {known})"
                )
            if channel.place in places:
                raise ValueError(f"[[channels]] {channel.place} is mapped twice")
            places.add(channel.place)
        return self

    @property
    def about(self) -> CorpusAbout:
        """What the help card says about the default collection's documents."""
        return self.corpus.about

    @property
    def corpus_dir(self) -> Path:
        return self.corpus.directory

    def collection(self, name: str) -> CorpusSection:
        """The section of collection `name` ([corpus] for "default"); raises ConfigError for an unknown name."""
        if name == DEFAULT_COLLECTION:
            return self.corpus
        for collection in self.collections:
            if collection.name == name:
                return collection
        known = ", ".join([DEFAULT_COLLECTION, *(c.name for c in self.collections)])
        raise ConfigError(f"no collection {name!r} in the config (known: {known})")

    @property
    def collection_names(self) -> list[str]:
        return [DEFAULT_COLLECTION, *(collection.name for collection in self.collections)]


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
    for section in (config.corpus, *config.collections):
        section.resolve_paths(base)
    _check_collection_directories(path, config)
    return config


def _check_collection_directories(path: Path, config: Config) -> None:
    """Each collection's directory exists, and no two collections would share one index file."""
    from retrieval.index_cache import default_index_path

    index_files: dict[Path, str] = {}
    for name in config.collection_names:
        section = config.collection(name)
        if name != DEFAULT_COLLECTION and not section.directory.is_dir():
            raise ConfigError(f"{path}: [[collections]] {name!r}: corpus directory {section.directory} does not exist")
        index_file = (section.index_path or default_index_path(section.directory)).resolve()
        if index_file in index_files:
            raise ConfigError(
                f"{path}: collections {index_files[index_file]!r} and {name!r} would share the index file "
                f"{index_file}: give each its own path or index_path"
            )
        index_files[index_file] = name


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
