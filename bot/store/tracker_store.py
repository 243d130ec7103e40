"""An SQL tracker store that never loses or forks a conversation silently.

Rasa 3.6 wraps every tracker store in FailSafeTrackerStore, which catches any
error, logs it, and carries on with an empty in-memory conversation: the person's
history is silently forked and what they say next is lost. This store:
- checks pooled connections before use (`pool_pre_ping`), so it reconnects by
  itself after the database restarts, and retries a failed read or write;
- when the database is still unreachable, raises `ConversationStoreUnavailable`,
  a BaseException on purpose so that FailSafeTrackerStore (which catches
  Exception) cannot swallow it: the turn stops, the failure is logged loudly, and
  the channel answers with the emergency numbers (bot/channels/webchat.py);
- keeps a tracker it could not write and writes it first next time, so a reply
  already sent is never missing from the stored conversation;
- erases a conversation at once when the `erase_conversation` slot is set.

PostgreSQL (or any SQLAlchemy URL) is chosen with TRACKER_STORE_URL; without it,
the embedded default is an SQLite file (`db`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"
ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.5


class ConversationStoreUnavailable(BaseException):
    """The conversation store cannot be read or written right now."""


def url_settings(url: Optional[str]) -> Dict[str, Any]:
    """SQLTrackerStore's connection arguments from one SQLAlchemy URL."""
    if not url:
        return {}
    parsed = make_url(url)
    return {
        "dialect": parsed.drivername,
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
    }


class DurableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Optional[Domain] = None, url: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.update(url_settings(url or os.environ.get("TRACKER_STORE_URL")))
        super().__init__(domain, **kwargs)
        self.engine = sa.create_engine(
            self.engine.url, pool_pre_ping=True, **create_engine_kwargs(self.engine.url)
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._unwritten: Dict[str, DialogueStateTracker] = {}

    async def _with_retries(self, what: str, operation, *args: Any) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await operation(*args)
            except SQLAlchemyError as error:
                if attempt == ATTEMPTS:
                    logger.error(
                        "CONVERSATION STORE UNAVAILABLE: could not %s after %d attempts (%s). "
                        "The person is given the emergency numbers; nothing is stored elsewhere.",
                        what,
                        ATTEMPTS,
                        type(error).__name__,
                    )
                    raise ConversationStoreUnavailable(what) from error
                await asyncio.sleep(RETRY_DELAY_SECONDS * attempt)

    async def _write_unwritten(self, sender_id: str) -> None:
        tracker = self._unwritten.get(sender_id)
        if tracker is not None:
            await self._with_retries("write a delayed conversation", super().save, tracker)
            del self._unwritten[sender_id]

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        await self._write_unwritten(sender_id)
        return await self._with_retries("read a conversation", super().retrieve, sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        await self._write_unwritten(sender_id)
        return await self._with_retries("read a conversation", super().retrieve_full_tracker, sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self._unwritten.pop(tracker.sender_id, None)
            await self._with_retries("erase a conversation", self.erase, tracker.sender_id)
            return
        try:
            await self._write_unwritten(tracker.sender_id)
            await self._with_retries("write a conversation", super().save, tracker)
        except ConversationStoreUnavailable:
            self._unwritten[tracker.sender_id] = tracker
            raise

    async def erase(self, sender_id: str) -> int:
        """Deletes every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        logger.info("A conversation was erased at the person's request (%d events).", deleted)
        return deleted
