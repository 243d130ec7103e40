"""The figures `make eval` reports, on a few hand-made predictions (no model needed)."""

from __future__ import annotations

from bot.evaluation import annotated, score, told_999
from bot.labelled import Example

EXAMPLES = [
    Example("hes outside now", True, frozenset({"turning_up"})),
    Example("he got in thru the window", True, frozenset()),
    Example("he used to wait outside", False, frozenset({"loitering"})),
    Example("whats the helpline number", False, frozenset()),
]


def test_danger_recall_false_alarms_and_behaviour_f1():
    scores = score(EXAMPLES, [(True, {"turning_up"}), (False, set()), (True, set()), (False, set())])
    assert (scores.danger_recall, scores.false_alarm_rate) == (0.5, 0.5)
    assert scores.missed_danger == ["he got in thru the window"]
    assert (scores.behaviour_precision, scores.behaviour_recall) == (1.0, 0.5)


def test_an_emergency_under_the_alarm_told_how_to_reach_999_counts_as_told():
    alarms = {"hes outside now": True, "he got in thru the window": False}
    alarms |= {"he used to wait outside": False, "whats the helpline number": False}
    checks = {"he got in thru the window": True, "he used to wait outside": True}
    assert told_999(EXAMPLES, alarms, checks) == {
        "danger_told_999_recall": 1.0,
        "danger_999_line_on_others": 0.5,
    }
    assert told_999(EXAMPLES, alarms, {})["danger_told_999_recall"] == 0.5


def test_a_missed_emergency_is_listed_with_whether_it_was_told_how_to_reach_999():
    probabilities = {"he got in thru the window": 0.27, "hes outside now": 0.04}
    checks = {"he got in thru the window": True, "hes outside now": False}
    assert annotated("he got in thru the window", probabilities, checks) == (
        "he got in thru the window  [danger model 0.27; told how to reach 999]"
    )
    assert annotated("hes outside now", probabilities, checks).endswith(
        "[danger model 0.04; NOT told how to reach 999]"
    )
    assert annotated("he used to wait outside", {}, {}) == "he used to wait outside"
