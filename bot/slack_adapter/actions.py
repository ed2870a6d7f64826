"""The buttons under a Slack answer besides 👍/👎: "More quotes" and "Share in channel".

Both carry the id of the exchange they belong to (bot.followups); a click on a button whose exchange was
forgotten (a restart, or long ago) tells the clicker, privately, to ask again.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.followups import FORGOTTEN_NOTE
from bot.rendering import shared_by
from bot.slack_adapter.render import SlackMessage, render_notice, render_page
from bot.store import Asked

if TYPE_CHECKING:
    from bot.slack_adapter.app import SlackListeners

log = logging.getLogger("citebot.slack")
_USER_ID = re.compile(r"[UW][A-Z0-9]{1,30}")


def thread_key(channel: str, thread_ts: str | None) -> str:
    """The conversation a Slack thread is (a DM outside any thread is one conversation too)."""
    return f"slack:{channel}:{thread_ts or ''}"


class AnswerButtons:
    """Handlers for the two buttons, over the listeners' answer service and conversations."""

    def __init__(self, listeners: SlackListeners) -> None:
        self.listeners = listeners

    async def on_more(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        """The next quotes: in the answer's thread when the answer was public, else to the clicker only."""
        await ack()
        listeners = self.listeners
        turn = listeners.conversations.more(_clicked_value(body))
        user = str((body.get("user") or {}).get("id") or "")
        if turn.previous is None:
            await _respond(respond, render_notice(FORGOTTEN_NOTE), "ephemeral")
            return
        container, message = body.get("container") or {}, body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        private = bool(container.get("is_ephemeral"))
        thread = message.get("thread_ts") or message.get("ts")
        keys = [] if private or not thread else [thread_key(channel, thread)]
        team = (body.get("team") or {}).get("id")
        placement = listeners.collections.where("slack", channel)  # the collection that answered in this channel
        asked = Asked("slack", user, turn.said, team, channel)
        reply = await listeners._answer(asked, placement, turn, keys, share=private)
        if private or not reply.quoted or not thread:
            await _respond(respond, reply.message, "ephemeral")
            return
        try:
            await client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=reply.message["text"],
                blocks=reply.message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, ClientError, TimeoutError) as error:  # e.g. not in the channel of a /ask answer
            log.warning("chat.postMessage of more quotes failed: %s", type(error).__name__)
            await _respond(respond, reply.message, "ephemeral")

    async def on_share(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The private answer, posted to the channel with who shared it; the private copy is then deleted."""
        await ack()
        exchange = self.listeners.conversations.find(_clicked_value(body))
        user = str((body.get("user") or {}).get("id") or "")
        if exchange is None or exchange.last is None or not _USER_ID.fullmatch(user):
            await _respond(respond, render_notice(FORGOTTEN_NOTE), "ephemeral")
            return
        public = render_page(exchange.last, None, share=False, heading=shared_by(f"<@{user}>"))
        if await _respond(respond, public, "in_channel"):
            try:
                await respond(delete_original=True)
            except (ClientError, TimeoutError) as error:
                log.warning("deleting the private copy failed: %s", type(error).__name__)


def _clicked_value(body: dict[str, Any]) -> str:
    [action] = body.get("actions") or [{}]
    return str(action.get("value") or "")


async def _respond(respond: AsyncRespond, message: SlackMessage, visibility: str) -> bool:
    """A new message through the action's response_url (never replacing the one clicked); whether it went."""
    try:
        response = await respond(
            text=message["text"],
            blocks=message["blocks"],
            response_type=visibility,
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )
    except (ClientError, TimeoutError) as error:
        log.warning("posting to the response_url failed: %s", type(error).__name__)
        return False
    if response.status_code != 200:
        log.warning("posting to the response_url failed: HTTP %s", response.status_code)
        return False
    return True
