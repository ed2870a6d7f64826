"""The store behind the question log: SQLite (the default, a file under the XDG data directory) or
PostgreSQL (for replicas that share one log), chosen by URL. Both speak through SQLAlchemy Core; they differ
only in how they connect and how they upsert.

Every method is synchronous and may block (a locked file, a slow server): the bot calls them only from the
question log's writer thread, never from an event loop.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection, Engine, create_engine, delete, event, make_url, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.store import schema
from bot.store.records import QuestionRecord, QuoteRecord, VoteRecord

SQLITE_BUSY_SECONDS = 5.0  # a locked SQLite file is waited on this long (in the writer thread), then given up
SQLITE_FILE_NAME = "questions.sqlite3"
PG_SCHEMA_LOCK = 0x63697465  # advisory lock id ("cite"): replicas starting together upgrade one at a time


class StoreError(Exception):
    """The store cannot be used (misconfigured, unreachable, locked, full); the message says why."""


class Store(Protocol):
    """The small interface the question log, `citebot report` and `citebot forget` use; no SQL leaks out."""

    url: str

    def salt(self) -> str: ...
    def add_question(self, record: QuestionRecord) -> None: ...
    def set_vote(self, vote: VoteRecord) -> None: ...
    def set_comment(self, question_id: str, voter: str, comment: str, voted_at: datetime) -> None: ...
    def questions_since(self, since: datetime) -> list[QuestionRecord]: ...
    def forget(self, person: str) -> int: ...
    def delete_older_than(self, cutoff: datetime) -> int: ...
    def claim(self, keys: list[str], at: datetime) -> bool: ...
    def delete_claims_older_than(self, cutoff: datetime) -> int: ...
    def close(self) -> None: ...


def default_url() -> str:
    """SQLite under $XDG_DATA_HOME/citebot (~/.local/share/citebot): no set-up."""
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{data / 'citebot' / SQLITE_FILE_NAME}"


def open_store(url: str | None) -> Store:
    """The store for a `[storage] url` (None: the default SQLite file). Connects lazily: a database that is
    down now is only a warning later, when something is written."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"[storage] url is not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return SqliteStore(parsed)
    if parsed.get_backend_name() == "postgresql":
        if parsed.password:
            raise StoreError("[storage] url holds a password: put it in PGPASSWORD or ~/.pgpass instead")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StoreError("a postgresql:// store needs psycopg: pip install 'citebot[postgresql]'") from None
        return PostgresStore(parsed.set(drivername="postgresql+psycopg"))
    raise StoreError(f"[storage] url must start with sqlite:// or postgresql://, not {parsed.drivername}://")


