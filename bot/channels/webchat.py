"""The website chat widget's channel: Rasa's socket.io channel, locked down, plus
the demo page and the widget's files.

Differences from Rasa's SocketIOInput, and why:
- the socket.io origins are limited to `allowed_origins` (Rasa's accepts any);
- the conversation id is the one the server confirmed for this socket, never the
  id a client puts in a message, so nobody can write into someone else's chat;
- messages are capped at `max_message_characters` and socket.io packets at 64 KB;
- the page and files are served with a Content-Security-Policy without inline
  script, no caching, no referrer, and no framing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.knowledge import load_knowledge
from bot.store.tracker_store import ConversationStoreUnavailable

logger = logging.getLogger(__name__)

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_PACKET_BYTES = 64 * 1024
# The files the widget needs; nothing else under web/dist is served.
STATIC_FILES = {
    "widget.js": "application/javascript",
    "widget.css": "text/css",
}
PAGES = {"": "index.html", "safety": "safety.html", "neutral": "neutral.html"}
# Per conversation: at most this many messages in this many seconds.
RATE_LIMIT = (20, 60.0)
SLOW_DOWN_MESSAGE = (
    "You're sending messages very quickly, so I've paused for a moment. "
    "If you are in danger, call {emergency}."
)
# When the action server does not answer its health check, the bot can still give
# its plain responses (the emergency advice among them) but not much else: say so.
ACTION_SERVER_TROUBLE = (
    "I'm having some trouble at the moment, so I can only give basic answers. "
    "If you are in danger, call {emergency}."
)
HEALTH_TIMEOUT_SECONDS = 1.0
# Sent when the bot itself fails (model, store, anything): written here, not in the
# domain, because it must not depend on any part of the bot that may have failed.
TROUBLE_MESSAGE = (
    "Sorry, the chat is having trouble right now. If you are in danger, call {emergency}. "
    "If you can't speak, call {emergency} from a mobile and press {silent} when asked."
)


def emergency_numbers() -> Tuple[str, str]:
    """The emergency number and the Silent Solution code, from the knowledge file."""
    knowledge = load_knowledge()
    return knowledge.service("999").phone or "", knowledge.service("silent_solution").silent_code or ""


def emergency_message(template: str) -> str:
    """A fixed message with the emergency numbers filled in."""
    emergency, silent = emergency_numbers()
    return template.format(emergency=emergency, silent=silent)


def _origins(value: Any) -> List[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [origin.strip().rstrip("/") for origin in value or [] if origin.strip()]


def security_headers(request: Request) -> Dict[str, str]:
    host = request.host
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
    }


def services_for_widget() -> List[Dict[str, Any]]:
    """The numbers the widget turns into tap-to-call links (from the knowledge file)."""
    return [
        {
            "id": service.id,
            "phone": service.phone,
            "textphone": service.textphone,
            "emergency": "danger" in service.offer_when,
            "silent_code": service.silent_code,
        }
        for service in load_knowledge().services.values()
        if service.phone
    ]


class CountingOutput(SocketIOOutput):
    """Rasa's socket.io output, counting what it sends, so silence can be noticed."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            allowed_origins=_origins(
                os.environ.get("WEBCHAT_ALLOWED_ORIGINS") or credentials.get("allowed_origins")
            ),
            max_message_characters=int(credentials.get("max_message_characters", 10_000)),
            exit_url=os.environ.get("WEBCHAT_EXIT_URL") or credentials.get("exit_url", ""),
        )

    def __init__(self, allowed_origins: List[str], max_message_characters: int, exit_url: str) -> None:
        super().__init__(session_persistence=True)
        self.allowed_origins = allowed_origins
        self.max_message_characters = max_message_characters
        self.exit_url = exit_url
        self._recent: Dict[str, deque] = defaultdict(deque)

    def allow(self, session_id: str, now: Optional[float] = None) -> bool:
        """Sliding-window rate limit per conversation (RATE_LIMIT)."""
        limit, window = RATE_LIMIT
        now = time.monotonic() if now is None else now
        recent = self._recent[session_id]
        while recent and now - recent[0] > window:
            recent.popleft()
        if len(recent) >= limit:
            return False
        recent.append(now)
        return True

    def page_values(self) -> Dict[str, str]:
        """What the pages show, the emergency numbers from the knowledge file."""
        emergency, silent = emergency_numbers()
        return {
            "EXIT_URL": self.exit_url,
            "MAX_CHARACTERS": str(self.max_message_characters),
            "EMERGENCY_NUMBER": emergency,
            "EMERGENCY_DIGITS": re.sub(r"\D", "", emergency),
            "SILENT_CODE": silent,
        }

    async def action_server_down(self) -> bool:
        """True when the action server (ACTION_SERVER_URL, or ACTION_PORT on loopback)
        does not answer its health check."""
        url = os.environ.get("ACTION_SERVER_URL") or (
            f"http://127.0.0.1:{os.environ['ACTION_PORT']}/webhook" if os.environ.get("ACTION_PORT") else ""
        )
        if not url:
            return False
        health = url.rsplit("/", 1)[0] + "/health"
        try:
            timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(health) as answer:
                return answer.status != 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.allowed_origins,
            max_http_buffer_size=MAX_PACKET_BYTES,
        )
        self.sio = sio
        webchat = SocketBlueprint(sio, self.socketio_path, "webchat", __name__)

        @webchat.route("/health", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webchat.route("/services.json", methods=["GET"])
        async def services(request: Request) -> HTTPResponse:
            return response.json(services_for_widget(), headers=security_headers(request))

        @webchat.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES or not (WEB_DIST / name).is_file():
                return response.text("Not found", status=404)
            body = (WEB_DIST / name).read_bytes()
            return response.raw(body, content_type=STATIC_FILES[name], headers=security_headers(request))

        @webchat.route("/", methods=["GET"])
        @webchat.route("/<page>", methods=["GET"])
        async def page(request: Request, page: str = "") -> HTTPResponse:
            if not page and not request.path.endswith("/"):
                # The pages link relatively ("static/widget.js"), so the index needs its slash.
                return response.redirect(request.path + "/")
            name = PAGES.get(page)
            if name is None or not (WEB_DIST / name).is_file():
                return response.text("Not found", status=404)
            text = (WEB_DIST / name).read_text(encoding="utf-8")
            for key, value in self.page_values().items():
                text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
            return response.html(text, headers=security_headers(request))

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = (
                requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            )
            await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=self.namespace)
            text = data.get("message") if isinstance(data, dict) else None
            if not session.get("session_id") or not isinstance(text, str):
                logger.warning("webchat: refused a message without a confirmed session or text")
                return
            if not self.allow(session["session_id"]):
                await sio.emit(self.bot_message_evt, {"text": emergency_message(SLOW_DOWN_MESSAGE)}, room=sid)
                return
            output = CountingOutput(sio, self.bot_message_evt)
            message = UserMessage(
                text[: self.max_message_characters],
                output,
                session["session_id"],
                input_channel=self.name(),
                metadata={"channel": self.name()},
            )
            try:
                await on_new_message(message)
            except (Exception, ConversationStoreUnavailable):
                # Log loudly (without the person's words) and still give the emergency numbers.
                logger.exception("webchat: the bot failed to handle a message")
                output.sent = 0
            if output.sent and await self.action_server_down():
                logger.error("webchat: the action server is not answering; only plain responses work")
                await sio.emit(
                    self.bot_message_evt, {"text": emergency_message(ACTION_SERVER_TROUBLE)}, room=sid
                )
            if output.sent == 0:
                # Never silence: a failed turn, or one whose custom actions could not run
                # (action server down), still gets an answer with the emergency numbers.
                await sio.emit(self.bot_message_evt, {"text": emergency_message(TROUBLE_MESSAGE)}, room=sid)

        return webchat
