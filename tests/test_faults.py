"""Faults and hostile input against the real running bot: a restarted Rasa server
resumes the conversation, and malformed, oversized or injection input is refused
cleanly (checked in the stored events, not just the HTTP status)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.conftest import free_port
from tests.servers import RasaServer, action_port
from tests.test_store import postgres_database


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


async def socket_conversation(server, *texts: str) -> List[str]:
    """Talks to the bot through the widget's socket.io channel; returns every reply."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    replies: List[str] = []
    confirmed = asyncio.Event()
    client.on("bot_uttered", lambda data: replies.append(data.get("text", "")))
    client.on("session_confirm", lambda _: confirmed.set())
    await client.connect(server.url, headers={"Origin": server.url}, transports=["polling"])
    await client.emit("session_request", {"session_id": None})
    await asyncio.wait_for(confirmed.wait(), 30)
    for text in texts:
        before = len(replies)
        await client.emit("user_uttered", {"message": text})
        for _ in range(120):
            await client.sleep(0.5)
            if len(replies) > before:
                await client.sleep(2)
                break
    # A polite polling disconnect waits out the server's long-poll (about 30 s); the
    # conversation is over, so close the connection without waiting for it.
    engine = client.eio
    await engine.disconnect(abort=True)
    loops = [engine.read_loop_task, engine.write_loop_task]
    for task in loops:
        task.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    return replies


@pytest.fixture(scope="module")
def server_without_actions(model_path, tmp_path_factory) -> Iterator[RasaServer]:
    folder = tmp_path_factory.mktemp("no-actions")
    env = {"ACTION_PORT": str(free_port()), "TRACKER_DB": str(folder / "conversations.db")}
    server = RasaServer(model_path, folder, env).start()
    yield server
    server.stop()


async def test_with_the_action_server_down_danger_is_answered_and_the_bot_says_it_has_trouble(
    server_without_actions, knowledge
):
    replies = await socket_conversation(server_without_actions, "he's outside my door right now")
    text = "\n".join(replies)
    assert knowledge.service("999").phone in text
    assert knowledge.service("silent_solution").silent_code in text
    assert "having some trouble" in text
    replies = await socket_conversation(server_without_actions, "what's the stalking helpline number")
    assert any("having trouble" in r and "999" in r for r in replies), replies


@pytest.mark.skipif(not shutil.which("pg_ctlcluster"), reason="needs a local PostgreSQL cluster to restart")
def test_a_postgres_restart_mid_conversation_loses_nothing(model_path, action_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg-restart")
    for url in postgres_database():
        env = {"ACTION_PORT": action_port(action_server), "TRACKER_DB": "", "TRACKER_STORE_URL": url}
        server = RasaServer(model_path, folder, env, rest=True).start()
        try:
            said = ["hi", "yes", "he keeps sending me flowers"]
            for text in said:
                server.say("pg", text)
            version = sorted(os.listdir("/etc/postgresql"))[0]
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
            )
            replies = server.say("pg", "yes")
            said.append("yes")
            assert not any("not the police" in r for r in replies), "the conversation goes on"
        finally:
            server.stop()
        engine = sa.create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            stored = (
                connection.execute(
                    sa.text(
                        "SELECT data FROM events WHERE sender_id = 'pg' AND type_name = 'user' ORDER BY id"
                    )
                )
                .scalars()
                .all()
            )
        assert [json.loads(d)["text"] for d in stored] == said, "every message stored once, in order"


@pytest.mark.skipif(not shutil.which("pg_ctlcluster"), reason="needs a local PostgreSQL cluster to stop")
async def test_with_the_database_down_the_person_still_gets_the_emergency_numbers(
    model_path, action_server, tmp_path_factory, knowledge
):
    folder = tmp_path_factory.mktemp("pg-down")
    version = sorted(os.listdir("/etc/postgresql"))[0]
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    for url in postgres_database():
        env = {"ACTION_PORT": action_port(action_server), "TRACKER_DB": "", "TRACKER_STORE_URL": url}
        server = RasaServer(model_path, folder, env, rest=True).start()
        try:
            subprocess.run([*cluster, "stop"], check=True)
            try:
                replies = await socket_conversation(server, "he's outside my door right now")
                [rest_reply] = server.say("pg-down", "he is in the garden now")
            finally:
                subprocess.run([*cluster, "start"], check=True)
            for text in ("\n".join(replies), rest_reply):
                assert knowledge.service("999").phone in text and "having trouble" in text
            log = server.log.read_text(errors="replace")
            assert "CONVERSATION STORE UNAVAILABLE" in log
            assert "outside my door" not in log and "in the garden" not in log, "no words in the log"
            replies = await socket_conversation(server, "hello")
            assert any(
                "not the police" in r for r in replies
            ), "the bot works again once the database is back"
        finally:
            server.stop()
