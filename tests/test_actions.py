"""Custom actions, called directly with SDK trackers (no Rasa server needed)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.assessment import ActionAssess
from actions.services import ActionGiveService
from actions.slot_extraction import ExtractSlots
from actions.triage_form import MAX_UNCLEAR_ANSWERS, ValidateTriageForm


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value}


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    entities: Iterable[Dict[str, Any]] = (),
    intent: str = "describe_behaviour",
    events: Optional[List[Dict[str, Any]]] = None,
    **message: Any,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={"intent": {"name": intent}, "entities": list(entities), "text": "", **message},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["response"] for m in dispatcher.messages]


async def test_disclosures_accumulate_across_turns():
    extract = ExtractSlots()
    t = tracker(slots={"behaviours": ["following"]}, entities=[entity("behaviour", "gifts")])
    assert await extract.extract_behaviours(CollectingDispatcher(), t, {}) == {
        "behaviours": ["following", "gifts"]
    }
    assert await extract.extract_behaviours(CollectingDispatcher(), tracker(), {}) == {}


async def test_four_cues_are_kept_and_fill_the_four_slots_so_they_are_not_asked():
    earlier = tracker(slots={"four_cues": ["unwanted"]}, entities=[entity("four_cue", "repeated")])
    kept = await ExtractSlots().extract_four_cues(CollectingDispatcher(), earlier, {})
    assert kept == {"four_cues": ["unwanted", "repeated"]}
    form = ValidateTriageForm()
    later = tracker(slots=kept)
    assert await form.extract_four_repeated(CollectingDispatcher(), later, {}) == {"four_repeated": True}
    assert await form.extract_four_unwanted(CollectingDispatcher(), later, {}) == {"four_unwanted": True}
    assert await form.extract_four_fixated(CollectingDispatcher(), later, {}) == {}


async def test_yes_to_the_safety_question_means_not_in_danger():
    events = [
        {"event": "action", "name": "utter_ask_safe_now"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "yes"},
    ]
    t = tracker(intent="affirm", events=events)
    assert await ExtractSlots().extract_in_danger(CollectingDispatcher(), t, {}) == {"in_danger": False}
    t = tracker(intent="affirm", events=[{"event": "user", "text": "yes"}])
    assert await ExtractSlots().extract_in_danger(CollectingDispatcher(), t, {}) == {}


def test_a_free_text_answer_that_implies_the_element_is_accepted():
    t = tracker(entities=[entity("four_cue", "repeated")])
    result = ValidateTriageForm().validate_four_repeated("every single day", CollectingDispatcher(), t, {})
    assert result["four_repeated"] is True


def test_an_unclear_answer_is_asked_again_then_skipped():
    form = ValidateTriageForm()
    dispatcher = CollectingDispatcher()
    first = form.validate_four_fixated("hmm", dispatcher, tracker(slots={"answer_retries": 0}), {})
    assert first["four_fixated"] is None and responses(dispatcher) == ["utter_answer_not_understood"]
    dispatcher = CollectingDispatcher()
    retries = MAX_UNCLEAR_ANSWERS - 1
    last = form.validate_four_fixated("hmm", dispatcher, tracker(slots={"answer_retries": retries}), {})
    assert last == {"four_fixated": False, "answer_retries": 0}
    assert responses(dispatcher) == ["utter_answer_skipped"]


def test_support_choice_from_buttons_and_unclear_words():
    form = ValidateTriageForm()
    assert (
        form.validate_support_choice("report", CollectingDispatcher(), tracker(), {})["support_choice"]
        == "report"
    )
    result = form.validate_support_choice("whatever", CollectingDispatcher(), tracker(), {})
    assert result["support_choice"] is None


async def test_assessment_reports_four_behaviours_risk_and_services(knowledge):
    slots = {
        "four_fixated": True,
        "four_obsessive": True,
        "four_unwanted": True,
        "four_repeated": True,
        "behaviours": ["following", "threats"],
        "risk_flags": ["threats"],
        "support_choice": "report",
        "signposts": ["999"],
    }
    dispatcher = CollectingDispatcher()
    events = await ActionAssess().run(dispatcher, tracker(slots=slots), {})
    said = responses(dispatcher)
    assert said[:3] == ["utter_behaviours_summary", "utter_four_summary", "utter_assessment_stalking_likely"]
    assert "utter_risk_high" in said and said[-2:] == ["utter_advice", "utter_anything_else"]
    services = [m["service_name"] for m in dispatcher.messages if m["response"] == "utter_service"]
    assert knowledge.service("101").name in services
    set_slots = {e["name"]: e["value"] for e in events}
    assert set_slots["assessment"] == "stalking_likely" and set_slots["risk_level"] == "high"
    assert set_slots["signposts"][0] == "999" and "101" in set_slots["signposts"]


@pytest.mark.parametrize("service_id", ["stalking_helpline", "silent_solution", "crimestoppers"])
async def test_service_answers_come_from_the_knowledge_file(knowledge, service_id):
    dispatcher = CollectingDispatcher()
    events = await ActionGiveService().run(
        dispatcher, tracker(intent="ask_service", entities=[entity("service", service_id)]), {}
    )
    message = dispatcher.messages[0]
    service = knowledge.service(service_id)
    assert message["service_name"] == service.name and message["service_how"] == service.how
    assert events[0]["value"] == [service_id]


async def test_the_silent_solution_answer_also_gives_the_other_ways_to_reach_999(knowledge):
    dispatcher = CollectingDispatcher()
    await ActionGiveService().run(
        dispatcher, tracker(intent="ask_service", entities=[entity("service", "silent_solution")]), {}
    )
    assert responses(dispatcher) == ["utter_service", "utter_emergency_access"]
    ways = dispatcher.messages[1]["ways"].splitlines()
    assert ways == [f"- {entry['text']}" for entry in knowledge.accessibility]
    assert any("18000" in way for way in ways) and any("emergencySMS" in way for way in ways)


async def test_other_service_answers_do_not_add_the_emergency_access_list():
    dispatcher = CollectingDispatcher()
    await ActionGiveService().run(
        dispatcher, tracker(intent="ask_service", entities=[entity("service", "stalking_helpline")]), {}
    )
    assert responses(dispatcher) == ["utter_service"]


async def test_an_open_service_question_offers_a_menu():
    dispatcher = CollectingDispatcher()
    assert await ActionGiveService().run(dispatcher, tracker(intent="ask_service"), {}) == []
    assert responses(dispatcher) == ["utter_services_menu"]


async def test_a_message_that_may_tell_of_danger_gets_how_to_reach_999_first():
    dispatcher = CollectingDispatcher()
    await ExtractSlots().run(dispatcher, tracker(danger_check=True), {"slots": {}})
    assert responses(dispatcher) == ["utter_if_in_danger"]
    quiet = CollectingDispatcher()
    await ExtractSlots().run(quiet, tracker(), {"slots": {}})
    assert responses(quiet) == []
