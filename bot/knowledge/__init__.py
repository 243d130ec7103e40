"""The project's single source of truth: services, behaviours, FOUR, risk flags,
danger cues and spelling, loaded from the YAML files in this folder.

Everything the bot says about a service (number, hours, when to use it) and every
pattern it recognises comes from here, so a change of number is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent
KNOWLEDGE_FILES = (
    "services.yml",
    "behaviours.yml",
    "four.yml",
    "risk.yml",
    "danger.yml",
    "language.yml",
    "requests.yml",
)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    phone: Optional[str]
    textphone: Optional[str]
    hours: Optional[str]
    when: str
    how: str
    offer_when: Tuple[str, ...]
    source: str
    checked: str
    silent_code: Optional[str] = None


@dataclass(frozen=True)
class Behaviour:
    id: str
    label: str
    online: bool
    patterns: Tuple[str, ...]
    exclude: Tuple[str, ...]


@dataclass(frozen=True)
class FourElement:
    id: str
    slot: str
    name: str
    meaning: str
    cues: Tuple[str, ...]
    implied_by_behaviours: Tuple[str, ...]


@dataclass(frozen=True)
class RiskFlag:
    id: str
    plain: str
    patterns: Tuple[str, ...]
    implied_by_behaviours: Tuple[str, ...]
    all_of: Tuple[str, ...] = ()


@dataclass(frozen=True)
class DangerRules:
    emergency: Tuple[str, ...]
    threatened: Tuple[str, ...]
    presence: Tuple[str, ...]
    now: Tuple[str, ...]
    negation: Tuple[str, ...]
    past: Tuple[str, ...]
    hypothetical: Tuple[str, ...]
    habitual: Tuple[str, ...]
    exclude: Tuple[str, ...]
    # Scopes over the whole message: what has ended since ("he's gone now"), being
    # somewhere else now, a story of the past told in the present, a dream or memory,
    # and the words that end them.
    over: Tuple[str, ...]
    staying_elsewhere: Tuple[str, ...]
    story: Tuple[str, ...]
    unreal: Tuple[str, ...]
    memory: Tuple[str, ...]
    real: Tuple[str, ...]
    unreal_after: Tuple[str, ...]
    past_after: Tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    services: Mapping[str, Service]
    accessibility: Tuple[Mapping[str, str], ...]
    behaviours: Mapping[str, Behaviour]
    four: Tuple[FourElement, ...]
    risk_flags: Mapping[str, RiskFlag]
    informational_flags: Tuple[str, ...]
    danger: DangerRules
    spelling: Mapping[str, str]
    service_phrases: Mapping[str, Tuple[str, ...]]
    support_choices: Mapping[str, Tuple[str, ...]]

    def service(self, service_id: str) -> Service:
        return self.services[service_id]

    @property
    def four_slots(self) -> Tuple[str, ...]:
        return tuple(element.slot for element in self.four)


def _tuple(values: Optional[List[Any]]) -> Tuple[Any, ...]:
    return tuple(values or ())


def knowledge_from_documents(docs: Mapping[str, Any]) -> Knowledge:
    """Builds a Knowledge object from the parsed YAML documents (by file name)."""
    services = {
        str(s["id"]): Service(
            id=str(s["id"]),
            name=s["name"],
            phone=s.get("phone"),
            textphone=s.get("textphone"),
            hours=s.get("hours"),
            when=s["when"],
            how=s["how"],
            offer_when=_tuple(s.get("offer_when")),
            source=s["source"],
            checked=str(s["checked"]),
            silent_code=s.get("silent_code"),
        )
        for s in docs["services.yml"]["services"]
    }
    behaviours = {
        b["id"]: Behaviour(
            id=b["id"],
            label=b["label"],
            online=bool(b.get("online")),
            patterns=_tuple(b.get("patterns")),
            exclude=_tuple(b.get("exclude")),
        )
        for b in docs["behaviours.yml"]["behaviours"]
    }
    four = tuple(
        FourElement(
            id=e["id"],
            slot=e["slot"],
            name=e["name"],
            meaning=e["meaning"],
            cues=_tuple(e.get("cues")),
            implied_by_behaviours=_tuple(e.get("implied_by_behaviours")),
        )
        for e in docs["four.yml"]["elements"]
    )
    risk = docs["risk.yml"]
    risk_flags = {
        f["id"]: RiskFlag(
            id=f["id"],
            plain=f["plain"],
            patterns=_tuple(f.get("patterns")),
            implied_by_behaviours=_tuple(f.get("implied_by_behaviours")),
            all_of=_tuple(f.get("all_of")),
        )
        for f in risk["flags"]
    }
    danger = docs["danger.yml"]
    requests = docs["requests.yml"]
    return Knowledge(
        services=services,
        accessibility=_tuple(docs["services.yml"].get("accessibility")),
        behaviours=behaviours,
        four=four,
        risk_flags=risk_flags,
        informational_flags=_tuple(risk.get("informational")),
        danger=DangerRules(**{key: _tuple(danger.get(key)) for key in DangerRules.__dataclass_fields__}),
        spelling={str(k).lower(): str(v) for k, v in docs["language.yml"]["spelling"].items()},
        service_phrases={str(k): _tuple(v) for k, v in requests["service_phrases"].items()},
        support_choices={k: _tuple(v) for k, v in requests["support_choices"].items()},
    )


def read_documents(directory: Path = KNOWLEDGE_DIR) -> Dict[str, Any]:
    """Parses every knowledge file in `directory`."""
    return {name: yaml.safe_load((directory / name).read_text(encoding="utf-8")) for name in KNOWLEDGE_FILES}


@lru_cache(maxsize=1)
def load_knowledge() -> Knowledge:
    """The knowledge shipped with the code (cached: the files do not change at run time)."""
    return knowledge_from_documents(read_documents())
