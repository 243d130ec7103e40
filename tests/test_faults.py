"""Faults and hostile input against the real running bot: a restarted Rasa server
resumes the conversation, and malformed, oversized or injection input is refused
cleanly (checked in the stored events, not just the HTTP status)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator, List

import pytest

from tests.servers import RasaServer, action_port


@pytest.fixture(scope="module")
def server(model_path, action_server, tmp_path_factory) -> Iterator[RasaServer]:
    folder = tmp_path_factory.mktemp("faults")
    env = {"ACTION_PORT": action_port(action_server), "TRACKER_DB": str(folder / "conversations.db")}
    server = RasaServer(model_path, folder, env, rest=True).start()
    yield server
    server.stop()


def test_a_restarted_server_resumes_the_conversation_where_it_was(server):
    server.say("resume", "hi")
    server.say("resume", "yes")
    replies = server.say("resume", "he keeps sending me flowers")
    assert any("don't want" in r for r in replies), replies  # the unwanted question is open
    before = len(server.stored("resume"))
    server.stop()
    server.start()
    replies = server.say("resume", "yes")
    assert not any("not the police" in r for r in replies), "not a new conversation"
    assert any("beyond normal interest" in r for r in replies), "the next FOUR question follows"
    assert len(server.stored("resume")) > before


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE events; --",
        "<script>alert(1)</script>",
        "Robert'); UPDATE events SET data='x' WHERE ('1'='1",
    ],
)
def test_injection_attempts_are_answered_and_stored_only_as_inert_text(server, text):
    sender = f"inject-{abs(hash(text))}"
    replies = server.say(sender, text)
    assert replies and all("Traceback" not in r for r in replies)
    rows = server.stored(sender)
    user = [json.loads(data) for kind, data in rows if kind == "user"]
    assert user and user[0]["text"] == text, "kept as a JSON string value, never as SQL or markup"
    assert server.stored("resume"), "other conversations are intact"


def http_status(request: urllib.request.Request) -> int:
    try:
        return urllib.request.urlopen(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\xfa invalid utf-8", b"x" * 1_000_000],
    ids=["malformed-json", "invalid-utf8", "1MB"],
)
def test_malformed_and_oversized_requests_are_refused_cleanly(server, body):
    request = urllib.request.Request(
        f"{server.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    assert http_status(request) in (400, 413)
    assert urllib.request.urlopen(f"{server.url}/webhooks/webchat/health", timeout=10).status == 200


async def test_the_socket_refuses_bad_packets_and_keeps_serving(server):
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    replies: List[dict] = []
    client.on("bot_uttered", lambda data: replies.append(data))
    await client.connect(server.url, headers={"Origin": server.url}, transports=["polling"])
    await client.emit("session_request", {"session_id": "../../etc/passwd"})
    for bad in (None, "just a string", {"message": 42}, {"message": ["x"]}, {"no": "message"}):
        await client.emit("user_uttered", bad)
    await client.sleep(2)
    assert replies == [], "nothing but a text message is passed to the bot"
    await client.emit("user_uttered", {"message": "x" * 100_000})  # over the 64 KB packet limit
    await client.sleep(2)
    assert not client.connected, "an oversized packet closes the socket"
    assert urllib.request.urlopen(f"{server.url}/webhooks/webchat/health", timeout=10).status == 200
