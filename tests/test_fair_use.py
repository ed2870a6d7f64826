"""Fair use ([limits]): a token bucket per person, and a bound on answers running and waiting; time is a clock the
tests turn by hand."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import ConfigError, LimitsSettings, load_config
from bot.fair_use import FairUse, PersonBuckets, Refusal, Ticket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_person_gets_the_burst_then_waits_for_the_bucket_to_refill() -> None:
    clock = Clock()
    buckets = PersonBuckets(per_minute=6, burst=3, clock=clock)  # a token every 10 s

    assert [buckets.take("ana") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ana") == pytest.approx(10.0)
    clock.now += 4
    assert buckets.take("ana") == pytest.approx(6.0)
    clock.now += 6
    assert buckets.take("ana") == 0.0
    assert buckets.take("ana") == pytest.approx(10.0)


def test_one_persons_burst_spends_nobody_elses_tokens() -> None:
    buckets = PersonBuckets(per_minute=1, burst=2, clock=Clock())
    for _ in range(10):
        buckets.take("flooder")
    assert buckets.take("bea") == 0.0
    assert buckets.take("bea") == 0.0


def test_people_are_forgotten_once_their_bucket_is_full_and_never_kept_beyond_the_bound() -> None:
    clock = Clock()
    buckets = PersonBuckets(per_minute=60, burst=2, clock=clock, max_people=100)
    for number in range(500):
        buckets.take(f"person-{number}")
    assert len(buckets) == 100  # the least recently seen went first
    clock.now += 2  # every bucket has refilled
    buckets.take("late")
    assert len(buckets) == 1


def test_a_forgotten_person_starts_again_with_a_full_bucket_which_they_had_anyway() -> None:
    clock = Clock()
    buckets = PersonBuckets(per_minute=60, burst=2, clock=clock)
    buckets.take("ana")
    buckets.take("ana")
    clock.now += 5
    buckets.take("bea")  # forgets ana, whose bucket is full again
    assert [buckets.take("ana"), buckets.take("ana")] == [0.0, 0.0]
    assert buckets.take("ana") > 0


async def test_no_question_waits_behind_more_than_the_queue() -> None:
    """Two answers run, two wait; the fifth question is turned away as busy without spending its asker's token,
    and takes the place a finished answer gives back."""
    fair = FairUse(LimitsSettings(per_user_per_minute=1, burst=1, max_concurrent=2, queue_size=2), Clock())
    tickets = [fair.admit("slack", f"person-{n}") for n in range(4)]
    assert all(isinstance(ticket, Ticket) for ticket in tickets)
    assert fair.admit("slack", "eve") == Refusal("busy", 1.0)

    started: list[int] = []
    two_running, finish = asyncio.Event(), asyncio.Event()

    async def answer(number: int, ticket: Ticket) -> None:
        async with ticket:
            started.append(number)
            if len(started) == 2:
                two_running.set()
            await finish.wait()

    running = [asyncio.create_task(answer(n, t)) for n, t in enumerate(tickets) if isinstance(t, Ticket)]
    await two_running.wait()
    for _ in range(10):  # the waiting two get every chance to start, and do not
        await asyncio.sleep(0)
    assert started == [0, 1]
    finish.set()
    await asyncio.gather(*running)
    assert started == [0, 1, 2, 3]
    assert isinstance(fair.admit("slack", "eve"), Ticket)  # eve's token was not spent on the busy refusal


async def test_a_question_cancelled_while_waiting_gives_its_place_back() -> None:
    fair = FairUse(LimitsSettings(max_concurrent=1, queue_size=1), Clock())
    first, second = fair.admit("discord", "ana"), fair.admit("discord", "bea")
    assert isinstance(first, Ticket) and isinstance(second, Ticket)
    async with first:
        waiting = asyncio.create_task(second.__aenter__())
        await asyncio.sleep(0)
        assert isinstance(fair.admit("discord", "cy"), Refusal)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert isinstance(fair.admit("discord", "cy"), Ticket)


def test_the_same_id_on_two_platforms_is_two_people() -> None:
    fair = FairUse(LimitsSettings(per_user_per_minute=1, burst=1), Clock())
    assert isinstance(fair.admit("slack", "U1"), Ticket)
    assert isinstance(fair.admit("discord", "U1"), Ticket)
    refusal = fair.admit("slack", "U1")
    assert isinstance(refusal, Refusal) and refusal.reason == "per_person"
    assert (
        refusal.note
        == "You're asking faster than citebot answers one person: please wait 60 seconds before asking again."
    )


def test_limits_are_read_from_the_config_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "citebot.toml"
    path.write_text("[limits]\nper_user_per_minute = 4\nburst = 2\nmax_concurrent = 3\nqueue_size = 0\n")
    assert load_config(path).limits == LimitsSettings(per_user_per_minute=4, burst=2, max_concurrent=3, queue_size=0)
    path.write_text("[limits]\nburst = 0\n")
    with pytest.raises(ConfigError, match="burst"):
        load_config(path)
