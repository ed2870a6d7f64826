"""A local Discord for one bot: REST under /api/v10 and the gateway WebSocket, speaking the real protocol.

The bot under test is the real discord.py talking to this server over TCP on 127.0.0.1; nothing of discord.py
is mocked. The fake keeps one guild with three text channels (one where the bot may not post), two human users,
one other bot, and a DM channel. Tests drive it with `slash_ask`, `post_message`, `click`, `submit_modal`,
`send_reconnect` and read what the bot did from `requests` (every REST call, with its JSON body) via
`wait_for_request`, and the messages it created (with their ids and components) from `messages`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]

API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41_250
WAIT_TIMEOUT = 10.0  # seconds; every wait in the tests is bounded
RECHECK_SECONDS = 0.02

GUILD_ID = 900_000_000_000_000_001
CHANNEL_ID = 900_000_000_000_000_010
FORBIDDEN_CHANNEL_ID = 900_000_000_000_000_011
THREAD_PARENT_ID = 900_000_000_000_000_012
DM_CHANNEL_ID = 900_000_000_000_000_020
BOT_ID = 900_000_000_000_000_100
APPLICATION_ID = BOT_ID  # as for every modern Discord bot
BOT_ROLE_ID = 900_000_000_000_000_200
USER_ID = 900_000_000_000_000_300
OTHER_BOT_ID = 900_000_000_000_000_400
OTHER_USER_ID = 900_000_000_000_000_500
TIMESTAMP = "2025-01-27T12:00:00.000000+00:00"

BOT_USER: JSON = {
    "id": str(BOT_ID),
    "username": "citebot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "flags": 0,
    "mfa_enabled": False,
    "verified": True,
}
HUMAN_USER: JSON = {
    "id": str(USER_ID),
    "username": "ada",
    "discriminator": "0",
    "global_name": "Ada",
    "avatar": None,
}
OTHER_USER: JSON = {
    "id": str(OTHER_USER_ID),
    "username": "grace",
    "discriminator": "0",
    "global_name": "Grace",
    "avatar": None,
}
OTHER_BOT_USER: JSON = {
    "id": str(OTHER_BOT_ID),
    "username": "otherbot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
EVERYONE_PERMISSIONS = str(
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 38)
)  # view, send, embed links, read history, send in threads


@dataclass
class RecordedRequest:
    """One REST call the bot made: path is relative to /api/v10, body is the parsed JSON (or None)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(repr=False)


