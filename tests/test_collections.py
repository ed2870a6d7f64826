"""Collections per channel, from the config to the command line: which collection answers where, the one-line
errors of a config that does not add up, and `--collection` on `citebot ask`, `console` and `index`.

(End to end on Slack and Discord: tests/serving/test_serve_collections.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from support import write_corpus
from test_cli import citebot
from test_store_claims import engine_for

from bot.answering import AnswerService, bot_services
from bot.channels import Collection, Collections
from bot.config import DEFAULT_COLLECTION, ConfigError, CorpusAbout, load_config
from bot.store import open_store, schema
from bot.store.records import QuestionRecord, utc_now
from retrieval.retriever import Retriever

GENEROUS = 60.0  # seconds to wait for a live update: never an expectation of speed
HR_ANSWER = "gets twenty weeks"  # words of the answers that the questions do not highlight
ENGINEERING_ANSWER = "on Tuesdays, after the change review"

COLLECTIONS = """
[[collections]]
name = "hr"
path = "hr"
index_path = "hr.index"
description = "The HR handbook."

[[collections]]
name = "engineering"
path = "engineering"
index_path = "engineering.index"
"""


def team_config(tmp_path: Path, extra: str = "") -> Path:
    """A config with `hr` and `engineering` collections over two small corpora (the default: the bundled one)."""
    write_corpus(
        tmp_path / "hr",
        {
            "leave.md": f"# Parental leave\n\nEvery parent {HR_ANSWER} of parental leave at full pay.\n",
            "expenses.md": "# Expenses\n\nTravel expenses are paid back within thirty days.\n",
        },
    )
    write_corpus(
        tmp_path / "engineering",
        {
            "deploys.md": f"# Deploys\n\nProduction deploys happen {ENGINEERING_ANSWER}.\n",
            "on-call.md": "# On call\n\nThe pager rotates every Monday at ten.\n",
        },
    )
    path = tmp_path / "citebot.toml"
    path.write_text(COLLECTIONS + extra, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- the config


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[collections]]\nname = "hr"\npath = "hr"\n', "[[collections]] name 'hr' is used twice"),
        ('[[collections]]\nname = "default"\npath = "hr"\n', "[[collections]] name 'default' is [corpus]'s name"),
        ('[[collections]]\nname = "legal"\npath = "legal"\n', "[[collections]] 'legal': corpus directory"),
        ('[[collections]]\nname = "Legal Team"\npath = "hr"\n', "collections.2.name: String should match pattern"),
        ('[[collections]]\nname = "legal"\n', "collections.2.path: Field required"),
        (
            '[[channels]]\nslack_channel = "C0HR"\ncollection = "hrr"\n',
            "[[channels]] slack_channel C0HR names collection 'hrr', which no [[collections]] entry has "
            "(known: default, engineering, hr)",
        ),
        (
            '[[channels]]\ndiscord_guild = 1\n[[channels]]\ndiscord_guild = 1\ncollection = "hr"\n',
            "[[channels]] discord_guild 1 is mapped twice",
        ),
        ('[[channels]]\ncollection = "hr"\n', "channels.0: give exactly one of slack_channel, discord_guild and"),
        (
            '[[channels]]\nslack_channel = "C0HR"\ndiscord_channel = 2\ncollection = "hr"\n',
            "channels.0: give exactly one of",
        ),
        ('[[channels]]\nslack_channel = "C0HR"\nvisibility = "loud"\n', "channels.0.visibility: Input should be"),
        (
            '[[collections]]\nname = "legal"\npath = "legal"\nindex_path = "hr.index"\n',
            "collections 'hr' and 'legal' would share the index file",
        ),
    ],
)
def test_a_collection_config_that_does_not_add_up_is_one_line_naming_the_file(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = team_config(tmp_path, extra)
    if "corpus directory" not in message:
        (tmp_path / "legal").mkdir()  # only a missing directory is what is wrong there
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_bad_collection_config_stops_the_command_with_one_line_and_exit_2(tmp_path: Path) -> None:
    path = team_config(tmp_path, '[[channels]]\nslack_channel = "C0HR"\ncollection = "payroll"\n')
    result = citebot("--config", str(path), "ask", "how long is parental leave?")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "names collection 'payroll'" in result.stderr


def test_collection_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(team_config(tmp_path))
    assert config.collection_names == [DEFAULT_COLLECTION, "hr", "engineering"]
    assert config.collection("hr").directory == tmp_path / "hr"
    assert config.collection("hr").index_path == tmp_path / "hr.index"
    assert config.collection("hr").about == CorpusAbout("The HR handbook.")


# ------------------------------------------------------------------------------------ which collection where


def test_a_discord_channel_entry_wins_over_its_guild_and_an_unmapped_place_gets_the_default(
    tmp_path: Path, bundled: Retriever
) -> None:
    config = load_config(
        team_config(
            tmp_path,
            '[[channels]]\ndiscord_guild = 10\ncollection = "engineering"\nmentions = false\n'
            '[[channels]]\ndiscord_channel = 11\ncollection = "hr"\nvisibility = "private"\nfollow_ups = false\n'
            '[[channels]]\nslack_channel = "D0HUMAN"\ncollection = "hr"\n',
        )
    )
    collections = Collections(
        {name: Collection(name, AnswerService(bundled), CorpusAbout()) for name in config.collection_names},
        config.channels,
    )

    in_hr_channel = collections.where("discord", "11", "10")
    assert (in_hr_channel.collection.name, in_hr_channel.public, in_hr_channel.mentions) == ("hr", False, True)
    assert not in_hr_channel.follow_ups
    elsewhere_in_guild = collections.where("discord", "12", "10")
    assert (elsewhere_in_guild.collection.name, elsewhere_in_guild.public) == ("engineering", None)
    assert not elsewhere_in_guild.mentions
    assert collections.where("slack", "D0HUMAN").collection.name == "hr"  # a mapped DM
    for unmapped in (collections.where("discord", "13", "99"), collections.where("slack", "C0OTHER")):
        assert unmapped.collection.name == DEFAULT_COLLECTION and unmapped.public is None and unmapped.mentions
    assert collections.where("slack", "11").collection.name == DEFAULT_COLLECTION  # Discord ids are Discord's


# ------------------------------------------------------------------------------------------ the command line


def test_ask_answers_from_the_collection_named_and_only_from_it(tmp_path: Path) -> None:
    config = str(team_config(tmp_path))
    from_hr = citebot("--config", config, "ask", "--collection", "hr", "how long is parental leave?")
    from_engineering = citebot("--config", config, "ask", "--collection", "engineering", "how long is parental leave?")
    from_default = citebot("--config", config, "ask", "what did Nadella say?")

    assert from_hr.returncode == 0, from_hr.stderr
    assert HR_ANSWER in from_hr.stdout and "leave.md" in from_hr.stdout
    assert HR_ANSWER not in from_engineering.stdout and "couldn't find this" in from_engineering.stdout
    assert "Jevons Paradox" in from_default.stdout


def test_show_prints_a_quote_of_the_collection_named_from_its_index(tmp_path: Path) -> None:
    config = str(team_config(tmp_path))
    citebot("--config", config, "index", "--collection", "hr")
    text = (tmp_path / "hr" / "leave.md").read_text(encoding="utf-8")
    start = text.index(HR_ANSWER)
    span = f"leave.md:{start}-{start + len(HR_ANSWER)}"

    shown = citebot("--config", config, "show", "--collection", "hr", span)
    not_there = citebot("--config", config, "show", span)

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == HR_ANSWER + "\n"
    assert not_there.returncode == 2 and "no document 'leave.md' in the index" in not_there.stderr


def test_console_answers_from_the_collection_named(tmp_path: Path) -> None:
    config = str(team_config(tmp_path))
    keys = "when do deploys happen?\n/sources\n"
    wide = {"COLUMNS": "200", "TERM": "dumb"}
    result = citebot("--config", config, "console", "--collection", "engineering", stdin=keys, env=wide)
    assert result.returncode == 0, result.stderr
    assert "2 documents" in result.stdout and ENGINEERING_ANSWER in result.stdout
    assert "(deploys.md)" in result.stdout and "(leave.md)" not in result.stdout


def test_an_unknown_collection_on_the_command_line_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    result = citebot("--config", str(team_config(tmp_path)), "console", "--collection", "payroll")
    assert result.returncode == 2
    assert result.stderr == "citebot: error: no collection 'payroll' in the config (known: default, hr, engineering)\n"


def test_corpus_and_collection_together_are_one_line_not_a_silent_choice(tmp_path: Path) -> None:
    config = str(team_config(tmp_path))
    result = citebot("--config", config, "ask", "--collection", "hr", "--corpus", str(tmp_path / "engineering"), "x")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--corpus replaces [corpus]'s directory" in result.stderr


def test_index_builds_every_collection_or_the_one_named(tmp_path: Path) -> None:
    config = str(team_config(tmp_path))
    every = citebot("--config", config, "index")
    assert every.returncode == 0, every.stderr
    assert [line for line in every.stdout.splitlines() if line.startswith("collection:")] == [
        "collection: default",
        "collection: hr",
        "collection: engineering",
    ]
    assert (tmp_path / "hr.index").is_file() and (tmp_path / "engineering.index").is_file()

    (tmp_path / "hr.index").unlink()
    one = citebot("--config", config, "index", "--collection", "hr")
    assert one.returncode == 0, one.stderr
    assert f"corpus:     {tmp_path / 'hr'}" in one.stdout and "documents:  2" in one.stdout
    assert "collection:" not in one.stdout and (tmp_path / "hr.index").is_file()


# ------------------------------------------------------------------------------- one pool, live per collection


async def test_one_worker_pool_answers_each_collection_and_follows_each_ones_live_updates(tmp_path: Path) -> None:
    """The chat bots' services share one pool of answer workers; a document added to `hr` is answered from `hr`
    once it is re-indexed, and never from `engineering`, whose index stays as it was."""
    config = load_config(team_config(tmp_path))
    config.bot.answer_workers = 2
    added = "Every parent may also take four weeks of unpaid leave for a newborn's first year."
    question = "how much unpaid leave can a parent take?"

    async def quoted(service: AnswerService) -> str:
        return " ".join(quote.text for quote in (await service.answer(question)).quotes)

    async with bot_services(config) as services:
        hr, engineering = services["hr"], services["engineering"]
        assert hr.workers is not None and hr.workers is engineering.workers  # one pool
        assert HR_ANSWER in " ".join(q.text for q in (await hr.answer("how long is parental leave?")).quotes)
        assert added not in await quoted(hr)
        write_corpus(tmp_path / "hr", {"unpaid.md": f"# Unpaid leave\n\n{added}\n"})

        async def hr_answers_from_the_new_index() -> None:
            while True:  # the workers move once the new index is saved: ask until they have
                if added in await quoted(hr):
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(hr_answers_from_the_new_index(), GENEROUS)
        assert all(added in answer for answer in await asyncio.gather(*(quoted(hr) for _ in range(4))))
        assert not any(added in answer for answer in await asyncio.gather(*(quoted(engineering) for _ in range(4))))
        assert len(engineering.retriever.documents) == 2


# ------------------------------------------------------------------------------------------- the question log


def test_a_version_2_store_is_upgraded_to_record_the_collection_and_keeps_its_questions(store_url: str) -> None:
    """Schema version 3 adds the collection that answered each question; a store written before has the column
    added in place, its old questions read back with no collection, and new ones keep theirs."""
    engine = engine_for(store_url)
    with engine.begin() as connection:  # what version 2 made: version 1's tables without the column, and claims
        schema.metadata.create_all(connection, tables=[schema.meta])
        schema.UPGRADES[0](connection)
        schema.UPGRADES[1](connection)
        connection.execute(text("ALTER TABLE citebot_questions DROP COLUMN collection"))
        connection.execute(schema.meta.insert().values(key="schema_version", value="2"))
        connection.execute(schema.meta.insert().values(key="salt", value="0" * 32))
        connection.execute(
            text(
                "INSERT INTO citebot_questions (id, asked_at, front_end, asker, answered, reason, latency_ms) "
                "VALUES ('old', :at, 'slack', 'a', true, 'answered', 1)"
            ),
            {"at": utc_now()},
        )

    upgraded = open_store(store_url)
    upgraded.add_question(
        QuestionRecord("new", utc_now(), "slack", None, "C0HR", "b", None, None, True, "answered", 2, collection="hr")
    )
    found = {record.id: record.collection for record in upgraded.questions_since(utc_now().replace(year=2000))}
    upgraded.close()
    with engine.connect() as connection:
        version = connection.execute(text("SELECT value FROM citebot_meta WHERE key = 'schema_version'")).scalar()
        columns = {column["name"] for column in inspect(connection).get_columns("citebot_questions")}
    engine.dispose()
    assert found == {"old": None, "new": "hr"}
    assert version == "3" == str(schema.SCHEMA_VERSION) and "collection" in columns
