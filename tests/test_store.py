"""The conversation store against real databases: SQLite and PostgreSQL on
127.0.0.1, checking the stored rows, not just return values."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.store.purge import purge
from bot.store.tracker_store import ERASE_SLOT, ConversationStoreUnavailable, DurableSQLTrackerStore

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def postgres_database() -> Iterator[str]:
    name = f"triage_test_{uuid.uuid4().hex[:8]}"
    # No pool: a test may restart the server while this engine is alive.
    admin = sa.create_engine(f"{POSTGRES}/test", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
    else:
        yield from postgres_database()


@pytest.fixture
def store(store_url, domain) -> Iterator[DurableSQLTrackerStore]:
    store = DurableSQLTrackerStore(domain, url=store_url)
    yield store
    store.engine.dispose()


def conversation(sender: str, domain: Domain, *texts: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen")], domain.slots)
    for text in texts:
        tracker.update(UserUttered(text, {"name": "describe_behaviour", "confidence": 1.0}))
        tracker.update(BotUttered("Thank you for telling me."))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def stored_rows(store: DurableSQLTrackerStore, sender: str) -> list:
    with store.session_scope() as session:
        return (
            session.query(store.SQLEvent.type_name, store.SQLEvent.data)
            .filter(store.SQLEvent.sender_id == sender)
            .order_by(store.SQLEvent.id)
            .all()
        )


async def test_every_event_is_stored_once_in_order(store, domain):
    tracker = conversation("a", domain, "he follows me", "every day")
    await store.save(tracker)
    await store.save(tracker)  # saving again adds nothing
    rows = stored_rows(store, "a")
    assert [r.type_name for r in rows] == [e.type_name for e in tracker.events]
    again = await store.retrieve("a")
    assert [e.as_dict()["event"] for e in again.events] == [e.as_dict()["event"] for e in tracker.events]


async def test_delete_my_conversation_erases_it_from_the_database_at_once(store, domain):
    await store.save(conversation("keep", domain, "hello"))
    tracker = conversation("erase", domain, "he follows me")
    await store.save(tracker)
    assert stored_rows(store, "erase")
    tracker.update(SlotSet(ERASE_SLOT, True))
    await store.save(tracker)
    assert stored_rows(store, "erase") == []
    assert await store.retrieve("erase") is None
    assert stored_rows(store, "keep"), "other conversations are untouched"


async def test_a_database_outage_is_loud_and_loses_nothing(store, domain, caplog):
    tracker = conversation("outage", domain, "he follows me")
    await store.save(tracker)
    working = store.sessionmaker
    dead = sa.create_engine("postgresql://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    store.sessionmaker = sessionmaker(bind=dead)
    tracker.update(UserUttered("and he's outside now", {"name": "immediate_danger", "confidence": 1.0}))
    tracker.update(BotUttered("If you are in danger right now, please call 999"))
    with pytest.raises(ConversationStoreUnavailable):
        await store.save(tracker)
    with pytest.raises(ConversationStoreUnavailable):
        await store.retrieve("outage")  # never an empty, forked conversation
    assert "CONVERSATION STORE UNAVAILABLE" in caplog.text
    assert "outside now" not in caplog.text, "no message text in the logs"

    store.sessionmaker = working  # the database is back
    restored = await store.retrieve("outage")
    assert [e.as_dict()["event"] for e in restored.events] == [e.as_dict()["event"] for e in tracker.events]
    assert len(stored_rows(store, "outage")) == len(tracker.events)


def test_purge_deletes_only_conversations_older_than_the_limit(store, domain):
    now = time.time()
    with Session(store.engine) as session:
        for sender, age_days in (("old", 31), ("recent", 2), ("mixed", 40)):
            session.add(
                store.SQLEvent(
                    sender_id=sender, type_name="user", timestamp=now - age_days * 86_400, data="{}"
                )
            )
        session.add(store.SQLEvent(sender_id="mixed", type_name="user", timestamp=now - 60, data="{}"))
        session.commit()
        assert purge(session, days=30, now=now) == 1
    assert stored_rows(store, "old") == []
    assert len(stored_rows(store, "recent")) == 1 and len(stored_rows(store, "mixed")) == 2


def test_make_purge_runs_on_the_configured_database(tmp_path):
    db = tmp_path / "c.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    DurableSQLTrackerStore.SQLEvent.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(
            DurableSQLTrackerStore.SQLEvent(sender_id="x", type_name="user", timestamp=1.0, data="{}")
        )
        session.commit()
    result = subprocess.run(
        ["make", "--no-print-directory", "purge", "DAYS=30", f"TRACKER_DB={db}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Deleted 1 conversation(s)" in result.stdout
    with Session(engine) as session:
        assert session.query(DurableSQLTrackerStore.SQLEvent).count() == 0


@pytest.mark.skipif(not shutil.which("pg_ctlcluster"), reason="needs a local PostgreSQL cluster to restart")
async def test_postgres_restart_mid_conversation_reconnects_and_loses_nothing(domain):
    for url in postgres_database():
        store = DurableSQLTrackerStore(domain, url=url)
        tracker = conversation("restart", domain, "he follows me")
        await store.save(tracker)
        version = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True).stdout.split()[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
        tracker.update(UserUttered("he did it again", {"name": "describe_behaviour", "confidence": 1.0}))
        await store.save(tracker)  # stale pooled connection is detected and replaced
        restored = await store.retrieve("restart")
        assert len(restored.events) == len(tracker.events) == len(stored_rows(store, "restart"))
        store.engine.dispose()
