"""The end of the triage: what fits, how it reads, and who can help."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.services import utter_services
from bot import replies
from bot.knowledge import load_knowledge
from bot.store.outcomes import record_outcome
from bot.triage import HIGH, Assessment, Situation, merge_signposts, triage

logger = logging.getLogger(__name__)


def record_once(tracker: Tracker, situation: Situation, result: Assessment) -> bool:
    """Writes the anonymous outcome the first time a conversation is assessed.
    A failure is logged loudly but never stops the person getting their answer."""
    if tracker.get_slot("outcome_recorded"):
        return True
    try:
        record_outcome(
            channel=tracker.get_latest_input_channel(),
            behaviours=situation.behaviours,
            four=dict(situation.four),
            risk_level=result.risk_level,
            assessment=result.assessment,
            signposts=result.signposts,
        )
        return True
    except SQLAlchemyError as error:
        logger.error(
            "OUTCOMES DATABASE UNAVAILABLE: an anonymous outcome was not recorded (%s)", type(error).__name__
        )
        return False


def situation_from(tracker: Tracker) -> Situation:
    knowledge = load_knowledge()
    return Situation(
        in_danger=bool(tracker.get_slot("in_danger")),
        behaviours=tuple(tracker.get_slot("behaviours") or ()),
        four={e.id: tracker.get_slot(e.slot) for e in knowledge.four},
        risk_flags=tuple(tracker.get_slot("risk_flags") or ()),
        support_choice=tracker.get_slot("support_choice"),
    )


class ActionAssess(Action):
    def name(self) -> str:
        return "action_assess"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        knowledge = load_knowledge()
        situation = situation_from(tracker)
        result = triage(knowledge, situation)
        if situation.behaviours:
            dispatcher.utter_message(
                response="utter_behaviours_summary",
                behaviour_list=replies.behaviour_list(knowledge, situation.behaviours),
            )
        dispatcher.utter_message(
            response="utter_four_summary", four_list=replies.four_list(knowledge, result.four_present)
        )
        dispatcher.utter_message(response=f"utter_assessment_{result.assessment}")
        if result.risk_level == HIGH and result.escalation_flags:
            dispatcher.utter_message(
                response="utter_risk_high",
                flag_list=replies.flag_list(knowledge, result.escalation_flags),
            )
        dispatcher.utter_message(response="utter_services_intro")
        utter_services(dispatcher, knowledge, result.signposts)
        dispatcher.utter_message(response="utter_advice")
        dispatcher.utter_message(response="utter_anything_else")
        slots: Dict[str, Any] = {
            "risk_level": result.risk_level,
            "assessment": result.assessment,
            "signposts": merge_signposts(tracker.get_slot("signposts"), result.signposts),
            "outcome_recorded": record_once(tracker, situation, result),
        }
        return [SlotSet(name, value) for name, value in slots.items()]
