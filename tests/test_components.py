"""How the rule layer's reading combines with DIET's intent (no model needed)."""

from __future__ import annotations

import pytest

from bot.nlu.combine import LearnedBehaviours
from bot.nlu.components import _override_intent, is_question, may_be_danger, mostly_non_latin

DIET_SAYS_DANGER = {"name": "immediate_danger", "confidence": 0.97}
RANKING = [DIET_SAYS_DANGER, {"name": "describe_behaviour", "confidence": 0.02}]


def decide(analyser, text, predicted, ranking=(), model_danger=None, learned=None):
    analysis = analyser.analyse(text, learned)
    return _override_intent(analysis, text, predicted, 0.6, list(ranking), model_danger)


def test_rule_found_danger_outranks_any_confident_intent(analyser):
    assert decide(analyser, "he's outside my door right now", {"name": "greet", "confidence": 0.99}) == (
        "immediate_danger"
    )


def test_diets_alarm_stands_when_the_rules_saw_no_danger_words_and_no_danger_model_ran(analyser):
    assert decide(analyser, "please, I need someone", DIET_SAYS_DANGER, RANKING) is None


def test_the_danger_model_raises_the_alarm_the_rules_missed(analyser):
    text = "the back gate just went and the security light is on, he said he would come tonight"
    assert not analyser.analyse(text).danger
    assert decide(analyser, text, {"name": "describe_behaviour", "confidence": 0.99}, model_danger=True) == (
        "immediate_danger"
    )


def test_when_neither_danger_reader_sees_danger_diets_alarm_yields(analyser):
    assert (
        decide(analyser, "please, I need someone", DIET_SAYS_DANGER, RANKING, model_danger=False)
        == "describe_behaviour"
    )


def test_rule_found_danger_stands_whatever_the_danger_model_says(analyser):
    assert decide(
        analyser, "he's outside my door right now", {"name": "greet", "confidence": 0.9}, (), False
    ) == ("immediate_danger")


def test_the_danger_model_cannot_read_a_message_without_letters(analyser):
    assert decide(analyser, "😭😭😭", {"name": "greet", "confidence": 0.9}, (), True) == "bad_input"


def test_diets_alarm_yields_when_the_rules_read_the_danger_words_as_past(analyser):
    assert (
        decide(analyser, "he used to wait outside my house", DIET_SAYS_DANGER, RANKING)
        == "describe_behaviour"
    )


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "???"])
def test_no_letters_is_bad_input(analyser, text):
    assert decide(analyser, text, {"name": "greet", "confidence": 0.9}) == "bad_input"


def test_other_scripts_and_questions(analyser):
    assert mostly_non_latin("وہ ہر جگہ میرا پیچھا کرتا ہے") and not mostly_non_latin("il me suit partout")
    assert (
        decide(analyser, "وہ ہر جگہ میرا پیچھا کرتا ہے", {"name": "greet", "confidence": 0.9})
        == "other_language"
    )
    assert is_question("someone hacked my accounts, can I call action fraud")
    assert not is_question("he keeps texting me")


def test_a_disclosure_diet_is_unsure_about_is_a_disclosure(analyser):
    assert decide(analyser, "he keeps folowing me", {"name": "nlu_fallback", "confidence": 0.4}) == (
        "describe_behaviour"
    )


def test_a_behaviour_only_the_learned_reader_found_does_not_make_another_language_a_disclosure(analyser):
    text = "Il me suit partout et j'ai très peur de lui"
    learned = LearnedBehaviours({"following": 0.95})
    assert analyser.analyse(text, learned).behaviour_ids == ["following"]
    assert decide(analyser, text, {"name": "other_language", "confidence": 0.5}, learned=learned) is None
    english = "he keeps following me"
    assert decide(analyser, english, {"name": "nlu_fallback", "confidence": 0.4}, learned=learned) == (
        "describe_behaviour"
    )


@pytest.mark.parametrize(
    "text,probability,diet_said_danger,expected",
    [
        # The rules found danger words and judged them past, a habit or a question.
        ("he used to wait outside my house", 0.0, False, True),
        ("he waits outside my work every evening", 0.0, False, True),
        ("what if he tries to break in", 0.0, False, True),
        ("he threatened to kill me last year", 0.0, False, True),
        # The danger model leans to danger, under the alarm.
        ("he keeps ringing. now the doorbell's going", 0.12, False, True),
        # DIET's alarm was overruled by the danger readers.
        ("please, I need someone", 0.05, True, True),
        # Nothing points to danger.
        ("what's the helpline number", 0.04, False, False),
        ("he keeps texting me", None, False, False),
        ("😭😭😭", 0.9, True, False),
    ],
)
def test_a_message_under_the_alarm_that_may_tell_of_danger(
    analyser, text, probability, diet_said_danger, expected
):
    assert may_be_danger(analyser.analyse(text), probability, 0.1, diet_said_danger) is expected
