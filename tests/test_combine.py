"""How the rules' behaviours and the learned reader's are combined (bot/nlu/combine.py)."""

from __future__ import annotations

from bot.nlu.combine import LearnedBehaviours

UNSURE = 0.3


def learned(**probabilities: float) -> LearnedBehaviours:
    return LearnedBehaviours(probabilities, keep_at=0.05, add_at=0.8)


def test_without_the_learned_reader_the_rules_alone_decide(analyser):
    analysis = analyser.analyse("he keeps texting me and following me home")
    assert analysis.behaviour_ids == ["following", "unwanted_contact"]


def test_a_behaviour_the_rules_found_stays_unless_the_model_all_but_rules_it_out(analyser):
    text = "he keeps texting me and following me home"
    unsure = analyser.analyse(text, learned(following=UNSURE, unwanted_contact=UNSURE))
    assert unsure.behaviour_ids == ["following", "unwanted_contact"]
    doubted = analyser.analyse(text, learned(following=UNSURE, unwanted_contact=0.01))
    assert doubted.behaviour_ids == ["following"]


def test_the_model_adds_a_behaviour_the_rules_missed_only_when_it_is_sure(analyser):
    text = "he keeps texting me"
    assert analyser.analyse(text, learned(unwanted_contact=0.9, watching=UNSURE)).behaviour_ids == [
        "unwanted_contact"
    ]
    sure = analyser.analyse(text, learned(unwanted_contact=0.9, watching=0.95))
    assert sure.behaviour_ids == ["unwanted_contact", "watching"]


def test_a_threat_the_model_doubts_is_still_a_risk(analyser):
    text = "he said he will kill me"
    assert "threats" in analyser.analyse(text).behaviour_ids
    doubted = analyser.analyse(text, learned(threats=0.01))
    assert "threats" not in doubted.behaviour_ids
    assert doubted.risk_flags == analyser.analyse(text).risk_flags != frozenset()


def test_a_behaviour_the_model_adds_raises_its_risk_flag(analyser):
    text = "i am so scared of him"
    before = analyser.analyse(text)
    after = analyser.analyse(text, learned(threats=0.9))
    assert "threats" in after.behaviour_ids and "threats" not in before.behaviour_ids
    assert after.risk_flags > before.risk_flags
