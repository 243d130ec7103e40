"""Anonymous outcomes: migrations on SQLite and PostgreSQL, written by the
assessment, nothing that identifies the person, and the staff report."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.assessment import ActionAssess
from bot.store.outcomes import TriageOutcome, engine_for, record_outcome
from bot.store.report import write_report
from tests.test_store import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def outcomes_url(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'outcomes.db'}"
        monkeypatch.setenv("OUTCOMES_DB_URL", url)
        yield url
    else:
        for url in postgres_database():
            monkeypatch.setenv("OUTCOMES_DB_URL", url)
            yield url
            engine_for(url).dispose()


def rows(url):
    with engine_for(url).connect() as connection:
        return connection.execute(sa.text("SELECT * FROM triage_outcomes")).mappings().all()


def test_migrations_create_exactly_the_anonymous_columns(outcomes_url):
    engine_for(outcomes_url)
    inspector = sa.inspect(sa.create_engine(outcomes_url))
    columns = {c["name"] for c in inspector.get_columns("triage_outcomes")}
    assert columns == {
        "id",
        "day",
        "channel",
        "behaviours",
        "four_fixated",
        "four_obsessive",
        "four_unwanted",
        "four_repeated",
        "risk_level",
        "assessment",
        "signposts",
    }
    assert "alembic_version" in inspector.get_table_names()


async def test_a_finished_triage_writes_one_anonymous_record(outcomes_url):
    slots = {
        "four_fixated": True,
        "four_obsessive": None,
        "four_unwanted": True,
        "four_repeated": True,
        "behaviours": ["following"],
        "risk_flags": [],
        "support_choice": "report",
        "signposts": [],
    }
    tracker = Tracker(
        "person-123",
        slots,
        {"intent": {"name": "choose_support"}, "entities": [], "text": "MY SECRET WORDS"},
        [{"event": "user", "text": "MY SECRET WORDS", "input_channel": "webchat"}],
        False,
        None,
        {},
        "action_listen",
    )
    events = await ActionAssess().run(CollectingDispatcher(), tracker, {})
    assert {"event": "slot", "name": "outcome_recorded", "value": True, "timestamp": None} in events
    [row] = rows(outcomes_url)
    assert row["channel"] == "webchat" and row["behaviours"] == "following"
    assert row["assessment"] == "stalking_likely" and row["risk_level"] == "standard"
    assert row["four_fixated"] and row["four_obsessive"] is None
    assert "101" in row["signposts"].split(",")
    stored = " ".join(str(v) for v in row.values())
    assert "SECRET" not in stored and "person-123" not in stored

    tracker.slots["outcome_recorded"] = True
    await ActionAssess().run(CollectingDispatcher(), tracker, {})
    assert len(rows(outcomes_url)) == 1, "one record per conversation"


def test_report_counts_outcomes_over_time_with_a_chart(outcomes_url, tmp_path):
    monday = dt.date(2026, 11, 16)
    for day, assessment in (
        (monday, "stalking_likely"),
        (monday + dt.timedelta(days=2), "stalking_possible"),
        (monday + dt.timedelta(days=7), "stalking_likely"),
    ):
        record_outcome(
            channel="webchat",
            behaviours=["following", "threats"],
            four={},
            risk_level="high",
            assessment=assessment,
            signposts=["999", "101"],
            url=outcomes_url,
            day=day,
        )
    with sa.orm.Session(engine_for(outcomes_url)) as session:
        outcomes = session.query(TriageOutcome).all()
    page = write_report(outcomes, tmp_path / "report")
    text = page.read_text()
    assert "3 finished triages" in text
    assert "<td>stalking_likely</td><td>2</td>" in text and "<td>following</td><td>3</td>" in text
    png = (tmp_path / "report" / "outcomes.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
