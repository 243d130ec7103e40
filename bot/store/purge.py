"""Retention: deletes conversations whose last message is older than N days.

    python -m bot.store.purge --days 30      (make purge DAYS=30)

Uses the same store settings as the bot: TRACKER_STORE_URL, or the SQLite file
TRACKER_DB (default var/conversations.db).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Optional, Sequence

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.orm import Session

DEFAULT_DAYS = 30
SECONDS_PER_DAY = 86_400
Event = SQLTrackerStore.SQLEvent

logger = logging.getLogger(__name__)


def purge(session: Session, days: float, now: Optional[float] = None) -> int:
    """Deletes whole conversations last active more than `days` ago; returns how many."""
    cutoff = (time.time() if now is None else now) - days * SECONDS_PER_DAY
    stale = (
        sa.select(Event.sender_id)
        .group_by(Event.sender_id)
        .having(sa.func.max(Event.timestamp) < cutoff)
        .scalar_subquery()
    )
    senders = session.execute(
        sa.select(sa.func.count(sa.distinct(Event.sender_id))).where(Event.sender_id.in_(stale))
    ).scalar()
    session.execute(
        sa.delete(Event).where(Event.sender_id.in_(stale)).execution_options(synchronize_session=False)
    )
    session.commit()
    return int(senders or 0)


def store_url() -> str:
    return os.environ.get("TRACKER_STORE_URL") or "sqlite:///" + os.environ.get(
        "TRACKER_DB", "var/conversations.db"
    )


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=DEFAULT_DAYS)
    args = parser.parse_args(list(argv))
    if args.days < 0:
        parser.error("--days must not be negative")
    engine = sa.create_engine(store_url())
    Event.metadata.create_all(engine, tables=[Event.__table__])
    with Session(engine) as session:
        deleted = purge(session, args.days)
    print(f"Deleted {deleted} conversation(s) last active more than {args.days:g} days ago.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