class SqlStore:
    """The question log in any SQLAlchemy database; subclasses say how to connect and upsert."""

    dialect_insert: ClassVar[Callable[..., Any]]  # the INSERT that knows ON CONFLICT

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self._salt: str | None = None
        self._preparing = threading.Lock()  # threads of one process (claims run in several) prepare it once

    # -- setup -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction on a store whose schema is current; database errors become `StoreError`."""
        try:
            if self._salt is None:
                with self._preparing:
                    if self._salt is None:
                        with self.engine.begin() as connection:
                            self._prepare(connection)
                            schema.upgrade(connection)
                            self._salt = self._read_or_make_salt(connection)
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise StoreError(f"{self.url}: {_first_line(error)}") from error
        except OSError as error:
            raise StoreError(f"{self.url}: {error}") from error
        except schema.SchemaTooNew as error:
            raise StoreError(str(error)) from None

    def _prepare(self, connection: Connection) -> None:
        """Dialect set-up before the schema is read (PostgreSQL: one replica upgrades at a time)."""

    def _read_or_make_salt(self, connection: Connection) -> str:
        found = connection.execute(select(schema.meta.c.value).where(schema.meta.c.key == "salt")).scalar()
        if found is not None:
            return str(found)
        salt = secrets.token_hex(16)
        connection.execute(
            type(self).dialect_insert(schema.meta).values(key="salt", value=salt).on_conflict_do_nothing()
        )
        return str(connection.execute(select(schema.meta.c.value).where(schema.meta.c.key == "salt")).scalar_one())

    def salt(self) -> str:
        """The install's secret for hashing people and wordings (made with the schema, shared by replicas)."""
        if self._salt is not None:
            return self._salt
        with self._begin():
            pass
        assert self._salt is not None
        return self._salt

    # -- writing -----------------------------------------------------------------------------------------

    def add_question(self, record: QuestionRecord) -> None:
        row = {
            "id": record.id,
            "asked_at": record.asked_at,
            "front_end": record.front_end,
            "workspace": record.workspace,
            "channel": record.channel,
            "asker": record.asker,
            "question": record.question,
            "wording": record.wording,
            "answered": record.answered,
            "reason": record.reason,
            "latency_ms": record.latency_ms,
            "collection": record.collection,
        }
        with self._begin() as connection:
            connection.execute(schema.questions.insert().values(row))
            if record.quotes:
                connection.execute(
                    schema.quotes.insert(),
                    [{"question_id": record.id, **_quote_row(quote)} for quote in record.quotes],
                )

    def set_vote(self, vote: VoteRecord) -> None:
        """One vote per person per answer: a second click replaces the first."""
        statement = (
            type(self)
            .dialect_insert(schema.votes)
            .values(
                question_id=vote.question_id, voter=vote.voter, up=vote.up, comment=vote.comment, voted_at=vote.voted_at
            )
        )
        statement = statement.on_conflict_do_update(
            index_elements=["question_id", "voter"],
            # a 👍 drops the 👎's comment; the same 👎 again (a redelivered click) keeps it
            set_={"up": vote.up, "comment": None if vote.up else schema.votes.c.comment, "voted_at": vote.voted_at},
        )
        with self._begin() as connection:
            connection.execute(statement)

    def set_comment(self, question_id: str, voter: str, comment: str, voted_at: datetime) -> None:
        """What a 👎 voter said was wrong; recorded as a 👎 if the vote itself never arrived."""
        with self._begin() as connection:
            changed = connection.execute(
                update(schema.votes)
                .where(schema.votes.c.question_id == question_id, schema.votes.c.voter == voter)
                .values(comment=comment, up=False)
            ).rowcount
            if not changed:
                connection.execute(
                    schema.votes.insert().values(
                        question_id=question_id, voter=voter, up=False, comment=comment, voted_at=voted_at
                    )
                )

    # -- reading and deleting ------------------------------------------------------------------------------

    def questions_since(self, since: datetime) -> list[QuestionRecord]:
        q = schema.questions
        chosen = select(q.c.id).where(q.c.asked_at >= since)
        with self._begin() as connection:
            rows = connection.execute(select(q).where(q.c.asked_at >= since).order_by(q.c.asked_at, q.c.id)).all()
            quote_rows = connection.execute(
                select(schema.quotes)
                .where(schema.quotes.c.question_id.in_(chosen))
                .order_by(schema.quotes.c.question_id, schema.quotes.c.rank)
            ).all()
            vote_rows = connection.execute(
                select(schema.votes)
                .where(schema.votes.c.question_id.in_(chosen))
                .order_by(schema.votes.c.voted_at, schema.votes.c.voter)
            ).all()
        quotes: dict[str, list[QuoteRecord]] = {}
        for row in quote_rows:
            quotes.setdefault(row.question_id, []).append(
                QuoteRecord(row.rank, row.source, row.start, row.end, row.line, row.score)
            )
        votes: dict[str, list[VoteRecord]] = {}
        for row in vote_rows:
            votes.setdefault(row.question_id, []).append(
                VoteRecord(row.question_id, row.voter, bool(row.up), row.voted_at, row.comment)
            )
        return [
            QuestionRecord(
                id=row.id,
                asked_at=row.asked_at,
                front_end=row.front_end,
                workspace=row.workspace,
                channel=row.channel,
                asker=row.asker,
                question=row.question,
                wording=row.wording,
                answered=bool(row.answered),
                reason=row.reason,
                latency_ms=row.latency_ms,
                quotes=tuple(quotes.get(row.id, ())),
                votes=tuple(votes.get(row.id, ())),
                collection=row.collection,
            )
            for row in rows
        ]

    def forget(self, person: str) -> int:
        """Deletes every question this person asked (with its quotes and votes) and every vote they cast;
        returns the number of rows deleted."""
        q = schema.questions
        theirs = select(q.c.id).where(q.c.asker == person)
        with self._begin() as connection:
            deleted = connection.execute(delete(schema.quotes).where(schema.quotes.c.question_id.in_(theirs))).rowcount
            deleted += connection.execute(
                delete(schema.votes).where((schema.votes.c.question_id.in_(theirs)) | (schema.votes.c.voter == person))
            ).rowcount
            deleted += connection.execute(delete(q).where(q.c.asker == person)).rowcount
        return int(deleted)

    def delete_older_than(self, cutoff: datetime) -> int:
        """Retention: questions asked before `cutoff`, their quotes and votes, and older orphan votes."""
        q = schema.questions
        old = select(q.c.id).where(q.c.asked_at < cutoff)
        with self._begin() as connection:
            deleted = connection.execute(delete(schema.quotes).where(schema.quotes.c.question_id.in_(old))).rowcount
            deleted += connection.execute(
                delete(schema.votes).where(schema.votes.c.question_id.in_(old) | (schema.votes.c.voted_at < cutoff))
            ).rowcount
            deleted += connection.execute(delete(q).where(q.c.asked_at < cutoff)).rowcount
        return int(deleted)

    # -- claims: which replica takes on a platform event ----------------------------------------------------

    def claim(self, keys: list[str], at: datetime) -> bool:
        """True for exactly one caller across every process sharing this store: the one whose transaction
        inserts all of `keys` first. Anyone finding one of them taken gets False and inserts none (their
        transaction rolls back). Keys are inserted in sorted order, so two claims that share keys cannot
        deadlock."""
        wanted = sorted(set(keys))
        if not wanted:
            return True
        insert = type(self).dialect_insert(schema.claims)
        with self._begin() as connection:
            inserted = 0
            for key in wanted:
                statement = insert.values(key=key, claimed_at=at).on_conflict_do_nothing(index_elements=["key"])
                inserted += len(connection.execute(statement.returning(schema.claims.c.key)).all())
            if inserted == len(wanted):
                return True
            connection.rollback()
        return False

    def delete_claims_older_than(self, cutoff: datetime) -> int:
        """Platforms stop re-sending within minutes: claims older than that only take up room."""
        with self._begin() as connection:
            return int(connection.execute(delete(schema.claims).where(schema.claims.c.claimed_at < cutoff)).rowcount)

    def close(self) -> None:
        self.engine.dispose()


