"""A dialogue policy that answers immediate danger before anything else.

Rasa's RulePolicy lets an active form run before any rule ("a loop has priority
over any other rule"), and a form calls the action server; if that server is
down, a danger message mid-form would get no answer. This policy runs in the
Rasa server, outranks every other policy (priority 7 and a no-user prediction,
the same class of prediction as a form's happy path), and predicts the
`utter_danger` response, which needs no custom action. It also records the
contract slots (in_danger, risk_level, signposts) as policy events, so they are
set even when the action server is unreachable.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversation import bot_action_before_latest_user
from bot.knowledge import load_knowledge
from bot.triage import danger_signposts, merge_signposts

DANGER_INTENT = "immediate_danger"
DANGER_RESPONSE = "utter_danger"
SAFETY_QUESTION = "utter_ask_safe_now"
# Answers to "are you safe right now?" that mean the person may not be; an answer
# the bot could not understand gets the emergency advice too (recall first).
NOT_SAFE_ANSWERS = frozenset({"deny", "unsure", "nlu_fallback"})
PRIORITY = 7


def is_danger_turn(tracker: DialogueStateTracker) -> bool:
    """True when the latest user message is an emergency (or "no" to "are you safe?")."""
    if tracker.latest_action_name != ACTION_LISTEN_NAME:
        return False
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    if intent == DANGER_INTENT:
        return True
    summary = ((e.type_name, getattr(e, "action_name", None)) for e in tracker.events)
    return intent in NOT_SAFE_ANSWERS and bot_action_before_latest_user(summary) == SAFETY_QUESTION


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class DangerPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": PRIORITY}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._danger_signposts = danger_signposts(load_knowledge())

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn: the policy is a rule. The resource is still persisted so
        # the policy loads like any other.
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if not is_danger_turn(tracker):
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(DANGER_RESPONSE)] = 1.0
        signposts = merge_signposts(tracker.get_slot("signposts"), self._danger_signposts)
        events = [
            SlotSet("in_danger", True),
            SlotSet("risk_level", "immediate"),
            SlotSet("signposts", signposts),
        ]
        return self._prediction(probabilities, events=events, is_no_user_prediction=True)
