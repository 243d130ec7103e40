"""The widget's channel, without a browser: what it accepts and what it does when
the bot fails."""

from __future__ import annotations

from typing import Any, List

import pytest

from bot.channels.webchat import WebChatInput

SESSION = "a" * 32


@pytest.fixture
def channel_with(monkeypatch):
    # No action server is configured here, so there is none to find down.
    monkeypatch.delenv("ACTION_PORT", raising=False)
    monkeypatch.delenv("ACTION_SERVER_URL", raising=False)

    def build(on_new_message):
        channel = WebChatInput(["http://127.0.0.1:5005"], max_message_characters=50, exit_url="")
        channel.blueprint(on_new_message)
        sent: List[Any] = []

        async def get_session(sid, namespace=None):
            return {"session_id": SESSION} if sid == "known" else {}

        async def emit(event, data=None, room=None, **kwargs):
            sent.append((event, data, room))

        monkeypatch.setattr(channel.sio, "get_session", get_session)
        monkeypatch.setattr(channel.sio, "emit", emit)
        return channel.sio.handlers["/"]["user_uttered"], sent

    return build


async def test_the_conversation_id_is_the_servers_never_the_clients(channel_with):
    received = []

    async def on_new_message(message):
        received.append(message)

    handle, _ = channel_with(on_new_message)
    await handle("known", {"message": "x" * 80, "session_id": "b" * 32})
    [message] = received
    assert message.sender_id == SESSION
    assert message.text == "x" * 50, "capped at max_message_characters"
    await handle("unknown", {"message": "hi"})
    await handle("known", {"message": {"not": "text"}})
    assert len(received) == 1, "no confirmed session or no text: refused"


async def test_when_the_bot_fails_the_person_still_gets_the_emergency_numbers(channel_with, knowledge):
    async def broken(message):
        raise RuntimeError("the conversation store is down")

    handle, sent = channel_with(broken)
    await handle("known", {"message": "he's outside"})
    [(event, data, room)] = sent
    assert event == "bot_uttered" and room == "known"
    assert knowledge.service("999").phone in data["text"]
    assert knowledge.service("silent_solution").silent_code in data["text"]


async def test_too_many_messages_are_refused_kindly_with_the_emergency_number(channel_with, knowledge):
    from bot.channels.webchat import RATE_LIMIT

    received = []

    async def on_new_message(message):
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    handle, sent = channel_with(on_new_message)
    limit, _ = RATE_LIMIT
    for _ in range(limit + 3):
        await handle("known", {"message": "hi"})
    assert len(received) == limit
    refusals = [d["text"] for _, d, _ in sent if d["text"] != "ok"]
    assert len(refusals) == 3
    assert all("very quickly" in t and knowledge.service("999").phone in t for t in refusals)


def test_the_rate_limit_window_slides(monkeypatch):
    import bot.channels.webchat as webchat

    monkeypatch.setattr(webchat, "RATE_LIMIT", (2, 60.0))
    channel = WebChatInput([], 100, "")
    assert channel.allow("s", now=0) and channel.allow("s", now=1)
    assert not channel.allow("s", now=2)
    assert channel.allow("s", now=62), "the oldest message left the window"
    assert channel.allow("other", now=2), "limits are per conversation"


async def test_a_turn_that_sends_nothing_still_gets_an_answer(channel_with, knowledge):
    async def silent(message):
        """What the bot does when its action server is down: runs, but says nothing."""

    handle, sent = channel_with(silent)
    await handle("known", {"message": "what's the helpline number"})
    [(_, data, _)] = sent
    assert "having trouble" in data["text"] and knowledge.service("999").phone in data["text"]


async def test_a_normal_answer_gets_no_trouble_message(channel_with):
    async def answers(message):
        await message.output_channel.send_text_message(message.sender_id, "Thank you for telling me.")

    handle, sent = channel_with(answers)
    await handle("known", {"message": "he follows me"})
    assert [data["text"] for _, data, _ in sent] == ["Thank you for telling me."]
