"""A local Slack that speaks the real wire protocol, for driving the real slack-bolt app end to end.

It serves the Web API methods citebot uses (`/api/<method>`), slash-command `response_url`s
(`/respond/<n>`) and the Socket Mode WebSocket (`/link/`), records everything the bot sends, and sends
what Slack sends: Socket Mode envelopes, or signed HTTP requests in HTTP mode. Failures (an error code, a
429 with `Retry-After`) are scripted per method.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientSession, WSMsgType, web

BOT_TOKEN = "xoxb-fake-bot-token-0000"
APP_TOKEN = "xapp-fake-app-token-0000"
SIGNING_SECRET = "fake-signing-secret-0000"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0"
HUMAN_USER_ID = "U0HUMAN"
OTHER_USER_ID = "U0OTHER"
CHANNEL_ID = "C0GENERAL"
DM_CHANNEL_ID = "D0HUMAN"
RESPONSE_URL_METHOD = "response_url"
WAIT_SECONDS = 15.0
# How long the bot waits for a /ask answer to send in its acknowledgement. The bot fixtures default to not at all,
# so a test takes the response_url path unless it asks for IN_THE_ACK (this fake has no 3-second deadline).
FOLLOW_UP_ALWAYS = 0.0
IN_THE_ACK = 60.0


@dataclass(frozen=True)
class Sent:
    """One thing the bot sent to Slack: a Web API call or a POST to a response_url."""

    method: str
    body: dict[str, Any]
    token: str | None
    answered: bool  # False when the fake answered with an error or 429

    @property
    def text(self) -> str:
        """Every text the message shows or notifies with: the fallback and all block texts."""
        return "\n".join([str(self.body.get("text") or ""), *block_texts(self.body.get("blocks") or [])])


@dataclass(frozen=True)
class ScriptedReply:
    status: int = 200
    error: str | None = None
    retry_after: float | str | None = None


@dataclass
class FakeSlack:
    bot_token: str
    app_token: str
    signing_secret: str
    sent: list[Sent] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: int = 0
    _scripts: dict[str, deque[ScriptedReply]] = field(default_factory=dict)
    _socket: web.WebSocketResponse | None = None  # the newest connection
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)  # every open one, oldest first
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)  # calls waiting at a hold, by method
    _runner: web.AppRunner | None = None
    _port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._web_api)
        app.router.add_post("/respond/{number}", self._response_url)
        app.router.add_get("/link/", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for gate in self._holds.values():
            gate.set()
        for socket in [*self._sockets]:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- scripting and reading -----------------------------------------------------------------------

    def reply_next(
        self, method: str, *, status: int = 200, error: str | None = None, retry_after: float | str | None = None
    ) -> None:
        """The next call of `method` gets this reply instead of success (queue several for several)."""
        self._scripts.setdefault(method, deque()).append(ScriptedReply(status, error, retry_after))

    def delivered(self, method: str | None = None) -> list[Sent]:
        """What the bot sent that this fake accepted, optionally of one method."""
        return [s for s in self.sent if s.answered and (method is None or s.method == method)]

    def hold(self, method: str) -> None:
        """Calls of `method` wait, unanswered, until `release(method)` (each is listed in `held` meanwhile)."""
        self._holds[method] = asyncio.Event()

    def release(self, method: str) -> None:
        self._holds.pop(method).set()

    def attempts(self, method: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method]

    async def wait_for(self, what: str, predicate: Callable[[], bool]) -> None:
        """Returns once `predicate()` holds; fails the test naming `what` after WAIT_SECONDS."""
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while not predicate():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"fake Slack: timed out waiting for {what}; bot sent {self.sent!r}") from None

    async def wait_for_delivered(self, method: str, count: int = 1) -> list[Sent]:
        await self.wait_for(f"{count} x {method}", lambda: len(self.delivered(method)) >= count)
        return self.delivered(method)

    async def slash_answer(self, ack: dict[str, Any] | None) -> Sent:
        """The answer to a /ask wherever the bot put it: in its acknowledgement (`ack`: the payload it sent back,
        returned as a Sent of method "ack"), or, after an acknowledgement without text, to the response_url."""
        if ack and ack.get("text"):
            return Sent("ack", ack, None, True)
        return (await self.wait_for_delivered(RESPONSE_URL_METHOD))[0]

    # -- Socket Mode ---------------------------------------------------------------------------------

    async def wait_until_connected(self, connections: int = 1) -> None:
        await self.wait_for(f"{connections} Socket Mode connection(s)", lambda: len(self._sockets) >= connections)

    async def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        envelope_id: str | None = None,
        connection: int | None = None,
    ) -> str:
        """Sends an envelope over the WebSocket, as Slack does; the bot must answer with its id. Slack spreads
        envelopes over an app's open connections: `connection` picks one (by age, 0 the oldest), else the
        newest gets it."""
        socket = self._socket if connection is None else self._sockets[connection]
        assert socket is not None, "no Socket Mode connection"
        envelope_id = envelope_id or f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": envelope_type != "events_api",
            "payload": payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        await socket.send_str(json.dumps(envelope))
        return envelope_id

    async def ack_of(self, envelope_id: str) -> dict[str, Any]:
        """The bot's acknowledgement of an envelope: `{"envelope_id"[, "payload"]}`."""
        await self.wait_for(f"the ack of {envelope_id}", lambda: envelope_id in self.acks)
        return self.acks[envelope_id]

    # -- payloads ------------------------------------------------------------------------------------

    def slash_command(self, text: str, *, command: str = "/ask", channel: str = CHANNEL_ID) -> dict[str, str]:
        """A slash command payload (the form fields Slack posts), with a response_url on this fake."""
        number = next(self._ids)
        return {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": HUMAN_USER_ID,
            "user_name": "human",
            "command": command,
            "text": text,
            "api_app_id": "A0CITEBOT",
            "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/respond/{number}",
            "trigger_id": f"{number}.{number}.trigger{number}",
        }

    def event_callback(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """An Events API `event_callback` addressed to the bot."""
        return {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0CITEBOT",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def mention(self, question: str, *, thread_ts: str | None = None, channel: str = CHANNEL_ID) -> dict[str, Any]:
        ts = self._new_ts()
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": HUMAN_USER_ID,
            "text": f"<@{BOT_USER_ID}> {question}",
            "ts": ts,
            "event_ts": ts,
            "channel": channel,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return event

    def direct_message(self, text: str, **extra: Any) -> dict[str, Any]:
        ts = self._new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "user": HUMAN_USER_ID,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel": DM_CHANNEL_ID,
        }
        event.update(extra)
        return event

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    # -- interactivity: what Slack sends when someone clicks a button or submits a modal -----------------

    def block_actions(self, message: Sent, action_id: str, *, user: str = HUMAN_USER_ID) -> dict[str, Any]:
        """The `block_actions` payload for a click on the button `action_id` in a message the bot sent
        (by chat.postMessage, chat.postEphemeral, to a response_url or in a slash command's acknowledgement),
        with a fresh trigger_id and a response_url on this fake. As Slack does, it says whether the message was
        ephemeral and, for a message in a thread, the thread's ts."""
        block, button = next(
            (
                (block, element)
                for block in message.body.get("blocks") or []
                if block.get("type") == "actions"
                for element in block["elements"]
                if element.get("action_id") == action_id
            ),
            ({}, None),
        )
        assert button is not None, f"no button {action_id!r} in {message.body!r}"
        number = next(self._ids)
        channel = message.body.get("channel") or CHANNEL_ID
        ts = self._new_ts()
        ephemeral = message.method == "chat.postEphemeral" or message.body.get("response_type") == "ephemeral"
        shown: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "ts": ts,
            "text": message.body.get("text") or "",
        }
        if message.body.get("thread_ts"):
            shown["thread_ts"] = message.body["thread_ts"]
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0CITEBOT",
            "token": "verification-token-unused",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral},
            "trigger_id": f"{number}.{number}.click{number}",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "general"},
            "message": shown,
            "state": {"values": {}},
            "response_url": f"{self.base_url}/respond/{number}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block["block_id"],
                    "text": button["text"],
                    "value": button.get("value"),
                    "type": "button",
                    "action_ts": ts,
                }
            ],
        }

    def view_submission(self, opened: Sent, values: dict[str, str], *, user: str = HUMAN_USER_ID) -> dict[str, Any]:
        """The `view_submission` payload for a modal the bot opened with views.open, its inputs filled in
        (`values` by block_id; the input's action_id is looked up in the view)."""
        view = opened.body["view"]
        state: dict[str, Any] = {}
        for block in view.get("blocks") or []:
            if block.get("type") == "input" and block["block_id"] in values:
                element = block["element"]
                state[block["block_id"]] = {
                    element["action_id"]: {"type": element["type"], "value": values[block["block_id"]]}
                }
        number = next(self._ids)
        return {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0CITEBOT",
            "token": "verification-token-unused",
            "trigger_id": f"{number}.{number}.submit{number}",
            "view": {
                **view,
                "id": f"V{number:08d}",
                "team_id": TEAM_ID,
                "state": {"values": state},
                "hash": f"{number}.hash",
                "app_id": "A0CITEBOT",
                "bot_id": BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    # -- HTTP mode -----------------------------------------------------------------------------------

    def signature(self, timestamp: str, body: str, secret: str | None = None) -> str:
        key = (secret or self.signing_secret).encode()
        digest = hmac.new(key, f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
        return f"v0={digest}"

    async def post_to_bot(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        form: bool = False,
        timestamp: int | None = None,
        signature: str | None = None,
        secret: str | None = None,
        signed: bool = True,
        retry_num: int | None = None,
    ) -> tuple[int, str, str]:
        """POSTs to the bot as Slack does: slash commands form-encoded, events JSON, signed with the signing
        secret (or `secret`) unless `signed` is False or a `signature` is given. Returns (status, content
        type, body)."""
        body = urlencode(payload) if form else json.dumps(payload)
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
        if signed:
            headers["X-Slack-Request-Timestamp"] = stamp
            headers["X-Slack-Signature"] = signature or self.signature(stamp, body, secret)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with (
            ClientSession() as session,
            session.post(url, data=body.encode(), headers=headers) as response,
        ):
            return response.status, response.content_type, await response.text()

    # -- handlers ------------------------------------------------------------------------------------

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        gate = self._holds.get(method)
        if gate is not None:
            self.held.append(method)
            self._changed.set()
            await gate.wait()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or None
        if request.content_type == "application/json":
            body: dict[str, Any] = await request.json()
        else:
            body = dict(await request.post())
        body.update(request.query)
        if isinstance(body.get("view"), str):  # slack_sdk sends views as JSON text inside the form
            body["view"] = json.loads(body["view"])
        token = token or body.get("token")
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            return self._record(method, body, token, web.json_response({"ok": False, "error": "invalid_auth"}))
        scripted = self._next_script(method)
        if scripted is not None:
            return self._record(method, body, token, scripted)
        return self._record(method, body, token, web.json_response(self._success(method, body)), answered=True)

    def _success(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "citebot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self._port}/link/?ticket=t{next(self._ids)}"}
        if method == "chat.postMessage":
            ts = self._new_ts()
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {**body, "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._new_ts()}
        if method == "views.publish":
            return {"ok": True, "view": {**body["view"], "id": f"V{next(self._ids):08d}"}}
        if method in ("reactions.add", "reactions.remove"):
            return {"ok": True}
        if method == "views.open":
            return {"ok": True, "view": {**body["view"], "id": f"V{next(self._ids):08d}"}}
        return {"ok": False, "error": "unknown_method"}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_response_url"] = str(request.url)
        scripted = self._next_script(RESPONSE_URL_METHOD)
        if scripted is not None:
            return self._record(RESPONSE_URL_METHOD, body, None, scripted)
        return self._record(RESPONSE_URL_METHOD, body, None, web.Response(text="ok"), answered=True)

    def _next_script(self, method: str) -> web.Response | None:
        queue = self._scripts.get(method)
        if not queue:
            return None
        reply = queue.popleft()
        headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
        if reply.status == 429:
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        return web.json_response({"ok": False, "error": reply.error}, status=reply.status, headers=headers)

    def _record(
        self,
        method: str,
        body: dict[str, Any],
        token: str | None,
        response: web.Response,
        answered: bool = False,
    ) -> web.Response:
        self.sent.append(Sent(method, body, token, answered))
        self._changed.set()
        return response

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.connections += 1
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0CITEBOT"},
            }
        )
        self._socket = socket
        self._sockets.append(socket)
        self._changed.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                self.acks[ack["envelope_id"]] = ack
                self._changed.set()
        self._sockets.remove(socket)
        if self._socket is socket:
            self._socket = self._sockets[-1] if self._sockets else None
        self._changed.set()
        return socket


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """All texts in a list of blocks (section texts, context elements, button labels)."""
    texts: list[str] = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:  # a context's mrkdwn text, or a button's plain_text object
                texts.append(element["text"]["text"] if isinstance(element["text"], dict) else element["text"])
    return texts


def block_kit_problems(body: dict[str, Any]) -> list[str]:
    """Every way a message body breaks Slack's limits or fails slack_sdk's Block Kit models (empty when valid)."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    problems: list[str] = []
    blocks = body.get("blocks") or []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} > 50 blocks")
    if len(str(body.get("text") or "")) > 40_000:
        problems.append("text over 40,000 characters")
    for number, raw in enumerate(blocks, 1):
        block = Block.parse(raw)
        if block is None:
            problems.append(f"block {number} is not a Block Kit block: {raw!r}")
            continue
        try:
            block.validate_json()
        except SlackObjectFormationError as error:
            problems.append(f"block {number}: {error}")
        if block.to_dict() != raw:
            problems.append(f"block {number} has fields Block Kit does not know: {raw!r}")
    return problems


def pings(body: dict[str, Any]) -> list[str]:
    """Every Slack ping a message's texts could make: @here/@channel/@everyone, a user group or a user."""
    import re

    return re.findall(r"<!(?:here|channel|everyone|subteam)[^>]*>|<@[UW][A-Z0-9]+>", Sent("", body, None, True).text)