class SqliteStore(SqlStore):
    """One file, created (0600, in a 0700 directory) on first use. WAL lets `citebot report` read while the
    bot writes; a locked file is waited on for SQLITE_BUSY_SECONDS; deleted rows are overwritten with zeros
    (`secure_delete`), so `forget` and retention leave no readable trace in the file."""

    dialect_insert = staticmethod(sqlite.insert)

    def __init__(self, url: URL) -> None:
        self.path = Path(url.database) if url.database and url.database != ":memory:" else None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        super().__init__(engine)

    def _prepare(self, connection: Connection) -> None:
        del connection  # the file is made before SQLite opens it, with the permissions personal data needs

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        if self._salt is None and self.path is not None:
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            except OSError as error:
                raise StoreError(f"{self.url}: cannot create the file: {error.strerror or error}") from None
        with super()._begin() as connection:
            yield connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class PostgresStore(SqlStore):
    """A PostgreSQL database shared by replicas (psycopg 3); the schema is created or upgraded under an
    advisory lock. Connections are checked before use, so a restarted server is reconnected to."""

    dialect_insert = staticmethod(postgresql.insert)

    def __init__(self, url: URL) -> None:
        super().__init__(create_engine(url, pool_pre_ping=True, pool_size=2, connect_args={"connect_timeout": 5}))

    def _prepare(self, connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": PG_SCHEMA_LOCK})


def _quote_row(quote: QuoteRecord) -> dict[str, Any]:
    return {
        "rank": quote.rank,
        "source": quote.source,
        "start": quote.start,
        "end": quote.end,
        "line": quote.line,
        "score": quote.score,
    }


def _first_line(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    message = str(original if original is not None else error).strip()
    return message.splitlines()[0] if message else type(error).__name__
