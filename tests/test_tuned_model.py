"""The sentence encoder and the learned readers (bot/nlu/encoder.py, tuned_model.py, combine.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.encoder import default_encoder
from bot.nlu.tuned_model import TunedModel, _batches, train_tuned_model


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


def test_the_second_reader_goes_on_from_the_first_readers_states(encoder):
    """The danger reader asks for three layers, the behaviour reader for four, of the same
    message: the fourth must be computed on that message's states, not another's."""
    texts = ["hes been folowing me hom", "what's the helpline number"]
    three = encoder.states(texts, 3)[0].numpy()
    went_on = encoder.states(texts, 4)[0].numpy()
    encoder.states(["something else entirely"], 4)
    assert np.allclose(went_on, encoder.states(texts, 4)[0].numpy(), atol=1e-5)
    # Asked for fewer layers than last time: not the deeper states.
    assert np.allclose(three, encoder.states(texts, 3)[0].numpy(), atol=1e-5)
    assert not np.allclose(three, went_on, atol=1e-2)


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
    targets = np.array([[1.0]] * 6 + [[0.0]] * 6)
    model = train_tuned_model(encoder, DANGER + SAFE, ["danger"], targets, epochs=12, learning_rate=1e-3)
    danger, safe = model.probability(DANGER)[:, 0], model.probability(SAFE)[:, 0]
    assert danger.min() > 0.5 > safe.max()

    model.save(tmp_path)
    reloaded = TunedModel.load(tmp_path, encoder)
    assert reloaded.labels == ["danger"]
    assert np.allclose(reloaded.probability(DANGER + SAFE)[:, 0], np.concatenate([danger, safe]), atol=1e-5)
    assert reloaded.probability([]).shape == (0, 1)


FOLLOWING = ["he follows me home", "hes been folowing me", "he walks behind me everywhere"]
TEXTING = ["he texts me all night", "she keeps messaging me", "he rings me constantly"]
BOTH = ["he follows me and texts me", "she follows me home then messages me"]
NEITHER = ["what is the helpline number", "how do i report it", "thank you"]


def test_a_reader_of_several_labels_learns_each_one(encoder):
    texts = FOLLOWING + TEXTING + BOTH + NEITHER
    targets = np.array([[1, 0]] * 3 + [[0, 1]] * 3 + [[1, 1]] * 2 + [[0, 0]] * 3, dtype=np.float32)
    model = train_tuned_model(
        encoder,
        texts,
        ["following", "unwanted_contact"],
        targets,
        tuned_layers=2,
        epochs=20,
        learning_rate=1e-4,
        balanced=False,
        head_learning_rate=3e-3,
        head_bias=-2.0,
        grouped_batches=True,
    )
    predicted = model.probability(texts) >= 0.5
    assert (predicted == targets.astype(bool)).all()


def test_each_epoch_trains_on_every_message_once_in_batches_of_similar_length():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 150, size=1000)
    batches = _batches(lengths, 32, rng, grouped=True)
    assert sorted(np.concatenate(batches)) == list(range(1000))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    assert lengths.sum() / padded > 0.8  # random batches of 32: about 0.55 here
    assert _batches(lengths, 32, rng, grouped=True)[0].tolist() != batches[0].tolist()
    random = _batches(lengths, 32, rng, grouped=False)
    assert sorted(np.concatenate(random)) == list(range(1000))


def test_each_reader_retrains_when_what_it_learns_from_the_labelled_files_changes(tmp_path):
    from bot.nlu.components import BehaviourClassifier, DangerClassifier

    def fingerprints(yaml_text: str) -> tuple:
        (tmp_path / "a.yml").write_text(yaml_text)
        config = {"labelled": str(tmp_path)}
        return DangerClassifier.fingerprint_addon(config), BehaviourClassifier.fingerprint_addon(config)

    empty = fingerprints("examples: []\n")
    added = fingerprints("examples:\n  - {text: he is outside, danger: true, behaviours: [turning_up]}\n")
    relabelled = fingerprints("examples:\n  - {text: he is outside, danger: true, behaviours: [loitering]}\n")
    safe = fingerprints("examples:\n  - {text: he is outside, danger: false, behaviours: [loitering]}\n")
    assert added[0] != empty[0] and added[1] != empty[1]
    # A behaviour relabelled: only the behaviour reader retrains (the danger model takes 14 min).
    assert relabelled[0] == added[0] and relabelled[1] != added[1]
    assert safe[0] != relabelled[0] and safe[1] == relabelled[1]


def test_the_fingerprint_works_for_rasas_cached_stand_in_node():
    from bot.nlu.components import DangerClassifier

    # When the trained classifier comes from Rasa's cache, Rasa fingerprints it with
    # the stand-in node's config, which has none of DangerClassifier's keys.
    assert DangerClassifier.fingerprint_addon({"output": None}) == DangerClassifier.fingerprint_addon(
        {"labelled": "data/danger"}
    )


def test_a_new_saved_format_retrains_instead_of_loading_a_cached_model(monkeypatch):
    from bot.nlu import components
    from bot.nlu.components import BehaviourClassifier

    before = BehaviourClassifier.fingerprint_addon({"labelled": "data/danger"})
    monkeypatch.setattr(components, "SAVED_FORMAT", "tuned_model/next")
    assert BehaviourClassifier.fingerprint_addon({"labelled": "data/danger"}) != before
