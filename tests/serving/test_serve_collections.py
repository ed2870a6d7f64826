"""Collections per channel, end to end: `citebot serve` with two small corpora written here (`hr` and
`engineering`) beside the bundled one (the default), the real slack-bolt and discord.py against the local fakes.

The same question, asked where each collection answers, is answered from that collection's documents only; a
place no [[channels]] entry maps is answered from the default; where mentions are off, a mention is ignored."""

from __future__ import annotations

from pathlib import Path

from fake_discord import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, THREAD_PARENT_ID, message_text, sent_message
from fake_discord import GUILD_ID as DISCORD_GUILD
from fake_slack import CHANNEL_ID as SLACK_GENERAL
from fake_slack import HUMAN_USER_ID, block_texts
from serve_harness import Platforms, Serving
from support import write_corpus
from test_serve import JEVONS, NADELLA, questions, slash_answer

from bot.config import Config
from bot.store import open_store
from bot.store.records import utc_now

SLACK_HR, SLACK_ENGINEERING = "C0HR", "C0ENGINEERING"
DISCORD_HR = CHANNEL_ID  # mapped on its own: wins over the guild's entry
DISCORD_ENGINEERING = THREAD_PARENT_ID  # mapped through the guild
WHO_WORKS_FROM_HOME = "Who may work from home?"
HR_RULE = "on Mondays and Fridays"  # words of the answers that the question does not highlight
ENGINEERING_RULE = "provided the pager reaches them"

HR_DESCRIPTION = "The HR handbook: remote work and expenses."
HR_DOCUMENTS: dict[str, str | bytes] = {
    "remote-work.md": "# Remote work at Acme\n\nEvery employee may work from home " + HR_RULE + ".\n",
    "expenses.md": "# Expenses\n\nTravel expenses are reimbursed within thirty days of the receipt.\n",
}
ENGINEERING_DOCUMENTS: dict[str, str | bytes] = {
    "on-call.md": "# On call\n\nEngineers on call may work from home any day, " + ENGINEERING_RULE + " in minutes.\n",
    "deploys.md": "# Deploys\n\nProduction deploys happen on Tuesdays after the change review.\n",
}


def with_collections(config: Config, tmp_path: Path) -> Config:
    """`config` (serve over the bundled corpus, against the fakes) with `hr` and `engineering` mapped to channels."""
    collections = [
        {
            "name": "hr",
            "path": write_corpus(tmp_path / "hr", HR_DOCUMENTS),
            "index_path": tmp_path / "hr.index",
            "description": HR_DESCRIPTION,
        },
        {"name": "engineering", "path": write_corpus(tmp_path / "engineering", ENGINEERING_DOCUMENTS)},
    ]
    channels = [
        {"slack_channel": SLACK_HR, "collection": "hr", "visibility": "private"},
        {"slack_channel": SLACK_ENGINEERING, "collection": "engineering", "mentions": False},
        {"discord_channel": DISCORD_HR, "collection": "hr"},
        {"discord_guild": DISCORD_GUILD, "collection": "engineering", "mentions": False},
    ]
    storage = {"url": f"sqlite:///{tmp_path / 'questions.sqlite3'}"}
    changes = {"collections": collections, "channels": channels, "storage": storage}
    return Config.model_validate(config.model_dump() | changes)


def test_the_same_question_is_answered_from_each_channels_collection_on_slack_and_discord(
    platforms: Platforms, config: Config, tmp_path: Path
) -> None:
    slack, discord = platforms.slack, platforms.discord
    answers: dict[str, str] = {}
    visibility: dict[str, str] = {}

    def discord_slash(question: str, channel_id: int | None) -> str:
        in_dm = channel_id is None
        interaction = platforms.run(discord.slash_ask(question, in_dm=in_dm, channel_id=channel_id or CHANNEL_ID))
        return message_text(
            sent_message(platforms.run(discord.wait_for_request(lambda r: interaction["token"] in r.path)))
        )

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        for name, channel in (("hr", SLACK_HR), ("engineering", SLACK_ENGINEERING), ("default", SLACK_GENERAL)):
            envelope = platforms.run(
                slack.send_envelope("slash_commands", slack.slash_command(WHO_WORKS_FROM_HOME, channel=channel))
            )
            ack = platforms.run(slack.ack_of(envelope)).get("payload")
            reply = platforms.run(slack.slash_answer(ack))
            answers[f"slack {name}"] = reply.text
            visibility[name] = str(reply.body.get("response_type"))
        answers["slack default, Nadella"] = slash_answer(platforms, NADELLA).text
        answers["discord hr"] = discord_slash(WHO_WORKS_FROM_HOME, DISCORD_HR)
        answers["discord engineering"] = discord_slash(WHO_WORKS_FROM_HOME, DISCORD_ENGINEERING)
        answers["discord default (DM), Nadella"] = discord_slash(NADELLA, None)
        assert questions(serving, "slack", "answered", "hr") == 1
        assert questions(serving, "discord", "answered", "engineering") == 1

    serving = with_collections(config, tmp_path)
    assert Serving(serving).run(steps) == 0
    store = open_store(serving.storage.url)
    logged = [(r.front_end, r.channel, r.collection) for r in store.questions_since(utc_now().replace(year=2000))]
    store.close()
    assert sorted(logged, key=str) == sorted(
        [
            ("slack", SLACK_HR, "hr"),
            ("slack", SLACK_ENGINEERING, "engineering"),
            ("slack", SLACK_GENERAL, "default"),
            ("slack", SLACK_GENERAL, "default"),
            ("discord", str(DISCORD_HR), "hr"),
            ("discord", str(DISCORD_ENGINEERING), "engineering"),
            ("discord", str(DM_CHANNEL_ID), "default"),
        ],
        key=str,
    )
    for platform in ("slack", "discord"):
        assert HR_RULE in answers[f"{platform} hr"] and ENGINEERING_RULE not in answers[f"{platform} hr"]
        engineering = answers[f"{platform} engineering"]
        assert ENGINEERING_RULE in engineering and HR_RULE not in engineering
    assert HR_RULE not in answers["slack default"] and ENGINEERING_RULE not in answers["slack default"]
    assert JEVONS in answers["slack default, Nadella"] and JEVONS in answers["discord default (DM), Nadella"]
    assert visibility == {"hr": "ephemeral", "engineering": "in_channel", "default": "in_channel"}


