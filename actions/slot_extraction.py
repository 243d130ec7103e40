"""Global slot extraction after every message (Rasa's `action_validate_slot_mappings`).

Accumulates what the person has disclosed across turns: behaviours, risk flags and
the FOUR elements their words already imply, so the form never asks what it knows.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.tracker_facts import entity_values, latest_intent, previous_bot_action
from bot.nlu import CAPPED_AT

SAFETY_QUESTION = "utter_ask_safe_now"


def _accumulate(tracker: Tracker, slot: Text, entity: Text) -> Dict[Text, Any]:
    new = entity_values(tracker, entity)
    if not new:
        return {}
    return {slot: list(dict.fromkeys([*(tracker.get_slot(slot) or []), *new]))}


def _four(tracker: Tracker, element: Text) -> Dict[Text, Any]:
    return {f"four_{element}": True} if element in entity_values(tracker, "four_cue") else {}


class ExtractSlots(ValidationAction):
    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if "too_long" in entity_values(tracker, "input_note"):
            capped_at = tracker.latest_message.get(CAPPED_AT)
            dispatcher.utter_message(response="utter_message_capped", max_characters=capped_at)
        return await super().run(dispatcher, tracker, domain)

    async def extract_behaviours(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _accumulate(tracker, "behaviours", "behaviour")

    async def extract_risk_flags(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _accumulate(tracker, "risk_flags", "risk_flag")

    async def extract_four_fixated(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _four(tracker, "fixated")

    async def extract_four_obsessive(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _four(tracker, "obsessive")

    async def extract_four_unwanted(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _four(tracker, "unwanted")

    async def extract_four_repeated(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return _four(tracker, "repeated")

    async def extract_in_danger(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        """"Yes" to "are you safe to talk?" means not in danger (the "no" path is the
        Rasa server's DangerPolicy, so it works without this action server)."""
        if latest_intent(tracker) == "affirm" and previous_bot_action(tracker) == SAFETY_QUESTION:
            return {"in_danger": False}
        return {}
