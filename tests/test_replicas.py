"""Two Rasa servers behind a round-robin on loopback, sharing PostgreSQL and a
Redis lock store: concurrent conversations finish without errors and every event
is stored once, in order."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import subprocess
import time
from typing import Iterator, List

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web

from tests.conftest import ROOT, free_port
from tests.servers import RasaServer, error_lines
from tests.test_store import postgres_database

pytestmark = pytest.mark.replicas

CONVERSATIONS = 50
TURNS = [
    "hi",
    "yes",
    "he keeps following me home",
    "yes",
    "yes",
    "no",
    "not sure",
    '/choose_support{"support_choice": "report"}',
    "what's the helpline number",
    "thanks",
]
REDIS_DB = "7"


@pytest.fixture(scope="module")
def replicas(model_path, action_server, tmp_path_factory) -> Iterator[tuple]:
    folder = tmp_path_factory.mktemp("replicas")
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-n", REDIS_DB, "FLUSHDB"], check=True, capture_output=True
    )
    for url in postgres_database():
        env = {
            "ACTION_SERVER_URL": action_server,
            "TRACKER_STORE_URL": url,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_DB": REDIS_DB,
        }
        endpoints = ROOT / "deploy" / "endpoints.replicas.yml"
        servers = [RasaServer(model_path, folder, env, endpoints=endpoints, rest=True) for _ in range(2)]
        try:
            for server in servers:
                server.start()
            yield url, [server.url for server in servers], [server.log for server in servers]
        finally:
            for server in servers:
                server.stop()


async def round_robin(backends: List[str]) -> tuple:
    """A minimal round-robin HTTP proxy on loopback in front of the Rasa servers."""
    turn = itertools.cycle(backends)
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        async with session.request(
            request.method,
            next(turn) + request.path_qs,
            data=await request.read(),
            headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
        ) as answer:
            return web.Response(
                body=await answer.read(), status=answer.status, content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}", runner, session


async def test_fifty_concurrent_conversations_across_two_servers(replicas, action_server_log):
    url, backends, logs = replicas
    proxy, runner, proxy_session = await round_robin(backends)
    latencies: List[float] = []
    errors: List[str] = []

    async def converse(client: aiohttp.ClientSession, number: int) -> None:
        sender = f"load-{number}"
        for turn, text in enumerate(TURNS):
            started = time.perf_counter()
            try:
                async with client.post(
                    f"{proxy}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text},
                    timeout=aiohttp.ClientTimeout(total=120),
                ) as answer:
                    replies = await answer.json()
                    if answer.status != 200 or not replies:
                        errors.append(f"{sender} turn {turn}: {answer.status} {replies!r}")
            except Exception as error:  # counted and reported, never hidden
                errors.append(f"{sender} turn {turn}: {type(error).__name__}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession() as client:
            await asyncio.gather(*(converse(client, n) for n in range(CONVERSATIONS)))
    finally:
        await proxy_session.close()
        await runner.cleanup()
    elapsed = time.perf_counter() - started

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE 'load-%' ORDER BY id")
        ).all()
    engine.dispose()
    user_texts = {}
    for sender, type_name, data in rows:
        if type_name == "user":
            user_texts.setdefault(sender, []).append(json.loads(data)["text"])

    latencies.sort()
    figures = {
        "conversations": CONVERSATIONS,
        "turns": len(latencies),
        "errors": len(errors),
        "p50_seconds": round(statistics.median(latencies), 3),
        "p95_seconds": round(latencies[int(0.95 * len(latencies)) - 1], 3),
        "elapsed_seconds": round(elapsed, 1),
        "stored_events": len(rows),
    }
    print("\nREPLICAS LOAD TEST", json.dumps(figures))
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "replicas.json").write_text(json.dumps(figures, indent=2))

    assert not errors, {"turns": errors[:5], "server logs": error_lines([*logs, action_server_log])}
    assert len(latencies) == CONVERSATIONS * len(TURNS)
    # Every message stored exactly once, in the order it was sent.
    assert len(user_texts) == CONVERSATIONS
    for sender, texts in user_texts.items():
        assert texts == TURNS, sender
