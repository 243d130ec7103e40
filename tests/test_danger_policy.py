"""The policy that answers danger before anything else, forms included."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.danger_policy import DangerPolicy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def policy(tmp_path) -> DangerPolicy:
    return DangerPolicy.create(
        {**DangerPolicy.get_default_config()},
        LocalModelStorage(tmp_path),
        Resource("danger_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def user(intent: str) -> UserUttered:
    return UserUttered("...", {"name": intent, "confidence": 1.0})


def predict(policy, domain, *events):
    tracker = DialogueStateTracker.from_events(
        "test", [ActionExecuted("action_listen"), *events], domain.slots
    )
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return prediction, (domain.action_names_or_texts[best] if prediction.max_confidence else None)


def test_danger_is_answered_with_the_emergency_response(policy, domain):
    prediction, action = predict(policy, domain, user("immediate_danger"))
    assert action == "utter_danger" and prediction.max_confidence == 1.0
    assert prediction.policy_priority > 6, "must outrank RulePolicy"
    slots = {e.key: e.value for e in prediction.events if isinstance(e, SlotSet)}
    assert slots == {"in_danger": True, "risk_level": "immediate", "signposts": ["999", "silent_solution"]}


def test_danger_outranks_an_active_form(policy, domain):
    prediction, action = predict(
        policy,
        domain,
        ActiveLoop("triage_form"),
        SlotSet("requested_slot", "four_repeated"),
        SlotSet("signposts", ["101"]),
        ActionExecuted("action_listen"),
        user("immediate_danger"),
    )
    assert action == "utter_danger"
    # Same class of prediction as the form's happy path, so the ensemble compares priority.
    assert prediction.is_no_user_prediction
    signposts = next(e.value for e in prediction.events if e.key == "signposts")
    assert signposts == ["101", "999", "silent_solution"]


@pytest.mark.parametrize("answer", ["deny", "unsure"])
def test_no_to_are_you_safe_is_danger(policy, domain, answer):
    _, action = predict(
        policy, domain, ActionExecuted("utter_ask_safe_now"), ActionExecuted("action_listen"), user(answer)
    )
    assert action == "utter_danger"


def test_no_to_another_question_is_not_danger(policy, domain):
    _, action = predict(
        policy,
        domain,
        ActionExecuted("utter_ask_four_repeated"),
        ActionExecuted("action_listen"),
        user("deny"),
    )
    assert action is None


def test_abstains_once_the_danger_response_was_sent(policy, domain):
    tracker = DialogueStateTracker.from_events(
        "test",
        [ActionExecuted("action_listen"), user("immediate_danger"), ActionExecuted("utter_danger")],
        domain.slots,
    )
    assert policy.predict_action_probabilities(tracker, domain).max_confidence == 0.0
