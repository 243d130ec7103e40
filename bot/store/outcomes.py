"""Anonymous triage outcomes for staff reporting.

One row per finished triage: the day (no time), the channel, which behaviours,
FOUR elements, risk level, assessment and services. Never the person's words,
never the conversation id: the rows cannot be joined back to a conversation.
The schema is managed by Alembic (bot/store/migrations); OUTCOMES_DB_URL chooses
the database (default: the SQLite file var/outcomes.db).
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_OUTCOMES_DB = Path(__file__).resolve().parents[2] / "var" / "outcomes.db"


class TriageOutcome(Base):
    __tablename__ = "triage_outcomes"

    id = sa.Column(sa.Integer, primary_key=True)
    day = sa.Column(sa.Date, nullable=False, index=True)
    channel = sa.Column(sa.String(32), nullable=False)
    behaviours = sa.Column(sa.String(512), nullable=False, default="")
    four_fixated = sa.Column(sa.Boolean)
    four_obsessive = sa.Column(sa.Boolean)
    four_unwanted = sa.Column(sa.Boolean)
    four_repeated = sa.Column(sa.Boolean)
    risk_level = sa.Column(sa.String(16), nullable=False)
    assessment = sa.Column(sa.String(32), nullable=False)
    signposts = sa.Column(sa.String(512), nullable=False, default="")


def outcomes_url() -> str:
    url = os.environ.get("OUTCOMES_DB_URL")
    if url:
        return url
    DEFAULT_OUTCOMES_DB.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_OUTCOMES_DB}"


def migrate(url: str) -> None:
    """Brings the outcomes schema up to date (alembic upgrade head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


@lru_cache(maxsize=4)
def engine_for(url: str) -> sa.engine.Engine:
    """One migrated engine per database, checked before use (the database may restart)."""
    migrate(url)
    return sa.create_engine(url, pool_pre_ping=True)


def record_outcome(
    *,
    channel: Optional[str],
    behaviours: Iterable[str],
    four: dict,
    risk_level: str,
    assessment: str,
    signposts: Iterable[str],
    url: Optional[str] = None,
    day: Optional[dt.date] = None,
) -> None:
    with Session(engine_for(url or outcomes_url())) as session:
        session.add(
            TriageOutcome(
                day=day or dt.date.today(),
                channel=(channel or "unknown")[:32],
                behaviours=",".join(sorted(set(behaviours))),
                four_fixated=four.get("fixated"),
                four_obsessive=four.get("obsessive"),
                four_unwanted=four.get("unwanted"),
                four_repeated=four.get("repeated"),
                risk_level=risk_level,
                assessment=assessment,
                signposts=",".join(signposts),
            )
        )
        session.commit()
