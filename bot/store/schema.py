"""The question log's tables (SQLAlchemy Core), the schema version, and the upgrade path between versions.

`meta` holds `schema_version` and the install's `salt`. A store at an older version is upgraded in one
transaction by the steps in `UPGRADES`; a store written by a newer citebot is refused, never guessed at.
Questions, quotes and votes join by the question id (the answer id carried by the vote buttons); there are no
foreign keys, so a vote can land before its question and `forget`/retention delete each table explicitly.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

metadata = MetaData()

meta = Table(
    "citebot_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

questions = Table(
    "citebot_questions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("asked_at", DateTime, nullable=False),
    Column("front_end", String(16), nullable=False),
    Column("workspace", String(64)),
    Column("channel", String(64)),
    Column("asker", String(64), nullable=False),
    Column("question", Text),  # NULL unless [log] questions = "full"
    Column("wording", String(64)),  # digest of the analysed words; NULL when questions = "off"
    Column("answered", Boolean, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("collection", String(64)),  # version 3: the collection that answered; NULL before collections
    Index("citebot_questions_asked_at", "asked_at"),
    Index("citebot_questions_asker", "asker"),
)

quotes = Table(
    "citebot_quotes",
    metadata,
    Column("question_id", String(32), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("line", Integer, nullable=False),
    Column("score", Float, nullable=False),
)

votes = Table(
    "citebot_votes",
    metadata,
    Column("question_id", String(32), primary_key=True),
    Column("voter", String(64), primary_key=True),
    Column("up", Boolean, nullable=False),
    Column("comment", Text),
    Column("voted_at", DateTime, nullable=False),
    Index("citebot_votes_voter", "voter"),
)


# Version 2: one row per platform event, command or click that some replica has taken on, so that replicas
# sharing the store answer each exactly once (the primary key makes the insert the claim).
claims = Table(
    "citebot_claims",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("claimed_at", DateTime, nullable=False),
    Index("citebot_claims_claimed_at", "claimed_at"),
)


def _create_version_1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[questions, quotes, votes])


def _add_claims(connection: Connection) -> None:
    metadata.create_all(connection, tables=[claims])


def _add_question_collection(connection: Connection) -> None:
    """Version 3: which collection answered each question. Version 1's step makes the questions table as it is
    now, so a store made fresh already has the column."""
    if "collection" not in {column["name"] for column in inspect(connection).get_columns(questions.name)}:
        connection.execute(text(f"ALTER TABLE {questions.name} ADD COLUMN collection VARCHAR(64)"))


# UPGRADES[n] takes a store from version n to n + 1; a new schema appends a step and never edits an old one.
UPGRADES: list[Callable[[Connection], None]] = [_create_version_1, _add_claims, _add_question_collection]
SCHEMA_VERSION = len(UPGRADES)


class SchemaTooNew(Exception):
    """The store was written by a newer citebot."""


def stored_version(connection: Connection) -> int:
    if not inspect(connection).has_table(meta.name):
        return 0
    value = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def upgrade(connection: Connection) -> int:
    """Brings the schema to SCHEMA_VERSION inside the caller's transaction; returns the version found."""
    metadata.create_all(connection, tables=[meta])
    found = stored_version(connection)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the question log's schema is version {found}, newer than this citebot knows ({SCHEMA_VERSION}): "
            "upgrade citebot"
        )
    for step in UPGRADES[found:]:
        step(connection)
    if found == 0:
        connection.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif found < SCHEMA_VERSION:
        connection.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
    return found
