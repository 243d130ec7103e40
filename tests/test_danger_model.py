"""The sentence encoder and the learned danger reader (bot/nlu/encoder.py, danger_model.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.danger_model import DangerModel, train_danger_model
from bot.nlu.encoder import default_encoder


@pytest.fixture(scope="module")
def encoder():
    return default_encoder()


def test_similar_meanings_are_closer_than_different_ones(encoder):
    outside, parked, helpline = encoder.encode(
        [
            "he is outside my house right now",
            "hes sat outside my flat in his car",
            "what is the helpline number",
        ]
    )
    assert outside @ parked > 0.5 > 0.1 > outside @ helpline


def test_a_text_reads_the_same_alone_or_in_a_padded_batch(encoder):
    alone = encoder.encode(["he is outside"])[0]
    batched = encoder.encode(
        ["he is outside", "a much longer message that makes the batch pad the first one"]
    )[0]
    assert np.allclose(alone, batched, atol=1e-5)
    assert np.isclose(np.linalg.norm(alone), 1.0, atol=1e-5)


DANGER = [
    "he is outside my door right now",
    "hes in the house i'm hiding",
    "he's following me right now please help",
    "he's got a knife and he's here",
    "he just broke in",
    "someone is trying to get in through the window now",
]
SAFE = [
    "he used to follow me years ago",
    "what is the helpline number",
    "he sent me flowers last month",
    "how do i report stalking",
    "he doesn't come round any more",
    "can i report anonymously",
]


def test_the_danger_model_learns_and_keeps_what_it_learnt(encoder, tmp_path):
    model = train_danger_model(
        encoder, DANGER + SAFE, [True] * 6 + [False] * 6, epochs=12, learning_rate=1e-3
    )
    danger, safe = model.probability(DANGER), model.probability(SAFE)
    assert danger.min() > 0.5 > safe.max()

    model.save(tmp_path)
    reloaded = DangerModel.load(tmp_path, encoder)
    assert np.allclose(reloaded.probability(DANGER + SAFE), np.concatenate([danger, safe]), atol=1e-5)
    assert reloaded.probability([]).shape == (0,)


def test_the_danger_classifier_retrains_when_its_labelled_files_change(tmp_path):
    from bot.nlu.components import DangerClassifier

    (tmp_path / "a.yml").write_text("examples: []\n")
    before = DangerClassifier.fingerprint_addon({"labelled": str(tmp_path)})
    (tmp_path / "a.yml").write_text("examples:\n  - {text: he is here, danger: true}\n")
    assert DangerClassifier.fingerprint_addon({"labelled": str(tmp_path)}) != before


def test_the_fingerprint_works_for_rasas_cached_stand_in_node():
    from bot.nlu.components import DangerClassifier

    # When the trained classifier comes from Rasa's cache, Rasa fingerprints it with
    # the stand-in node's config, which has none of DangerClassifier's keys.
    assert DangerClassifier.fingerprint_addon({"output": None}) == DangerClassifier.fingerprint_addon(
        {"labelled": "data/danger"}
    )
