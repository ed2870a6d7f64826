"""Claims: each platform event taken on by exactly one replica, through the shared store (SQLite and a real
PostgreSQL server); and the schema's upgrade from version 1 (no claims table) to version 2."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from bot.store import Store, open_store, schema
from bot.store.claims import SharedClaims
from bot.store.records import utc_now


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def engine_for(url: str) -> Engine:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def test_the_first_claim_of_a_key_wins_and_every_later_one_loses(store: Store) -> None:
    assert store.claim(["event:Ev1"], utc_now())
    assert not store.claim(["event:Ev1"], utc_now())
    assert store.claim(["event:Ev2"], utc_now())


def test_a_claim_that_meets_one_taken_key_takes_none_of_its_keys(store: Store) -> None:
    """A mention and a DM event for one message share the message's key: the second loses, and its own event id
    stays free (nothing half-claimed)."""
    assert store.claim(["event:Ev1", "message:C1:1.1"], utc_now())
    assert not store.claim(["event:Ev2", "message:C1:1.1"], utc_now())
    assert store.claim(["event:Ev2"], utc_now())


def test_many_replicas_racing_for_the_same_keys_give_each_key_one_winner(store_url: str) -> None:
    """Four stores (as four replicas would open them), each on its own thread, claim the same 50 keys."""
    stores = [open_store(store_url) for _ in range(4)]
    stores[0].salt()  # the schema exists before the race, as it does once any replica has started
    wins: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def race(number: int) -> None:
        start.wait()
        for key in range(50):
            if stores[number].claim([f"event:{key}", f"message:C:{key}"], utc_now()):
                wins[number].append(str(key))

    threads = [threading.Thread(target=race, args=(number,)) for number in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    assert sorted(key for won in wins for key in won) == sorted(str(key) for key in range(50))


def test_old_claims_are_deleted(store: Store) -> None:
    store.claim(["event:old"], utc_now().replace(year=2000))
    store.claim(["event:new"], utc_now())
    assert store.delete_claims_older_than(utc_now().replace(year=2001)) == 1
    assert store.claim(["event:old"], utc_now())
    assert not store.claim(["event:new"], utc_now())


async def test_shared_claims_keep_platforms_apart(store: Store) -> None:
    slack, discord = SharedClaims(store, "slack"), SharedClaims(store, "discord")
    assert await slack.first_time(["event:1"])
    assert await discord.first_time(["event:1"])
    assert not await slack.first_time(["event:1"])


async def test_an_unreachable_store_answers_anyway_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Better twice than never: a claim the store cannot decide is granted, and said so once."""
    claims = SharedClaims(open_store("postgresql://citebot@/nowhere?host=/nonexistent"), "slack")
    assert await claims.first_time(["event:1"])
    assert await claims.first_time(["event:1"])
    [warning] = [record.getMessage() for record in caplog.records if "replica claims" in record.getMessage()]
    assert "answered here regardless" in warning


def test_a_version_1_store_is_upgraded_to_version_2_keeping_its_rows(store_url: str) -> None:
    """A store written by the citebot before claims: its questions stay, the claims table appears, the version
    says 2."""
    engine = engine_for(store_url)
    with engine.begin() as connection:  # exactly what version 1 made
        schema.metadata.create_all(connection, tables=[schema.meta])
        schema.UPGRADES[0](connection)
        connection.execute(schema.meta.insert().values(key="schema_version", value="1"))
        connection.execute(schema.meta.insert().values(key="salt", value="0" * 32))
        connection.execute(
            schema.questions.insert().values(
                id="q1",
                asked_at=utc_now(),
                front_end="slack",
                asker="a",
                answered=True,
                reason="answered",
                latency_ms=1,
            )
        )
        assert not inspect(connection).has_table("citebot_claims")

    upgraded = open_store(store_url)
    assert upgraded.claim(["event:Ev1"], utc_now())
    assert [record.id for record in upgraded.questions_since(utc_now().replace(year=2000))] == ["q1"]
    assert upgraded.salt() == "0" * 32
    upgraded.close()
    with engine.connect() as connection:
        version = connection.execute(text("SELECT value FROM citebot_meta WHERE key = 'schema_version'")).scalar()
    engine.dispose()
    assert version == str(schema.SCHEMA_VERSION)  # and on through every later version


def test_a_fresh_store_used_by_many_threads_at_once_is_prepared_once(store_url: str) -> None:
    """Claims run in threads: the first ones on a new store all find its schema made, none trips over another."""
    store = open_store(store_url)
    start = threading.Barrier(8)
    results: list[bool] = []

    def claim(number: int) -> None:
        start.wait()
        results.append(store.claim([f"event:{number}"], utc_now()))

    threads = [threading.Thread(target=claim, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert results == [True] * 8
