"""The Discord front end: /ask, @-mentions and DMs in, rendered answers out.

Translation only: who gets answered is `AnswerService.should_answer`, what an answer looks like is
`render.render_answer`; this module wires them to discord.py's events and REST calls.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands

from bot.answering import AnswerService, Incoming
from bot.channels import Collections, Placement
from bot.config import CorpusAbout, DiscordSettings
from bot.conversation import PROGRESS_AFTER_SECONDS, is_first_contact, with_progress
from bot.discord_adapter.api_metrics import api_trace
from bot.discord_adapter.buttons import MoreButton, ShareButton, answer_view
from bot.discord_adapter.feedback import VoteButton
from bot.discord_adapter.render import DiscordReply, render_help, render_note, render_page, with_preface
from bot.fair_use import LimitedError
from bot.followups import Conversations, Turn, answer_turn
from bot.rendering import (
    CANNOT_POST_REACTION,
    SEARCH_FAILED_NOTE,
    HelpCard,
    cannot_post_note,
    help_card,
    who_sees_answers,
)
from bot.store import Asked, QuestionLog
from bot.store.claims import Claims
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

# An interaction must be acknowledged within 3 s of Discord creating it; the gateway trip already took some,
# and the response itself takes a round trip. Answers ready sooner go out directly, slower ones are deferred.
DEFER_AFTER_SECONDS = 1.0
NO_MENTIONS = discord.AllowedMentions.none()
# A reply to a mention notifies the asker (Discord's reply ping) and nobody else; quotes stay defused anyway.
QUESTION_MAX_CHARS = RetrievalSettings().max_question_chars  # Discord refuses longer ones before they reach us
REPLY_PING = discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=True)


def citebot_intents() -> discord.Intents:
    """Only what we answer: guild and DM messages (no privileged message_content; interactions need none).

    Without message_content Discord still delivers the text of DMs and of messages that mention the bot.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


