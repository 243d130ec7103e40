"""Reading the rule layer's entities and the conversation from an SDK tracker."""

from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker

from bot.conversation import bot_action_before_latest_user


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    """Values of `entity` in the latest message, first mention first, without repeats."""
    values = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]
    return list(dict.fromkeys(v for v in values if v))


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def previous_bot_action(tracker: Tracker) -> Optional[str]:
    return bot_action_before_latest_user((e.get("event"), e.get("name")) for e in tracker.events)
