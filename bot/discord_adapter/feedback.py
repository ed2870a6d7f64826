"""👍/👎 under every Discord answer, and the optional "what was wrong?" modal after a 👎.

The buttons are `DynamicItem`s: their custom_id (`citebot:vote:up:<answer id>`) says everything needed to
handle a click, so buttons on answers sent before a restart keep working (the client registers the template at
start-up) and no view is kept in memory per message. Replies are ephemeral and allow no mentions.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.rendering import (
    FEEDBACK_LABEL,
    FEEDBACK_MAX_CHARS,
    FEEDBACK_PLACEHOLDER,
    FEEDBACK_THANKS,
    FEEDBACK_TITLE,
    VOTE_DOWN_LABEL,
    VOTE_RECORDED,
    VOTE_UP_LABEL,
)
from bot.store import QuestionLog

log = logging.getLogger(__name__)

VOTE_TEMPLATE = r"citebot:vote:(?P<vote>up|down):(?P<answer>[0-9a-f]{32})"
MODAL_SECONDS = 15 * 60  # a modal closed without sending is forgotten after this
NOT_RECORDING = "Feedback is not being recorded on this bot."
NO_MENTIONS = discord.AllowedMentions.none()


def vote_custom_id(answer_id: str, *, up: bool) -> str:
    return f"citebot:vote:{'up' if up else 'down'}:{answer_id}"


def vote_view(answer_id: str) -> discord.ui.View:
    """The two buttons for one answer, as a persistent view (no timeout, stable custom_ids)."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(answer_id, up=True))
    view.add_item(VoteButton(answer_id, up=False))
    return view


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    def __init__(self, answer_id: str, *, up: bool) -> None:
        super().__init__(
            discord.ui.Button(
                emoji=VOTE_UP_LABEL if up else VOTE_DOWN_LABEL,
                style=discord.ButtonStyle.secondary,
                custom_id=vote_custom_id(answer_id, up=up),
            )
        )
        self.answer_id = answer_id
        self.up = up

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> VoteButton:
        return cls(str(match["answer"]), up=match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the vote (one per person per answer), then a 👎 may say why in a modal."""
        question_log = _question_log(interaction)
        try:
            if question_log is None:
                await interaction.response.send_message(NOT_RECORDING, ephemeral=True, allowed_mentions=NO_MENTIONS)
                return
            question_log.vote(self.answer_id, str(interaction.user.id), up=self.up)
            if not self.up and question_log.takes_comments:
                await interaction.response.send_modal(FeedbackModal(self.answer_id, question_log))
                return
            await interaction.response.send_message(
                VOTE_RECORDED[self.up], ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as error:  # e.g. the same click delivered twice: already acknowledged
            log.warning("could not respond to a vote: %s %s", error.status, error.text)


class FeedbackModal(discord.ui.Modal):
    """One optional text field; what is typed is stored with the 👎."""

    comment: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label=FEEDBACK_LABEL,
        style=discord.TextStyle.paragraph,
        placeholder=FEEDBACK_PLACEHOLDER,
        required=False,
        max_length=FEEDBACK_MAX_CHARS,
    )

    def __init__(self, answer_id: str, question_log: QuestionLog) -> None:
        super().__init__(title=FEEDBACK_TITLE, timeout=MODAL_SECONDS, custom_id=f"citebot:feedback:{answer_id}")
        self.answer_id = answer_id
        self.question_log = question_log

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.question_log.comment(self.answer_id, str(interaction.user.id), self.comment.value or "")
        try:
            await interaction.response.send_message(FEEDBACK_THANKS, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("could not thank for feedback: %s %s", error.status, error.text)


def _question_log(interaction: discord.Interaction) -> QuestionLog | None:
    found = getattr(interaction.client, "question_log", None)
    return found if isinstance(found, QuestionLog) else None
