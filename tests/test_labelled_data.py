"""The labelled messages: training data for the danger model (data/danger) and the
held-out sets that score the bot (tests/eval). Written by people outside the project,
so they are checked before anything learns from them or is scored on them."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge import load_knowledge
from bot.labelled import Example, load_examples

ROOT = Path(__file__).resolve().parent.parent
TRAINING = sorted((ROOT / "data" / "danger").glob("*.yml"))
HELD_OUT = sorted((ROOT / "tests" / "eval").glob("*.yml"))


def examples(paths: List[Path]) -> List[Example]:
    return [example for path in paths for example in load_examples(path)]


def key(text: str) -> str:
    return text.strip().lower()


def nlu_texts() -> List[str]:
    """The NLU examples, read as Rasa reads them: they also train the danger model."""
    return [message.get("text") for message in load_data(str(ROOT / "data" / "nlu")).intent_examples]


@pytest.mark.parametrize("path", TRAINING + HELD_OUT, ids=lambda p: p.name)
def test_every_label_is_a_known_behaviour_and_every_text_is_unique(path: Path):
    known = set(load_knowledge().behaviours)
    labelled = load_examples(path)
    unknown = {b for example in labelled for b in example.behaviours} - known
    assert not unknown, f"{path.name}: unknown behaviour ids {sorted(unknown)}"
    texts = [key(example.text) for example in labelled]
    assert len(texts) == len(set(texts)), f"{path.name} repeats a message"
    assert all(texts), f"{path.name} has an empty message"


def test_no_held_out_disclosure_is_in_the_training_data():
    """A held-out message that tells of danger or a behaviour must never also train the
    model. Different people write the same stock phrases ("hes here", "cant talk hes
    here") and the same unlabelled questions ("what should I do if he turns up at my
    work?"); those carry nothing to leak."""
    training = {key(example.text) for example in examples(TRAINING)}
    training |= {key(text) for text in nlu_texts()}
    leaked = [
        example.text
        for example in examples(HELD_OUT)
        if (example.danger or example.behaviours)
        and len(example.text.split()) >= 5
        and key(example.text) in training
    ]
    assert not leaked


def test_each_held_out_set_is_big_enough_to_measure_danger():
    for path in HELD_OUT:
        labelled = load_examples(path)
        assert len(labelled) >= 150, path.name
        assert sum(example.danger for example in labelled) >= 50, path.name
