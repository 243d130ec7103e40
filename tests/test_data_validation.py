"""`rasa data validate` passes, and its only warnings are the ones Rasa raises for
responses that forms and custom actions send (it only counts stories and rules)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(utter_[a-z_]+)' is not used in any story or rule\.")


def responses_sent_outside_stories() -> set:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    sent = {f"utter_ask_{slot}" for form in domain["forms"].values() for slot in form["required_slots"]}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "actions").glob("*.py"))
    sent.update(re.findall(r'"(utter_[a-z_]+)"', code))
    if 'response=f"utter_assessment_{' in code:
        sent.update(f"utter_assessment_{v}" for v in domain["slots"]["assessment"]["values"])
    return sent


def test_rasa_data_validate_has_no_unexplained_warning():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--fail-on-warnings",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line]
    unexplained = [
        w
        for w in warnings
        if not (m := UNUSED.search(w)) or m.group(1) not in responses_sent_outside_stories()
    ]
    assert not unexplained, "\n".join(unexplained)
    assert "No story structure conflicts found" in output
