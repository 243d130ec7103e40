"""Validation of the FOUR questions and the "what next?" question (triage_form).

Yes / no / not sure arrive as booleans from the domain's slot mappings. Anything
else arrives as the person's own words: the rule layer's four_cue entities may
answer the question ("it's every single day" answers "does it keep happening?");
if not, the question is asked once more and then skipped, so nobody is stuck.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.tracker_facts import entity_values

# Unclear answers allowed before a question is skipped.
MAX_UNCLEAR_ANSWERS = 2
SUPPORT_CHOICES = ("report", "not_ready", "anonymous", "information")
SKIPPED_SUPPORT_CHOICE = "information"


def _unclear(
    slot: str,
    skipped_value: Any,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    not_understood: str = "utter_answer_not_understood",
) -> Dict[str, Any]:
    retries = int(tracker.get_slot("answer_retries") or 0) + 1
    if retries >= MAX_UNCLEAR_ANSWERS:
        dispatcher.utter_message(response="utter_answer_skipped")
        return {slot: skipped_value, "answer_retries": 0}
    dispatcher.utter_message(response=not_understood)
    return {slot: None, "answer_retries": retries}


def _implied(element: str, tracker: Tracker) -> Dict[str, Any]:
    """Fills a FOUR slot the person's words already answered (actions/slot_extraction.py
    keeps the cues of every disclosure in `four_cues`). An answered slot is left alone,
    so a later message never looks like a new answer to the form."""
    slot = f"four_{element}"
    if tracker.get_slot(slot) is None and element in (tracker.get_slot("four_cues") or []):
        return {slot: True}
    return {}


def _validate_four(
    element: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Dict[str, Any]:
    slot = f"four_{element}"
    if isinstance(value, bool):
        return {slot: value, "answer_retries": 0}
    if element in entity_values(tracker, "four_cue"):
        return {slot: True, "answer_retries": 0}
    # Not answered: "not sure" is recorded as not confirmed, never as "no".
    return _unclear(slot, False, dispatcher, tracker)


class ValidateTriageForm(FormValidationAction):
    def name(self) -> str:
        return "validate_triage_form"

    async def extract_four_fixated(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _implied("fixated", tracker)

    async def extract_four_obsessive(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _implied("obsessive", tracker)

    async def extract_four_unwanted(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _implied("unwanted", tracker)

    async def extract_four_repeated(self, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return _implied("repeated", tracker)

    def validate_four_fixated(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validate_four("fixated", value, dispatcher, tracker)

    def validate_four_obsessive(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validate_four("obsessive", value, dispatcher, tracker)

    def validate_four_unwanted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validate_four("unwanted", value, dispatcher, tracker)

    def validate_four_repeated(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validate_four("repeated", value, dispatcher, tracker)

    def validate_support_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value in SUPPORT_CHOICES:
            return {"support_choice": value, "answer_retries": 0}
        return _unclear(
            "support_choice", SKIPPED_SUPPORT_CHOICE, dispatcher, tracker, "utter_choice_not_understood"
        )