def test_where_mentions_are_off_a_mention_is_ignored_and_elsewhere_answered(
    platforms: Platforms, config: Config, tmp_path: Path
) -> None:
    """A mention where [[channels]] says mentions = false gets nothing; the next one, where they are on, is
    answered (so the first had its chance to be answered before it)."""
    slack, discord = platforms.slack, platforms.discord

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        mention = f"<@{BOT_ID}> {WHO_WORKS_FROM_HOME}"
        platforms.run(
            slack.send_envelope(
                "events_api", slack.event_callback(slack.mention(WHO_WORKS_FROM_HOME, channel=SLACK_ENGINEERING))
            )
        )
        platforms.run(
            slack.send_envelope(
                "events_api", slack.event_callback(slack.mention(WHO_WORKS_FROM_HOME, channel=SLACK_HR))
            )
        )
        platforms.run(slack.wait_for_delivered("chat.postMessage"))
        platforms.run(discord.post_message(mention, channel_id=DISCORD_ENGINEERING))
        platforms.run(discord.post_message(mention, channel_id=DISCORD_HR))
        platforms.run(discord.wait_until(lambda: discord.calls("POST", f"/channels/{DISCORD_HR}/messages")))

    assert Serving(with_collections(config, tmp_path)).run(steps) == 0
    [slack_answer] = slack.delivered("chat.postMessage")
    assert slack_answer.body["channel"] == SLACK_HR and HR_RULE in slack_answer.text
    posted = [request for request in discord.requests if request.method == "POST" and "/messages" in request.path]
    assert [request.path for request in posted] == [f"/channels/{DISCORD_HR}/messages"]
    assert HR_RULE in message_text(posted[0].body)


def test_the_help_card_describes_the_collection_of_the_channel_it_is_shown_in(
    platforms: Platforms, config: Config, tmp_path: Path
) -> None:
    """/ask help and Discord's /help describe the channel's collection; Slack's Home tab, which is in no channel,
    and the channels of the default collection describe the default's documents."""
    slack, discord = platforms.slack, platforms.discord
    cards: dict[str, str] = {}

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        for name, channel in (("slack hr", SLACK_HR), ("slack default", SLACK_GENERAL)):
            envelope = platforms.run(
                slack.send_envelope("slash_commands", slack.slash_command("help", channel=channel))
            )
            cards[name] = platforms.run(slack.slash_answer(platforms.run(slack.ack_of(envelope)).get("payload"))).text
        home = {"type": "app_home_opened", "user": HUMAN_USER_ID, "channel": "D0HUMAN", "tab": "home"}
        platforms.run(slack.send_envelope("events_api", slack.event_callback(home)))
        [published] = platforms.run(slack.wait_for_delivered("views.publish"))
        cards["slack home"] = "\n".join(block_texts(published.body["view"]["blocks"]))
        for name, channel_id in (("discord hr", DISCORD_HR), ("discord engineering", DISCORD_ENGINEERING)):
            token = platforms.run(discord.slash_command("help", [], channel_id=channel_id))["token"]
            response = platforms.run(discord.wait_for_request(lambda r, token=token: token in r.path))
            cards[name] = message_text(sent_message(response))

    assert Serving(with_collections(config, tmp_path)).run(steps) == 0
    assert HR_DESCRIPTION in cards["slack hr"] and HR_DESCRIPTION in cards["discord hr"]
    assert "2 documents" in cards["discord engineering"] and "On call" in cards["discord engineering"]
    for elsewhere in ("slack default", "slack home"):
        assert HR_DESCRIPTION not in cards[elsewhere] and "5 documents" in cards[elsewhere]
