"""Scores the bot's understanding on the held-out set in tests/eval/eval_set.yml.

    python -m bot.evaluation                 # through the latest trained Rasa model
    python -m bot.evaluation --rules-only    # the spaCy rule layer alone (seconds)

Reports immediate-danger recall and false-alarm rate, and behaviour micro
precision/recall/F1, and lists every miss so it can be read, not just counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Sequence, Set, Tuple

from bot.labelled import Example, load_examples
from bot.nlu import DANGER_CHECK

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "eval" / "eval_set.yml"
DANGER_INTENT = "immediate_danger"

# A prediction is (is the message an emergency now?, the behaviour ids found).
Prediction = Tuple[bool, Set[str]]


@dataclass
class Scores:
    examples: int = 0
    danger_true_positive: int = 0
    danger_false_negative: int = 0
    danger_false_positive: int = 0
    danger_true_negative: int = 0
    behaviour_tp: int = 0
    behaviour_fp: int = 0
    behaviour_fn: int = 0
    missed_danger: List[str] = field(default_factory=list)
    false_alarms: List[str] = field(default_factory=list)
    behaviour_errors: List[str] = field(default_factory=list)

    @property
    def danger_recall(self) -> float:
        positives = self.danger_true_positive + self.danger_false_negative
        return self.danger_true_positive / positives if positives else 1.0

    @property
    def false_alarm_rate(self) -> float:
        negatives = self.danger_false_positive + self.danger_true_negative
        return self.danger_false_positive / negatives if negatives else 0.0

    @property
    def behaviour_precision(self) -> float:
        found = self.behaviour_tp + self.behaviour_fp
        return self.behaviour_tp / found if found else 1.0

    @property
    def behaviour_recall(self) -> float:
        wanted = self.behaviour_tp + self.behaviour_fn
        return self.behaviour_tp / wanted if wanted else 1.0

    @property
    def behaviour_f1(self) -> float:
        p, r = self.behaviour_precision, self.behaviour_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> Dict[str, float]:
        return {
            "examples": self.examples,
            "danger_recall": round(self.danger_recall, 4),
            "danger_false_alarm_rate": round(self.false_alarm_rate, 4),
            "danger_missed": self.danger_false_negative,
            "danger_false_alarms": self.danger_false_positive,
            "behaviour_precision": round(self.behaviour_precision, 4),
            "behaviour_recall": round(self.behaviour_recall, 4),
            "behaviour_micro_f1": round(self.behaviour_f1, 4),
        }


def score(examples: Sequence[Example], predictions: Iterable[Prediction]) -> Scores:
    scores = Scores()
    for example, (danger, behaviours) in zip(examples, predictions, strict=False):
        scores.examples += 1
        if example.danger and danger:
            scores.danger_true_positive += 1
        elif example.danger:
            scores.danger_false_negative += 1
            scores.missed_danger.append(example.text)
        elif danger:
            scores.danger_false_positive += 1
            scores.false_alarms.append(example.text)
        else:
            scores.danger_true_negative += 1
        tp = len(example.behaviours & behaviours)
        scores.behaviour_tp += tp
        scores.behaviour_fp += len(behaviours - example.behaviours)
        scores.behaviour_fn += len(example.behaviours - behaviours)
        if behaviours != example.behaviours:
            missing = sorted(example.behaviours - behaviours)
            extra = sorted(behaviours - example.behaviours)
            scores.behaviour_errors.append(f"{example.text!r} missing={missing} extra={extra}")
    return scores


def by_reader(
    examples: Sequence[Example], probabilities: Dict[str, float], behaviours: Dict[str, Dict[str, float]]
) -> Dict[str, Dict[str, float]]:
    """Each reader alone: the rules' danger and behaviours, the danger model at a few
    thresholds (to choose its threshold on a validation set), the behaviour model at 0.5."""
    rules = rules_predictor()
    rules_read = {e.text: rules(e.text) for e in examples}
    readers: Dict[str, Callable[[str], bool]] = {"rules": lambda text: rules_read[text][0]}
    for threshold in (0.3, 0.5, 0.7, 0.9):
        readers[f"danger_model>={threshold}"] = lambda text, t=threshold: probabilities.get(text, 0.0) >= t
    result = {}
    for name, reads_danger in readers.items():
        scores = score(examples, ((reads_danger(e.text), e.behaviours) for e in examples))
        result[name] = {
            "danger_recall": round(scores.danger_recall, 4),
            "danger_false_alarm_rate": round(scores.false_alarm_rate, 4),
        }
    result["rules"]["behaviour_micro_f1"] = round(
        score(examples, (rules_read[e.text] for e in examples)).behaviour_f1, 4
    )
    if behaviours:
        learned = (
            (e.danger, {b for b, p in behaviours.get(e.text, {}).items() if p >= 0.5}) for e in examples
        )
        result["behaviour_model>=0.5"] = {
            "behaviour_micro_f1": round(score(examples, learned).behaviour_f1, 4)
        }
    return result


def told_999(
    examples: Sequence[Example], alarms: Dict[str, bool], checks: Dict[str, bool]
) -> Dict[str, float]:
    """How many emergencies were told how to reach 999 at that turn, by the alarm or by the
    line before the usual reply, and how many other messages got that line."""
    told = [alarms[e.text] or checks.get(e.text, False) for e in examples if e.danger]
    lines = [checks.get(e.text, False) and not alarms[e.text] for e in examples if not e.danger]
    return {
        "danger_told_999_recall": round(sum(told) / len(told), 4) if told else 1.0,
        "danger_999_line_on_others": round(sum(lines) / len(lines), 4) if lines else 0.0,
    }


def annotated(text: str, probabilities: Dict[str, float], checks: Dict[str, bool]) -> str:
    """A listed message with the danger model's probability and, for a missed emergency,
    whether the line before the usual reply still told how to reach 999."""
    notes = []
    if text in probabilities:
        notes.append(f"danger model {probabilities[text]:.2f}")
    if text in checks:
        notes.append("told how to reach 999" if checks[text] else "NOT told how to reach 999")
    return f"{text}  [{'; '.join(notes)}]" if notes else text


def rules_predictor() -> Callable[[str], Prediction]:
    from bot.nlu.understanding import default_analyser

    analyser = default_analyser()

    def predict(text: str) -> Prediction:
        analysis = analyser.analyse(text)
        return analysis.danger, set(analysis.behaviour_ids)

    return predict


def model_predictor(
    model_path: str,
    probabilities: Dict[str, float],
    behaviours: Dict[str, Dict[str, float]],
    checks: Dict[str, bool],
) -> Callable[[str], Prediction]:
    """Predictions through the trained model; records each text's danger_probability,
    behaviour_probabilities and danger_check (how to reach 999 before the usual reply)."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parsed message at debug level; the evaluation prints its own report.
    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(model_path)
    loop = asyncio.new_event_loop()

    def predict(text: str) -> Prediction:
        parsed = loop.run_until_complete(agent.parse_message(text))
        if "danger_probability" in parsed:
            probabilities[text] = parsed["danger_probability"]
        if "behaviour_probabilities" in parsed:
            behaviours[text] = parsed["behaviour_probabilities"]
        checks[text] = bool(parsed.get(DANGER_CHECK))
        found = {e["value"] for e in parsed.get("entities", []) if e["entity"] == "behaviour"}
        return parsed["intent"]["name"] == DANGER_INTENT, found

    return predict


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--model", default="models", help="model file or folder")
    parser.add_argument("--eval-set", default=str(EVAL_SET))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quiet", action="store_true", help="figures only, no misses")
    args = parser.parse_args(list(argv))

    examples = load_examples(Path(args.eval_set))
    probabilities: Dict[str, float] = {}
    behaviours: Dict[str, Dict[str, float]] = {}
    checks: Dict[str, bool] = {}
    predict = (
        rules_predictor()
        if args.rules_only
        else model_predictor(args.model, probabilities, behaviours, checks)
    )
    predictions = [predict(e.text) for e in examples]
    scores = score(examples, predictions)
    summary = scores.summary()
    if checks:
        alarms = {e.text: danger for e, (danger, _) in zip(examples, predictions, strict=True)}
        summary.update(told_999(examples, alarms, checks))
    if probabilities:
        summary["by_reader"] = by_reader(examples, probabilities, behaviours)
    if not args.quiet:
        for title, lines in (
            ("MISSED DANGER", scores.missed_danger),
            ("FALSE ALARMS", scores.false_alarms),
            ("BEHAVIOUR ERRORS", scores.behaviour_errors),
        ):
            print(f"\n{title} ({len(lines)})")
            for line in lines:
                print("  ", annotated(line, probabilities, checks if title == "MISSED DANGER" else {}))
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
