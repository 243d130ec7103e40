"""The REST channel, without a server: a failed or silent turn is answered with the
emergency numbers and never logs what the person wrote."""

from __future__ import annotations

import logging
from asyncio import CancelledError

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.rest import answered_whatever_fails
from bot.store.tracker_store import ConversationStoreUnavailable

WORDS = "he is outside my flat in Leith right now"


async def replies_to(on_new_message) -> list:
    output = CollectingOutputChannel()
    await answered_whatever_fails(on_new_message)(UserMessage(WORDS, output, "someone"))
    return [m["text"] for m in output.messages]


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("the model could not be loaded"), CancelledError(), ConversationStoreUnavailable()],
    ids=["error", "timeout", "store-down"],
)
async def test_a_failed_turn_is_answered_with_the_emergency_numbers_and_not_logged(
    failure, knowledge, caplog
):
    async def broken(message):
        raise failure

    with caplog.at_level(logging.DEBUG):
        [reply] = await replies_to(broken)
    assert knowledge.service("999").phone in reply
    assert knowledge.service("silent_solution").silent_code in reply
    assert "the bot failed" in caplog.text
    assert WORDS not in caplog.text


async def test_a_turn_that_sends_nothing_still_gets_an_answer(knowledge):
    async def silent(message):
        """What the bot does when its action server is down: runs, but says nothing."""

    [reply] = await replies_to(silent)
    assert "having trouble" in reply and knowledge.service("999").phone in reply


async def test_a_normal_answer_gets_no_trouble_message():
    async def answers(message):
        await message.output_channel.send_text_message(message.sender_id, "Thank you for telling me.")

    assert await replies_to(answers) == ["Thank you for telling me."]