class CitebotClient(discord.Client):
    """A discord.py client that answers /ask, @-mentions and DMs from an `AnswerService`."""

    def __init__(
        self,
        service: AnswerService,
        settings: DiscordSettings,
        *,
        defer_after: float = DEFER_AFTER_SECONDS,
        progress_after: float = PROGRESS_AFTER_SECONDS,
        question_log: QuestionLog | None = None,
        claims: Claims | None = None,
        about: CorpusAbout | None = None,
        collections: Collections | None = None,
    ) -> None:
        # citebot never joins voice: spare the operator discord.py's warnings about missing voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=citebot_intents(),
            allowed_mentions=NO_MENTIONS,
            http_trace=api_trace(),
            shard_id=settings.shard_id,
            shard_count=settings.shard_count,
        )
        self.service = service  # counts the questions in flight; each is answered from its channel's collection
        self.collections = collections or Collections.single(service, about)
        self.settings = settings
        self.defer_after = defer_after
        self.progress_after = progress_after  # a mention or DM answered slower than this shows "typing"
        self.question_log = question_log  # records every question; its answers then carry 👍/👎
        self.claims = claims  # with replicas sharing a store: each message and /ask is answered by one of them
        self.conversations = Conversations()  # answers replied to follow up; "more" and sharing find them here
        self.tree = app_commands.CommandTree(self)
        # Registered globally in the local tree too, so an interaction finds /ask however it is scoped;
        # what Discord shows is decided by what setup_hook syncs.
        self.tree.add_command(_ask_command(self))
        self.tree.add_command(_help_command(self))
        for guild_id in settings.guild_ids:
            self.tree.copy_global_to(guild=discord.Object(id=guild_id))

    async def setup_hook(self) -> None:
        """Sync /ask before the gateway connects: to the configured guilds (instant) or globally. Vote
        buttons on answers sent before this start are handled by their custom_id's template."""
        self.add_dynamic_items(VoteButton, MoreButton, ShareButton)
        guilds = [discord.Object(id=guild_id) for guild_id in self.settings.guild_ids]
        targets: list[discord.Object | None] = [*guilds] or [None]
        for guild in targets:
            where = f"guild {guild.id}" if guild else "all guilds (global)"
            try:
                await self.tree.sync(guild=guild)
            except discord.HTTPException as error:
                # Most often the bot was invited without the applications.commands scope.
                log.error("could not sync /ask to %s: %s %s", where, error.status, error.text)
            else:
                log.info("synced /ask to %s", where)

    async def on_ready(self) -> None:
        """The operator's sign that the bot is online (discord.py fires this once the guilds have arrived)."""
        log.info(
            "connected to Discord as %s (id %s) in %d guild(s)",
            self.user,
            self.user.id if self.user else None,
            len(self.guilds),
        )

    async def answer_interaction(self, interaction: discord.Interaction, question: str, private: bool | None) -> None:
        """Answer /ask within the interaction window: directly when quick, otherwise defer then follow up."""
        if not await self._first_time(f"interaction:{interaction.id}"):
            return
        async with self.service.in_flight():
            await self._answer_interaction(interaction, question, private)

    async def _answer_interaction(self, interaction: discord.Interaction, question: str, private: bool | None) -> None:
        placement = self._placement(interaction.guild_id, interaction.channel_id)
        ephemeral = self._private_by_default(placement) if private is None else private
        if is_first_contact(question):
            card = render_help(self._help(placement))
            try:
                await interaction.response.send_message(
                    embeds=card.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            except discord.HTTPException as error:
                log.warning("could not send the help card: %s %s", error.status, error.text)
            return
        asked = Asked(
            "discord", str(interaction.user.id), question, _id(interaction.guild_id), _id(interaction.channel_id)
        )
        pending = asyncio.create_task(self.reply_for(asked, placement, share=ephemeral))
        try:
            sent = await self.respond_in_time(interaction, pending, ephemeral)
            _, _, quoted, exchange = pending.result()
            if sent is not None and quoted and not ephemeral:  # a Reply to it follows up
                self.conversations.alias(exchange, f"discord:message:{sent}")
        except discord.HTTPException as error:
            log.warning("could not answer /ask in channel %s: %s %s", interaction.channel_id, error.status, error.text)
        finally:
            pending.cancel()

    async def respond_in_time(
        self,
        interaction: discord.Interaction,
        pending: asyncio.Task[tuple[DiscordReply, dict[str, Any], bool, str | None]],
        ephemeral: bool,
    ) -> int | None:
        """Respond to `interaction` with the reply `pending` computes, within Discord's 3-second window: as the
        response itself when it is ready within `defer_after`, else after a deferred "thinking" response, as a
        follow-up. A note (nothing quoted) is for the clicker or asker only. The id of the message sent, when known."""
        done, _ = await asyncio.wait({pending}, timeout=self.defer_after)
        if pending in done:
            reply, buttons, quoted, _ = pending.result()
            callback = await interaction.response.send_message(
                reply.content,
                embeds=reply.embeds,
                ephemeral=ephemeral or not quoted,
                allowed_mentions=NO_MENTIONS,
                **buttons,
            )
            return callback.resource.id if isinstance(callback.resource, discord.InteractionMessage) else None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        reply, buttons, quoted, _ = await pending
        if not quoted and not ephemeral:  # a note is for the asker only: the public "thinking" goes
            await interaction.delete_original_response()
        sent = await interaction.followup.send(
            reply.content,
            embeds=reply.embeds,
            ephemeral=ephemeral or not quoted,
            allowed_mentions=NO_MENTIONS,
            wait=True,
            **buttons,
        )
        return sent.id

    async def send_help(self, interaction: discord.Interaction) -> None:
        """The help card of the channel's collection, to the asker only."""
        try:
            card = render_help(self._help(self._placement(interaction.guild_id, interaction.channel_id)))
            await interaction.response.send_message(embeds=card.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("could not send the help card: %s %s", error.status, error.text)

    async def on_message(self, message: discord.Message) -> None:
        """DMs, and guild messages that mention us, are questions; everything else is not for us."""
        me = self.user
        if me is None:
            return
        incoming = Incoming(message.content, str(message.author.id), message.author.bot)
        if not AnswerService.should_answer(incoming, str(me.id)):
            return
        in_dm = message.guild is None
        if not in_dm and not self._mentions_me(message):
            return
        if message.guild is not None and not self._placement(message.guild.id, message.channel.id).mentions:
            log.info("mentions are not answered in channel %s ([[channels]] mentions = false)", message.channel.id)
            return
        if not await self._first_time(f"message:{message.id}"):
            return
        async with self.service.in_flight():
            await self._reply(message, me, in_dm)

    async def _reply(self, message: discord.Message, me: discord.ClientUser, in_dm: bool) -> None:
        question = question_from(message.content, me.id, self._my_role_id(message))
        guild = message.guild.id if message.guild is not None else None
        asked = Asked("discord", str(message.author.id), question, _id(guild), _id(message.channel.id))
        placement = self._placement(guild, message.channel.id)
        # A DM is one conversation; in a guild, a Reply to one of citebot's answers follows up on its question
        # (unless [[channels]] turns follow-ups off there).
        replied_to = message.reference.message_id if message.reference is not None else None
        said_in = f"discord:dm:{message.channel.id}" if in_dm else None
        if replied_to is not None and not in_dm and placement.follow_ups:
            said_in = f"discord:message:{replied_to}"
        exchange: str | None = None
        if not question or is_first_contact(question):
            reply, votes = render_help(self._help(placement)), dict[str, Any]()
        else:
            turn = self.conversations.turn(question, said_in)
            keys = [said_in] if in_dm and said_in else []
            reply, votes, _, exchange = await with_progress(
                self.reply_for(asked, placement, turn, keys), self.progress_after, message.channel.typing
            )
        # A reply in a guild channel, pinging the asker only; a DM is a conversation of two, answered directly.
        as_reply: dict[str, Any] = (
            {"allowed_mentions": NO_MENTIONS}
            if in_dm
            else {"reference": message.to_reference(fail_if_not_exists=False), "allowed_mentions": REPLY_PING}
        )
        try:
            sent = await message.channel.send(reply.content, embeds=reply.embeds, **as_reply, **votes)
            self.conversations.alias(exchange, f"discord:message:{sent.id}")  # a Reply to it follows up
        except discord.Forbidden:
            log.warning("no permission to post in channel %s; telling the asker where to ask", message.channel.id)
            await self._tell_elsewhere(message, reply, votes)
        except discord.HTTPException as error:
            log.warning("could not answer in channel %s: %s %s", message.channel.id, error.status, error.text)

    async def _tell_elsewhere(self, message: discord.Message, reply: DiscordReply, votes: dict[str, Any]) -> None:
        """The answer by DM, saying why and where to ask instead; if the asker takes no DMs from us, a 🔒 on
        the question, so nobody is left waiting for an answer that cannot come."""
        try:
            preface = cannot_post_note(f"<#{message.channel.id}>")
            await message.author.send(**with_preface(reply, preface)._asdict(), allowed_mentions=NO_MENTIONS, **votes)
            return
        except discord.HTTPException as error:
            log.warning("could not DM the asker either: %s %s", error.status, error.text)
        try:
            await message.add_reaction(CANNOT_POST_REACTION)
        except discord.HTTPException as error:
            log.warning("could not react to the question either: %s %s", error.status, error.text)

    def _placement(self, guild_id: int | None, channel_id: int | None) -> Placement:
        return self.collections.where("discord", _id(channel_id), _id(guild_id))

    def _private_by_default(self, placement: Placement) -> bool:
        """The channel's `visibility` from [[channels]], else [discord] private_by_default."""
        return self.settings.private_by_default if placement.public is None else not placement.public

    def _help(self, placement: Placement) -> HelpCard:
        """The help card of the collection that answers there, as it is now (live updates change its titles)."""
        collection = placement.collection
        return discord_help_card(collection.service, collection.about, public=not self._private_by_default(placement))

    async def reply_for(
        self,
        asked: Asked,
        placement: Placement,
        turn: Turn | None = None,
        keys: list[str] | None = None,
        *,
        share: bool = False,
    ) -> tuple[DiscordReply, dict[str, Any], bool, str | None]:
        """The reply to `turn` (a question of its own by default; see bot.followups) from the collection of where
        it was asked, remembered under `keys`; the `view=` of its buttons ("More quotes", "Share in channel" when
        `share`, 👍/👎 when questions are logged), whether it quotes the documents (only then may others see it),
        and its exchange's id. A failure (or fair use's refusal) still gets a reply; a failure is recorded."""
        turn = turn or self.conversations.turn(asked.question, None)
        service = placement.collection.service
        try:
            page, answer_id = await answer_turn(
                service, self.conversations, turn, asked, keys or [], self.question_log, log
            )
        except LimitedError as limited:  # [limits]: ephemeral for /ask, a short reply to a mention
            return render_note(limited.refusal.note), {}, False, None
        if page is None:
            return render_note(SEARCH_FAILED_NOTE), {}, False, None
        quoted = page.answer.answered and bool(page.answer.quotes)
        reply = render_page(page)
        view = answer_view(page, answer_id, share=share)
        return reply, ({"view": view} if view is not None else {}), quoted, page.exchange

    async def _first_time(self, key: str) -> bool:
        """Whether no replica has taken this on yet (always, without shared claims)."""
        if self.claims is None or await self.claims.first_time([key]):
            return True
        log.info("already taken on, not answering again: %s", key)
        return False

    def _mentions_me(self, message: discord.Message) -> bool:
        """A user mention of the bot, or of its managed role (what clients insert for bots in some guilds).

        Not `ClientUser.mentioned_in`: that is also true for @everyone, which is not a question to us.
        """
        me = self.user
        if me is not None and (me.id in message.raw_mentions or any(u.id == me.id for u in message.mentions)):
            return True
        role_id = self._my_role_id(message)
        return role_id is not None and role_id in message.raw_role_mentions

    @staticmethod
    def _my_role_id(message: discord.Message) -> int | None:
        role = message.guild.self_role if message.guild is not None else None
        return role.id if role is not None else None


def _id(snowflake: int | None) -> str | None:
    return None if snowflake is None else str(snowflake)


def question_from(content: str, bot_id: int, role_id: int | None = None) -> str:
    """The message text without the mention(s) of the bot, whitespace tidied."""
    pattern = rf"<@!?{bot_id}>" + (rf"|<@&{role_id}>" if role_id is not None else "")
    return " ".join(re.sub(pattern, " ", content).split())


def discord_help_card(service: AnswerService, about: CorpusAbout, *, public: bool) -> HelpCard:
    ways = (
        "/ask question: … — in any channel I'm in; add private: True to see the answer alone",
        "@citebot your question — I reply to your message; reply to my answer to follow up",
        "A direct message — just the question",
    )
    titles = [document.title for document in service.retriever.documents]
    return help_card(ways, titles, about.description, about.examples, who_sees_answers("/ask", public))


def _help_command(client: CitebotClient) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="help", description="What citebot does, how to ask it, and what it knows.")
    async def help_(interaction: discord.Interaction) -> None:
        await client.send_help(interaction)

    return help_


def _ask_command(client: CitebotClient) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="ask", description="Ask the documents; the answer quotes them word for word.")
    @app_commands.describe(
        question="What do you want to know?",
        private="Only you see the answer (default set by the bot's operator).",
    )
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX_CHARS],
        private: bool | None = None,
    ) -> None:
        await client.answer_interaction(interaction, question, private)

    return ask
