""" "More quotes" and "Share in channel" under a Discord answer, beside 👍/👎.

Like the vote buttons they are `DynamicItem`s whose custom_id (`citebot:more:<exchange id>`) says what to do, so
no view is kept per message; the exchange itself lives in the client's `Conversations` (bot.followups). A click
on a forgotten exchange tells the clicker, privately, to ask again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.discord_adapter.feedback import VoteButton
from bot.discord_adapter.render import render_note, render_page, with_preface
from bot.followups import FORGOTTEN_NOTE
from bot.rendering import MORE_LABEL, SHARE_LABEL, Page, shared_by
from bot.store import Asked

if TYPE_CHECKING:
    from bot.discord_adapter.client import CitebotClient

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
MORE_TEMPLATE = r"citebot:more:(?P<exchange>[0-9a-f]{32})"
SHARE_TEMPLATE = r"citebot:share:(?P<exchange>[0-9a-f]{32})"


def answer_view(page: Page, answer_id: str | None, *, share: bool) -> discord.ui.View | None:
    """The buttons for one reply: "More quotes" when more may follow, "Share in channel" when `share` (a
    private answer), 👍/👎 when it was recorded; None when it has none."""
    quoted = page.answer.answered and bool(page.answer.quotes)
    items: list[discord.ui.Item[Any]] = []
    if page.exchange and quoted and page.more:
        items.append(MoreButton(page.exchange))
    if page.exchange and quoted and share:
        items.append(ShareButton(page.exchange))
    if answer_id:
        items += [VoteButton(answer_id, up=True), VoteButton(answer_id, up=False)]
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class ExchangeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"citebot:(?:more|share):(?P<exchange>[0-9a-f]{32})"
):
    """A button about one exchange: its custom_id is `citebot:<action>:<exchange id>`."""

    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, exchange_id: str) -> None:
        custom_id = f"citebot:{self.action}:{exchange_id}"
        super().__init__(discord.ui.Button(label=self.label, style=self.style, custom_id=custom_id))
        self.exchange_id = exchange_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /) -> Self:
        return cls(str(match["exchange"]))


class MoreButton(ExchangeButton, template=MORE_TEMPLATE):
    action, label, style = "more", MORE_LABEL, discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        """The next quotes, as a reply to the click: public under a public answer, else to the clicker only."""
        client = _citebot(interaction)
        if client is None:
            return
        turn = client.conversations.more(self.exchange_id)
        private = bool(interaction.message is not None and interaction.message.flags.ephemeral)
        try:
            if turn.previous is None:
                await _tell(interaction, FORGOTTEN_NOTE)
                return
            guild, channel = interaction.guild_id, interaction.channel_id
            asked = Asked("discord", str(interaction.user.id), turn.said, _id(guild), _id(channel))
            placement = client._placement(guild, channel)  # the collection that answers in this channel
            pending = asyncio.create_task(client.reply_for(asked, placement, turn, share=private))
            try:
                await client.respond_in_time(interaction, pending, private)
            finally:
                pending.cancel()
        except discord.HTTPException as error:
            log.warning("could not send more quotes: %s %s", error.status, error.text)


class ShareButton(ExchangeButton, template=SHARE_TEMPLATE):
    action, label = "share", SHARE_LABEL

    async def callback(self, interaction: discord.Interaction) -> None:
        """The private answer posted to the channel through the interaction's webhook (no channel permission
        needed) with who shared it (a mention that pings nobody), then the private copy deleted."""
        client = _citebot(interaction)
        exchange = client.conversations.find(self.exchange_id) if client is not None else None
        try:
            if exchange is None or exchange.last is None:
                await _tell(interaction, FORGOTTEN_NOTE)
                return
            page = exchange.last
            reply = with_preface(
                render_page(page),
                shared_by(interaction.user.mention),
            )
            view = answer_view(page, None, share=False)
            await interaction.response.defer()  # a component's deferred update: nothing shown yet
            await interaction.followup.send(
                reply.content,
                embeds=reply.embeds,
                ephemeral=False,
                allowed_mentions=NO_MENTIONS,
                view=view if view is not None else discord.utils.MISSING,
            )
            await interaction.delete_original_response()
        except discord.HTTPException as error:
            log.warning("could not share an answer: %s %s", error.status, error.text)


async def _tell(interaction: discord.Interaction, note: str) -> None:
    reply = render_note(note)
    await interaction.response.send_message(reply.content, ephemeral=True, allowed_mentions=NO_MENTIONS)


def _citebot(interaction: discord.Interaction) -> CitebotClient | None:
    from bot.discord_adapter.client import CitebotClient

    client = interaction.client
    return client if isinstance(client, CitebotClient) else None


def _id(snowflake: int | None) -> str | None:
    return None if snowflake is None else str(snowflake)
