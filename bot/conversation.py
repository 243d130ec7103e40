"""Small facts about the conversation so far, shared by the Rasa server side
(bot.core) and the action server (actions), which see events in different shapes."""

from __future__ import annotations

from typing import Iterable, Optional, Tuple

ACTION_LISTEN = "action_listen"

# (event type, action name or None), oldest first: "user", "action", "bot", "slot"...
EventSummary = Tuple[str, Optional[str]]


def bot_action_before_latest_user(events: Iterable[EventSummary]) -> Optional[str]:
    """The last action the bot ran (other than listening) before the latest user message."""
    seen_user = False
    for kind, name in reversed(list(events)):
        if kind == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and kind == "action" and name != ACTION_LISTEN:
            return name
    return None
