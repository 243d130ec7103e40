"""Global slot extraction after every message (Rasa's `action_validate_slot_mappings`).

Accumulates what the person has disclosed across turns: behaviours, risk flags and
the FOUR elements their words already imply (so the form never asks what it knows).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.tracker_facts import entity_values, latest_intent, previous_bot_action
from bot.nlu import CAPPED_AT, DANGER_CHECK

SAFETY_QUESTION = "utter_ask_safe_now"
NOT_A_DISCLOSURE = frozenset({"ask_service", "bot_challenge", "out_of_scope", "bad_input"})


def _accumulate(tracker: Tracker, slot: str, entity: str) -> Dict[str, Any]:
    new = entity_values(tracker, entity)
    if not new:
        return {}
    return {slot: list(dict.fromkeys([*(tracker.get_slot(slot) or []), *new]))}


class ExtractSlots(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # A message that may tell of danger now, though not read as an emergency: how to
        # reach 999 comes first, then the reply as usual.
        if tracker.latest_message.get(DANGER_CHECK):
            dispatcher.utter_message(response="utter_if_in_danger")
        if "too_long" in entity_values(tracker, "input_note"):
            capped_at = tracker.latest_message.get(CAPPED_AT)
            dispatcher.utter_message(response="utter_message_capped", max_characters=capped_at)
        return await super().run(dispatcher, tracker, domain)

    async def extract_behaviours(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _accumulate(tracker, "behaviours", "behaviour")

    async def extract_risk_flags(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _accumulate(tracker, "risk_flags", "risk_flag")

    async def extract_four_cues(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        # Kept in a slot of its own: rasa_sdk's global extraction skips form slots,
        # so the triage form reads these (actions/triage_form.py). A question about
        # a service ("the stalking helpline?") answers no FOUR question.
        if latest_intent(tracker) in NOT_A_DISCLOSURE:
            return {}
        return _accumulate(tracker, "four_cues", "four_cue")

    async def extract_in_danger(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        """ "Yes" to "are you safe to talk?" means not in danger (the "no" path is the
        Rasa server's DangerPolicy, so it works without this action server)."""
        if latest_intent(tracker) == "affirm" and previous_bot_action(tracker) == SAFETY_QUESTION:
            return {"in_danger": False}
        return {}
