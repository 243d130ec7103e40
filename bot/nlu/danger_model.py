"""A second, learned reader of immediate danger: MiniLM with its top layers fine-tuned.

Why: the spaCy rules read tense, negation and habit well, but each new set of
messages written by someone else held a few emergencies in words no rule knew ("at a
party and my ex just turned up ... I'm hiding upstairs", "i'm on the bridge"). Frozen
sentence embeddings mostly know the topic, not whether it is happening now; tuning the
top layers on labelled messages teaches that. The bottom layers stay as pretrained
(their states are computed once per training run), so training takes a few minutes on
two cores and the model adds only the tuned layers' weights. Three layers rather
than two gave fewer false alarms at the same recall on the spent held-out sets (README
"Measured", two seeds each); four gave a little fewer still, but missed more and took
longer to train.

Labels: NLU examples (intent immediate_danger or not) plus the labelled sets in
data/danger/. The rules and this model are combined as a union in
bot.nlu.components: either one raises the alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from bot.nlu.encoder import MiniLM, bert_layer, mean_unit

# The pooled vector is unit length; scaling it lets a zero-initialised head reach
# confident logits within a few epochs.
HEAD_SCALE = 10.0


@dataclass
class DangerModel:
    encoder: MiniLM
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
        return tf.squeeze(tf.matmul(pooled, self.head_weight), -1) + self.head_bias

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """The probability that each text tells of danger now."""
        if not texts:
            return np.zeros((0,), dtype=np.float32)
        x, mask = self.encoder.states(texts, self.frozen_layers)
        return tf.sigmoid(self.logits(x, mask)).numpy()

    def save(self, directory: Path) -> None:
        arrays = {f"{i}/{k}": v.numpy() for i, layer in enumerate(self.tuned) for k, v in layer.items()}
        arrays["head/weight"], arrays["head/bias"] = self.head_weight.numpy(), self.head_bias.numpy()
        np.savez(directory / "danger_model.npz", **arrays)
        (directory / "danger_model.json").write_text(json.dumps({"tuned_layers": len(self.tuned)}))

    @classmethod
    def load(cls, directory: Path, encoder: MiniLM) -> DangerModel:
        count = json.loads((directory / "danger_model.json").read_text())["tuned_layers"]
        with np.load(directory / "danger_model.npz") as arrays:
            tuned = [
                {k.split("/", 1)[1]: tf.constant(arrays[k]) for k in arrays.files if k.startswith(f"{i}/")}
                for i in range(count)
            ]
            return cls(encoder, tuned, tf.constant(arrays["head/weight"]), tf.constant(arrays["head/bias"]))


def train_danger_model(
    encoder: MiniLM,
    texts: Sequence[str],
    labels: Sequence[bool],
    tuned_layers: int = 3,
    epochs: int = 4,
    learning_rate: float = 5e-5,
    batch_size: int = 32,
    seed: int = 7,
) -> DangerModel:
    """Fine-tunes the top layers and a logistic head on `texts`, `labels`."""
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    frozen = encoder.layers - tuned_layers
    model = DangerModel(
        encoder,
        [
            {k: tf.Variable(v) for k, v in encoder.layer_weights(i).items()}
            for i in range(frozen, encoder.layers)
        ],
        tf.Variable(tf.zeros((encoder.size, 1))),
        tf.Variable(tf.zeros(())),
    )
    y = np.asarray(labels, dtype=np.float32)
    # Each text's frozen states, computed once, in batches of similar length.
    order = np.argsort([len(t) for t in texts])
    states = {}
    for start in range(0, len(order), 64):
        batch = order[start : start + 64]
        x, mask = encoder.states([texts[i] for i in batch], frozen)
        for row, i in enumerate(batch):
            length = int(mask[row].numpy().sum())
            states[i] = x[row, :length].numpy()
    positive = float(y.mean()) if len(y) else 0.5
    weight = np.where(y > 0, (1 - positive) / max(positive, 1e-6), 1.0).astype(np.float32)
    variables = [v for layer in model.tuned for v in layer.values()] + [model.head_weight, model.head_bias]
    optimiser = tf.keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def step(x: tf.Tensor, mask: tf.Tensor, target: tf.Tensor, sample_weight: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(
                sample_weight * tf.nn.sigmoid_cross_entropy_with_logits(target, model.logits(x, mask, True))
            )
        # Inside tf.function: autograph's zip takes no `strict`.
        optimiser.apply_gradients(zip(tape.gradient(loss, variables), variables))  # noqa: B905
        return loss

    for _ in range(epochs):
        shuffled = rng.permutation(len(y))
        for start in range(0, len(shuffled), batch_size):
            batch = shuffled[start : start + batch_size]
            x, mask = _pad([states[i] for i in batch])
            step(x, mask, tf.constant(y[batch]), tf.constant(weight[batch]))
    return model


def _pad(states: Sequence[np.ndarray]) -> Tuple[tf.Tensor, tf.Tensor]:
    length = max(len(s) for s in states)
    x = np.zeros((len(states), length, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), length), dtype=np.float32)
    for row, s in enumerate(states):
        x[row, : len(s)], mask[row, : len(s)] = s, 1.0
    return tf.constant(x), tf.constant(mask)
