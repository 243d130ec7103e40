"""Rasa's REST channel, for deployments that cannot keep a browser on one replica
(deploy/docker-compose.yml) and for the end-to-end tests. Differences from Rasa's
RestInput, and why:
- a turn that fails or is cancelled is logged without the person's words (Rasa's logs
  the message text at ERROR);
- that turn, and one that sends nothing (the action server down), is still answered,
  with the emergency numbers (Rasa's answers with whatever was collected, often nothing,
  and its streaming answer never ends).
Named "rest", so its webhook stays /webhooks/rest/webhook.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.channels.webchat import TROUBLE_MESSAGE, emergency_message
from bot.store.tracker_store import ConversationStoreUnavailable

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]


def answered_whatever_fails(on_new_message: Handler) -> Handler:
    """Runs a turn so that nothing the person wrote reaches the log and they always get
    an answer with the emergency numbers."""

    async def handle(message: UserMessage) -> None:
        output = message.output_channel
        try:
            await on_new_message(message)
        except (Exception, CancelledError, ConversationStoreUnavailable):
            logger.exception("rest: the bot failed to handle a message")
        else:
            # A streaming answer goes out as it is sent, so only a collected one can be
            # seen to be empty.
            if not (isinstance(output, CollectingOutputChannel) and output.messages == []):
                return
        await output.send_text_message(message.sender_id, emergency_message(TROUBLE_MESSAGE))

    return handle


class GuardedRestInput(RestInput):
    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(answered_whatever_fails(on_new_message))
