"""Rasa graph components: thin adapters between Rasa's NLU pipeline and bot.nlu.

- `MessageLengthCap` runs first and cuts over-long messages (the rest of the
  pipeline, and the person's reply, see only the first `max_characters`).
- `DangerClassifier` is a second, learned reader of immediate danger (MiniLM with
  its top layers fine-tuned, bot/nlu/tuned_model.py); it adds `danger_probability`.
- `BehaviourClassifier` is a second, learned reader of the 13 behaviours (the same
  kind of model); it adds `behaviour_probabilities`, which StalkingUnderstanding
  combines with the rules' behaviours (bot/nlu/combine.py).
- `StalkingUnderstanding` runs last, after DIET and the FallbackClassifier: it adds the rule layer's entities
  (behaviour, service, support_choice, four_cue, risk_flag, input_note) and
  overrides the intent when the rules know better. Immediate danger found by the
  rules or by the DangerClassifier always wins, whatever DIET predicted, so no
  confident wrong intent can hide an emergency.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge import load_knowledge
from bot.labelled import Example, load_examples
from bot.nlu import CAPPED_AT, CAPPED_FROM, DANGER_CHECK
from bot.nlu.combine import LearnedBehaviours
from bot.nlu.encoder import default_encoder
from bot.nlu.tuned_model import SAVED_FORMAT, TunedModel, train_tuned_model
from bot.nlu.understanding import Analysis, default_analyser

logger = logging.getLogger(__name__)

EXTRACTOR = "StalkingUnderstanding"
DANGER_INTENT = "immediate_danger"
BAD_INPUT_INTENT = "bad_input"
OTHER_LANGUAGE_INTENT = "other_language"
DESCRIBE_INTENT = "describe_behaviour"
DANGER_PROBABILITY = "danger_probability"
BEHAVIOUR_PROBABILITIES = "behaviour_probabilities"
SERVICE_INTENT = "ask_service"
# Intents DIET may give to a message that the rules see as a disclosure.
REPLACEABLE_BY_DISCLOSURE = frozenset(
    {"nlu_fallback", "out_of_scope", "bad_input", "other_language", "greet"}
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MessageLengthCap(GraphComponent):
    """Cuts a message to `max_characters` and remembers that it did."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_characters": 2000}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._max = int(config["max_characters"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthCap:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if len(text) > self._max:
                message.set(TEXT, text[: self._max])
                message.set(CAPPED_FROM, len(text), add_to_output=True)
                message.set(CAPPED_AT, self._max, add_to_output=True)
        return messages


class TunedReader(GraphComponent):
    """A learned reader (bot/nlu/tuned_model.py): trains, saves, loads and annotates.

    Subclasses say what it learns from (`examples`) and what it adds to a message
    (`annotate`)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "labelled": "data/danger",
            "tuned_layers": 3,
            "epochs": 4,
            "learning_rate": 5e-5,
            "random_seed": 7,
            "grouped_batches": False,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[TunedModel] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TunedReader:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The labelled messages are read here, not through Rasa's importer: retrain when
        what this reader learns from them changes (relabelling behaviours leaves the danger
        model cached), or when the saved model's format does (a cached model in an older
        format would not load).

        Rasa also calls this with the config of a cached stand-in node (without our keys)."""
        folder = config.get("labelled", cls.get_default_config()["labelled"])
        digest = hashlib.sha256(SAVED_FORMAT.encode())
        for example in _labelled(folder):
            digest.update(repr(cls.learned_from(example)).encode())
        return digest.hexdigest()

    @staticmethod
    def learned_from(example: Example) -> Tuple[Any, ...]:
        """The parts of a labelled message this reader is trained on."""
        raise NotImplementedError

    def examples(self, training_data: TrainingData) -> Tuple[List[str], List[str], np.ndarray]:
        """The texts, the labels and the targets (one row per text, one column per label)."""
        raise NotImplementedError

    def training_options(self) -> Dict[str, Any]:
        """Keyword arguments for train_tuned_model beyond those every reader has."""
        return {}

    def annotate(self, message: Message, probabilities: np.ndarray) -> None:
        raise NotImplementedError

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels, targets = self.examples(training_data)
        logger.info(
            "Training %s on %d messages (positives: %s).",
            type(self).__name__,
            len(texts),
            dict(zip(labels, targets.sum(axis=0).astype(int).tolist(), strict=True)),
        )
        self._model = train_tuned_model(
            default_encoder(),
            texts,
            labels,
            targets,
            tuned_layers=int(self._config["tuned_layers"]),
            epochs=int(self._config["epochs"]),
            learning_rate=float(self._config["learning_rate"]),
            seed=int(self._config["random_seed"]),
            grouped_batches=bool(self._config["grouped_batches"]),
            **self.training_options(),
        )
        with self._storage.write_to(self._resource) as directory:
            self._model.save(directory)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TunedReader:
        with model_storage.read_from(resource) as directory:
            model = TunedModel.load(directory, default_encoder())
        # Trace the compiled graphs now, not while the first person waits for a reply.
        model.probability(["warm up"])
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        texts = [message.get(TEXT) or "" for message in messages]
        if self._model is None or not texts:
            return messages
        for message, probabilities in zip(messages, self._model.probability(texts), strict=False):
            self.annotate(message, probabilities)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DangerClassifier(TunedReader):
    """Sets `danger_probability`: how likely the message tells of danger now.

    Trained on the NLU examples (immediate_danger or not) and on the labelled
    messages in `labelled` (data/danger/*.yml: text, danger, behaviours)."""

    def examples(self, training_data: TrainingData) -> Tuple[List[str], List[str], np.ndarray]:
        texts = [m.get(TEXT) for m in training_data.intent_examples]
        labels = [m.get(INTENT) == DANGER_INTENT for m in training_data.intent_examples]
        for example in _labelled(self._config["labelled"]):
            texts.append(example.text)
            labels.append(example.danger)
        return texts, [DANGER_INTENT], np.array(labels, dtype=np.float32)[:, None]

    @staticmethod
    def learned_from(example: Example) -> Tuple[Any, ...]:
        return example.text, example.danger

    def annotate(self, message: Message, probabilities: np.ndarray) -> None:
        message.set(DANGER_PROBABILITY, round(float(probabilities[0]), 4), add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BehaviourClassifier(TunedReader):
    """Sets `behaviour_probabilities`: for each behaviour id of the knowledge, how likely
    the message tells of it. StalkingUnderstanding combines them with the rules.

    Trained on the labelled messages in `labelled` (their `behaviours`)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **TunedReader.get_default_config(),
            "tuned_layers": 2,
            "epochs": 6,
            "learning_rate": 1e-4,
            "head_learning_rate": 3e-3,
            "head_bias": -2.0,
            "grouped_batches": True,
        }

    def examples(self, training_data: TrainingData) -> Tuple[List[str], List[str], np.ndarray]:
        ids = list(load_knowledge().behaviours)
        labelled = _labelled(self._config["labelled"])
        targets = np.array([[b in example.behaviours for b in ids] for example in labelled], dtype=np.float32)
        return [example.text for example in labelled], ids, targets.reshape(len(labelled), len(ids))

    @staticmethod
    def learned_from(example: Example) -> Tuple[Any, ...]:
        return example.text, sorted(example.behaviours)

    def training_options(self) -> Dict[str, Any]:
        return {
            "balanced": False,
            "head_learning_rate": float(self._config["head_learning_rate"]),
            "head_bias": float(self._config["head_bias"]),
        }

    def annotate(self, message: Message, probabilities: np.ndarray) -> None:
        message.set(
            BEHAVIOUR_PROBABILITIES,
            {b: round(float(p), 4) for b, p in zip(self._model.labels, probabilities, strict=True)},
            add_to_output=True,
        )


def _labelled(folder: str) -> List[Example]:
    return [example for path in sorted(Path(folder).glob("*.yml")) for example in load_examples(path)]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=False,
)
class StalkingUnderstanding(GraphComponent):
    """Adds the rule layer's reading of the message to DIET's."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Below this DIET confidence, a message the rules read as a disclosure or a
        # service question is given that intent. At or above `danger_probability`,
        # the DangerClassifier's reading is an emergency; at or above
        # `danger_check_probability`, a message read as no emergency still gets the
        # way to reach 999 (`may_be_danger`). The BehaviourClassifier's
        # probabilities keep a rule-found behaviour at `behaviour_keep_at` and add one
        # the rules missed at `behaviour_add_at` (bot/nlu/combine.py).
        return {
            "rules_outrank_below": 0.6,
            "danger_probability": 0.5,
            "danger_check_probability": 0.1,
            "behaviour_keep_at": 0.05,
            "behaviour_add_at": 0.8,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._threshold = float(config["rules_outrank_below"])
        self._danger_probability = float(config["danger_probability"])
        self._check_probability = float(config["danger_check_probability"])
        self._keep_at = float(config["behaviour_keep_at"])
        self._add_at = float(config["behaviour_add_at"])
        self._analyser = default_analyser()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StalkingUnderstanding:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        probabilities = message.get(BEHAVIOUR_PROBABILITIES)
        learned = (
            None if probabilities is None else LearnedBehaviours(probabilities, self._keep_at, self._add_at)
        )
        analysis = self._analyser.analyse(text, learned)
        message.set(ENTITIES, message.get(ENTITIES, []) + _entities(analysis, message), add_to_output=True)
        probability = message.get(DANGER_PROBABILITY)
        predicted = message.get(INTENT) or {}
        intent = _override_intent(
            analysis,
            text,
            predicted,
            self._threshold,
            message.get(INTENT_RANKING_KEY) or [],
            None if probability is None else probability >= self._danger_probability,
        )
        if intent:
            _set_intent(message, intent)
        if (intent or predicted.get(INTENT_NAME_KEY)) != DANGER_INTENT and may_be_danger(
            analysis, probability, self._check_probability, predicted.get(INTENT_NAME_KEY) == DANGER_INTENT
        ):
            message.set(DANGER_CHECK, True, add_to_output=True)


def _entity(name: str, value: str, start: int = 0, end: int = 0) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": start, "end": end, "extractor": EXTRACTOR}


def _entities(analysis: Analysis, message: Message) -> List[Dict[str, Any]]:
    entities = [_entity("behaviour", f.value, f.start, f.end) for f in analysis.behaviours]
    entities += [_entity("service", s) for s in analysis.services]
    entities += [_entity("four_cue", element) for element in sorted(analysis.four)]
    entities += [_entity("risk_flag", flag) for flag in sorted(analysis.risk_flags)]
    if analysis.support_choice:
        entities.append(_entity("support_choice", analysis.support_choice))
    if message.get(CAPPED_FROM):
        entities.append(_entity("input_note", "too_long"))
    return entities


def runner_up(ranking: List[Dict[str, Any]]) -> str:
    """DIET's best intent other than immediate danger."""
    others = [r[INTENT_NAME_KEY] for r in ranking if r.get(INTENT_NAME_KEY) not in (DANGER_INTENT, None)]
    return others[0] if others else DESCRIBE_INTENT


def _override_intent(
    analysis: Analysis,
    text: str,
    predicted: Dict[str, Any],
    threshold: float,
    ranking: List[Dict[str, Any]] = (),
    model_danger: Optional[bool] = None,
) -> Optional[str]:
    """The intent the rules and the danger model impose, or None to keep DIET's.

    `model_danger` is the DangerClassifier's reading (None when it did not run)."""
    if analysis.danger or (model_danger and analysis.letters):
        return DANGER_INTENT
    name = predicted.get(INTENT_NAME_KEY)
    confidence = predicted.get(PREDICTED_CONFIDENCE_KEY) or 0.0
    if name == DANGER_INTENT:
        # The two readers trained for danger alone decide; without the learned one,
        # DIET's alarm stands unless the rules read the very danger words and found
        # them past, negated, habitual or hypothetical.
        return runner_up(ranking) if model_danger is not None or analysis.danger_ruled_out else None
    if analysis.letters == 0:
        return BAD_INPUT_INTENT
    if mostly_non_latin(text):
        return OTHER_LANGUAGE_INTENT
    # The rules' behaviours only: they read English words, while the learned reader also
    # finds behaviours in other languages ("il me suit partout"), which must still get the
    # other-language reply.
    if analysis.rule_behaviours and (confidence < threshold or name in REPLACEABLE_BY_DISCLOSURE):
        return DESCRIBE_INTENT
    if analysis.services and (confidence < threshold or (name == DESCRIBE_INTENT and is_question(text))):
        return SERVICE_INTENT
    return None


def may_be_danger(
    analysis: Analysis, probability: Optional[float], check_at: float, diet_said_danger: bool
) -> bool:
    """A message not read as an emergency that may still be one: the rules found danger
    words and judged them not happening now ("he used to wait outside", "what if he
    tries to break in"), DIET's alarm was overruled, or the danger model leans that way.
    On the validation sets the alarm missed a few emergencies that these caught (README
    "Measured"); such a message is answered as usual, after how to reach 999."""
    return analysis.letters > 0 and (
        analysis.danger_ruled_out or diet_said_danger or (probability is not None and probability >= check_at)
    )


QUESTION = re.compile(
    r"\?|(^|[,.;:!]\s*)(can|could|what|whats|what's|how|who|where|is|are|do|does|should|which)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """ "...hacked my accounts, can I call action fraud" asks for a service even
    though it also discloses something."""
    return bool(QUESTION.search(text))


def mostly_non_latin(text: str) -> bool:
    """True when most letters are from a non-Latin script (Arabic, Urdu, Bengali...)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin / len(letters) < 0.5


def _set_intent(message: Message, name: str) -> None:
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
