"""Answers "what's the helpline number?" and the like, at any point."""

from __future__ import annotations

from typing import Iterable, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker_facts import entity_values
from bot.knowledge import Knowledge, load_knowledge
from bot.replies import emergency_access_variables, service_variables
from bot.triage import merge_signposts

# After these, the other ways to reach 999 (text, relay, British Sign Language).
EMERGENCY_SERVICES = frozenset({"999", "silent_solution"})


def utter_services(
    dispatcher: CollectingDispatcher, knowledge: Knowledge, service_ids: Iterable[str]
) -> None:
    service_ids = list(service_ids)
    for service_id in service_ids:
        dispatcher.utter_message(response="utter_service", **service_variables(knowledge.service(service_id)))
    if EMERGENCY_SERVICES.intersection(service_ids) and knowledge.accessibility:
        dispatcher.utter_message(response="utter_emergency_access", **emergency_access_variables(knowledge))


class ActionGiveService(Action):
    def name(self) -> str:
        return "action_give_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        knowledge = load_knowledge()
        asked = [s for s in entity_values(tracker, "service") if s in knowledge.services]
        if not asked:
            dispatcher.utter_message(response="utter_services_menu")
            return []
        utter_services(dispatcher, knowledge, asked)
        return [SlotSet("signposts", merge_signposts(tracker.get_slot("signposts"), asked))]
