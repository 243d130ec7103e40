"""Triage rules: pure functions, no Rasa."""

from __future__ import annotations

import pytest

from bot.triage import (
    HIGH,
    IMMEDIATE,
    LIKELY,
    POSSIBLE,
    STANDARD,
    UNLIKELY,
    Situation,
    assess_pattern,
    choose_signposts,
    danger_signposts,
    merge_signposts,
    risk_level,
    triage,
)

ALL_FOUR = {"fixated": True, "obsessive": True, "unwanted": True, "repeated": True}


@pytest.mark.parametrize(
    "present,behaviours,expected",
    [
        ({"fixated", "obsessive", "unwanted", "repeated"}, ["following"], LIKELY),
        ({"repeated", "unwanted", "obsessive"}, [], LIKELY),
        ({"repeated", "unwanted"}, ["unwanted_contact"], POSSIBLE),
        ({"repeated"}, ["turning_up"], POSSIBLE),
        (set(), ["following", "watching"], POSSIBLE),
        ({"unwanted"}, ["watching"], UNLIKELY),
        (set(), [], UNLIKELY),
    ],
)
def test_pattern(present, behaviours, expected):
    assert assess_pattern(present, behaviours) == expected


def test_a_one_off_is_never_called_stalking_but_still_gets_help(knowledge):
    result = triage(
        knowledge,
        Situation(behaviours=("watching",), four={"unwanted": True, "repeated": False}),
    )
    assert result.assessment == UNLIKELY
    assert result.risk_level == STANDARD
    assert {"999", "silent_solution", "101", "stalking_helpline"} <= set(result.signposts)


@pytest.mark.parametrize(
    "flags,expected",
    [
        ((), STANDARD),
        (("threats",), HIGH),
        (("violence",), HIGH),
        (("property_damage",), HIGH),
        (("visits_home_or_work",), HIGH),
        (("third_parties",), HIGH),
        (("very_frightened",), HIGH),
        (("ex_partner",), STANDARD),
        (("ex_partner", "lgbt", "image_threat"), HIGH),  # three yes answers of any kind
    ],
)
def test_risk_level(knowledge, flags, expected):
    assert risk_level(knowledge, False, flags) == expected


def test_danger_now_outranks_every_flag(knowledge):
    assert risk_level(knowledge, True, ()) == IMMEDIATE


def _signposts(knowledge, **situation):
    return set(triage(knowledge, Situation(four=ALL_FOUR, **situation)).signposts)


def test_999_and_silent_solution_are_always_offered(knowledge):
    for choice in (None, "report", "not_ready", "anonymous", "information"):
        assert {"999", "silent_solution"} <= _signposts(knowledge, support_choice=choice)


def test_wants_to_report(knowledge):
    offered = _signposts(knowledge, support_choice="report", behaviours=("following",))
    assert {"101", "live_chat", "spo"} <= offered
    assert "crimestoppers" not in offered


def test_not_ready_for_the_police(knowledge):
    offered = _signposts(knowledge, support_choice="not_ready", behaviours=("following",))
    assert "stalking_helpline" in offered
    assert "101" not in offered


def test_wants_anonymity(knowledge):
    offered = _signposts(knowledge, support_choice="anonymous", behaviours=("following",))
    assert "crimestoppers" in offered


def test_online_and_identity(knowledge):
    offered = _signposts(knowledge, behaviours=("identity_theft", "fake_accounts"))
    assert {"report_fraud", "report_harmful_content"} <= offered


def test_partner_or_ex_partner(knowledge):
    assert "domestic_abuse_helpline" in _signposts(knowledge, risk_flags=("ex_partner",))
    assert "domestic_abuse_helpline" not in _signposts(knowledge)


def test_high_risk_adds_specialist_advocacy(knowledge):
    offered = _signposts(knowledge, risk_flags=("threats",), support_choice="not_ready")
    assert {"paladin", "stalking_helpline", "spo"} <= offered


def test_signposts_follow_the_knowledge_file_order(knowledge):
    offered = choose_signposts(knowledge, Situation(four={}), STANDARD)
    order = list(knowledge.services)
    assert list(offered) == sorted(offered, key=order.index)


def test_danger_signposts_and_merging(knowledge):
    assert danger_signposts(knowledge) == ("999", "silent_solution")
    assert merge_signposts(["101", "999"], ["999", "silent_solution"]) == ["101", "999", "silent_solution"]
    assert merge_signposts(None, ["999"]) == ["999"]


def test_four_summary_names_what_fits_and_what_is_unclear(knowledge):
    from bot.replies import four_list

    assert four_list(knowledge, {"fixated", "obsessive", "unwanted", "repeated"}) == (
        "it seems Fixated, Obsessive, Unwanted and Repeated"
    )
    assert four_list(knowledge, {"unwanted", "repeated"}) == (
        "it seems Unwanted and Repeated; Fixated and Obsessive are not clear yet"
    )
    assert four_list(knowledge, set()) == "none of these is clear yet"