class FakeDiscord:
    """Discord's REST API and gateway on 127.0.0.1, for one bot with `token`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.identify_payloads: list[JSON] = []
        self.resume_payloads: list[JSON] = []
        self.forbidden_channels = {FORBIDDEN_CHANNEL_ID}
        self.dms_closed = False  # the human allows no DMs from the bot (Discord's 50007)
        self.messages: list[JSON] = []  # every message the bot created, as Discord stored it
        self._responded: set[int] = set()  # interactions already given their one callback
        self.session_id = "fake-session-1"
        self._ids = itertools.count(910_000_000_000_000_000)
        self._sequence = 0
        self._socket: web.WebSocketResponse | None = None
        self.refusing_gateway = False  # an outage: new gateway connections are refused (HTTP 503)
        self._holds: dict[tuple[str, str], asyncio.Event] = {}  # (method, path suffix) -> gate
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for gate in self._holds.values():
            gate.set()
        if self._socket is not None and not self._socket.closed:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> int:
        return next(self._ids)

    # ---- what tests wait for -----------------------------------------------------------------------------

    async def wait_until(self, condition: Callable[[], Any], seconds: float = WAIT_TIMEOUT) -> Any:
        """Wait (bounded) until `condition()` is truthy; returns its value. Re-checked whenever the fake sees
        traffic and every few milliseconds, so conditions on other things (captured logs) work too."""
        async with asyncio.timeout(seconds), self._changed:
            while not (value := condition()):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), RECHECK_SECONDS)
            return value

    async def wait_for_request(
        self, matches: Callable[[RecordedRequest], bool], seconds: float = WAIT_TIMEOUT
    ) -> RecordedRequest:
        """The first REST call (already made or still to come) for which `matches` is true."""
        found: RecordedRequest = await self.wait_until(
            lambda: next((r for r in self.requests if matches(r)), None), seconds
        )
        return found

    async def responses_to(self, interaction: dict[str, object], count: int) -> list[RecordedRequest]:
        """The first `count` REST calls that answer this interaction (callback, follow-ups, edits)."""
        token = str(interaction["token"])

        def answered() -> list[RecordedRequest] | None:
            found = [r for r in self.requests if token in r.path]
            return found[:count] if len(found) >= count else None

        responses: list[RecordedRequest] = await self.wait_until(answered)
        return responses

    def calls(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- driving the bot ---------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a DISPATCH (op 0) on the current gateway connection."""
        await self.wait_until(lambda: self._socket is not None and not self._socket.closed)
        assert self._socket is not None
        self._sequence += 1
        await self._socket.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    async def slash_ask(
        self,
        question: str,
        private: bool | None = None,
        *,
        in_dm: bool = False,
        channel_id: int = CHANNEL_ID,
        user: JSON = HUMAN_USER,
    ) -> JSON:
        """A user runs `/ask question:<question> [private:<bool>]` (in the guild channel `channel_id`, or in the
        DM); returns the INTERACTION_CREATE payload."""
        options: list[JSON] = [{"name": "question", "type": 3, "value": question}]
        if private is not None:
            options.append({"name": "private", "type": 5, "value": private})
        return await self.slash_command("ask", options, in_dm=in_dm, channel_id=channel_id, user=user)

    async def slash_command(
        self,
        name: str,
        options: list[JSON],
        *,
        in_dm: bool = False,
        channel_id: int = CHANNEL_ID,
        user: JSON = HUMAN_USER,
    ) -> JSON:
        """A user runs `/<name>` with these options; returns the INTERACTION_CREATE payload."""
        interaction = self._interaction(2, user, DM_CHANNEL_ID if in_dm else channel_id, None)
        interaction["data"] = {"id": str(self.new_id()), "name": name, "type": 1, "options": options}
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    async def post_message(
        self, content: str, *, channel_id: int = CHANNEL_ID, author: JSON = HUMAN_USER, reply_to: JSON | None = None
    ) -> JSON:
        """A user posts `content`; mentions are derived from it as Discord does. Without the message_content
        intent a guild message carries its text only if it mentions the bot (DMs always do). `reply_to`: a
        message (from `messages`) this one is a Reply to, with the reply ping on (Discord's default), so a Reply
        to the bot mentions it."""
        in_dm = channel_id == DM_CHANNEL_ID
        replies_to_bot = reply_to is not None and reply_to["author"]["id"] == str(BOT_ID)
        mentions_bot = bool(re.search(rf"<@!?{BOT_ID}>", content)) or replies_to_bot
        mentions_role = f"<@&{BOT_ROLE_ID}>" in content
        visible = in_dm or mentions_bot or mentions_role
        message = self._message(channel_id, author, content if visible else "", in_dm=in_dm, mention_bot=mentions_bot)
        message["mention_roles"] = [str(BOT_ROLE_ID)] if mentions_role else []
        message["mention_everyone"] = "@everyone" in content or "@here" in content
        if reply_to is not None:
            message |= {
                "type": 19,
                "message_reference": {
                    "type": 0,
                    "message_id": reply_to["id"],
                    "channel_id": reply_to["channel_id"],
                    "guild_id": str(GUILD_ID),
                },
                "referenced_message": reply_to,
            }
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def click(
        self, message: JSON, custom_id: str, *, user: JSON = HUMAN_USER, interaction_id: int | None = None
    ) -> JSON:
        """A user clicks the button `custom_id` on a message the bot created (from `messages`): a
        MESSAGE_COMPONENT interaction carrying the message. Pass an earlier `interaction_id` to deliver the
        same click again."""
        assert any(
            component.get("custom_id") == custom_id
            for row in message.get("components") or []
            for component in row.get("components") or []
        ), f"no button {custom_id!r} on {message!r}"
        interaction = self._interaction(3, user, int(message["channel_id"]), interaction_id)
        interaction |= {"data": {"custom_id": custom_id, "component_type": 2}, "message": message}
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    async def submit_modal(self, modal: JSON, values: dict[str, str], *, user: JSON = HUMAN_USER) -> JSON:
        """A user fills in and sends a modal the bot opened (the `data` of its type 9 callback): a
        MODAL_SUBMIT interaction whose components mirror the modal's, text inputs (by custom_id) filled in."""

        def filled(component: JSON) -> JSON:
            if component.get("type") == 4:
                return {"type": 4, "custom_id": component["custom_id"], "value": values.get(component["custom_id"], "")}
            if "component" in component:  # a label (type 18) wraps one component
                return {"type": component["type"], "component": filled(component["component"])}
            return {"type": component["type"], "components": [filled(c) for c in component.get("components") or []]}

        interaction = self._interaction(5, user, CHANNEL_ID, None)
        interaction["data"] = {"custom_id": modal["custom_id"], "components": [filled(c) for c in modal["components"]]}
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    def _interaction(self, kind: int, user: JSON, channel_id: int, interaction_id: int | None) -> JSON:
        interaction: JSON = {
            "id": str(interaction_id or self.new_id()),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": f"interaction-token-{self.new_id()}",
            "version": 1,
            "attachment_size_limit": 8 * 1024 * 1024,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": EVERYONE_PERMISSIONS,
        }
        if channel_id == DM_CHANNEL_ID:
            return interaction | {
                "channel_id": str(DM_CHANNEL_ID),
                "channel": {"id": str(DM_CHANNEL_ID), "type": 1},
                "user": user,
                "context": 1,
                "authorizing_integration_owners": {"1": str(user["id"])},
            }
        return interaction | {
            "guild_id": str(GUILD_ID),
            "guild_locale": "en-US",
            "channel_id": str(channel_id),
            "channel": self._text_channel(channel_id, "general"),
            "member": self._member(user) | {"permissions": EVERYONE_PERMISSIONS},
            "context": 0,
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }

    async def send_reconnect(self) -> None:
        """Op 7 RECONNECT: the client must drop this connection, reconnect and RESUME."""
        await self.wait_until(lambda: self._socket is not None and not self._socket.closed)
        assert self._socket is not None
        await self._socket.send_str(json.dumps({"op": 7, "d": None}))

    async def drop_gateway(self, *, refuse_reconnects: bool) -> None:
        """Closes the gateway connection as an outage would (close code 4000: the client may reconnect and
        RESUME); with `refuse_reconnects`, every new connection is refused until `accept_gateway`."""
        await self.wait_until(lambda: self._socket is not None and not self._socket.closed)
        assert self._socket is not None
        self.refusing_gateway = refuse_reconnects
        await self._socket.close(code=4000, message=b"fake outage")

    def accept_gateway(self) -> None:
        self.refusing_gateway = False

    def hold(self, method: str, path_suffix: str) -> None:
        """REST calls of `method` on a path ending in `path_suffix` wait, recorded but unanswered, until
        `release` with the same arguments."""
        self._holds[(method, path_suffix)] = asyncio.Event()

    def release(self, method: str, path_suffix: str) -> None:
        self._holds.pop((method, path_suffix)).set()

    # ---- REST ------------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        self.requests.append(RecordedRequest(request.method, path, dict(request.query), body, dict(request.headers)))
        await self._notify()
        gate = next((g for (m, end), g in self._holds.items() if m == request.method and path.endswith(end)), None)
        if gate is not None:
            await gate.wait()
        try:
            return await self._route(request, path, body)
        finally:
            await self._notify()

    async def _route(self, request: web.Request, path: str, body: Any) -> web.StreamResponse:
        method, parts = request.method, path.strip("/").split("/")
        is_interaction_call = parts[0] in ("interactions", "webhooks")
        if not is_interaction_call and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if method == "GET" and path == "/users/@me":
            return _json(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._application())
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return _json([self._registered(command) for command in body])
        if method == "POST" and path == "/users/@me/channels":  # open (or find) the DM channel with a user
            assert body["recipient_id"] in (USER_ID, str(USER_ID)), "the bot may only DM the asker"
            return _json({"id": str(DM_CHANNEL_ID), "type": 1, "last_message_id": None, "recipients": [HUMAN_USER]})
        if method == "POST" and parts[0] == "channels" and parts[-1] == "typing":
            return web.Response(status=204)
        if method == "PUT" and parts[0] == "channels" and parts[4:5] == ["reactions"] and parts[-1] == "@me":
            return web.Response(status=204)
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            channel_id = int(parts[1])
            if channel_id in self.forbidden_channels:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            if channel_id == DM_CHANNEL_ID and self.dms_closed:
                return _json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
            sent = self._message(channel_id, BOT_USER, body.get("content") or "", in_dm=channel_id == DM_CHANNEL_ID)
            sent |= {"embeds": body.get("embeds") or [], "components": body.get("components") or []}
            self.messages.append(sent)
            if "message_reference" in body:
                sent["message_reference"] = body["message_reference"] | {"type": 0}
            asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_CREATE", sent))  # Discord echoes it
            return _json(sent)
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            interaction_id = int(parts[1])
            if interaction_id in self._responded:
                return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
            self._responded.add(interaction_id)
            return _json(self._callback_response(interaction_id, body))
        if method == "POST" and parts[0] == "webhooks" and len(parts) == 3:
            followup = self._message(CHANNEL_ID, BOT_USER, body.get("content") or "")
            followup |= {"embeds": body.get("embeds") or [], "components": body.get("components") or []}
            self.messages.append(followup)
            if request.query.get("wait") in ("1", "true", "True"):
                return _json(followup)
            return web.Response(status=204)
        if method == "DELETE" and parts[0] == "webhooks" and parts[-1] == "@original":
            return web.Response(status=204)
        if method == "PATCH" and parts[0] == "webhooks" and parts[-1] == "@original":
            return _json(self._message(CHANNEL_ID, BOT_USER, body.get("content") or ""))
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _application(self) -> JSON:
        return {
            "id": str(APPLICATION_ID),
            "name": "citebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": HUMAN_USER,
            "verify_key": "0" * 64,
            "flags": 0,
            "interactions_endpoint_url": None,
        }

    def _registered(self, command: JSON) -> JSON:
        return command | {"id": str(self.new_id()), "application_id": str(APPLICATION_ID), "version": "1"}

    def _callback_response(self, interaction_id: int, body: JSON) -> JSON:
        response_type = body["type"]
        flags = (body.get("data") or {}).get("flags", 0)
        data = body.get("data") or {}
        message = self._message(CHANNEL_ID, BOT_USER, data.get("content") or "")
        message |= {"flags": flags, "embeds": data.get("embeds") or [], "components": data.get("components") or []}
        if response_type == 4:
            self.messages.append(message)
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_id": message["id"],
                "response_message_loading": response_type == 5,
                "response_message_ephemeral": bool(flags & 64),
            },
            "resource": {"type": response_type, "message": message},
        }

    # ---- gateway ---------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.refusing_gateway:
            return web.Response(status=503, text="fake outage")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await self._notify()
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self._identify(socket, data)
            elif op == 6:
                await self._resume(socket, data)
        await self._notify()
        return socket

    async def _identify(self, socket: web.WebSocketResponse, data: JSON) -> None:
        if data.get("token") != self.token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        self._sequence = 0
        await self.dispatch("READY", self._ready())
        await self.dispatch("GUILD_CREATE", self._guild())
        self.identify_payloads.append(data)
        await self._notify()

    async def _resume(self, socket: web.WebSocketResponse, data: JSON) -> None:
        if data.get("token") != self.token or data.get("session_id") != self.session_id:
            await socket.send_str(json.dumps({"op": 9, "d": False}))
            return
        await self.dispatch("RESUMED", {})
        self.resume_payloads.append(data)
        await self._notify()

    def _ready(self) -> JSON:
        return {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": self.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APPLICATION_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }

    def _guild(self) -> JSON:
        deny_send = {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(1 << 11)}
        return {
            "id": str(GUILD_ID),
            "name": "Citebot test guild",
            "icon": None,
            "owner_id": str(USER_ID),
            "unavailable": False,
            "large": False,
            "member_count": 3,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "afk_timeout": 300,
            "joined_at": TIMESTAMP,
            "roles": [
                {"id": str(GUILD_ID), "name": "@everyone", "permissions": EVERYONE_PERMISSIONS, "position": 0}
                | _role_defaults(),
                {
                    "id": str(BOT_ROLE_ID),
                    "name": "citebot",
                    "permissions": EVERYONE_PERMISSIONS,
                    "position": 1,
                    "managed": True,
                    "tags": {"bot_id": str(BOT_ID)},
                }
                | {k: v for k, v in _role_defaults().items() if k != "managed"},
            ],
            "channels": [
                self._text_channel(CHANNEL_ID, "general"),
                self._text_channel(FORBIDDEN_CHANNEL_ID, "announcements", overwrites=[deny_send]),
                self._text_channel(THREAD_PARENT_ID, "questions"),
            ],
            "threads": [],
            "members": [
                self._member(BOT_USER) | {"roles": [str(BOT_ROLE_ID)]},
                self._member(HUMAN_USER),
                self._member(OTHER_BOT_USER),
            ],
            "voice_states": [],
            "presences": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    # ---- payload shapes --------------------------------------------------------------------------------

    @staticmethod
    def _text_channel(channel_id: int, name: str, overwrites: list[JSON] | None = None) -> JSON:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": name,
            "position": 0,
            "permission_overwrites": overwrites or [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    @staticmethod
    def _member(user: JSON) -> JSON:
        return {"user": user, "roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0}

    def _message(
        self, channel_id: int, author: JSON, content: str, *, in_dm: bool = False, mention_bot: bool = False
    ) -> JSON:
        message: JSON = {
            "id": str(self.new_id()),
            "channel_id": str(channel_id),
            "type": 0,
            "author": author,
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "flags": 0,
        }
        if not in_dm:
            member = {k: v for k, v in self._member(author).items() if k != "user"}
            message |= {"guild_id": str(GUILD_ID), "member": member}
        if mention_bot:
            bot_member = {k: v for k, v in self._member(BOT_USER).items() if k != "user"}
            message["mentions"] = [BOT_USER | ({} if in_dm else {"member": bot_member})]
        return message


def _role_defaults() -> JSON:
    return {"color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0, "icon": None}


def _json(data: Any, status: int = 200) -> web.Response:
    """Exactly `application/json`: discord.py treats anything else (even with '; charset=utf-8') as text."""
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


# ---- reading what the bot sent -------------------------------------------------------------------------


def sent_message(request: RecordedRequest) -> JSON:
    """The message a REST call carries (an interaction callback wraps it in `data`)."""
    body = request.body or {}
    message: JSON = (body.get("data") or {}) if request.path.endswith("/callback") else body
    return message


def message_text(message: JSON) -> str:
    """All the text a reader sees in a message: content and every embed part."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{field['name']}\n{field['value']}" for field in embed.get("fields") or []]
        parts += [
            (embed.get("footer") or {}).get("text") or "",
            (embed.get("author") or {}).get("name") or "",
        ]
    return "\n".join(part for part in parts if part)


def limit_violations(message: JSON) -> list[str]:
    """Every way `message` breaks Discord's documented message and embed limits (empty when it fits)."""
    problems: list[str] = []
    content = message.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content has {len(content)} > 2000 characters")
    embeds = message.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} > 10 embeds")
    if not content and not embeds:
        problems.append("neither content nor embeds")
    total = 0
    for number, embed in enumerate(embeds, 1):
        fields = embed.get("fields") or []
        sized = [
            ("title", embed.get("title") or "", 256),
            ("description", embed.get("description") or "", 4096),
            ("footer", (embed.get("footer") or {}).get("text") or "", 2048),
            ("author", (embed.get("author") or {}).get("name") or "", 256),
        ]
        sized += [(f"field {i} name", f["name"], 256) for i, f in enumerate(fields, 1)]
        sized += [(f"field {i} value", f["value"], 1024) for i, f in enumerate(fields, 1)]
        for part, text, limit in sized:
            if len(text) > limit:
                problems.append(f"embed {number} {part} has {len(text)} > {limit} characters")
        if len(fields) > 25:
            problems.append(f"embed {number} has {len(fields)} > 25 fields")
        total += sum(len(text) for _, text, _ in sized)
    if total > 6000:
        problems.append(f"embeds hold {total} > 6000 characters in total")
    return problems


def parses_no_mentions(message: JSON) -> bool:
    """allowed_mentions present and allowing nothing: no @everyone/@here, role, user or reply ping."""
    allowed = message.get("allowed_mentions")
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user", False)
    )


def pings_at_most_the_asker(message: JSON, *, reply: bool) -> bool:
    """allowed_mentions allows no @everyone/@here, role or user ping; only a reply may ping its asker."""
    allowed = message.get("allowed_mentions")
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and allowed.get("replied_user", False) is reply
    )


def shown_text(markdown: str) -> str:
    """What Discord displays for the inline markdown citebot writes: bold markers dropped, backslash escapes
    resolved, and the zero-width space that defuses a mention removed. A reader for our output only."""
    shown: list[str] = []
    index = 0
    while index < len(markdown):
        char, following = markdown[index], markdown[index + 1 : index + 2]
        if char == "\\" and following and not following.isalnum() and not following.isspace():
            shown.append(following)
            index += 2
        elif markdown.startswith("**", index):
            index += 2
        else:
            shown.append(char)
            index += 1
    return "".join(shown).replace("@\u200b", "@")


def shown_quotes(markdown: str) -> list[str]:
    """The text of each block quote ('> ' lines) in `markdown`, as Discord shows it."""
    blocks: list[list[str]] = []
    previous_was_quote = False
    for line in markdown.split("\n"):
        is_quote = line.startswith("> ")
        if is_quote and not previous_was_quote:
            blocks.append([])
        if is_quote:
            blocks[-1].append(shown_text(line[2:]))
        previous_was_quote = is_quote
    return ["\n".join(block) for block in blocks]
