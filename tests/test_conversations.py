"""End-to-end conversations through the trained model and a running action server,
with the conversation stored in an SQLite tracker store, as `make run` does."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest

pytestmark = pytest.mark.e2e

SILENT_SOLUTION_CODE = "55"


class Chat:
    """One person's conversation with the bot."""

    def __init__(self, agent) -> None:
        self.agent = agent
        self.sender = f"test-{uuid.uuid4().hex}"
        self.replies: List[Dict[str, Any]] = []
        self.tracker = None

    async def say(self, text: str) -> str:
        replies = await self.agent.handle_text(text, sender_id=self.sender) or []
        self.replies.extend(replies)
        # What was stored, read back from the SQL tracker store.
        self.tracker = await self.agent.tracker_store.retrieve(self.sender)
        return "\n".join(r.get("text") or "" for r in replies)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def active_loop(self) -> Any:
        return self.tracker.active_loop_name

    def buttons(self) -> List[str]:
        return [b["payload"] for r in self.replies[-1:] for b in r.get("buttons", [])]


def assert_emergency_advice(reply: str, knowledge) -> None:
    assert knowledge.service("999").phone in reply
    assert SILENT_SOLUTION_CODE in reply, "the Silent Solution (55) is missing"
    assert reply.index("999") < 80, "999 must come first, not buried at the end"


async def test_greeting_says_what_the_bot_is_and_asks_if_it_is_safe(agent):
    chat = Chat(agent)
    reply = await chat.say("hi")
    assert "not the police" in reply and "not a counsellor" in reply
    assert "safe to talk right now" in reply
    assert "/immediate_danger" in chat.buttons()


