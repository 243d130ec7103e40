"""Labelled messages (data/danger/*.yml, tests/eval/*.yml): text, danger now?, behaviours.

The same format trains the danger model and scores the bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import yaml


@dataclass(frozen=True)
class Example:
    text: str
    danger: bool
    behaviours: frozenset
    tags: Tuple[str, ...] = ()


def load_examples(path: Path) -> List[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Example(
            text=item["text"],
            danger=bool(item["danger"]),
            behaviours=frozenset(item.get("behaviours") or ()),
            tags=tuple(item.get("tags") or ()),
        )
        for item in data["examples"]
    ]
