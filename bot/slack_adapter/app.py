"""The slack-bolt app: `/ask`, @-mentions and DMs turned into questions, answers posted where they were asked.

Every listener acknowledges first (Bolt acks events before the listener runs; the slash command calls
`ack()` before retrieving), so Slack's 3-second deadline never waits on retrieval, which `AnswerService` runs
in worker processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.answering import AnswerService, Incoming
from bot.channels import Collections, Placement
from bot.config import CorpusAbout, SlackSettings
from bot.conversation import PROGRESS_AFTER_SECONDS, is_first_contact, with_progress
from bot.fair_use import LimitedError
from bot.followups import Conversations, Turn, answer_turn
from bot.rendering import SEARCH_FAILED_NOTE, VOTE_RECORDED, HelpCard, help_card, who_sees_answers
from bot.slack_adapter.actions import AnswerButtons, thread_key
from bot.slack_adapter.dedupe import RecentRequests, request_keys
from bot.slack_adapter.questions import plain_question
from bot.slack_adapter.render import (
    FEEDBACK_VIEW_ID,
    MORE_ACTION_ID,
    SHARE_ACTION_ID,
    VOTE_ACTION_IDS,
    SlackMessage,
    delivery_failure_notice,
    feedback_comment,
    feedback_modal,
    home_view,
    render_help,
    render_notice,
    render_page,
)
from bot.store import Asked, QuestionLog
from bot.store.claims import Claims

log = logging.getLogger("citebot.slack")

RATE_LIMIT_RETRIES = 3
LONGEST_RETRY_AFTER_SECONDS = 60.0
SEARCH_FAILED = render_notice(SEARCH_FAILED_NOTE)
ANSWER_IN_ACK_WITHIN = 1.0  # seconds: a /ask answer ready this soon is the acknowledgement itself
WORKING_ON_IT = "eyes"  # 👀 on a question while a slow answer is on its way (needs reactions:write)


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection resets retried once (slack_sdk's default); `ratelimited` (HTTP 429) retried after the
    `Retry-After` Slack sends, a bounded number of times."""
    return [
        CountApiErrors(),
        AsyncConnectionErrorRetryHandler(),
        RetryAfterHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class CountApiErrors(AsyncRetryHandler):
    """Retries nothing: slack_sdk shows every response to its retry handlers in turn, and this first one counts
    each failed Web API call by Slack's error code (`citebot_platform_api_errors`)."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=sys.maxsize)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and (response.status_code != 200 or not (response.body or {}).get("ok", True)):
            metrics.platform_error("slack", (response.body or {}).get("error") or f"http_{response.status_code}")
        return False


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler reads `Retry-After` with int(), so "1.5" raised and the answer was lost; this one
    reads any number, bounded (see `_retry_after`)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        seconds = _retry_after(response.headers)
        metrics.rate_limit_wait("slack", seconds)
        await asyncio.sleep(seconds)
        state.increment_current_attempt()


def build_app(
    service: AnswerService,
    settings: SlackSettings,
    bot_token: str,
    signing_secret: str | None = None,
    question_log: QuestionLog | None = None,
    claims: Claims | None = None,
    *,
    progress_after: float = PROGRESS_AFTER_SECONDS,
    ack_within: float = ANSWER_IN_ACK_WITHIN,
    about: CorpusAbout | None = None,
    collections: Collections | None = None,
) -> AsyncApp:
    """The Slack app for one workspace. `signing_secret` is required to serve HTTP mode (Bolt then rejects
    unsigned, forged and stale requests with 401); Socket Mode needs none. With a `question_log`, every
    question is recorded and every answer carries 👍/👎 buttons. With `claims` (replicas sharing a store), each
    request is taken on by one replica only. A mention or DM whose answer takes longer than `progress_after`
    seconds shows 👀 until it is answered; a /ask answer ready within `ack_within` seconds is sent in the
    acknowledgement. `about` (the config's) fills the help card and the Home tab. With `collections`, each
    channel is answered from its collection, by its rules (`service` then only counts the questions in flight)."""
    client = AsyncWebClient(
        token=bot_token,
        base_url=settings.api_base_url,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("citebot.slack.web"),
    )
    bolt_logger = logging.getLogger("citebot.slack.bolt")
    if not any(isinstance(f, _TokenNotUnused) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenNotUnused())
    app = AsyncApp(
        name="citebot",
        client=client,
        signing_secret=signing_secret or "",
        logger=bolt_logger,
    )
    listeners = SlackListeners(
        service, settings, question_log, claims, progress_after, ack_within, about or CorpusAbout(), collections
    )
    app.use(listeners.answer_each_request_once)
    app.command(settings.command)(listeners.on_slash_command)
    app.event("app_mention")(listeners.on_app_mention)
    app.event("message")(listeners.on_message)
    app.event("app_home_opened")(listeners.on_app_home_opened)
    app.action(re.compile("^(" + "|".join(VOTE_ACTION_IDS.values()) + ")$"))(listeners.on_vote)
    app.view(FEEDBACK_VIEW_ID)(listeners.on_feedback)
    buttons = AnswerButtons(listeners)
    app.action(MORE_ACTION_ID)(buttons.on_more)
    app.action(SHARE_ACTION_ID)(buttons.on_share)
    return app


class _TokenNotUnused(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN by itself although it is handed a client made with that very token, then
    warns at every start that the token "will be unused". It is used: the warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


@dataclass(frozen=True)
class SlackReply:
    """A rendered reply, and what decides where it may go: only quotes are shown to a channel."""

    message: SlackMessage
    quoted: bool
    failed: bool = False


class SlackListeners:
    """What citebot does with each kind of Slack request."""

    def __init__(
        self,
        service: AnswerService,
        settings: SlackSettings,
        question_log: QuestionLog | None = None,
        claims: Claims | None = None,
        progress_after: float = PROGRESS_AFTER_SECONDS,
        ack_within: float = ANSWER_IN_ACK_WITHIN,
        about: CorpusAbout | None = None,
        collections: Collections | None = None,
    ) -> None:
        self.collections = collections or Collections.single(service, about)
        self.service = service
        self.ack_within = ack_within
        self.settings = settings
        self.question_log = question_log
        self.progress_after = progress_after
        self.recent = RecentRequests()
        self.claims = claims
        self.conversations = Conversations()  # threads citebot answered in: follow-ups and "more"

    async def answer_each_request_once(
        self, request: AsyncBoltRequest, response: BoltResponse, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse:
        """Global middleware, after Bolt's signature check: a request taken on before (Slack's retry, with
        `retry_attempt` / `X-Slack-Retry-Num`, or a second delivery of the same message) is acknowledged,
        so Slack stops re-sending it, and goes no further. With replicas, "before" includes every replica."""
        keys = request_keys(request.body)
        if self.recent.first_time(keys) and (self.claims is None or await self.claims.first_time(keys)):
            await next_()
            return response
        log.info(
            "already taken on, not answering again: %s (retry %s)",
            request.body.get("event_id") or request.body.get("trigger_id") or "request",
            request.headers.get("x-slack-retry-num", ["-"])[0],
        )
        return BoltResponse(status=200, body="")

    async def on_slash_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        async with self.service.in_flight():
            await self._slash_command(ack, command, respond)

    async def _slash_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        question = plain_question(command.get("text") or "")
        placement = self.collections.where("slack", command.get("channel_id"))
        if not question or is_first_contact(question):
            card = render_help(self._help(placement))
            await ack(text=card["text"], blocks=card["blocks"], response_type="ephemeral")
            return
        asked = Asked(
            "slack", command.get("user_id") or "", question, command.get("team_id"), command.get("channel_id")
        )
        private = self._channel_visibility(placement) == "ephemeral"  # else Slack shows the command: no echo
        pending = asyncio.ensure_future(self._answer(asked, placement, share=private, echo=private))
        done, _ = await asyncio.wait({pending}, timeout=self.ack_within)
        if pending in done:  # nearly always: the answer is the acknowledgement, and Slack shows who asked
            reply = pending.result()
            visibility = self._visibility(reply, placement)
            await ack(text=reply.message["text"], blocks=reply.message["blocks"], response_type=visibility)
            return
        await ack({"response_type": self._channel_visibility(placement)})  # shows the command now, the answer follows
        reply = await pending
        await self.post_response(respond, reply.message, self._visibility(reply, placement))

    def _visibility(self, reply: SlackReply, placement: Placement) -> str:
        """Quotes go where the operator chose; a note (not found, an input problem, a failure) only to the asker."""
        return self._channel_visibility(placement) if reply.quoted else "ephemeral"

    def _channel_visibility(self, placement: Placement) -> str:
        """The channel's `visibility` from [[channels]], else [slack] visibility."""
        if placement.public is None:
            return self.settings.visibility
        return "in_channel" if placement.public else "ephemeral"

    def _help(self, placement: Placement) -> HelpCard:
        """The help card of the collection that answers there, as it is now (live updates change its titles)."""
        return slack_help_card(
            placement.collection.service,
            self.settings,
            placement.collection.about,
            public=self._channel_visibility(placement) == "in_channel",
        )

    async def on_app_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """Answered in the mention's thread; in a thread citebot answered in, it follows up on the question
        there (see bot.followups)."""
        if not self._from_a_person(event, context):
            return
        placement = self.collections.where("slack", event.get("channel"))
        if not placement.mentions:
            log.info("mentions are not answered in channel %s ([[channels]] mentions = false)", event.get("channel"))
            return
        thread_ts = event.get("thread_ts") or event.get("ts")
        follows_up = bool(event.get("thread_ts")) and placement.follow_ups  # [[channels]] follow_ups = false: not here
        said_in = thread_key(event["channel"], event["thread_ts"]) if follows_up else None
        async with self.service.in_flight():
            await self._answer_message(event, context, thread_ts, said_in)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """Direct messages (a DM is one conversation: follow-ups and "more" work there too); with
        `thread_followups = "asker"`, the asker's replies in a thread citebot answered in. Edits, joins and other
        subtypes are not questions, nor is anything else said in a channel."""
        if event.get("subtype") or not self._from_a_person(event, context):
            return
        if _is_direct_message(event):
            said_in = thread_key(event["channel"], event.get("thread_ts"))
            async with self.service.in_flight():
                await self._answer_message(event, context, event.get("thread_ts"), said_in)
            return
        if context.bot_user_id and f"<@{context.bot_user_id}>" in (event.get("text") or ""):
            await self.on_app_mention(event, context)  # a mention delivered as a message event first
            return
        in_thread = bool(event.get("thread_ts"))
        if self.settings.thread_followups == "asker" and in_thread and self._follow_ups_in(event["channel"]):
            said_in = thread_key(event["channel"], event["thread_ts"])
            exchange = self.conversations.find(said_in)
            if exchange is not None and exchange.asker == event.get("user"):  # never anyone else's
                async with self.service.in_flight():
                    await self._answer_message(event, context, event["thread_ts"], said_in)

    def _follow_ups_in(self, channel: str) -> bool:
        """Whether [[channels]] lets follow-ups be answered in `channel` (they are, unless turned off there)."""
        return self.collections.where("slack", channel).follow_ups

    async def on_app_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """The Home tab shows the help card (the Messages tab is the DM, answered as one)."""
        if event.get("tab") != "home" or not event.get("user"):
            return
        try:
            card = self._help(self.collections.where("slack", None))  # no channel: the default collection's
            await client.views_publish(user_id=event["user"], view=home_view(card))
        except SlackApiError as error:
            log.warning("views.publish failed: %s", _error_code(error))
        except (ClientError, TimeoutError) as error:
            log.warning("views.publish failed: %s", type(error).__name__)

    def _from_a_person(self, event: dict[str, Any], context: AsyncBoltContext) -> bool:
        incoming = Incoming(
            text=event.get("text") or "",
            author_id=event.get("user") or "",
            author_is_bot=bool(event.get("bot_id")) or event.get("subtype") == "bot_message",
        )
        return AnswerService.should_answer(incoming, context.bot_user_id)

    async def _answer_message(
        self, event: dict[str, Any], context: AsyncBoltContext, thread_ts: str | None, said_in: str | None
    ) -> None:
        """A slow answer shows 👀 on the question until it is posted."""
        await with_progress(
            self._answer_and_post(event, context, thread_ts, said_in),
            self.progress_after,
            lambda: _reacting(context.client, event["channel"], event["ts"]),
        )

    async def _answer_and_post(
        self, event: dict[str, Any], context: AsyncBoltContext, thread_ts: str | None, said_in: str | None
    ) -> None:
        """Answers in `thread_ts` (the mention's own thread), following up on what was asked in the
        conversation `said_in`; anything said privately goes where the question was asked (in a thread only if
        the question was in one: Slack shows nothing in a thread not yet begun)."""
        channel, user = event["channel"], event.get("user") or ""
        question_thread = event.get("thread_ts")
        question = plain_question(event.get("text") or "")
        placement = self.collections.where("slack", channel)
        if not question or is_first_contact(question):
            message = render_help(self._help(placement))
        else:
            turn = self.conversations.turn(question, said_in)
            asked = Asked("slack", user, question, context.team_id, channel)
            reply = await self._answer(asked, placement, turn, [thread_key(channel, thread_ts)])
            if reply.failed:
                await self._tell_privately(context.client, channel, user, question_thread, reply.message)
                return
            message = reply.message
        try:
            await context.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            code = _error_code(error)
            log.warning("chat.postMessage to %s failed: %s", channel, code)
            await self._tell_privately(context.client, channel, user, question_thread, delivery_failure_notice(code))
        except (ClientError, TimeoutError) as error:
            log.warning("chat.postMessage to %s failed: %s", channel, type(error).__name__)

    async def _answer(
        self,
        asked: Asked,
        placement: Placement,
        turn: Turn | None = None,
        keys: list[str] | None = None,
        *,
        share: bool = False,
        echo: bool = True,
    ) -> SlackReply:
        """The rendered answer to `turn` (a question of its own by default) from the collection of where it was
        asked, remembered under `keys`: with "More quotes", with "Share in channel" when `share` (a private answer),
        with vote buttons when questions are logged; or the 'search failed' note if retrieval itself failed
        (logged; the bot keeps serving). Either way the question is recorded. Fair use's refusal ([limits]) is a
        note to the asker only, like a failure."""
        turn = turn or self.conversations.turn(asked.question, None)
        service = placement.collection.service
        try:
            page, answer_id = await answer_turn(
                service, self.conversations, turn, asked, keys or [], self.question_log, log
            )
        except LimitedError as limited:
            return SlackReply(render_notice(limited.refusal.note), quoted=False, failed=True)
        if page is None:
            return SlackReply(SEARCH_FAILED, quoted=False, failed=True)
        quoted = page.answer.answered and bool(page.answer.quotes)
        return SlackReply(render_page(page, answer_id, share=share and quoted, echo=echo), quoted)

    async def on_vote(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        """👍/👎: acknowledged at once, recorded (one vote per person per answer), thanked privately; a 👎
        opens the optional "what was wrong?" modal when comments are kept."""
        await ack()
        [action] = body.get("actions") or [{}]
        answer_id, user = str(action.get("value") or ""), str((body.get("user") or {}).get("id") or "")
        if self.question_log is None or not answer_id or not user:
            return
        up = action.get("action_id") == VOTE_ACTION_IDS[True]
        self.question_log.vote(answer_id, user, up=up)
        if not up and self.question_log.takes_comments and body.get("trigger_id"):
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(answer_id))
                return
            except SlackApiError as error:
                log.warning("views.open failed: %s", _error_code(error))
            except (ClientError, TimeoutError) as error:
                log.warning("views.open failed: %s", type(error).__name__)
        await self._thank(respond, VOTE_RECORDED[up])

    async def on_feedback(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal's text, stored with the 👎 (closing the modal is the acknowledgement)."""
        await ack()
        user = str((body.get("user") or {}).get("id") or "")
        answer_id = str(view.get("private_metadata") or "")
        if self.question_log is not None and answer_id and user:
            self.question_log.comment(answer_id, user, feedback_comment(view))

    async def _thank(self, respond: AsyncRespond, text: str) -> None:
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        except (ClientError, TimeoutError) as error:
            log.warning("thanking for a vote failed: %s", type(error).__name__)

    async def _tell_privately(
        self,
        client: AsyncWebClient,
        channel: str,
        user: str,
        thread_ts: str | None,
        message: SlackMessage,
    ) -> None:
        """An ephemeral note to the asker where Slack allows it; otherwise the log has to do."""
        if not user:
            return
        try:
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message["blocks"],
            )
        except SlackApiError as error:
            log.warning("chat.postEphemeral to %s failed too: %s", channel, _error_code(error))
        except (ClientError, TimeoutError) as error:
            log.warning("chat.postEphemeral to %s failed too: %s", channel, type(error).__name__)

    async def post_response(self, respond: AsyncRespond, message: SlackMessage, visibility: str) -> None:
        """Posts to the slash command's `response_url`, waiting out a 429's `Retry-After` (bounded)."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = await respond(
                    text=message["text"],
                    blocks=message["blocks"],
                    response_type=visibility,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (ClientError, TimeoutError) as error:
                log.warning("posting to the response_url failed: %s", type(error).__name__)
                return
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                break
            seconds = _retry_after(response.headers)
            metrics.rate_limit_wait("slack", seconds)
            await asyncio.sleep(seconds)
        if response.status_code != 200:
            log.warning("posting to the response_url failed: HTTP %s %s", response.status_code, response.body)


@contextlib.asynccontextmanager
async def _reacting(client: AsyncWebClient, channel: str, ts: str) -> AsyncIterator[None]:
    """👀 on the question while its answer is on its way, taken off once it is answered."""
    await client.reactions_add(channel=channel, timestamp=ts, name=WORKING_ON_IT)
    try:
        yield
    finally:
        await client.reactions_remove(channel=channel, timestamp=ts, name=WORKING_ON_IT)


def slack_help_card(
    service: AnswerService, settings: SlackSettings, about: CorpusAbout, *, public: bool | None = None
) -> HelpCard:
    ways = (
        f"{settings.command} your question — in any channel",
        "@citebot your question — in a channel I'm in; I answer in a thread, and a mention there follows up",
        "A direct message — just the question",
    )
    titles = [document.title for document in service.retriever.documents]
    who_sees = who_sees_answers(settings.command, settings.visibility == "in_channel" if public is None else public)
    return help_card(ways, titles, about.description, about.examples, who_sees)


def _is_direct_message(event: dict[str, Any]) -> bool:
    """`channel_type` says so; DM channel ids start with D should a sender leave it out."""
    channel_type = event.get("channel_type")
    if channel_type is not None:
        return bool(channel_type == "im")
    return str(event.get("channel") or "").startswith("D")


def _error_code(error: SlackApiError) -> str:
    code = error.response.get("error") if error.response is not None else None
    return str(code or "unknown_error")


def _retry_after(headers: dict[str, Any]) -> float:
    """Seconds to wait from a `Retry-After` header (any capitalisation), 1 if absent or unreadable."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return min(max(float(raw), 0.0), LONGEST_RETRY_AFTER_SECONDS)
            except ValueError:
                break
    return 1.0
