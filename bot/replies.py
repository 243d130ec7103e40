"""Plain-words pieces of the bot's replies, built from the knowledge.

The sentences themselves are responses in domain.yml; these functions only fill
their variables, so every number and opening time comes from services.yml.
"""

from __future__ import annotations

from typing import Dict, Iterable, Sequence

from bot.knowledge import Knowledge, Service


def join_words(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def service_variables(service: Service) -> Dict[str, str]:
    """The {service_*} variables of the utter_service response."""
    hours = f" Open: {service.hours}." if service.hours else ""
    return {
        "service_name": service.name,
        "service_when": service.when[0].upper() + service.when[1:],
        "service_how": service.how,
        "service_hours": hours,
    }


def emergency_access_variables(knowledge: Knowledge) -> Dict[str, str]:
    """The {ways} of utter_emergency_access: one line per accessible way to reach 999."""
    return {"ways": "\n".join(f"- {entry['text']}" for entry in knowledge.accessibility)}


def four_list(knowledge: Knowledge, present: Iterable[str]) -> str:
    """E.g. "it seems Unwanted and Repeated; Fixated and Obsessive are not clear yet"."""
    present = set(present)
    fits = [e.name for e in knowledge.four if e.id in present]
    unclear = [e.name for e in knowledge.four if e.id not in present]
    if not fits:
        return "none of these is clear yet"
    if not unclear:
        return f"it seems {join_words(fits)}"
    verb = "is" if len(unclear) == 1 else "are"
    return f"it seems {join_words(fits)}; {join_words(unclear)} {verb} not clear yet"


def behaviour_list(knowledge: Knowledge, behaviour_ids: Iterable[str]) -> str:
    ids = set(behaviour_ids)
    return join_words([b.label for b in knowledge.behaviours.values() if b.id in ids])


def flag_list(knowledge: Knowledge, flag_ids: Iterable[str]) -> str:
    ids = set(flag_ids)
    return join_words([f.plain for f in knowledge.risk_flags.values() if f.id in ids])
