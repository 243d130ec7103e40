"""Learned readers: MiniLM with its top layers fine-tuned and a logistic head per label.

Two readers are trained this way (bot/nlu/components.py):

- danger now (one label). Why: the spaCy rules read tense, negation and habit well,
  but each new set of messages written by someone else held a few emergencies in words
  no rule knew ("at a party and my ex just turned up ... I'm hiding upstairs", "i'm on
  the bridge"). Frozen sentence embeddings mostly know the topic, not whether it is
  happening now; tuning the top layers on labelled messages teaches that. Three layers
  rather than two gave fewer false alarms at the same recall on the spent held-out sets
  (README "Measured", two seeds each); four gave a little fewer still, but missed more
  and took longer to train.
- the 13 behaviours (one label each). Why: the rules miss behaviours told in words no
  pattern knows and find some that the writer did not mean; on the spent held-out sets
  a two-layer reader alone scored about as well as the rules (micro-F1 0.80), and the
  two combined better than either (README "Measured").

The bottom layers stay as pretrained (their states are computed once per training
run), so training takes minutes on two cores and a model adds only the tuned layers'
weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from bot.nlu.encoder import MiniLM, bert_layer, mean_unit

# The pooled vector is unit length; scaling it lets a zero-initialised head reach
# confident logits within a few epochs.
HEAD_SCALE = 10.0
# Change it when `save` changes: Rasa then retrains instead of loading a cached older model.
SAVED_FORMAT = "tuned_model/1"


@dataclass
class TunedModel:
    encoder: MiniLM
    labels: List[str]
    tuned: List[Dict[str, tf.Tensor]]
    head_weight: tf.Tensor
    head_bias: tf.Tensor

    @property
    def frozen_layers(self) -> int:
        return self.encoder.layers - len(self.tuned)

    def logits(self, x: tf.Tensor, mask: tf.Tensor, training: bool = False) -> tf.Tensor:
        for weights in self.tuned:
            x = bert_layer(x, mask, weights, self.encoder.heads, self.encoder.eps, training)
        pooled = mean_unit(x, mask) * HEAD_SCALE
        return tf.matmul(pooled, self.head_weight) + self.head_bias

    def __post_init__(self) -> None:
        self._predict = self.encoder.compiled(lambda x, mask: tf.sigmoid(self.logits(x, mask)))

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's probability of each label: shape (texts, labels)."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self._predict(*self.encoder.states(texts, self.frozen_layers)).numpy()

    def save(self, directory: Path) -> None:
        arrays = {f"{i}/{k}": v.numpy() for i, layer in enumerate(self.tuned) for k, v in layer.items()}
        arrays["head/weight"], arrays["head/bias"] = self.head_weight.numpy(), self.head_bias.numpy()
        np.savez(directory / "tuned_model.npz", **arrays)
        meta = {"tuned_layers": len(self.tuned), "labels": self.labels}
        (directory / "tuned_model.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, directory: Path, encoder: MiniLM) -> TunedModel:
        meta = json.loads((directory / "tuned_model.json").read_text())
        count = meta["tuned_layers"]
        with np.load(directory / "tuned_model.npz") as arrays:
            tuned = [
                {k.split("/", 1)[1]: tf.constant(arrays[k]) for k in arrays.files if k.startswith(f"{i}/")}
                for i in range(count)
            ]
            return cls(
                encoder,
                meta["labels"],
                tuned,
                tf.constant(arrays["head/weight"]),
                tf.constant(arrays["head/bias"]),
            )


def train_tuned_model(
    encoder: MiniLM,
    texts: Sequence[str],
    labels: Sequence[str],
    targets: np.ndarray,
    tuned_layers: int = 3,
    epochs: int = 4,
    learning_rate: float = 5e-5,
    batch_size: int = 32,
    seed: int = 7,
    balanced: bool = True,
    head_learning_rate: Optional[float] = None,
    head_bias: float = 0.0,
    grouped_batches: bool = False,
) -> TunedModel:
    """Fine-tunes the top layers and a logistic head on `texts` and `targets` (one row
    per text, one 0/1 column per label of `labels`).

    `balanced` weights each label's positives up to its negatives. `head_learning_rate`
    gives the head an optimiser of its own: thirteen heads from zero learn too slowly at
    the layers' rate. `head_bias` starts every label at that logit (rare labels: below 0).
    `grouped_batches` trains on batches of similar length (about twice as fast)."""
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    frozen = encoder.layers - tuned_layers
    y = np.asarray(targets, dtype=np.float32).reshape(len(texts), len(labels))
    model = TunedModel(
        encoder,
        list(labels),
        [
            {k: tf.Variable(v) for k, v in encoder.layer_weights(i).items()}
            for i in range(frozen, encoder.layers)
        ],
        tf.Variable(tf.zeros((encoder.size, y.shape[1]))),
        tf.Variable(tf.fill((y.shape[1],), head_bias)),
    )
    # Each text's frozen states, computed once, in batches of similar length.
    order = np.argsort([len(t) for t in texts])
    states = {}
    for start in range(0, len(order), 64):
        batch = order[start : start + 64]
        x, mask = encoder.training_states([texts[i] for i in batch], frozen)
        for row, i in enumerate(batch):
            length = int(mask[row].numpy().sum())
            states[i] = x[row, :length].numpy()
    if balanced:
        columns = []
        for column in y.T:
            positive = float(column.mean()) if len(column) else 0.5
            columns.append(np.where(column > 0, (1 - positive) / max(positive, 1e-6), 1.0))
        weight = np.stack(columns, axis=1).astype(np.float32)
    else:
        weight = np.ones_like(y)
    layers = [v for layer in model.tuned for v in layer.values()]
    head = [model.head_weight, model.head_bias]
    optimiser = tf.keras.optimizers.Adam(learning_rate)
    head_optimiser = tf.keras.optimizers.Adam(head_learning_rate) if head_learning_rate else optimiser
    variables = layers + head

    @tf.function(reduce_retracing=True)
    def step(x: tf.Tensor, mask: tf.Tensor, target: tf.Tensor, sample_weight: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(
                sample_weight * tf.nn.sigmoid_cross_entropy_with_logits(target, model.logits(x, mask, True))
            )
        gradients = tape.gradient(loss, variables)
        if head_optimiser is optimiser:
            # Inside tf.function: autograph's zip takes no `strict`.
            optimiser.apply_gradients(zip(gradients, variables))  # noqa: B905
        else:
            optimiser.apply_gradients(zip(gradients[: len(layers)], layers))  # noqa: B905
            head_optimiser.apply_gradients(zip(gradients[len(layers) :], head))  # noqa: B905
        return loss

    lengths = np.array([len(states[i]) for i in range(len(y))])
    for _ in range(epochs):
        for batch in _batches(lengths, batch_size, rng, grouped_batches):
            x, mask = _pad([states[i] for i in batch])
            step(x, mask, tf.constant(y[batch]), tf.constant(weight[batch]))
    return model


def _batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, grouped: bool
) -> List[np.ndarray]:
    """One epoch's batches. Random batches pad every message to the longest of 32, so
    about two thirds of the tuned layers' work is padding. Grouped, as Hugging Face's
    LengthGroupedSampler: shuffle, sort each run of 16 batches by length, cut it into
    batches, shuffle the batches."""
    shuffled = rng.permutation(len(lengths))
    if not grouped:
        return [shuffled[i : i + batch_size] for i in range(0, len(shuffled), batch_size)]
    run = batch_size * 16
    batches = []
    for start in range(0, len(shuffled), run):
        chunk = shuffled[start : start + run]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _pad(states: Sequence[np.ndarray]) -> Tuple[tf.Tensor, tf.Tensor]:
    length = max(len(s) for s in states)
    x = np.zeros((len(states), length, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), length), dtype=np.float32)
    for row, s in enumerate(states):
        x[row, : len(s)], mask[row, : len(s)] = s, 1.0
    return tf.constant(x), tf.constant(mask)