async def test_full_triage_asks_only_what_is_not_yet_known(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hello")
    reply = await chat.say("yes")
    assert "what has been happening" in reply
    reply = await chat.say("he keeps following me home and texting me every day even though I've blocked him")
    assert chat.slot("four_repeated") is True and chat.slot("four_unwanted") is True
    assert {"following", "unwanted_contact"} <= set(chat.slot("behaviours"))
    # Repeated and unwanted were implied by the words, so the form skips them.
    assert chat.slot("requested_slot") not in ("four_repeated", "four_unwanted")
    assert "more than once" not in reply and "don't want" not in reply
    while chat.slot("requested_slot") in ("four_fixated", "four_obsessive"):
        await chat.say("yes")
    assert chat.slot("requested_slot") == "support_choice"
    reply = await chat.say('/choose_support{"support_choice": "report"}')
    assert chat.slot("assessment") == "stalking_likely"
    assert "sounds like stalking" in reply and "not your fault" in reply
    assert knowledge.service("101").phone in reply and "live chat" in reply
    assert "Keep a record of every incident" in reply
    assert {"999", "silent_solution", "101", "live_chat"} <= set(chat.slot("signposts"))
    assert chat.slot("risk_level") in ("standard", "high")


async def test_one_off_incident_is_not_dismissed(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes i'm safe")
    await chat.say("a man I don't know took a photo of me on the bus once")
    answers = {
        "four_repeated": "no",
        "four_unwanted": "yes",
        "four_fixated": "not sure",
        "four_obsessive": "no",
    }
    while chat.slot("requested_slot") in answers:
        await chat.say(answers[chat.slot("requested_slot")])
    reply = await chat.say("I just want some information")
    assert chat.slot("assessment") == "stalking_unlikely"
    assert "may not form a pattern yet" in reply and "if it happens again" in reply
    assert "low risk" not in reply.lower() and "not stalking" not in reply.lower()
    assert knowledge.service("stalking_helpline").phone in reply


async def test_threats_raise_the_risk_and_strengthen_the_advice(agent, knowledge):
    chat = Chat(agent)
    await chat.say("my ex keeps turning up at my flat and he said he'll hurt me if I see anyone else")
    await chat.say("yes")
    await chat.say("/describe_behaviour")
    while chat.slot("requested_slot") in knowledge.four_slots:
        await chat.say("yes")
    reply = await chat.say('/choose_support{"support_choice": "not_ready"}')
    assert chat.slot("risk_level") == "high"
    assert "more dangerous" in reply and "made threats" in reply
    assert knowledge.service("paladin").phone in reply
    assert knowledge.service("domestic_abuse_helpline").phone in reply


@pytest.mark.parametrize(
    "message",
    ["he's outside my door right now", "HELP hes trying to get in", "im hiding, he has a knife"],
)
async def test_danger_as_the_first_message(agent, knowledge, message):
    chat = Chat(agent)
    reply = await chat.say(message)
    assert_emergency_advice(reply, knowledge)
    assert chat.slot("in_danger") is True and chat.slot("risk_level") == "immediate"
    assert {"999", "silent_solution"} <= set(chat.slot("signposts"))
    assert "/affirm" in chat.buttons(), "the bot offers to go on"


HIDDEN_EMERGENCIES = [
    "he just sent me a photo of my front door taken from the street. right now. my lights are on. i'm on my own",
    "tbh i dont see the point anymore, hes ruined everything, messaging my work, my family, "
    "i'm stood at the edge of the multi storey",
]


@pytest.mark.parametrize("message", HIDDEN_EMERGENCIES)
async def test_an_emergency_in_words_no_rule_knows_is_caught_by_the_danger_model(
    agent, analyser, knowledge, message
):
    assert not analyser.analyse(message).danger, "the rules alone miss it"
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    await chat.say("my ex keeps texting me")
    assert_emergency_advice(await chat.say(message), knowledge)
    assert chat.slot("in_danger") is True and chat.slot("risk_level") == "immediate"


async def test_a_message_that_may_tell_of_danger_gets_how_to_reach_999_and_the_conversation_goes_on(
    agent, analyser, knowledge
):
    message = "he used to wait outside my house every night"
    assert analyser.analyse(message).danger_ruled_out, "danger words the rules judged past"
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    reply = await chat.say(message)
    assert reply.index("999") < 40 and SILENT_SOLUTION_CODE in reply
    assert chat.slot("risk_level") != "immediate" and chat.slot("in_danger") is not True
    assert chat.slot("requested_slot") in knowledge.four_slots, "the questions go on"
    assert "999" not in await chat.say("yes"), "an ordinary answer gets no 999 line"


async def test_a_behaviour_in_words_no_rule_knows_is_recognised_by_the_behaviour_model(
    agent, analyser, knowledge
):
    message = "he keeps liking every single thing i put online"
    assert not analyser.analyse(message).behaviour_ids, "the rules alone miss it"
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    await chat.say(message)
    assert chat.slot("behaviours") == ["monitoring_online"]
    reply = await chat.say("/stop")
    assert knowledge.behaviours["monitoring_online"].label in reply
    assert "report_harmful_content" in chat.slot("signposts"), "an online behaviour brings its service"


async def test_not_safe_to_talk_gets_the_emergency_advice(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hi")
    assert_emergency_advice(await chat.say("no"), knowledge)
    assert chat.slot("in_danger") is True


async def test_danger_interrupts_the_questions_and_they_go_on(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    await chat.say("my neighbour watches me and takes photos of me")
    asked = chat.slot("requested_slot")
    assert asked in knowledge.four_slots
    reply = await chat.say("oh god he's at my door now")
    assert_emergency_advice(reply, knowledge)
    assert chat.slot("requested_slot") == asked, "the same question is asked again"
    assert chat.active_loop() == "triage_form"
    await chat.say("yes")
    assert chat.slot(asked) is True


async def test_danger_after_the_assessment(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    await chat.say("/describe_behaviour")
    await chat.say("/stop")
    assert chat.slot("assessment") is not None
    assert_emergency_advice(await chat.say("he's here, he's banging on the window"), knowledge)


async def test_danger_is_answered_when_the_action_server_is_down(agent_without_actions, knowledge):
    chat = Chat(agent_without_actions)
    assert_emergency_advice(await chat.say("he's outside my house right now"), knowledge)
    chat2 = Chat(agent_without_actions)
    await chat2.say("hi")
    assert_emergency_advice(await chat2.say("no i'm not safe"), knowledge)
    assert chat2.slot("risk_level") == "immediate"


@pytest.mark.parametrize(
    "question,service_id",
    [
        ("what's the helpline number", "stalking_helpline"),
        ("what is the silent solution", "silent_solution"),
        ("can I report anonymously", "crimestoppers"),
        ("how do I report it to the police", "101"),
        ("is there a live chat", "live_chat"),
        ("whats the number for crimestoppers", "crimestoppers"),
        ("what is a stalking protection order", "spo"),
        ("number for the domestic abuse helpline?", "domestic_abuse_helpline"),
        ("someone hacked my accounts, can I call action fraud", "report_fraud"),
        ("he's threatening to share my nudes who can help", "revenge_porn_helpline"),
    ],
)
async def test_every_service_can_be_asked_for(agent, knowledge, question, service_id):
    chat = Chat(agent)
    reply = await chat.say(question)
    service = knowledge.service(service_id)
    assert service.name in reply
    if service.phone:
        assert service.phone in reply
    if service.hours:
        assert service.hours in reply
    assert service_id in chat.slot("signposts")


async def test_a_service_question_during_the_questions(agent, knowledge):
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("yes")
    await chat.say("he keeps sending me flowers")
    asked = chat.slot("requested_slot")
    reply = await chat.say("what's the stalking helpline number")
    assert knowledge.service("stalking_helpline").phone in reply
    assert chat.slot("requested_slot") == asked


@pytest.mark.parametrize(
    "message,expected",
    [
        ("", "couldn't read"),
        ("     ", "couldn't read"),
        ("😭😭😭", "couldn't read"),
        ("<script>alert('x')</script>", ""),
        ("Il me suit partout et j'ai très peur de lui", "only understand English"),
        ("وہ ہر جگہ میرا پیچھا کرتا ہے", "only understand English"),
    ],
)
async def test_bad_input_gets_a_kind_clear_reply(agent, message, expected):
    chat = Chat(agent)
    reply = await chat.say(message)
    assert reply.strip(), "every message gets an answer"
    assert expected in reply
    assert "Traceback" not in reply and "<script>" not in reply


async def test_a_10000_character_message_is_capped_and_says_so(agent):
    chat = Chat(agent)
    text = ("He keeps following me to work and waiting outside my flat. " * 200)[:10_000]
    reply = await chat.say(text)
    assert "very long" in reply and "2000" in reply
    assert "following" in chat.slot("behaviours")


async def test_delete_my_conversation_erases_it_from_the_store(agent):
    chat = Chat(agent)
    await chat.say("hi")
    await chat.say("he keeps following me home")
    store = agent.tracker_store._tracker_store
    assert await store.retrieve(chat.sender) is not None
    reply = await chat.say("please delete my conversation")
    assert "deleted this conversation" in reply and "Clear conversation" in reply
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == chat.sender).count()
    assert rows == 0, "nothing of the conversation is left in the database"
    reply = await chat.say("hello")
    assert "not the police" in reply, "a new conversation starts"
