"""Triage rules: what is known so far -> FOUR, assessment, risk level, signposts.

Pure functions over plain data and bot.knowledge; no Rasa imports, so every rule
is tested in milliseconds (tests/test_triage.py). The bot never tells anyone they
are "low risk" or that it is "not stalking": `standard` is the risk level when no
escalation flag is known, and `stalking_unlikely` is worded by the bot as "it may
not form a pattern yet", always with signposts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from bot.knowledge import Knowledge

LIKELY = "stalking_likely"
POSSIBLE = "stalking_possible"
UNLIKELY = "stalking_unlikely"

IMMEDIATE = "immediate"
HIGH = "high"
STANDARD = "standard"

# With no escalation flag on its own, this many S-DASH style "yes" answers of any
# kind still mean a higher risk ("more yes answers mean higher risk").
FLAGS_FOR_HIGH_RISK = 3


@dataclass(frozen=True)
class Situation:
    """What the conversation has established so far."""

    in_danger: bool = False
    behaviours: Tuple[str, ...] = ()
    # FOUR element id -> True (fits), False (no / not sure), None (not asked yet)
    four: Mapping[str, Optional[bool]] = None  # type: ignore[assignment]
    risk_flags: Tuple[str, ...] = ()
    support_choice: Optional[str] = None


@dataclass(frozen=True)
class Assessment:
    four_present: Tuple[str, ...]
    assessment: str
    risk_level: str
    escalation_flags: Tuple[str, ...]
    signposts: Tuple[str, ...]


def four_present(knowledge: Knowledge, four: Optional[Mapping[str, Optional[bool]]]) -> Tuple[str, ...]:
    """The FOUR elements that fit, in F-O-U-R order."""
    four = four or {}
    return tuple(e.id for e in knowledge.four if four.get(e.id) is True)


def assess_pattern(present: Collection[str], behaviours: Collection[str]) -> str:
    """How the pattern reads: likely when it keeps happening, is unwanted, and is
    fixated or obsessive; possible with two elements, or repeated behaviour."""
    present = set(present)
    if {"repeated", "unwanted"} <= present and present & {"fixated", "obsessive"}:
        return LIKELY
    if len(present) >= 2 or ("repeated" in present and behaviours):
        return POSSIBLE
    if len(set(behaviours)) >= 2:
        return POSSIBLE
    return UNLIKELY


def escalation_flags(knowledge: Knowledge, flags: Iterable[str]) -> Tuple[str, ...]:
    """The flags that raise the risk level on their own, in knowledge-file order."""
    flags = set(flags)
    informational = set(knowledge.informational_flags)
    return tuple(f for f in knowledge.risk_flags if f in flags and f not in informational)


def risk_level(knowledge: Knowledge, in_danger: bool, flags: Iterable[str]) -> str:
    flags = set(flags)
    if in_danger:
        return IMMEDIATE
    if escalation_flags(knowledge, flags) or len(flags & set(knowledge.risk_flags)) >= FLAGS_FOR_HIGH_RISK:
        return HIGH
    return STANDARD


def situations(knowledge: Knowledge, situation: Situation, level: str) -> Set[str]:
    """The `offer_when` conditions of services.yml that hold for this situation."""
    conditions = {"always"}
    if situation.in_danger or level == IMMEDIATE:
        conditions.add("danger")
    choice = situation.support_choice
    if choice in ("report", "not_ready", "anonymous"):
        conditions.add(choice)
    else:
        # No choice made yet: offer both ways forward and let the person pick.
        conditions.update({"report", "not_ready"})
    behaviours = set(situation.behaviours)
    if any(knowledge.behaviours[b].online for b in behaviours if b in knowledge.behaviours):
        conditions.add("online")
    if behaviours & {"identity_theft", "hacking_spyware"}:
        conditions.add("identity_or_hacking")
    flags = set(situation.risk_flags)
    if "ex_partner" in flags:
        conditions.add("partner")
    if level in (HIGH, IMMEDIATE):
        conditions.add("high_risk")
    conditions.update(flags & {"image_threat", "lgbt"})
    return conditions


def choose_signposts(knowledge: Knowledge, situation: Situation, level: str) -> Tuple[str, ...]:
    """Service ids to offer, in the order of the knowledge file (most urgent first)."""
    conditions = situations(knowledge, situation, level)
    return tuple(s.id for s in knowledge.services.values() if conditions & set(s.offer_when))


def danger_signposts(knowledge: Knowledge) -> Tuple[str, ...]:
    return tuple(s.id for s in knowledge.services.values() if "danger" in s.offer_when)


def merge_signposts(existing: Optional[Sequence[str]], new: Iterable[str]) -> List[str]:
    """Adds `new` service ids to what was already offered, keeping first-offered order."""
    return list(dict.fromkeys([*(existing or []), *new]))


def triage(knowledge: Knowledge, situation: Situation) -> Assessment:
    present = four_present(knowledge, situation.four)
    level = risk_level(knowledge, situation.in_danger, situation.risk_flags)
    return Assessment(
        four_present=present,
        assessment=assess_pattern(present, situation.behaviours),
        risk_level=level,
        escalation_flags=escalation_flags(knowledge, situation.risk_flags),
        signposts=choose_signposts(knowledge, situation, level),
    )
